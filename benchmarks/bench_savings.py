"""Savings and the monthly report at fleet scale, against a real influxd: wall time per target.

    .venv/bin/python benchmarks/bench_savings.py [--aps 34000] [--repeat 3]

Starts a private influxd in a temporary directory and stores a daily ledger
(``ap_usage_daily``, one point per AP per KST day) for 2025-11-01 .. 2026-11-30 (395 days,
13.4 M points at 34,000 APs), as ``pubwifi lab backfill`` and the rollup would leave it. Then
times, each ``--repeat`` times (median printed):

- the monthly report for 2026-11, built and written in every format (CSV, XLSX, PDF, open data,
  manifest): issue 10's target is at most 5 s;
- ``savings --by district`` for the year 2025-12-01 .. 2026-12-01: target at most 2 s.
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
from collector.reports.cli import produce  # noqa: E402
from collector.savings.compute import kst_midnight, savings  # noqa: E402
from collector.savings.tariff import load_tariffs  # noqa: E402

FIRST_DAY = dt.date(2025, 11, 1)
END_DAY = dt.date(2026, 12, 1)


def wanted(day: dt.date, report_only: bool) -> bool:
    """Every day, or only the report's month and the two it is compared with."""
    return not report_only or (day.year, day.month) in ((2026, 11), (2026, 10), (2025, 11))


def store_ledger(url: str, aps: list, seed: int, report_only: bool = False) -> int:
    writer = V1Writer(url, "pubwifi")
    rng = random.Random(seed)
    prefixes = [AP_USAGE_DAILY.prefix(ap_tags(ap)) for ap in aps]
    scale = [rng.lognormvariate(0, 0.8) for _ in aps]
    written = 0
    day = FIRST_DAY
    while day < END_DAY:
        if not wanted(day, report_only):
            day += dt.timedelta(days=1)
            continue
        ts = kst_midnight(day)
        lines = []
        for prefix, k in zip(prefixes, scale, strict=True):
            down = int(2.5e9 * k * rng.uniform(0.7, 1.3))
            covered = 86_400 if rng.random() > 0.02 else rng.randrange(86_400)
            polls = 288 if covered == 86_400 else covered // 300
            lines.append(
                f"{prefix} rx_bytes={down // 6}i,tx_bytes={down}i,"
                f"sessions={int(100 * k)}i,covered_s={covered}i,"
                f"polls={polls}i,polls_up={polls}i {ts}"
            )
        writer.write(lines)
        written += len(lines)
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
                        help="store only 2025-11, 2026-10 and 2026-11 and time the report alone "
                        "(the full year takes ~18 min to load into influxd 1.6 here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory_path = Path(tmp) / "inventory.yaml"
        inventory_path.write_text(generate(GenerateOptions(aps=args.aps)), encoding="utf-8")
        aps = list(load_inventory(inventory_path).aps)
        with running(influxd(Path(tmp) / "influxd")) as server:
            create_database(server, "pubwifi")  # influxd's default: one shard per week
            started = time.perf_counter()
            points = store_ledger(server.url, aps, 1, args.report_only)
            loaded = time.perf_counter() - started
            print(f"stored {points:,} ap_usage_daily points in {loaded:.1f} s", flush=True)
            query = InfluxQL(server.url, "pubwifi")
            book = load_tariffs()
            now = kst_midnight(dt.date(2026, 12, 7))
            out = Path(tmp) / "reports"
            report_s, revision = timed(
                lambda: produce(query, book, aps, "2026-11", out, now=now), args.repeat
            )
            print(f"monthly report 2026-11, {args.aps:,} APs, every format: {report_s:.2f} s "
                  f"(median of {args.repeat}; {revision.path.name})", flush=True)  # type: ignore[attr-defined]
            if args.report_only:
                return 0
            year_s, table = timed(
                lambda: savings(
                    query, kst_midnight(dt.date(2025, 12, 1)), kst_midnight(END_DAY), book,
                    by="district", inventory=aps,
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
