"""Savings and the report read from the ledger's local copy equal those read from InfluxDB."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import pytest
from fake_influxql import FakeInfluxQL

from collector.influx.schema import AP_USAGE_DAILY, AP_USAGE_HOURLY, ap_tags
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.ledger.mirror import LedgerMirror
from collector.ledger.stored import FIELDS
from collector.reports.build import build_monthly
from collector.reports.table import MonthlyReport
from collector.savings.compute import kst_midnight, savings
from collector.savings.tariff import load_tariffs

FIRST, END = dt.date(2026, 9, 25), dt.date(2026, 11, 3)


def fleet(tmp_path: Path) -> list[AccessPoint]:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=6)), encoding="utf-8")
    return list(load_inventory(path).aps)


def ledger(aps: list[AccessPoint], mirror: LedgerMirror) -> FakeInfluxQL:
    """Days FIRST..END-1 daily (both stores) and hourly (InfluxDB only, for partial days)."""
    rng = random.Random(3)
    db = FakeInfluxQL()
    day = FIRST
    while day < END:
        start = kst_midnight(day)
        rows, lines = [], []
        for ap in aps[: 5 if day.day % 7 else 4]:  # an AP missing some days: gaps
            hours = [
                [rng.randrange(10**9), rng.randrange(10**10), rng.randrange(50), 3600, 12, 11]
                for _ in range(24)
            ]
            values = [sum(h[i] for h in hours) for i in range(len(FIELDS))]
            rows.append((ap.id, ap.district.code, values))
            lines.append(
                AP_USAGE_DAILY.line(
                    AP_USAGE_DAILY.prefix(ap_tags(ap)),
                    dict(zip(FIELDS, values, strict=True)),
                    start,
                )
            )
            prefix = AP_USAGE_HOURLY.prefix(ap_tags(ap))
            lines += [
                AP_USAGE_HOURLY.line(prefix, dict(zip(FIELDS, h, strict=True)), start + 3600 * i)
                for i, h in enumerate(hours)
            ]
        mirror.put_day(start, rows)
        db.write(lines)
        day += dt.timedelta(days=1)
    return db


def test_savings_and_the_report_are_the_same_from_either_store(tmp_path: Path) -> None:
    aps = fleet(tmp_path)
    mirror = LedgerMirror(tmp_path / "copy.sqlite")
    db = ledger(aps, mirror)
    book = load_tariffs()
    windows = [
        (kst_midnight(dt.date(2026, 10, 1)), kst_midnight(dt.date(2026, 11, 1))),  # a month
        (kst_midnight(FIRST) + 5 * 3600, kst_midnight(dt.date(2026, 11, 2)) + 7 * 3600),
        (kst_midnight(dt.date(2026, 10, 9)), kst_midnight(dt.date(2026, 10, 10))),
    ]
    for start, end in windows:
        for by in ("ap", "district", "month", "mount"):
            from_influx = savings(db, start, end, book, by=by, inventory=aps)
            from_copy = savings(db, start, end, book, by=by, inventory=aps, mirror=mirror)
            assert from_copy == from_influx, (start, end, by)
            assert from_copy.total.aps_with_gaps > 0 and from_copy.total.krw > 0
    now = kst_midnight(dt.date(2026, 11, 2)) + 7 * 3600
    for month in ("2026-10", "2026-11"):  # a closed month and a month to date
        local = build_monthly(db, book, aps, month, now=now, mirror=mirror)
        influx = build_monthly(db, book, aps, month, now=now)
        # The fake InfluxQL has no GROUP BY time(): the daily chart is checked against the
        # month here, and against the real influxd in tests/integration/test_savings_report.py
        assert without_daily(local) == without_daily(influx)
        if local.month_to_date:
            continue  # its last, partial day is read from ap_usage_hourly (the fake) either way
        for area in (local.city, *local.districts):
            days = [d.figures for d in area.daily]
            assert sum(f.total_bytes for f in days) == area.figures.total_bytes
            assert sum(f.sessions for f in days) == area.figures.sessions


def without_daily(report: MonthlyReport) -> MonthlyReport:
    return dataclasses.replace(
        report,
        city=dataclasses.replace(report.city, daily=()),
        districts=tuple(dataclasses.replace(d, daily=()) for d in report.districts),
    )


def test_a_day_the_copy_lacks_is_read_from_influxdb(tmp_path: Path) -> None:
    aps = fleet(tmp_path)
    mirror = LedgerMirror(tmp_path / "copy.sqlite")
    db = ledger(aps, mirror)
    empty = LedgerMirror(tmp_path / "empty.sqlite")
    empty.put_day(kst_midnight(dt.date(2026, 10, 2)), [])  # holds one day of October only
    start, end = kst_midnight(dt.date(2026, 10, 1)), kst_midnight(dt.date(2026, 11, 1))
    book = load_tariffs()
    assert savings(db, start, end, book, inventory=aps, mirror=empty) == savings(
        db, start, end, book, inventory=aps
    )


@pytest.mark.parametrize("elapsed_s", [None, 9 * 86_400 + 7 * 3600])  # whole, to date
@pytest.mark.parametrize("copy", [True, False])
@pytest.mark.parametrize("known", ["all", "one in the ledger only"])
def test_the_lean_comparison_equals_the_grouped_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, elapsed_s: int | None, copy: bool, known: str
) -> None:
    from collector.reports import build
    from collector.reports.build import _by_district, _comparison

    monkeypatch.setattr(build, "MIN_COMPARED_COVERAGE", 0)  # the fixture has gaps on purpose
    from collector.savings.compute import group_figures, read_ap_periods

    aps = fleet(tmp_path)
    mirror = LedgerMirror(tmp_path / "copy.sqlite")
    db = ledger(aps, mirror)
    inventory = aps if known == "all" else aps[1:]
    used = mirror if copy else None
    book = load_tariffs()
    lean = _comparison(db, book, inventory, 2026, 10, elapsed_s, mirror=used)
    assert lean is not None
    start, end = kst_midnight(dt.date(2026, 10, 1)), kst_midnight(dt.date(2026, 11, 1))
    if elapsed_s is not None:
        end = start + elapsed_s
    periods, _ = read_ap_periods(db, start, end, book, inventory=inventory, mirror=used)
    rows, total = group_figures(
        sorted(_by_district(periods.values(), {a.id: a for a in inventory}).items())
    )
    assert sorted(lean) == sorted([*dict(rows), "11000"])
    for code, f in [*rows, ("11000", total)]:
        c = lean[code]
        assert (c.total_bytes, c.sessions, c.krw, c.coverage) == (
            f.total_bytes,
            f.sessions,
            f.krw,
            f.coverage,
        )
    assert total.aps_with_gaps and total.krw


def test_the_citys_sites_and_mounts_equal_those_grouped_over_every_ap(tmp_path: Path) -> None:
    """The city's top sites and mount types are merged from its districts' sums: they equal
    the same rows grouped over all of its APs at once, an AP the inventory lacks included."""
    from collector.reports.build import TOP_SITES, _refit
    from collector.savings.compute import group_figures, read_ap_periods

    aps = fleet(tmp_path)
    mirror = LedgerMirror(tmp_path / "copy.sqlite")
    db = ledger(aps, mirror)
    inventory = aps[1:]  # aps[0] is in the ledger only
    book = load_tariffs()
    now = kst_midnight(dt.date(2026, 11, 2)) + 7 * 3600
    report = build_monthly(db, book, inventory, "2026-10", now=now, mirror=mirror)
    periods, _ = read_ap_periods(
        db, report.start, report.end, book, inventory=inventory, mirror=mirror
    )
    known = {ap.id: ap for ap in inventory}
    sites: dict[str, list] = {}
    mounts: dict[str, list] = {}
    for p in periods.values():
        ap = known.get(p.ap)
        sites.setdefault(ap.site.id if ap else "", []).append(p)
        mounts.setdefault(str(ap.site.mount) if ap else "other", []).append(p)
    site_rows, _ = group_figures(sorted(sites.items()))
    top = sorted(site_rows, key=lambda r: (-r[1].total_bytes, r[0]))[:TOP_SITES]
    assert [(s.site, s.figures) for s in report.city.top_sites] == top
    mount_rows = _refit(group_figures(sorted(mounts.items()))[0], report.city.figures)
    assert sorted((m.mount, m.figures) for m in report.city.by_mount) == sorted(mount_rows)
    assert "other" in {m.mount for m in report.city.by_mount}
