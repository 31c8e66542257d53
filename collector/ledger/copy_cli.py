"""``pubwifi ledger-copy --from DAY --to DAY``: fill the ledger's local copy from InfluxDB.

The collector's roll-up writes every day it closes into the copy
(:mod:`collector.ledger.mirror`); this command copies days closed before the copy existed
(an upgrade) or after the data directory was lost. It reads ``ap_usage_daily`` back raw, one
request per KST day (a statement per district), and stores each day whole; a day InfluxDB has
no point for is left out (not held), so savings keep reading it from InfluxDB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from collector.errors import InputError
from collector.influx.query import QueryError, quote_ident
from collector.influx.schema import AP_USAGE_DAILY
from collector.ledger.cli import parse_time, query_client
from collector.ledger.mirror import DAY_S, DayRow, LedgerMirror, kst_day_start
from collector.ledger.polls import QueryClient
from collector.ledger.stored import FIELDS
from collector.settings import load_settings

_NAME = quote_ident(AP_USAGE_DAILY.name)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ledger-copy", help="copy closed days of ap_usage_daily into the local ledger copy"
    )
    parser.add_argument("--from", dest="start", required=True, metavar="DAY", help="KST date")
    parser.add_argument("--to", dest="end", required=True, metavar="DAY", help="exclusive")
    parser.set_defaults(func=run_copy)


def districts(query: QueryClient) -> list[str]:
    text = f'SHOW TAG VALUES FROM {_NAME} WITH KEY = "district"'
    return sorted({str(row["value"]) for s in query.series(text) for row in s.rows()})


def read_day(query: QueryClient, day: int, codes: list[str]) -> list[DayRow]:
    """The stored daily points of the KST day ``day``, per AP."""
    cols = ",".join(quote_ident(f) for f in (*FIELDS, "ap", "district"))
    statements = [
        f"SELECT {cols} FROM {_NAME} WHERE time = {day}s "  # noqa: S608
        f"AND \"district\" = '{code}'"
        for code in codes
        if code.isdigit()
    ]
    rows: list[DayRow] = []
    for i in range(0, len(statements), 25):
        for series in query.series(";".join(statements[i : i + 25])):
            for row in series.rows():
                values = [int(row.get(f) or 0) for f in FIELDS]
                rows.append((str(row["ap"]), str(row["district"]), values))
    return rows


def copy_days(query: QueryClient, mirror: LedgerMirror, start: int, end: int) -> tuple[int, int]:
    """Copy the KST days in ``[start, end)``; returns (days copied, points)."""
    codes = districts(query)
    copied = points = 0
    day = kst_day_start(start)
    while day < end:
        rows = read_day(query, day, codes)
        if rows:
            points += mirror.put_day(day, rows)
            copied += 1
        day = kst_day_start(day + DAY_S + 3600)
    return copied, points


def run_copy(args: argparse.Namespace) -> int:
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    if start % 3600 or end <= start:
        raise InputError.at("--to", 0, "give --from and --to as KST dates, --to after --from")
    settings = load_settings()
    mirror = LedgerMirror.in_dir(settings.data_dir)
    began = time.monotonic()
    try:
        copied, points = copy_days(query_client(settings), mirror, start, end)
    except QueryError as error:
        print(f"pubwifi ledger-copy: {error}", file=sys.stderr)
        return 1
    first = dt.datetime.fromtimestamp(start, dt.timezone(dt.timedelta(hours=9))).date()
    print(
        f"copied {copied} days from {first} ({points:,} AP-days) into {mirror.path} "
        f"in {time.monotonic() - began:.1f} s"
    )
    return 0
