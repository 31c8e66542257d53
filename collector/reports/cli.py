"""``pubwifi report monthly --month YYYY-MM [--lang ko|en] [-o DIR] [--tariff ID] [--reason TEXT]``.

Writes the monthly savings report (월간 공공와이파이 통신비 절감 보고서) for the city and each of
the 25 gu, in CSV, XLSX, PDF and open-data JSON/CSV, with a ``manifest.json``, as a new revision
under ``DIR/YYYY-MM/`` (default ``DATA_DIR/reports``). A month with no data, a month in the
future or an unknown tariff id is a clear error with exit status 2. The Wi-Fi 6 rollout
section reads the rollout store of the data directory (``DATA_DIR/rollout/rollout.sqlite``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import time
from pathlib import Path

from collector.influx.query import QueryError
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.ledger.cli import query_client
from collector.ledger.mirror import LedgerMirror
from collector.ledger.polls import QueryClient
from collector.reports import store
from collector.reports.build import build_monthly
from collector.rollout.store import RolloutStore
from collector.savings.tariff import TariffBook, load_tariffs
from collector.settings import Settings, load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="the monthly savings report")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="monthly")
    monthly = kinds.add_parser("monthly", help="one month (KST), every format, a new revision")
    monthly.add_argument("--month", required=True, metavar="YYYY-MM")
    monthly.add_argument("--lang", choices=("ko", "en"), default="ko")
    monthly.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="reports folder (default: DATA_DIR/reports)",
    )
    monthly.add_argument("--inventory", type=Path, metavar="FILE")
    monthly.add_argument("--tariffs", type=Path, metavar="FILE", help="a tariff book")
    monthly.add_argument("--tariff", metavar="ID", help="price the whole month with this entry")
    monthly.add_argument("--reason", metavar="TEXT", help="why this revision is made")
    monthly.set_defaults(func=run_monthly)


def pinned(book: TariffBook, tariff_id: str | None) -> TariffBook:
    """The book, or one holding only ``tariff_id``, in force on every day."""
    if tariff_id is None:
        return book
    chosen = dataclasses.replace(
        book.get(tariff_id), effective_from=dt.date(1, 1, 1), effective_to=None
    )
    return dataclasses.replace(book, tariffs=(chosen,))


def produce(
    query: QueryClient,
    book: TariffBook,
    inventory: list[AccessPoint] | tuple[AccessPoint, ...],
    month: str,
    root: Path,
    *,
    lang: str = "ko",
    reason: str | None = None,
    now: float | None = None,
    mirror: LedgerMirror | None = None,
    rollout_store: RolloutStore | None = None,
) -> store.Revision:
    """Build, write and publish one revision of ``month``'s report under ``root``.

    ``rollout_store``: default, the one beside ``mirror`` (:func:`.rollout.store_beside`).
    """
    from collector.reports.writers import write_all, writer_pool
    from collector.reports.writers.manifest import write_manifest

    with writer_pool() as pool:  # the writers' processes start while the report is built
        # bad input stops here, before anything is written
        report = build_monthly(
            query, book, inventory, month, now=now, mirror=mirror, rollout_store=rollout_store
        )
        previous = store.latest_manifest(root, month)
        why = store.why(report, previous, reason)
        number, staging = store.new_revision(root, month)
        files = write_all(report, staging, lang, pool=pool)
    coverage = report.city.figures.coverage
    inputs = {
        "month": month,
        "revision": number,
        "reason": why,
        "lang": lang,
        "month_to_date": report.month_to_date,
        "from": report.start,
        "to": report.end,
        "tariffs": [t.id for t in report.tariffs],
        "tariff_book": book.path,
        "coverage": None if coverage is None else f"{float(coverage):.4f}",
        "total_bytes": report.city.figures.total_bytes,
        "krw": report.city.figures.krw,
        "aps": report.city.figures.aps,
        "rollout": store.rollout_inputs(report),
    }
    write_manifest(report, staging, files, inputs)
    final = store.publish(root, month, number, staging)
    return store.Revision(month, number, final, why)


def report_root(settings: Settings, output: Path | None) -> Path:
    return output if output is not None else settings.data_dir / "reports"


def run_monthly(args: argparse.Namespace) -> int:
    settings = load_settings()
    book = pinned(load_tariffs(args.tariffs or settings.tariffs), args.tariff)
    inventory = load_inventory(args.inventory or settings.inventory)
    started = time.monotonic()
    rollout_store = RolloutStore.existing(settings.data_dir)
    try:
        revision = produce(
            query_client(settings),
            book,
            inventory.aps,
            args.month,
            report_root(settings, args.output),
            lang=args.lang,
            reason=args.reason,
            mirror=LedgerMirror.existing(settings.data_dir),
            rollout_store=rollout_store,
        )
    except QueryError as error:
        print(f"pubwifi report: {error}", file=sys.stderr)
        return 1
    finally:
        if rollout_store is not None:
            rollout_store.close()
    manifest = json.loads((revision.path / "manifest.json").read_text(encoding="utf-8"))
    inputs = manifest.get("inputs", {})
    to_date = " (month to date)" if inputs.get("month_to_date") else ""
    print(f"report {args.month}{to_date} r{revision.number}: {revision.path}")
    print(f"  reason: {revision.reason}")
    print(
        f"  {inputs.get('total_bytes', 0) / 1e12:,.3f} TB, {inputs.get('krw', 0):,} KRW, "
        f"coverage {inputs.get('coverage')}, tariff {', '.join(inputs.get('tariffs', []))}"
    )
    for entry in manifest.get("files", []):
        print(f"  {entry.get('name', entry.get('path', ''))}")
    print(f"  made in {time.monotonic() - started:.2f} s")
    return 0
