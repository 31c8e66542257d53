"""Poll-engine benchmark: N loopback APs answered by one net-snmp snmpd, polled with no sink.

    .venv/bin/python benchmarks/bench_poll.py [--aps 34000] [--concurrency 100]

Starts snmpd on udp:0.0.0.0:PORT (it answers loopback sources only), builds N net-snmp APs on
127.16.x.y, and for SNMPv2c and SNMPv3 authPriv (SHA-256/AES-128) runs, each protocol in its
own process (so peak RSS is per protocol): a first-contact cycle (detection + radio discovery,
v3 engine discovery) and then steady-state cycles. Prints APs/s, CPU seconds and peak RSS.
Targets (issue 5): > 5,746 APs/s (2x snmp_exporter's 2,873/s), v3 steady state within 1.5x
of v2c, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import ipaddress
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from collector.inventory.model import (  # noqa: E402
    AccessPoint,
    District,
    Footfall,
    KnownHostsPolicy,
    Lifecycle,
    Mount,
    Site,
    SnmpAuth,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpV2cAuth,
    SnmpV3Auth,
    SshAuth,
    WifiStandard,
)
from collector.secrets import SecretRef  # noqa: E402

FIRST_IP = ipaddress.IPv4Address("127.16.0.1")


def make_aps(count: int, version: str, port: int) -> list[AccessPoint]:
    site = Site("BENCH-SITE", "bench", District("11110", "Jongno-gu", "종로구"), "Sajik-dong",
                37.57, 126.98, Mount.SMART_POLE, Footfall.HIGH)
    auth: SnmpAuth
    if version == "2c":
        auth = SnmpV2cAuth("bench-v2c", SecretRef("PUBWIFI_SNMP_COMMUNITY"))
    else:
        auth = SnmpV3Auth(
            "bench-v3", SecretRef("PUBWIFI_SNMP_V3_USER"), SnmpAuthProtocol.SHA256,
            SecretRef("PUBWIFI_SNMP_V3_AUTH_KEY"), SnmpPrivProtocol.AES128,
            SecretRef("PUBWIFI_SNMP_V3_PRIV_KEY"),
        )
    ssh = SshAuth("bench-ssh", SecretRef("PUBWIFI_SSH_USER"), None, None,
                  KnownHostsPolicy.STRICT, None)
    return [
        AccessPoint(
            id=f"BENCH-{i:05d}", site=site, address=FIRST_IP + i, platform="net-snmp",
            model="generic", standard=WifiStandard.WIFI5, installed=dt.date(2024, 1, 1),
            status=Lifecycle.ACTIVE, snmp_auth=auth, ssh_auth=ssh, snmp_port=port, ssh_port=22,
        )
        for i in range(count)
    ]


async def child_cycles(args: argparse.Namespace) -> list[dict[str, object]]:
    from collector.poll.runner import Runner, RunnerOptions
    from collector.poll.sink import NullSink
    from collector.profiles import load_profiles
    from collector.snmp.gufo_backend import GufoEngine

    aps = make_aps(args.aps, args.child, args.port)
    options = RunnerOptions(concurrency=args.concurrency, deadline_s=args.timeout)
    engine = GufoEngine(request_timeout=args.timeout / 2, retries=1,
                        session_reserve=1024 + options.pending_limit)
    runner = Runner(engine, load_profiles(), options)
    results = []
    for cycle in range(1 + args.steady_cycles):
        cpu = time.process_time()
        stats = await runner.poll_once(aps, NullSink())
        results.append({
            "protocol": "v" + args.child, "cycle": "first contact" if cycle == 0 else "steady",
            "aps": stats.aps, "ok": stats.ok, "failed": stats.failed,
            "seconds": round(stats.seconds, 2), "aps_per_s": round(stats.aps / stats.seconds),
            "cpu_s": round(time.process_time() - cpu, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "kept_sessions": engine.kept_sessions, "reasons": dict(stats.reasons),
            "retries": engine.retries_after_timeout,
        })
    return results


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aps", type=int, default=34_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--steady-cycles", type=int, default=2)
    parser.add_argument("--protocols", default="2c,3")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child_cycles(args))))
        return 0

    snmpd = importlib.import_module("snmpd")  # tests/integration/snmpd.py

    agent = snmpd.start_snmpd()
    env = {**os.environ, **agent.environ()}
    rows = []
    try:
        for version in args.protocols.split(","):
            agent_cpu = cpu_seconds(agent.process.pid)
            out = subprocess.run(
                [sys.executable, __file__, "--child", version, "--port", str(agent.port),
                 "--aps", str(args.aps), "--concurrency", str(args.concurrency),
                 "--timeout", str(args.timeout), "--steady-cycles", str(args.steady_cycles)],
                env=env, capture_output=True, text=True, check=True,
            )
            for row in json.loads(out.stdout.strip().splitlines()[-1]):
                rows.append(row)
            agent_cpu = cpu_seconds(agent.process.pid) - agent_cpu
            rows[-1]["snmpd_cpu_s_all_cycles"] = round(agent_cpu, 2)
    finally:
        agent.stop()
    print(f"{'protocol':8} {'cycle':14} {'APs':>6} {'ok':>6} {'s':>6} {'APs/s':>7} "
          f"{'CPU s':>6} {'RSS MB':>7}")
    for r in rows:
        print(f"{r['protocol']:8} {r['cycle']:14} {r['aps']:>6} {r['ok']:>6} {r['seconds']:>6} "
              f"{r['aps_per_s']:>7} {r['cpu_s']:>6} {r['peak_rss_mb']:>7}")
    steady = {r["protocol"]: r for r in rows if r["cycle"] == "steady"}
    summary: dict[str, object] = {"rows": rows, "target_aps_per_s": 5746}
    if "v2c" in steady and "v3" in steady:
        summary["v3_over_v2c_time"] = round(
            float(steady["v3"]["seconds"]) / float(steady["v2c"]["seconds"]), 2)
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
