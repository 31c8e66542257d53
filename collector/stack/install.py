"""Install a service's Debian package when its binary is missing (root, non-interactive)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from collector.stack.service import Service, StackError

#: Runs a command; returns (exit status, combined output). Replaceable in tests.
Runner = Callable[[Sequence[str]], tuple[int, str]]

#: Debian's hook that tells package scripts whether they may start services (101: no).
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
_NO_LISTS = ("Unable to locate package", "has no installation candidate", "404  Not Found")


def run_apt(argv: Sequence[str]) -> tuple[int, str]:
    environ = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        list(argv),
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@contextmanager
def services_not_started(policy: Path = POLICY_RC_D) -> Iterator[None]:
    """Keep package scripts from starting system daemons (they would take our ports)."""
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# pubwifi stack: do not start services on install\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def _tail(output: str, lines: int = 8) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


def ensure_installed(
    service: Service,
    run: Runner = run_apt,
    euid: Callable[[], int] = os.geteuid,
    policy: Path = POLICY_RC_D,
) -> bool:
    """Install ``service.package`` if ``service.binary`` is missing; True if it installed."""
    if service.binary.exists():
        return False
    if service.package is None:
        raise StackError(f"{service.binary} not found, and no Debian package is known for it")
    if euid() != 0:
        raise StackError(
            f"{service.binary} not found; install it as root: "
            f"apt-get install -y --no-install-recommends {service.package}"
        )
    install = ["apt-get", "install", "-y", "--no-install-recommends", service.package]
    with services_not_started(policy):
        status, output = run(install)
        if status != 0 and any(marker in output for marker in _NO_LISTS):
            update_status, update_output = run(["apt-get", "update"])
            if update_status != 0:
                raise StackError(f"apt-get update failed:\n{_tail(update_output)}")
            status, output = run(install)
    if status != 0:
        raise StackError(f"apt-get install {service.package} failed:\n{_tail(output)}")
    if not service.binary.exists():
        raise StackError(f"installed {service.package} but {service.binary} is still missing")
    return True
