"""Benchmark the write path for a 34,000-AP poll cycle: build lines, spool them, write them.

    .venv/bin/python benchmarks/bench_influx_write.py [--aps 34000] [--url http://127.0.0.1:8086]

Without ``--url`` it starts Debian's influxd on a free loopback port in a temporary directory
(stopped by pid at the end). Prints seconds and lines per second for each stage.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from servers import create_database, influxd, running  # noqa: E402

from collector.influx.hooks import CountingMetrics  # noqa: E402
from collector.influx.query import InfluxQL  # noqa: E402
from collector.influx.schema import AP_POLL, RADIO_POLL, Band  # noqa: E402
from collector.influx.shipper import Shipper  # noqa: E402
from collector.influx.spool import Spool  # noqa: E402
from collector.influx.v1 import V1Writer  # noqa: E402

DISTRICTS = [
    "11110", "11140", "11170", "11200", "11215", "11230", "11260", "11290", "11305", "11320",
    "11350", "11380", "11410", "11440", "11470", "11500", "11530", "11545", "11560", "11590",
    "11620", "11650", "11680", "11710", "11740",
]  # fmt: skip
STANDARDS = ["wifi4", "wifi5", "wifi5", "wifi6", "wifi6", "wifi6e", "wifi7"]
T0 = 1_735_657_200


def ap_prefixes(aps: int) -> list[tuple[str, list[str]]]:
    """Per AP: its ap_poll prefix and one radio_poll prefix per band (3 for Wi-Fi 6E/7)."""
    out = []
    for i in range(aps):
        standard = STANDARDS[i % len(STANDARDS)]
        tags = {
            "ap": f"AP-{DISTRICTS[i % 25]}-{i:05d}",
            "site": f"S-{i // 3:05d}",
            "district": DISTRICTS[i % 25],
            "platform": ("lab-aruba", "lab-cisco", "lab-ruckus", "net-snmp")[i % 4],
            "standard": standard,
        }
        bands = [Band.GHZ_2_4, Band.GHZ_5]
        if standard in ("wifi6e", "wifi7"):
            bands.append(Band.GHZ_6)
        radios = [RADIO_POLL.prefix({**tags, "band": b.value}) for b in bands]
        out.append((AP_POLL.prefix(tags), radios))
    return out


def build_cycle(prefixes: list[tuple[str, list[str]]], when: int) -> list[str]:
    """One poll cycle's lines, as the poller would build them."""
    lines: list[str] = []
    append = lines.append
    for i, (ap_prefix, radios) in enumerate(prefixes):
        append(
            AP_POLL.line(ap_prefix, {"up": 1, "uptime_s": 86_400 + i, "response_ms": 3.25}, when)
        )
        for r, prefix in enumerate(radios):
            values = {
                "rx_bytes": 12_345_678 + i,
                "tx_bytes": 98_765_432 + r,
                "sessions": i % 9,
                "interval_s": 300,
                "clients": i % 31,
                "channel": (1, 36, 37)[r],
                "tx_power_dbm": 17.0,
            }
            append(RADIO_POLL.line(prefix, values, when))
    return lines


class Stage:
    """Times a stage: wall seconds, this process's CPU, and the server's CPU (from /proc)."""

    server_pid: int | None = None

    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def server_cpu() -> float:
        if Stage.server_pid is None:
            return 0.0
        fields = Path(f"/proc/{Stage.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Stage:
        self.wall, self.cpu, self.srv = time.perf_counter(), time.process_time(), self.server_cpu()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.srv = self.server_cpu() - self.srv

    def report(self, lines: int, extra: str = "") -> None:
        rate = lines / self.seconds if self.seconds else float("inf")
        server = f" influxd cpu {self.srv:6.2f} s" if Stage.server_pid else ""
        print(
            f"{self.name:<40} {lines:>8,} {self.seconds:7.3f} s {rate:>10,.0f}/s "
            f"cpu {self.cpu:6.2f} s{server} {extra}"
        )


def run(url: str, aps: int, workdir: Path) -> None:
    print(f"{'stage':<40} {'lines':>8} {'wall':>9} {'rate':>12} (cpu: this process)")
    with Stage("tag prefixes (per AP, once)") as stage:
        prefixes = ap_prefixes(aps)
    stage.report(aps, "(APs)")

    with Stage("build lines (one cycle)") as stage:
        lines = build_cycle(prefixes, T0)
    mb = sum(len(x) + 1 for x in lines) / 1e6
    stage.report(len(lines), f"{stage.seconds / len(lines) * 1e6:.2f} us/line")

    spool = Spool(workdir / "spool", metrics=CountingMetrics())
    with Stage("spool append+fsync, 1,000-line groups") as stage:
        for start in range(0, len(lines), 1000):
            spool.append(lines[start : start + 1000])
    stage.report(len(lines), f"{mb / stage.seconds:.0f} MB/s, {len(lines) // 1000 + 1} fsyncs")

    with Stage("spool append+fsync, one append") as stage:
        spool.append(lines)
    stage.report(len(lines), f"{mb / stage.seconds:.0f} MB/s")

    writer = V1Writer(url, "bench")
    with Stage("V1Writer.write -> influxd") as stage:
        result = writer.write(lines)
    stage.report(result.written, f"{writer.requests} requests of <=5,000, gzip")

    metrics = CountingMetrics()
    shipper = Shipper(spool, V1Writer(url, "bench"), metrics=metrics)
    queued = spool.depth_lines
    with Stage("spool -> shipper -> influxd (2 cycles)") as stage:
        shipper.drain()
    stage.report(queued, f"written={metrics.written} set_aside={sum(metrics.set_aside.values())}")

    for cycle in (1, 2):
        with Stage(f"cycle {cycle}: build + spool + ship") as stage:
            later = build_cycle(prefixes, T0 + 300 * cycle)
            spool.append(later)
            shipper.drain()
        stage.report(len(later))

    count = InfluxQL(url, "bench").rows('SELECT count("rx_bytes") FROM "radio_poll"')[0]["count"]
    radios = sum(len(r) for _, r in prefixes)
    print(f"radio_poll points in influxd: {count:,} (expected {3 * radios:,})")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"lines per cycle: {len(lines):,} ({mb:.1f} MB); peak RSS {rss:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aps", type=int, default=34_000)
    parser.add_argument("--url", help="an influxd to use instead of starting one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-influx-", dir=os.environ.get("TMPDIR")) as tmp:
        workdir = Path(tmp)
        if args.url:
            body = urllib.parse.urlencode({"q": 'CREATE DATABASE "bench"'}).encode()
            urllib.request.urlopen(args.url + "/query", data=body).read()  # noqa: S310
            run(args.url, args.aps, workdir)
            return 0
        with running(influxd(workdir / "influxd")) as server:
            create_database(server, "bench")
            print(f"influxd 1.6.7 pid {server.pid} on {server.url}")
            Stage.server_pid = server.pid
            run(server.url, args.aps, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
