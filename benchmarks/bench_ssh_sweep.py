"""Issue 12's sweep target: every lab AP over SSH (facts + running-config) in <= 15 minutes.

    .venv/bin/python benchmarks/bench_ssh_sweep.py [--aps 34280] [--concurrency 64]
                                                   [--peer-aps 3000] [--no-peer]

Everything in a temporary directory; every process is started here and stopped by its pid:

1. ``pubwifi inventory generate --aps N`` (mixed platforms, every AP on its own 127.x address)
   and ``pubwifi lab`` serving all of them on one SSH port (one asyncssh process).
2. **ours**: ``pubwifi ssh sweep --once --sink none`` as a child process: host keys recorded on
   first contact (``accept-new``), facts parsed with TextFSM, configs masked and committed to
   the git repository. Its wall time, CPU (user+sys, from the child's rusage), peak RSS, and
   the lab's CPU over the same interval (``/proc/PID/stat``).
3. **peer**: a plain netmiko loop on a ThreadPoolExecutor of the same size, over the first
   ``--peer-aps`` APs (the same commands; no host-key store, no parsing, no masking, no
   repository): what a script an engineer writes in an afternoon costs. Same figures, measured
   in-process.

Prints APs/min, client CPU per AP, lab CPU per AP and peak RSS for both, and the target as met
or MISSED (<= 15 min wall for the whole fleet with the lab on the same machine; RSS <= 500 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ENV = {
    "PUBWIFI_SNMP_COMMUNITY": "bench-community",
    "PUBWIFI_SNMP_V3_USER": "bench",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "bench-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "bench-priv-key",
    "PUBWIFI_SSH_USER": "bench",
    "PUBWIFI_SSH_PASSWORD": "bench-ssh-password",
}
BIN = Path(sys.executable).with_name("pubwifi")
TARGET_S = 15 * 60
RSS_TARGET_MB = 500


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_lab(
    inventory: Path, ssh_port: int, snmp_port: int, log: Path, env: dict[str, str]
) -> subprocess.Popen[str]:
    """``pubwifi lab`` for ``inventory`` on the given ports, once it says it is ready."""
    lab = subprocess.Popen(
        [
            str(BIN),
            "lab",
            "--inventory",
            str(inventory),
            "--ssh-port",
            str(ssh_port),
            "--snmp-port",
            str(snmp_port),
        ],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=env,
    )
    assert lab.stdout is not None
    for line in lab.stdout:
        if '"lab": "ready"' in line:
            return lab
    raise RuntimeError(f"the lab did not start: {log.read_text()[-2000:]}")


def _ours(
    inventory: Path, data: Path, concurrency: int, env: dict[str, str], lab: int
) -> dict[str, float]:
    argv = [
        str(BIN),
        "ssh",
        "sweep",
        "--once",
        "--inventory",
        str(inventory),
        "--sink",
        "none",
        "--concurrency",
        str(concurrency),
    ]
    lab_before = _cpu_of(lab)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, text=True, env={**env, "PUBWIFI_DATA_DIR": str(data)}
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"sweep exited {done.returncode}: {done.stderr[-3000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "aps": summary["aps"],
        "ok": summary["ok"],
        "failed": summary["failed"],
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rss_mb": after.ru_maxrss / 1024,
        "lab_cpu": _cpu_of(lab) - lab_before,
        "configs": summary["configs_changed"],
        "failures": summary["failures"],
    }


def _peer(inventory: Path, limit: int, concurrency: int, lab: int) -> dict[str, float]:
    import logging

    from netmiko import ConnectHandler

    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # its tracebacks, not figures

    from collector.inventory.load import load_inventory
    from collector.ssh.profile import load_ssh_profiles

    profiles = load_ssh_profiles()
    aps = [ap for ap in load_inventory(inventory).aps if ap.status.is_polled][:limit]

    def one(ap: object) -> bool:
        profile = profiles[ap.platform]  # type: ignore[attr-defined]
        try:
            conn = ConnectHandler(
                device_type=profile.device_type,
                host=str(ap.address),  # type: ignore[attr-defined]
                port=ap.ssh_port,  # type: ignore[attr-defined]
                username=ENV["PUBWIFI_SSH_USER"],
                password=ENV["PUBWIFI_SSH_PASSWORD"],
                secret=ENV["PUBWIFI_SSH_PASSWORD"],
                ssh_strict=False,
                system_host_keys=False,
                allow_agent=False,
                use_keys=False,
                fast_cli=True,
            )
            if profile.enable:
                conn.enable()
            outputs = {c: conn.send_command(c) for c in profile.commands}
            for command in profile.follow_up(outputs):
                outputs[command] = conn.send_command(command)
            conn.send_command(profile.config_command)
            conn.disconnect()
            return True
        except Exception:
            return False

    lab_before = _cpu_of(lab)
    cpu_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, aps))
    wall = time.perf_counter() - started
    return {
        "aps": len(aps),
        "ok": sum(results),
        "failed": len(results) - sum(results),
        "wall": wall,
        "cpu": time.process_time() - cpu_before,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lab_cpu": _cpu_of(lab) - lab_before,
    }


def _silent(inventory: Path) -> int:
    from collector.inventory.load import load_inventory
    from collector.inventory.model import Lifecycle

    quiet = (Lifecycle.OFFLINE, Lifecycle.FAILED)
    return sum(1 for ap in load_inventory(inventory).aps if ap.status in quiet)


def _line(name: str, r: dict[str, float]) -> str:
    aps = max(1, int(r["aps"]))
    return (
        f"{name:<6} {int(r['aps']):>6} APs ({int(r['ok'])} ok, {int(r['failed'])} failed) in "
        f"{r['wall']:7.1f} s = {aps / r['wall'] * 60:7.0f} APs/min; client CPU "
        f"{r['cpu'] / aps * 1000:5.1f} ms/AP, lab CPU {r['lab_cpu'] / aps * 1000:5.1f} ms/AP, "
        f"peak RSS {r['rss_mb']:.0f} MB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aps", type=int, default=34_280)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--peer-aps", type=int, default=3000)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    env = {**os.environ, **ENV}
    work = Path(tempfile.mkdtemp(prefix="pubwifi-bench-ssh-"))
    port = 20000 + os.getpid() % 20000
    inventory = work / "inventory.yaml"
    subprocess.run(
        [
            str(BIN),
            "inventory",
            "generate",
            "--aps",
            str(args.aps),
            "--first-ip",
            "127.80.0.1",
            "--ssh-port",
            str(port),
            "--snmp-port",
            str(port),
            "-o",
            str(inventory),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    lab = start_lab(inventory, port, port, work / "lab.log", env)
    try:
        print(f"lab: {args.aps} APs on tcp {port} (pid {lab.pid}); {os.cpu_count()} CPUs shared")
        ours = _ours(inventory, work / "data", args.concurrency, env, lab.pid)
        print(_line("ours", ours))
        silent = _silent(inventory)
        print(
            f"       failures {ours['failures']}; configs committed {ours['configs']}; "
            f"{silent} APs are offline/failed in the inventory (the lab does not answer them)"
        )
        if not args.no_peer:
            peer = _peer(inventory, args.peer_aps, args.concurrency, lab.pid)
            print(_line("peer", peer))
            ratio = (ours["aps"] / ours["wall"]) / (peer["aps"] / peer["wall"])
            print(f"       ours / peer APs per second: {ratio:.2f}x")
        met = ours["wall"] <= TARGET_S and ours["failed"] == silent
        print(
            f"  {'met   ' if met else 'MISSED'}  sweep of {int(ours['aps'])} APs <= 15 min: "
            f"{ours['wall'] / 60:.1f} min"
        )
        rss_met = ours["rss_mb"] <= RSS_TARGET_MB
        print(
            f"  {'met   ' if rss_met else 'MISSED'}  collector peak RSS <= {RSS_TARGET_MB} MB: "
            f"{ours['rss_mb']:.0f} MB"
        )
    finally:
        os.kill(lab.pid, signal.SIGTERM)
        lab.wait(30)
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
