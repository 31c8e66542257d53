"""A real net-snmp agent for tests and benchmarks: Debian's ``snmpd`` on a free UDP port.

One snmpd bound to ``udp:0.0.0.0:PORT`` answers requests sent to any 127.x.y.z address
(FACTS.md), so it stands in for thousands of APs. Binding 0.0.0.0 is acceptable here only
because the v2c community answers 127.0.0.0/8 sources alone and the v3 user needs authPriv
with test-only keys (VACM cannot restrict a USM user by source address).

Use :func:`start_snmpd` / :meth:`Snmpd.stop` directly, or the ``snmpd_agent`` fixture (import it
explicitly into a test module). The helpers' own ``snmpget``/``snmpbulkwalk`` read the community
from a private snmp.conf (:mod:`netsnmp`), never from argv.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import netsnmp
import pytest

COMMUNITY = "pubwifi-ro-test"
V3_USER = "pubwifi"
V3_AUTH_KEY = "auth-pass-0123456789"
V3_PRIV_KEY = "priv-pass-0123456789"
SYS_NAME = "pubwifi-test-agent"

CONFIG = """\
[snmp] persistentDir {state}
# Answer loopback sources only, although the socket is bound to 0.0.0.0.
com2sec  loopv2c  127.0.0.0/8  {community}
group    rogroup  v2c          loopv2c
view     all      included     .1
access   rogroup  ""  any  noauth  exact  all  none  none
createUser {user} SHA-256 {auth} AES {priv}
rouser   -s usm {user} priv .1
dontLogTCPWrappersConnects yes
sysName     {sys_name}
sysLocation pubwifi integration test
sysContact  noreply@example.invalid
"""


def free_udp_port() -> int:
    """A UDP port nobody uses right now on 0.0.0.0."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Snmpd:
    """A running snmpd: its port, credentials and process."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes]
    community: str = COMMUNITY
    v3_user: str = V3_USER
    v3_auth_key: str = V3_AUTH_KEY
    v3_priv_key: str = V3_PRIV_KEY

    @property
    def client_conf(self) -> Path:
        """The v2c snmp.conf directory of this agent's own client calls."""
        return self.workdir / "client-v2c"

    def environ(self) -> dict[str, str]:
        """The PUBWIFI_* variables an inventory's auth references resolve against."""
        return {
            "PUBWIFI_SNMP_COMMUNITY": self.community,
            "PUBWIFI_SNMP_V3_USER": self.v3_user,
            "PUBWIFI_SNMP_V3_AUTH_KEY": self.v3_auth_key,
            "PUBWIFI_SNMP_V3_PRIV_KEY": self.v3_priv_key,
        }

    def snmpget(self, address: str, *oids: str, timeout: float = 2.0) -> dict[str, str]:
        """Values read by net-snmp's own ``snmpget`` (v2c), numeric OIDs -> value text."""
        result = netsnmp.run(
            [
                "snmpget",
                "-On",
                "-Oq",
                "-Ot",
                "-t",
                str(timeout),
                "-r",
                "0",
                f"udp:{address}:{self.port}",
                *oids,
            ],
            self.client_conf,
            timeout=timeout + 5,
        )
        result.check_returncode()
        return _parse(result.stdout)

    def snmpwalk(self, address: str, column: str) -> dict[str, str]:
        """A column read by net-snmp's ``snmpbulkwalk`` (v2c), numeric OIDs -> value text."""
        result = netsnmp.run(
            ["snmpbulkwalk", "-On", "-Oq", "-Ot", f"udp:{address}:{self.port}", column],
            self.client_conf,
            timeout=10,
        )
        result.check_returncode()
        return _parse(result.stdout)

    def stop(self) -> None:
        """Stop this snmpd by its pid and remove its files."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _parse(output: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in output.splitlines():
        oid, _, value = line.partition(" ")
        values[oid.lstrip(".")] = value.strip().strip('"')
    return values


def start_snmpd(port: int | None = None, ready_timeout: float = 20.0) -> Snmpd:
    """Start snmpd on ``udp:0.0.0.0:PORT`` (loopback sources only) and wait until it answers."""
    binary = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not Path(binary).exists():
        raise FileNotFoundError("snmpd")
    port = port or free_udp_port()
    workdir = Path(tempfile.mkdtemp(prefix="pubwifi-snmpd-"))
    state = workdir / "state"
    state.mkdir()
    conf = workdir / "snmpd.conf"
    conf.touch(mode=0o600)  # 0600 before the secrets go in
    conf.write_text(
        CONFIG.format(
            state=state,
            community=COMMUNITY,
            user=V3_USER,
            auth=V3_AUTH_KEY,
            priv=V3_PRIV_KEY,
            sys_name=SYS_NAME,
        )
    )
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent", "SNMP_PERSISTENT_DIR": str(state)}
    process = subprocess.Popen(
        [
            binary,
            "-f",
            "-Lf",
            str(workdir / "snmpd.log"),
            "-C",
            "-c",
            str(conf),
            "-p",
            str(workdir / "snmpd.pid"),
            f"udp:0.0.0.0:{port}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    agent = Snmpd(port=port, workdir=workdir, process=process)
    netsnmp.write_client_conf(agent.client_conf, netsnmp.V2c(agent.community))
    deadline = time.monotonic() + ready_timeout
    while True:  # readiness: net-snmp's own client gets an answer
        if process.poll() is not None:
            log = (workdir / "snmpd.log").read_text(errors="replace")
            agent.stop()
            raise RuntimeError(f"snmpd exited with {process.returncode}: {log[-2000:]}")
        try:
            agent.snmpget("127.0.0.1", "1.3.6.1.2.1.1.3.0", timeout=0.5)
            return agent
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                agent.stop()
                raise TimeoutError(f"snmpd did not answer on port {port}") from None


@pytest.fixture(scope="module")
def snmpd_agent(need_binaries: Callable[..., None]) -> Iterator[Snmpd]:
    """A module-wide snmpd; skipped only if a binary is missing (failed under CI=true)."""
    need_binaries(
        "snmpd" if shutil.which("snmpd") else "/usr/sbin/snmpd", "snmpget", "snmpbulkwalk"
    )
    agent = start_snmpd()
    try:
        yield agent
    finally:
        agent.stop()
