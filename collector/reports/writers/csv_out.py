"""The report as CSV: one row per area (the city first, then the 25 gu in code order).

UTF-8 with a BOM (``utf-8-sig``) so Korean Excel opens it without mojibake; one header row with
labels in the report's language; numbers plain (no thousands separators): bytes, sessions and
won exact integers, TB to 3 decimals, percentages to 2 decimals, empty where a figure does not
exist (no previous month, nothing expected). Column keys (:data:`COLUMNS`) are stable.

``rollout-YYYY-MM.csv`` (only when the inventory has a Wi-Fi 6 programme): the rollout section's
counts, the same encoding, keys :data:`ROLLOUT_COLUMNS`: the city (``11000``) once per kind
(``replacement``, ``new``, ``all``: stable keys, not labels), then the 25 gu (``all``; the
targets are the city's only). The per-AP installs of the month are in the XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from collector.reports.table import AreaReport, MonthlyReport, RolloutCounts, RolloutSection
from collector.reports.writers import labels

#: Column keys, in order; each is also a label key (:func:`labels.text`).
COLUMNS = (
    "code",
    "name_ko",
    "name_en",
    "usage_tb",
    "bytes",
    "rx_bytes",
    "tx_bytes",
    "sessions",
    "krw",
    "est_bytes",
    "est_krw",
    "coverage_pct",
    "aps",
    "aps_with_gaps",
    "availability_pct",
    "change_prev_month_pct",
    "change_prev_year_pct",
)

Value = str | int | Decimal | None


def areas(report: MonthlyReport) -> tuple[AreaReport, ...]:
    """The city, then the districts: the rows of every per-area table."""
    return (report.city, *report.districts)


def area_values(area: AreaReport) -> dict[str, Value]:
    """One area's row, keyed by :data:`COLUMNS` (values, not text)."""
    f = area.figures
    return {
        "code": area.code,
        "name_ko": area.name_ko,
        "name_en": area.name_en,
        "usage_tb": labels.tb(f.total_bytes),
        "bytes": f.total_bytes,
        "rx_bytes": f.rx_bytes,
        "tx_bytes": f.tx_bytes,
        "sessions": f.sessions,
        "krw": f.krw,
        "est_bytes": f.est_bytes,
        "est_krw": f.est_krw,
        "coverage_pct": labels.pct(f.coverage),
        "aps": f.aps,
        "aps_with_gaps": f.aps_with_gaps,
        "availability_pct": labels.pct(f.availability),
        "change_prev_month_pct": labels.pct(labels.change(area.previous_month, f.total_bytes)),
        "change_prev_year_pct": labels.pct(labels.change(area.previous_year, f.total_bytes)),
    }


def plain(value: Value) -> str:
    """A value as CSV text: plain digits, empty for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def write_csv(report: MonthlyReport, path: Path, lang: str) -> Path:
    labels.check_lang(lang)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([labels.text(key, lang) for key in COLUMNS])
        for area in areas(report):
            values = area_values(area)
            writer.writerow([plain(values[key]) for key in COLUMNS])
    return path


#: The rollout CSV's column keys, in order; each is also a label key.
ROLLOUT_COLUMNS = (
    "code",
    "name_ko",
    "name_en",
    "kind",
    "target",
    "plan_aps",
    "done",
    "state_planned",
    "state_due",
    "state_overdue",
    "state_installed",
    "state_verified",
    "state_regressed",
    "state_drift",
    "installed_in_month",
    "as_of",
)


def rollout_file(report: MonthlyReport) -> str:
    return f"rollout-{report.month}.csv"


def counts_values(counts: RolloutCounts) -> dict[str, Value]:
    return {
        "plan_aps": counts.aps,
        "done": counts.done,
        "state_planned": counts.planned,
        "state_due": counts.due,
        "state_overdue": counts.overdue,
        "state_installed": counts.installed,
        "state_verified": counts.verified,
        "state_regressed": counts.regressed,
        "state_drift": counts.drift,
        "installed_in_month": counts.installed_in_month,
    }


def rollout_values(report: MonthlyReport, section: RolloutSection) -> list[dict[str, Value]]:
    """The rollout CSV's rows, keyed by :data:`ROLLOUT_COLUMNS` (values, not text)."""
    as_of = dt.datetime.fromtimestamp(section.as_of, labels.KST).isoformat()
    city = report.city
    rows: list[dict[str, Value]] = [
        {"code": city.code, "name_ko": city.name_ko, "name_en": city.name_en, "kind": k.kind,
         "target": k.target, **counts_values(k.counts), "as_of": as_of}
        for k in section.kinds
    ]  # fmt: skip
    rows += [
        {"code": d.code, "name_ko": d.name_ko, "name_en": d.name_en, "kind": "all",
         "target": None, **counts_values(d.counts), "as_of": as_of}
        for d in section.districts
    ]  # fmt: skip
    return rows


def write_rollout_csv(report: MonthlyReport, path: Path, lang: str) -> Path | None:
    """The rollout CSV at ``path``; nothing (None) when the inventory has no programme."""
    labels.check_lang(lang)
    if report.rollout is None:
        return None
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([labels.text(key, lang) for key in ROLLOUT_COLUMNS])
        for values in rollout_values(report, report.rollout):
            writer.writerow([plain(values[key]) for key in ROLLOUT_COLUMNS])
    return path
