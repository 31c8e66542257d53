"""Savings and the monthly report at fleet scale, against a real influxd: wall time per target.

    .venv/bin/python benchmarks/bench_savings.py [--aps 34000] [--repeat 3]

Stores a daily ledger (one row per AP per KST day) for 2025-11-01 .. 2026-11-30 (395 days,
13.4 M AP-days at 34,000 APs) in the ledger's local copy (:mod:`collector.ledger.mirror`) through
``LedgerMirror.put_day``, as the roll-up leaves it, with a private influxd running for anything
the copy does not hold (nothing here). Then times, each ``--repeat`` times (median printed):

- the monthly report for 2026-11, built and written in every format (CSV, XLSX, PDF, open data,
  manifest): issue 10's target is at most 5 s;
- ``savings --by district`` for the year 2025-12-01 .. 2026-12-01: target at most 2 s.

``--influx-peer`` also writes 2026-11 into influxd as ``ap_usage_daily`` points and times the
same month's per-AP read from InfluxDB alone (the path without the copy), once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from servers import create_database, influxd, running  # noqa: E402

from collector.influx.query import InfluxQL  # noqa: E402
from collector.influx.schema import AP_USAGE_DAILY, ap_tags  # noqa: E402
from collector.influx.v1 import V1Writer  # noqa: E402
from collector.inventory.generate import GenerateOptions, generate  # noqa: E402
from collector.inventory.load import load_inventory  # noqa: E402
from collector.ledger.mirror import LedgerMirror  # noqa: E402
from collector.reports.cli import produce  # noqa: E402
from collector.savings.compute import kst_midnight, read_ap_periods, savings  # noqa: E402
from collector.savings.tariff import load_tariffs  # noqa: E402

FIRST_DAY = dt.date(2025, 11, 1)
END_DAY = dt.date(2026, 12, 1)


def wanted(day: dt.date, report_only: bool) -> bool:
    """Every day, or only the report's month and the two it is compared with."""
    return not report_only or (day.year, day.month) in ((2026, 11), (2026, 10), (2025, 11))


def store_ledger(mirror: LedgerMirror, aps: list, seed: int, report_only: bool = False,
                 influx_url: str | None = None) -> int:
    rng = random.Random(seed)
    scale = [rng.lognormvariate(0, 0.8) for _ in aps]
    prefixes = [AP_USAGE_DAILY.prefix(ap_tags(ap)) for ap in aps]
    writer = V1Writer(influx_url, "pubwifi", batch_lines=50_000) if influx_url else None
    written = 0
    day = FIRST_DAY
    while day < END_DAY:
        if not wanted(day, report_only):
            day += dt.timedelta(days=1)
            continue
        ts = kst_midnight(day)
        rows = []
        for ap, k in zip(aps, scale, strict=True):
            down = int(2.5e9 * k * rng.uniform(0.7, 1.3))
            covered = 86_400 if rng.random() > 0.02 else rng.randrange(86_400)
            polls = 288 if covered == 86_400 else covered // 300
            rows.append((ap.id, ap.district.code,
                         (down // 6, down, int(100 * k), covered, polls, polls)))
        mirror.put_day(ts, rows)
        if writer is not None and (day.year, day.month) == (2026, 11):
            writer.write([
                f"{prefix} rx_bytes={v[0]}i,tx_bytes={v[1]}i,sessions={v[2]}i,covered_s={v[3]}i,"
                f"polls={v[4]}i,polls_up={v[5]}i {ts}"
                for prefix, (_, _, v) in zip(prefixes, rows, strict=True)
            ])
        written += len(rows)
        day += dt.timedelta(days=1)
    return written


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aps", type=int, default=34_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--report-only", action="store_true",
                        help="store only 2025-11, 2026-10 and 2026-11 and time the report alone")
    parser.add_argument("--influx-peer", action="store_true",
                        help="also time 2026-11's per-AP sums read from influxd alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory_path = Path(tmp) / "inventory.yaml"
        inventory_path.write_text(generate(GenerateOptions(aps=args.aps)), encoding="utf-8")
        aps = list(load_inventory(inventory_path).aps)
        with running(influxd(Path(tmp) / "influxd")) as server:
            create_database(server, "pubwifi")  # influxd's default: one shard per week
            mirror = LedgerMirror.in_dir(Path(tmp) / "var")
            started = time.perf_counter()
            points = store_ledger(mirror, aps, 1, args.report_only,
                                  server.url if args.influx_peer else None)
            loaded = time.perf_counter() - started
            size = mirror.path.stat().st_size / 1e6
            print(f"stored {points:,} AP-days in the ledger copy in {loaded:.1f} s "
                  f"({size:,.0f} MB)", flush=True)
            query = InfluxQL(server.url, "pubwifi", timeout_s=600)
            book = load_tariffs()
            if args.influx_peer:
                lo, hi = kst_midnight(dt.date(2026, 11, 1)), kst_midnight(END_DAY)
                began = time.perf_counter()
                periods, _ = read_ap_periods(query, lo, hi, book, inventory=aps)
                peer_s = time.perf_counter() - began
                print(f"peer: 2026-11 per-AP sums from influxd 1.6.7 alone: {peer_s:.2f} s "
                      f"({len(periods):,} APs)", flush=True)
                began = time.perf_counter()
                periods_copy, _ = read_ap_periods(query, lo, hi, book, inventory=aps,
                                                  mirror=mirror)
                copy_s = time.perf_counter() - began
                same = periods_copy == periods
                print(f"      the same from the ledger copy:            {copy_s:.2f} s "
                      f"(equal: {same})", flush=True)
            now = kst_midnight(dt.date(2026, 12, 7))
            out = Path(tmp) / "reports"
            report_s, revision = timed(
                lambda: produce(query, book, aps, "2026-11", out, now=now, mirror=mirror),
                args.repeat,
            )
            print(f"monthly report 2026-11, {args.aps:,} APs, every format: {report_s:.2f} s "
                  f"(median of {args.repeat}; {revision.path.name})", flush=True)  # type: ignore[attr-defined]
            if args.report_only:
                return 0
            year_s, table = timed(
                lambda: savings(
                    query, kst_midnight(dt.date(2025, 12, 1)), kst_midnight(END_DAY), book,
                    by="district", inventory=aps, mirror=mirror,
                ),
                args.repeat,
            )
            total = table.total  # type: ignore[attr-defined]
            print(f"savings --by district, one year:            {year_s:.2f} s "
                  f"({total.tb:,.1f} TB, {total.krw:,} KRW)")
            print("== issue 10 targets ==")
            for ok, text in (
                (report_s <= 5.0, f"monthly report <= 5 s: {report_s:.2f} s"),
                (year_s <= 2.0, f"savings --by district for a year <= 2 s: {year_s:.2f} s"),
            ):
                print(f"  {'met' if ok else 'MISSED':6}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
