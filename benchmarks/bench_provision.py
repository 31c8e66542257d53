"""Issue 13's speed target: a change to 1,000 lab APs in waves (canary 10, then 10 %, 30 %,
60 %) completes in at most 5 minutes.

    .venv/bin/python benchmarks/bench_provision.py [--aps 1000] [--concurrency 32]

Everything in a temporary directory; every process is started here and stopped by its pid:

1. ``pubwifi inventory generate --aps N`` (mixed platforms) and ``pubwifi lab`` serving SNMP and
   SSH for all of them;
2. ``pubwifi ssh sweep --once --sink none``: the facts and configuration backups a plan needs
   (timed, but not part of the target);
3. a change: every active AP's 5 GHz radio to 13 dBm, waves ``{canary: 10, then: [10, 30,
   60]}``, verification over SSH and SNMP within 30 s, error budget 5 %;
4. ``pubwifi provision apply CHANGE --yes --concurrency C``: timed from start to exit (plan,
   campaign, every wave: snapshot, push, save, verify over SSH, SNMP per wave, the
   configuration-history commit per wave).

Prints the plan, each wave's line as the command printed it, the campaign's final counts, the
wall time and the target as met or MISSED.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_ssh_sweep import BIN, ENV, start_lab

TARGET_S = 300.0
CHANGE = """\
name: bench-txp13
reason: "benchmark: every 5 GHz radio to 13 dBm"
intent: {kind: tx_power, band: 5GHz, dbm: 13}
select: {status: [active]}
waves: {canary: 10, then: [10, 30, 60]}
error_budget: {max_failed_percent: 5, halt_on_verify_failure: true}
verify: {within_s: 30, snmp: true, cli: true}
"""


def _free(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aps", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pubwifi-bench-prov-"))
    env = {**os.environ, **ENV, "PUBWIFI_DATA_DIR": str(work / "data")}
    ssh_port, snmp_port = _free(socket.SOCK_STREAM), _free(socket.SOCK_DGRAM)
    inventory = work / "inventory.yaml"
    subprocess.run(
        [
            str(BIN),
            "inventory",
            "generate",
            "--aps",
            str(args.aps),
            "--first-ip",
            "127.90.0.1",
            "--ssh-port",
            str(ssh_port),
            "--snmp-port",
            str(snmp_port),
            "-o",
            str(inventory),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    lab = start_lab(inventory, ssh_port, snmp_port, work / "lab.log", env)
    try:
        started = time.perf_counter()
        sweep = subprocess.run(
            [str(BIN), "ssh", "sweep", "--once", "--sink", "none", "--inventory", str(inventory)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        summary = json.loads(sweep.stdout.strip().splitlines()[-1])
        print(
            f"sweep (facts and backups for the plan): {summary['ok']} of {summary['aps']} APs "
            f"in {time.perf_counter() - started:.1f} s"
        )
        change = work / "bench-txp13.yaml"
        change.write_text(CHANGE)
        started = time.perf_counter()
        applied = subprocess.run(
            [
                str(BIN),
                "provision",
                "apply",
                str(change),
                "--yes",
                "--inventory",
                str(inventory),
                "--concurrency",
                str(args.concurrency),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - started
        lines = applied.stdout.strip().splitlines()
        for line in lines[:-1]:
            print(f"  {line}")
        report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        status = subprocess.run(
            [str(BIN), "provision", "status", report.get("campaign", "?"), "--json"],
            capture_output=True,
            text=True,
            env=env,
        )
        counts = json.loads(status.stdout)["counts"] if status.returncode == 0 else {}
        shown = {state: n for state, n in counts.items() if n}
        print(f"campaign {report.get('campaign')}: {report.get('state')}; APs by state {shown}")
        if applied.returncode != 0:
            print(applied.stderr[-2000:])
        met = wall <= TARGET_S and report.get("state") == "completed"
        print(
            f"  {'met   ' if met else 'MISSED'}  change to {args.aps} APs in waves "
            f"(10, 10%, 30%, 60%) <= 5 min: {wall:.1f} s ({wall / 60:.2f} min), "
            f"concurrency {args.concurrency}, {os.cpu_count()} CPUs shared with the lab"
        )
    finally:
        os.kill(lab.pid, signal.SIGTERM)
        lab.wait(30)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
