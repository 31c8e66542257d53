"""``pubwifi usage --from T1 --to T2 [--ap ID] [--district CODE] [--inventory FILE]
[--from-ledger] [--json]``: per-AP bytes, sessions and coverage read back from InfluxDB.

Times are epoch seconds or ISO 8601; an ISO time without a zone is Seoul time (KST, UTC+9),
as ``pubwifi lab truth`` reads it; a bare date is KST midnight. The window is ``[T1, T2)`` in
whole seconds. InfluxDB is found through :func:`collector.settings.load_settings`
(``PUBWIFI_INFLUX_URL``, ``PUBWIFI_INFLUX_DATABASE``, and ``PUBWIFI_INFLUX_TOKEN`` for 2.x/3.x).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from collector.errors import InputError
from collector.influx.query import InfluxQL, QueryError
from collector.inventory.load import load_inventory
from collector.ledger.usage import UsageReport, usage_from_ledger, usage_from_polls
from collector.settings import Settings, load_settings
from collector.timeparse import KST, parse_time

__all__ = ["KST", "parse_time", "query_client", "register", "run_usage"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "usage", help="per-AP bytes and sessions in [T1, T2) read back from InfluxDB"
    )
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="T1",
        help="epoch seconds or ISO 8601 (no zone: KST)",
    )
    parser.add_argument("--to", dest="end", required=True, metavar="T2")
    parser.add_argument("--ap", metavar="ID", help="only this AP")
    parser.add_argument("--district", metavar="CODE", help="only this district (e.g. 11680)")
    parser.add_argument(
        "--inventory",
        type=Path,
        metavar="FILE",
        help="list the inventory's APs too (without data: all gap)",
    )
    parser.add_argument(
        "--from-ledger",
        action="store_true",
        help="sum ap_usage_daily/hourly instead of per-poll deltas (months)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run_usage)


def query_client(settings: Settings) -> InfluxQL:
    """The InfluxQL client the settings describe (1.x, or 2.x/3.x's v1-compatible /query)."""
    influx = settings.influx
    try:
        if influx.flavour == "v2":
            return InfluxQL(influx.url, influx.database, token=influx.token)
        return InfluxQL(
            influx.url, influx.database, username=influx.username, password=influx.password
        )
    except ValueError as error:
        raise InputError.at("PUBWIFI_INFLUX_URL", 0, str(error)) from None


def run_usage(args: argparse.Namespace, out: TextIO | None = None) -> int:
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    inventory = load_inventory(args.inventory).aps if args.inventory else None
    if args.ap and inventory is not None and args.ap not in {a.id for a in inventory}:
        raise InputError.at(str(args.inventory), 0, f"unknown AP id {args.ap!r}")
    client = query_client(load_settings())
    read = usage_from_ledger if args.from_ledger else usage_from_polls
    try:
        report = read(client, start, end, ap=args.ap, district=args.district, inventory=inventory)
    except QueryError as error:
        print(f"pubwifi usage: {error}", file=sys.stderr)
        return 1
    stream = out or sys.stdout
    if args.json:
        json.dump(report.as_dict(), stream, separators=(",", ":"))
        stream.write("\n")
    else:
        stream.write(format_table(report))
    return 0


def _when(ts: int | None) -> str:
    return "-" if ts is None else dt.datetime.fromtimestamp(ts, KST).isoformat()


def format_table(report: UsageReport) -> str:
    """A table for people: one line per AP, then the total."""
    head = (
        f"usage {_when(report.start)} .. {_when(report.end)} "
        f"({report.end - report.start} s, from {report.source})\n"
    )
    cols = f"{'ap':<18} {'district':<8} {'rx_bytes':>16} {'tx_bytes':>16} {'sessions':>10} "
    cols += f"{'covered_s':>10} {'gap_s':>10}  first_sample .. last_sample\n"
    lines = [head, cols]
    for a in report.aps:
        lines.append(
            f"{a.ap:<18} {a.district:<8} {a.rx_bytes:>16,} {a.tx_bytes:>16,} {a.sessions:>10,} "
            f"{a.covered_s:>10,} {a.gap_s:>10,}  {_when(a.first_sample)} .. "
            f"{_when(a.last_sample)}\n"
        )
    t = report.total()
    lines.append(
        f"{'total (' + str(t['aps']) + ' APs)':<27} {t['rx_bytes']:>16,} {t['tx_bytes']:>16,} "
        f"{t['sessions']:>10,} {t['covered_s']:>10,} {t['gap_s']:>10,}\n"
    )
    if t["deltas_left_out"] or t["rows_without_interval"]:
        lines.append(
            f"left out: {t['deltas_left_out']} deltas that began before the window, "
            f"{t['rows_without_interval']} rows without interval_s\n"
        )
    return "".join(lines)
