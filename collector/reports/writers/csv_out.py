"""The report as CSV: one row per area (the city first, then the 25 gu in code order).

UTF-8 with a BOM (``utf-8-sig``) so Korean Excel opens it without mojibake; one header row with
labels in the report's language; numbers plain (no thousands separators): bytes, sessions and
won exact integers, TB to 3 decimals, percentages to 2 decimals, empty where a figure does not
exist (no previous month, nothing expected). Column keys (:data:`COLUMNS`) are stable.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from collector.reports.table import AreaReport, MonthlyReport
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
