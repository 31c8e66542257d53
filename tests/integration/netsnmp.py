"""net-snmp's command-line clients (snmpget, snmpbulkwalk, ...) with credentials in a private
snmp.conf, never in argv (where ``ps`` shows them to every user).

:func:`write_client_conf` writes ``DIR/snmp.conf`` (file 0600, directory 0700) with the
``defVersion``/``defCommunity`` or ``defSecurityName``/``defAuthPassphrase``/
``defPrivPassphrase`` lines; :func:`run` starts a client with ``SNMPCONFPATH`` (and ``HOME``)
pointing there and refuses an argv that contains any secret of that file. Plain functions, no
pytest, so benchmarks can use them too.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CONF_NAME = "snmp.conf"
_SECRET_KEYS = ("defCommunity", "defAuthPassphrase", "defPrivPassphrase")


@dataclass(frozen=True)
class V2c:
    community: str


@dataclass(frozen=True)
class V3:
    """USM authPriv (SHA-256 / AES-128 unless told otherwise)."""

    user: str
    auth_key: str
    priv_key: str
    auth_type: str = "SHA-256"
    priv_type: str = "AES"


Credentials = V2c | V3


def conf_lines(directory: Path, credentials: Credentials) -> list[str]:
    lines = [f"persistentDir {directory}", "noPersistentLoad yes", "noPersistentSave yes"]
    if isinstance(credentials, V2c):
        return [*lines, "defVersion 2c", f"defCommunity {credentials.community}"]
    return [
        *lines,
        "defVersion 3",
        "defSecurityLevel authPriv",
        f"defSecurityName {credentials.user}",
        f"defAuthType {credentials.auth_type}",
        f"defAuthPassphrase {credentials.auth_key}",
        f"defPrivType {credentials.priv_type}",
        f"defPrivPassphrase {credentials.priv_key}",
    ]


def write_client_conf(directory: Path, credentials: Credentials) -> Path:
    """``directory`` (created 0700) holding a 0600 ``snmp.conf`` for ``credentials``."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    conf = directory / CONF_NAME
    # created 0600 before the first byte is written: the secrets are never world-readable
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(conf_lines(directory, credentials)) + "\n")
    conf.chmod(0o600)  # if it existed with other bits
    return directory


def secrets_of(conf_dir: Path) -> list[str]:
    """The community / passphrases in ``conf_dir``'s snmp.conf."""
    found = []
    for line in (conf_dir / CONF_NAME).read_text().splitlines():
        key, _, value = line.partition(" ")
        if key in _SECRET_KEYS and value.strip():
            found.append(value.strip())
    return found


def client_env(conf_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) with net-snmp reading only ``conf_dir``."""
    env = dict(os.environ if base is None else base)
    env.update(
        SNMPCONFPATH=str(conf_dir), HOME=str(conf_dir), SNMP_PERSISTENT_DIR=str(conf_dir), MIBS=""
    )
    return env


def checked_argv(argv: Sequence[str], conf_dir: Path) -> list[str]:
    """``argv`` as a list, after checking that no secret of ``conf_dir`` is in it."""
    leaked = [s for s in secrets_of(conf_dir) if any(s in arg for arg in argv)]
    if leaked:
        raise ValueError(f"{argv[0]}: a credential of {conf_dir} is in argv")
    return list(argv)


def run(
    argv: Sequence[str], conf_dir: Path, timeout: float, base_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a net-snmp client with the credentials of ``conf_dir`` (text output, no check)."""
    return subprocess.run(
        checked_argv(argv, conf_dir),
        capture_output=True,
        text=True,
        env=client_env(conf_dir, base_env),
        timeout=timeout,
        check=False,
    )
