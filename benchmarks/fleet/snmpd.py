"""net-snmp's snmpd as the benchmark's agent: one process answering every 127.x.y.z address.

Bound to ``udp:0.0.0.0:PORT`` (FACTS.md: it then answers requests sent to any loopback
address); the v2c community answers 127.0.0.0/8 sources only and the v3 user needs authPriv.
Run in the foreground as our child with its own config, pid file and persistent directory in
a temporary directory; stopped by its pid.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fleet.procs import cpu_seconds, stop_by_pid

SNMPD = "/usr/sbin/snmpd"
SNMPGET = "snmpget"

CONFIG = """\
# pubwifi fleet benchmark: loopback sources only although the socket is bound to 0.0.0.0.
[snmp] persistentDir {state}
rocommunity {community} 127.0.0.0/8
createUser {user} SHA-256 {auth} AES {priv}
rouser {user} priv
dontLogTCPWrappersConnects yes
sysName     pubwifi-bench-agent
sysLocation pubwifi fleet benchmark
sysContact  noreply@example.invalid
"""


@dataclass(frozen=True)
class SnmpCredentials:
    """Benchmark-only credentials, made fresh for each run (never printed)."""

    community: str
    user: str
    auth_key: str
    priv_key: str


@dataclass
class Snmpd:
    port: int
    workdir: Path
    proc: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        stop_by_pid(self.proc)

    def log_tail(self) -> str:
        path = self.workdir / "snmpd.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def binaries_missing() -> list[str]:
    """The agent's binaries that are not installed (Debian packages snmpd and snmp)."""
    missing = [] if Path(SNMPD).exists() else [f"{SNMPD} (Debian package snmpd)"]
    if shutil.which(SNMPGET) is None:
        missing.append(f"{SNMPGET} (Debian package snmp)")
    return missing


def start_snmpd(
    workdir: Path, port: int, creds: SnmpCredentials, ready_timeout_s: float = 30.0
) -> Snmpd:
    """Start snmpd on ``udp:0.0.0.0:port`` and return once net-snmp's snmpget gets an answer."""
    workdir.mkdir(parents=True, exist_ok=True)
    state = workdir / "state"
    state.mkdir(exist_ok=True)
    conf = workdir / "snmpd.conf"
    conf.touch(mode=0o600)
    conf.write_text(CONFIG.format(
        state=state, community=creds.community, user=creds.user, auth=creds.auth_key,
        priv=creds.priv_key,
    ))
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(state), "MIBS": "", "MIBDIRS": "/nonexistent"}
    with (workdir / "snmpd.log").open("ab") as log:
        proc = subprocess.Popen(
            [SNMPD, "-f", "-Lo", "-C", "-c", str(conf), "-p", str(workdir / "snmpd.pid"),
             f"udp:0.0.0.0:{port}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    agent = Snmpd(port=port, workdir=workdir, proc=proc)
    deadline = time.monotonic() + ready_timeout_s
    client_conf = workdir / "client"
    client_conf.mkdir(exist_ok=True)
    (client_conf / "snmp.conf").touch(mode=0o600)
    (client_conf / "snmp.conf").write_text(f"defVersion 2c\ndefCommunity {creds.community}\n")
    while not snmpget_answers("127.0.0.1", port, client_conf):
        if not agent.alive() or time.monotonic() > deadline:
            agent.stop()
            raise RuntimeError(f"snmpd did not answer on udp port {port}:\n{agent.log_tail()}")
    return agent


def snmpget_answers(address: str, port: int, client_conf: Path, *oids: str) -> bool:
    """Whether net-snmp's snmpget reads ``oids`` (default sysUpTime.0) from ``address``.

    The community comes from ``client_conf/snmp.conf`` (``defCommunity``), never from argv.
    """
    env = {**os.environ, "SNMPCONFPATH": str(client_conf), "MIBS": "", "MIBDIRS": "/nonexistent"}
    result = subprocess.run(
        [SNMPGET, "-t", "0.5", "-r", "0", "-On", "-Oq",
         f"udp:{address}:{port}", *(oids or ("1.3.6.1.2.1.1.3.0",))],
        capture_output=True, text=True, timeout=10, check=False, env=env,
    )
    return result.returncode == 0 and "No Such" not in result.stdout
