"""``pubwifi savings --from T1 --to T2 [--by ap|site|district|month|mount] [--json|--csv]``.

The equivalent savings on citizens' phone bills in ``[T1, T2)`` (whole hours; an ISO time
without a zone is Seoul time), from the ledger (``ap_usage_daily``/``ap_usage_hourly``), priced
by the tariff book (the packaged one, or ``PUBWIFI_TARIFFS`` / ``--tariffs FILE``). Measured and
estimated figures are separate columns; coverage says how much of the window the ledger holds.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TextIO

from collector.influx.query import QueryError
from collector.inventory.load import load_inventory
from collector.ledger.cli import parse_time, query_client
from collector.ledger.mirror import LedgerMirror
from collector.savings.compute import GROUPINGS, SavingsTable, figures_dict, savings
from collector.savings.money import ROUNDING_RULE
from collector.savings.tariff import load_tariffs
from collector.settings import load_settings
from collector.textwidth import pad

CSV_COLUMNS = (
    "key",
    "label",
    "bytes",
    "tb",
    "rx_bytes",
    "tx_bytes",
    "sessions",
    "krw",
    "est_bytes",
    "est_krw",
    "coverage",
    "aps",
    "aps_with_gaps",
    "availability",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "savings", help="equivalent phone-bill savings (KRW) in [T1, T2) from the ledger"
    )
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="T1",
        help="epoch seconds or ISO 8601 on a whole hour (no zone: KST)",
    )
    parser.add_argument("--to", dest="end", required=True, metavar="T2")
    parser.add_argument("--by", choices=GROUPINGS, default="district")
    parser.add_argument("--district", metavar="CODE", help="only this district (e.g. 11680)")
    parser.add_argument(
        "--inventory", type=Path, metavar="FILE", help="the fleet (default: PUBWIFI_INVENTORY)"
    )
    parser.add_argument(
        "--tariffs",
        type=Path,
        metavar="FILE",
        help="a tariff book (default: PUBWIFI_TARIFFS or the packaged one)",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true", help="print CSV")
    parser.set_defaults(func=run_savings)


def run_savings(args: argparse.Namespace) -> int:
    settings = load_settings()
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    book = load_tariffs(args.tariffs or settings.tariffs)
    inventory = load_inventory(args.inventory or settings.inventory)
    try:
        table = savings(
            query_client(settings),
            start,
            end,
            book,
            by=args.by,
            inventory=inventory.aps,
            district=args.district,
            mirror=LedgerMirror.existing(settings.data_dir),
        )
    except QueryError as error:
        print(f"pubwifi savings: {error}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(table.as_dict(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif args.csv:
        write_csv(table, sys.stdout)
    else:
        sys.stdout.write(render_text(table))
    return 0


def write_csv(table: SavingsTable, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for key, label, figures in [(r.key, r.label, r.figures) for r in table.rows] + [
        ("total", "", table.total)
    ]:
        row = {"key": key, "label": label, **figures_dict(figures)}
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def render_text(table: SavingsTable) -> str:
    head = (
        f"{table.by:<28} {'TB':>12} {'sessions':>14} {'KRW saved':>18} {'coverage':>9} "
        f"{'est. KRW (uncovered)':>21}"
    )
    lines = [head, "-" * len(head)]
    for key, label, f in [(r.key, r.label, r.figures) for r in table.rows] + [
        ("total", "", table.total)
    ]:
        d = figures_dict(f)
        name = pad(f"{key} {label}".strip(), 28)
        if key == "total":
            lines.append("-" * len(head))
        lines.append(
            f"{name} {f.tb:>12,.3f} {f.sessions:>14,} {f.krw:>18,} "
            f"{_pct(d['coverage']):>9} {f.est_krw:>21,}"
        )
    tariffs = "; ".join(
        f"{s.tariff.id} {s.tariff.krw_per_gb} KRW/GB ({'+'.join(s.tariff.counts)}) "
        f"{s.first_day}..{s.last_day}"
        for s in table.tariffs
    )
    total = table.total
    lines += [
        "",
        f"tariff: {tariffs}",
        f"coverage: {total.covered_ap_s:,} of {total.expected_ap_s:,} AP-seconds; "
        f"{total.aps_with_gaps:,} of {total.aps:,} APs have gaps",
        f"estimate (separate column, not in KRW saved): {table.estimate_method}",
        f"rounding: {ROUNDING_RULE}",
    ]
    return "\n".join(lines) + "\n"
