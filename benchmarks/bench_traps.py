"""The trap flood (issue 16): 10,000 traps/s for 10 s at ``pubwifi traps``, from many APs.

Generates an inventory of --aps v2c APs on 127.63.x.y, starts the receiver as its own process
(data directory in a temp dir, InfluxDB pointed at a closed port so ap_event lines wait in the
spool), binds one UDP socket per AP address and sends pre-encoded SNMPv2c linkDown traps (the
lab's encoder) round-robin, paced at --rate for --seconds. Then waits for the receive queue to
drain and prints, as JSON: sent, events counted and stored, each drop reason, the kernel's
socket drops (/proc/net/udp), the receiver's CPU seconds and % of one core over the flood, its
peak RSS, the receive buffer the kernel granted, and whether a trap sent afterwards still
becomes an event. ``--decoder pysnmp,fast`` runs the flood once per decoder (a fresh receiver
each) and prints every report, then a one-line-per-run comparison. Nothing is hard-coded.

    .venv/bin/python benchmarks/bench_traps.py [--rate 10000] [--seconds 10] [--aps 1000]
        [--decoder fast|pysnmp|pysnmp,fast] [--recv-buffer BYTES]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from labproc import lab_env
from procs import pubwifi, start, stop, wait_for_line
from servers import free_port, free_udp_port

from collector.lab.traps import LINK_DOWN, LINK_UP, v2c_trap

HOST = "127.63.255.254"
FIRST_IP = "127.63.0.1"


def metrics(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (our http://127.0.0.1)
        text = answer.read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith("pubwifi_traps") and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def events_in(data_dir: Path) -> int:
    path = data_dir / "events" / "events.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=10_000, help="traps per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--aps", type=int, default=1000, help="sending APs (one address each)")
    parser.add_argument(
        "--decoder", default="fast", help="fast, pysnmp, or a comma list: one run each"
    )
    parser.add_argument(
        "--recv-buffer", default=None, metavar="BYTES", help="passed on (default: the receiver's)"
    )
    args = parser.parse_args()
    reports = []
    for decoder in args.decoder.split(","):
        report = flood(args, decoder.strip())
        print(json.dumps(report, indent=1), flush=True)
        reports.append(report)
    if len(reports) > 1:
        for r in reports:
            print(
                f"{r['decoder']:>6}: sent {r['sent']}, events counted {r['events_counted']}, "
                f"stored {r['events_stored']}, dropped {r['dropped']}, "
                f"unaccounted {r['unaccounted']}; receiver CPU "
                f"{r['receiver_cpu_seconds_flood']} s in the flood "
                f"({r['receiver_cpu_pct_of_one_core_flood']} % of one core), "
                f"{r['receiver_cpu_seconds_until_drained']} s until drained after "
                f"{r['drained_after_seconds']} s; peak RSS {r['receiver_peak_rss_mib']} MiB; "
                f"recv buffer {r['recv_buffer_bytes']} B"
            )
    return 0 if all(r["answers_afterwards"] for r in reports) else 1


def flood(args: argparse.Namespace, decoder: str) -> dict[str, object]:
    env = lab_env()
    with tempfile.TemporaryDirectory(prefix="bench-traps-") as tmp:
        root = Path(tmp)
        inventory = root / "inventory.yaml"
        subprocess.run(
            pubwifi("inventory", "generate", "--aps", str(args.aps), "--first-ip", FIRST_IP,
                    "--snmp-version", "2c", "--platform", "net-snmp", "-o", str(inventory)),
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        aps = yaml.safe_load(inventory.read_text())["aps"]
        port, metrics_port = free_udp_port(HOST), free_port()
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        run_env = {
            **env,
            "PUBWIFI_DATA_DIR": str(root / "data"),
            "PUBWIFI_INFLUX_URL": f"http://127.0.0.1:{free_port()}",
        }
        log = root / "traps.log"
        extra = ["--recv-buffer", args.recv_buffer] if args.recv_buffer else []
        proc = start(
            pubwifi("traps", "--inventory", str(inventory), "--host", HOST, "--port", str(port),
                    "--metrics-port", str(metrics_port), "--decoder", decoder, *extra),
            run_env, log,
        )  # fmt: skip
        try:
            wait_for_line(log, '"traps": "ready"', proc, 120)
            community = env["PUBWIFI_SNMP_COMMUNITY"].encode()
            senders = []
            for i, ap in enumerate(aps):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind((str(ipaddress.IPv4Address(ap["address"])), 0))
                senders.append((sock, v2c_trap(community, i, 100 * i, LINK_DOWN)))
            total = int(args.rate * args.seconds)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            sent = send_errors = 0
            while sent + send_errors < total:
                due = int((time.monotonic() - t0) * args.rate)
                while sent + send_errors < min(due, total):
                    sock, data = senders[(sent + send_errors) % len(senders)]
                    try:
                        sock.sendto(data, (HOST, port))
                        sent += 1
                    except OSError:
                        send_errors += 1
                time.sleep(0.0005)  # pacing: the next millisecond's share
            flood_s = time.monotonic() - t0
            cpu_flood = cpu_seconds(proc.pid) - cpu0
            # drain: until the queue is empty and the counters stop moving for over a second
            # (the kernel's drop count is read once a second)
            previous: list[dict[str, float]] = []
            while True:
                now = metrics(url)
                if now.get("pubwifi_traps_queue_depth", 1) == 0 and previous[-2:] == [now] * 2:
                    break
                previous.append(now)
                time.sleep(0.6)  # waiting for the receiver to settle
            drained_s = time.monotonic() - t0
            cpu_total = cpu_seconds(proc.pid) - cpu0
            counted = now.get('pubwifi_traps_received_total{kind="link_down"}', 0)
            deadline = time.monotonic() + 60
            while events_in(root / "data") < counted and time.monotonic() < deadline:
                time.sleep(0.2)  # the writer's last batch
            stored = events_in(root / "data")
            # still alive: one more trap becomes an event
            sock, _ = senders[0]
            sock.sendto(v2c_trap(community, 1, 1, LINK_UP), (HOST, port))
            deadline, alive = time.monotonic() + 30, False
            while time.monotonic() < deadline and not alive:
                m = metrics(url)
                alive = m.get('pubwifi_traps_received_total{kind="link_up"}', 0) >= 1
                time.sleep(0.1)
            dropped = {
                k.split('"')[1]: int(v)
                for k, v in now.items()
                if k.startswith("pubwifi_traps_dropped_total") and v
            }
            report: dict[str, object] = {
                "decoder": decoder,
                "rate_asked": args.rate,
                "seconds": args.seconds,
                "sending_aps": len(senders),
                "sent": sent,
                "send_errors": send_errors,
                "flood_seconds": round(flood_s, 2),
                "events_counted": int(counted),
                "events_stored": stored,
                "dropped": dropped,
                "kernel_socket_drops": int(now.get("pubwifi_traps_socket_drops", -1)),
                # every loss is in dropped (the kernel's as socket_buffer)
                "unaccounted": sent - int(counted) - sum(dropped.values()),
                "recv_buffer_bytes": int(now.get("pubwifi_traps_recv_buffer_bytes", -1)),
                "drained_after_seconds": round(drained_s, 2),
                "receiver_cpu_seconds_flood": round(cpu_flood, 2),
                "receiver_cpu_pct_of_one_core_flood": round(100 * cpu_flood / flood_s, 1),
                "receiver_cpu_seconds_until_drained": round(cpu_total, 2),
                "events_per_cpu_second": round(counted / cpu_total, 0) if cpu_total else None,
                "receiver_peak_rss_mib": round(peak_rss_mib(proc.pid), 1),
                "answers_afterwards": alive,
                "receiver_running": proc.poll() is None,
            }
            for sock, _ in senders:
                sock.close()
        finally:
            stop(proc)
        text = log.read_text()
        report["log"] = [ln for ln in text.splitlines() if "receive buffer" in ln][:2]
        if "Traceback" in text:
            print(text[-3000:], file=sys.stderr)
            report["answers_afterwards"] = False
    return report


if __name__ == "__main__":
    sys.exit(main())
