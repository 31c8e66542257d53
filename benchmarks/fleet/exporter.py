"""The peer: Prometheus snmp_exporter 0.21 (Debian package) scraped for every AP by wrk.

snmp_exporter 0.21's ``snmp.yml`` has the module names at the top level (no ``modules:`` key;
that and the separate ``auths:`` came in 0.23) with ``auth``, ``version``, ``timeout`` and
``retries`` inside the module. The module GETs the same 8 objects as our net-snmp profile in
one request. A fresh exporter is started for each measured run, so its peak RSS (VmHWM) and CPU
belong to that run alone. wrk (``scrape_targets.lua``) requests each target exactly once with
``connections`` requests in flight, like our poller's concurrency.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fleet.procs import cpu_seconds, free_tcp_port, peak_rss_mb, stop_by_pid

EXPORTER = "/usr/bin/prometheus-snmp-exporter"
WRK = "wrk"
MODULE = "pubwifi_ap"
LUA_SCRIPT = Path(__file__).with_name("scrape_targets.lua")

#: The 8 objects of one AP poll (SNMPv2-MIB, IF-MIB), all in one GET.
GET_OIDS = (
    "1.3.6.1.2.1.1.3.0",  # sysUpTime.0
    "1.3.6.1.2.1.1.5.0",  # sysName.0
    "1.3.6.1.2.1.1.1.0",  # sysDescr.0
    "1.3.6.1.2.1.2.1.0",  # ifNumber.0
    "1.3.6.1.2.1.31.1.1.1.6.1",  # ifHCInOctets.1
    "1.3.6.1.2.1.31.1.1.1.6.2",  # ifHCInOctets.2
    "1.3.6.1.2.1.31.1.1.1.10.1",  # ifHCOutOctets.1
    "1.3.6.1.2.1.31.1.1.1.10.2",  # ifHCOutOctets.2
)

SNMP_YML = """\
{module}:
  get:
{gets}
  metrics:
    - {{name: sysUpTime, oid: 1.3.6.1.2.1.1.3, type: gauge, help: sysUpTime}}
    - {{name: sysName, oid: 1.3.6.1.2.1.1.5, type: DisplayString, help: sysName}}
    - {{name: sysDescr, oid: 1.3.6.1.2.1.1.1, type: DisplayString, help: sysDescr}}
    - {{name: ifNumber, oid: 1.3.6.1.2.1.2.1, type: gauge, help: ifNumber}}
    - name: ifHCInOctets
      oid: 1.3.6.1.2.1.31.1.1.1.6
      type: counter
      help: ifHCInOctets
      indexes: [{{labelname: ifIndex, type: gauge}}]
    - name: ifHCOutOctets
      oid: 1.3.6.1.2.1.31.1.1.1.10
      type: counter
      help: ifHCOutOctets
      indexes: [{{labelname: ifIndex, type: gauge}}]
  version: 2
  timeout: {timeout_s}s
  retries: {retries}
  auth:
    community: {community}
"""


@dataclass(frozen=True)
class PeerRun:
    """One measured scrape of every target by wrk through snmp_exporter."""

    targets: int
    completed: int
    non200: int
    socket_errors: int
    wall_s: float
    exporter_cpu_s: float
    exporter_peak_rss_mb: float
    wrk_cpu_s: float
    snmpd_cpu_s: float
    latency_p99_ms: float

    @property
    def rate(self) -> float:
        return self.completed / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def failed(self) -> int:
        return self.non200 + self.socket_errors + (self.targets - self.completed)


def binaries_missing() -> list[str]:
    missing = [] if Path(EXPORTER).exists() else [f"{EXPORTER} (prometheus-snmp-exporter)"]
    if shutil.which(WRK) is None:
        missing.append("wrk (Debian package wrk)")
    return missing


def write_config(workdir: Path, community: str, timeout_s: float, retries: int) -> Path:
    """``snmp.yml`` (mode 0600: it holds the community) for the :data:`MODULE` module."""
    path = workdir / "snmp.yml"
    path.touch(mode=0o600)
    gets = "\n".join(f"    - {oid}" for oid in GET_OIDS)
    path.write_text(SNMP_YML.format(
        module=MODULE, gets=gets, timeout_s=timeout_s, retries=retries,
        community=json.dumps(community),
    ))
    return path


def write_paths(workdir: Path, addresses: list[str], port: int) -> Path:
    """One request path per target, in inventory order."""
    path = workdir / "targets.txt"
    path.write_text("".join(f"/snmp?module={MODULE}&target={a}:{port}\n" for a in addresses))
    return path


def start_exporter(config: Path, workdir: Path, ready_timeout_s: float = 20.0
                   ) -> tuple[subprocess.Popen[bytes], str]:
    """A fresh snmp_exporter on a free loopback port; returns it once ``/`` answers."""
    port = free_tcp_port()
    listen = f"127.0.0.1:{port}"
    with (workdir / "snmp_exporter.log").open("ab") as log:
        proc = subprocess.Popen(
            [EXPORTER, f"--config.file={config}", f"--web.listen-address={listen}",
             "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + ready_timeout_s
    while not _http_ok(listen):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_by_pid(proc)
            tail = (workdir / "snmp_exporter.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"snmp_exporter did not start on {listen}:\n{tail}")
        time.sleep(0.05)  # readiness poll interval
    return proc, f"http://{listen}"


def _http_ok(listen: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{listen}/", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def run_wrk(url: str, paths_file: Path, targets: int, connections: int, threads: int,
            time_limit_s: float) -> tuple[float, float, dict[str, float]]:
    """Run wrk until every thread reports done; returns (wall s, wrk CPU s, summary)."""
    threads = max(1, min(threads, connections, targets))
    argv = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{int(time_limit_s)}s",
            "--timeout", "30s", "-s", str(LUA_SCRIPT), url, "--", str(paths_file), str(threads)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    done_threads = 0
    wall = 0.0
    output: list[str] = []
    buffer = b""
    fd = proc.stdout.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace")
            output.append(line)
            if line.startswith("FLEET-DONE "):
                done_threads += 1
                if done_threads == threads:
                    wall = time.perf_counter() - started
                    os.kill(proc.pid, signal.SIGINT)  # wrk then prints its summary and exits
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if wall == 0.0:
        wall = time.perf_counter() - started  # not every thread finished: the time limit hit
    summary: dict[str, float] = {}
    for line in output:
        if line.startswith("FLEET-SUMMARY "):
            summary = json.loads(line.removeprefix("FLEET-SUMMARY "))
    if not summary:
        raise RuntimeError("wrk printed no summary:\n" + "\n".join(output[-20:]))
    return wall, usage.ru_utime + usage.ru_stime, summary


def measure_peer(workdir: Path, config: Path, paths_file: Path, targets: int, connections: int,
                 threads: int, snmpd_pid: int) -> PeerRun:
    """Start a fresh exporter, scrape every target once through it, stop it."""
    proc, url = start_exporter(config, workdir)
    try:
        exporter_cpu = cpu_seconds(proc.pid)
        snmpd_cpu = cpu_seconds(snmpd_pid)
        limit = max(120.0, targets / 200)
        wall, wrk_cpu, summary = run_wrk(url, paths_file, targets, connections, threads, limit)
        exporter_cpu = cpu_seconds(proc.pid) - exporter_cpu
        snmpd_cpu = cpu_seconds(snmpd_pid) - snmpd_cpu
        rss = peak_rss_mb(proc.pid)
    finally:
        stop_by_pid(proc)
    errors = int(summary["connect_errors"] + summary["read_errors"] + summary["write_errors"]
                 + summary["timeouts"])
    return PeerRun(
        targets=targets, completed=int(summary["completed"]), non200=int(summary["non200"]),
        socket_errors=errors, wall_s=wall, exporter_cpu_s=exporter_cpu,
        exporter_peak_rss_mb=rss, wrk_cpu_s=wrk_cpu, snmpd_cpu_s=snmpd_cpu,
        latency_p99_ms=summary["latency_p99_ms"],
    )
