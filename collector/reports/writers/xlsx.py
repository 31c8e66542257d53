"""The report as an Excel workbook (openpyxl): a summary sheet, the rollout, one sheet per area.

Sheets: the summary (요약 / Summary: title, period, the city and the 25 gu in one table, the
tariff and the methodology), the Wi-Fi 6 rollout (와이파이6 교체·신설 / Wi-Fi 6 rollout: the
programme per kind against its targets, per gu, and the APs installed in the period with their
before/after figures; one line when the inventory has no programme), then ``11000 서울특별시``
and one per gu (``11680 강남구``: its
figures, top sites, usage by mount type, daily table). Numbers are numeric cells with number
formats (``#,##0`` for won, bytes and counts; ``0.000`` for TB; ``0.0%`` for ratios, stored as
fractions); the header rows are frozen. Excel keeps 15 significant digits, so a byte count of
10^15 or more shows its last digit rounded there; the CSV has them exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from collector.reports.table import (
    ApFigures,
    AreaReport,
    Figures,
    MonthlyReport,
    RolloutCounts,
)
from collector.reports.writers import labels
from collector.reports.writers.csv_out import areas

INT = "#,##0"
TB = "#,##0.000"
GB = "#,##0.000"
DEC1 = "#,##0.0"
PCT = "0.0%"
CHANGE = "+0.0%;-0.0%;0.0%"
_HEAD_FILL = PatternFill("solid", fgColor="DCE3EE")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F4F8")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_SECTION = Font(bold=True, size=12)
_WRAP = Alignment(wrap_text=True, vertical="top")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

#: (label key, number format) of the per-area columns, summary and area sheets alike.
AREA_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("code", None),
    ("area", None),
    ("usage_tb", TB),
    ("bytes", INT),
    ("rx_bytes", INT),
    ("tx_bytes", INT),
    ("sessions", INT),
    ("krw", INT),
    ("est_bytes", INT),
    ("est_krw", INT),
    ("coverage", PCT),
    ("aps", INT),
    ("aps_with_gaps", INT),
    ("availability", PCT),
    ("change_prev_month", CHANGE),
    ("change_prev_year", CHANGE),
)


def sheet_name(area: AreaReport, lang: str) -> str:
    """``11680 강남구``: safe for Excel (no ``[]:*?/\\``, at most 31 characters)."""
    name = _BAD_SHEET_CHARS.sub("_", f"{area.code} {labels.area_name(area, lang)}")
    return name[:31]


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def area_cells(area: AreaReport, lang: str) -> list[Any]:
    f = area.figures
    return [
        area.code,
        labels.area_name(area, lang),
        *_figure_cells(f),
        _ratio(labels.change(area.previous_month, f.total_bytes)),
        _ratio(labels.change(area.previous_year, f.total_bytes)),
    ]


def _figure_cells(f: Figures) -> list[Any]:
    return [
        float(f.tb),
        f.total_bytes,
        f.rx_bytes,
        f.tx_bytes,
        f.sessions,
        f.krw,
        f.est_bytes,
        f.est_krw,
        _ratio(f.coverage),
        f.aps,
        f.aps_with_gaps,
        _ratio(f.availability),
    ]


class _Sheet:
    """Writes rows top to bottom and remembers each column's widest text."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.row = 1
        self.widths: dict[int, float] = {}

    def line(self, value: str, font: Font | None = None) -> None:
        cell = self.ws.cell(row=self.row, column=1, value=value)
        if font is not None:
            cell.font = font
        self.row += 1

    def skip(self, n: int = 1) -> None:
        self.row += n

    def header(self, names: Sequence[str]) -> int:
        for col, name in enumerate(names, start=1):
            cell = self.ws.cell(row=self.row, column=col, value=name)
            cell.font = _BOLD
            cell.fill = _HEAD_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            self._fit(col, name, cap=16)
        self.ws.row_dimensions[self.row].height = 30  # two lines of a wrapped label
        self.row += 1
        return self.row - 1

    def values(
        self, values: Sequence[Any], formats: Sequence[str | None], total: bool = False
    ) -> None:
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            cell = self.ws.cell(row=self.row, column=col, value=value)
            if fmt is not None:
                cell.number_format = fmt
            if total:
                cell.font = _BOLD
                cell.fill = _TOTAL_FILL
            self._fit(col, _shown(value, fmt))
        self.row += 1

    def paragraph(self, value: str, width_cols: int) -> None:
        self.ws.merge_cells(
            start_row=self.row, start_column=1, end_row=self.row, end_column=width_cols
        )
        cell = self.ws.cell(row=self.row, column=1, value=value)
        cell.alignment = _WRAP
        span = sum(self.widths.get(c, 10) for c in range(1, width_cols + 1))
        lines = max(1, round(_text_width(value) / max(span, 1) + 0.5))
        self.ws.row_dimensions[self.row].height = 15 * lines
        self.row += 1

    def _fit(self, col: int, shown: str, cap: float = 48) -> None:
        self.widths[col] = min(cap, max(self.widths.get(col, 6), _text_width(shown) + 2))

    def finish(self) -> None:
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = width


def _text_width(text: str) -> float:
    """Width in Excel character units: Hangul and other wide characters count about double."""
    return sum(2.0 if ord(ch) > 0x1100 else 1.0 for ch in text)


def _shown(value: Any, fmt: str | None) -> str:
    if value is None:
        return ""
    if fmt == TB:
        return f"{value:,.3f}"
    if fmt in (PCT, CHANGE):
        return f"+{value * 100:.1f}%"
    if fmt == INT and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _summary(wb: Any, report: MonthlyReport, lang: str) -> None:
    ws = wb.active
    ws.title = labels.text("summary", lang)
    s = _Sheet(ws)
    s.line(f"{labels.text('title', lang)} ({labels.text('title_other', lang)})", _TITLE)
    s.line(f"{labels.text('month', lang)}: {report.month} · {labels.period(report, lang)}")
    note = labels.month_to_date_note(report, lang)
    s.line(note or "", Font(bold=True, color="C00000") if note else None)
    head = s.header([labels.text(key, lang) for key, _ in AREA_COLUMNS])
    ws.freeze_panes = ws.cell(row=head + 1, column=3)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(AREA_COLUMNS))}{head + 26}"
    formats = [fmt for _, fmt in AREA_COLUMNS]
    for area in areas(report):
        s.values(area_cells(area, lang), formats, total=area is report.city)
    s.widths[2] = max(s.widths.get(2, 0), 14)
    s.skip()
    s.line(labels.text("tariff", lang), _SECTION)
    for line in labels.tariff_lines(report, lang):
        s.paragraph(line, len(AREA_COLUMNS))
    s.skip()
    s.line(labels.text("methodology", lang), _SECTION)
    for paragraph in labels.methodology(report, lang):
        s.paragraph(paragraph, len(AREA_COLUMNS))
    s.skip()
    s.line(
        f"{labels.text('generated', lang)}: {labels.fmt_time(report.generated_at)} · "
        f"pubwifi {report.software_version}"
    )
    s.finish()


def _area_sheet(wb: Any, report: MonthlyReport, area: AreaReport, lang: str) -> None:
    ws = wb.create_sheet(sheet_name(area, lang))
    s = _Sheet(ws)
    other = area.name_en if lang == "ko" else area.name_ko
    s.line(f"{labels.area_name(area, lang)} ({other}) · {area.code} · {report.month}", _TITLE)
    s.line(labels.month_to_date_note(report, lang) or labels.period(report, lang))
    s.skip()
    head = s.header([labels.text(key, lang) for key, _ in AREA_COLUMNS])
    s.values(area_cells(area, lang), [fmt for _, fmt in AREA_COLUMNS], total=True)
    ws.freeze_panes = ws.cell(row=head + 2, column=1)  # the title and the figures stay

    site_cols = ("rank", "site", "site_name", "mount", "usage_tb", "sessions", "krw", "coverage")
    site_fmts = (INT, None, None, None, TB, INT, INT, PCT)
    s.skip()
    s.line(labels.text("top_sites", lang), _SECTION)
    s.header([labels.text(k, lang) for k in site_cols])
    for rank, site in enumerate(area.top_sites, start=1):
        f = site.figures
        s.values(
            [rank, site.site, site.name, labels.mount_name(site.mount, lang), float(f.tb),
             f.sessions, f.krw, _ratio(f.coverage)],
            site_fmts,
        )  # fmt: skip

    mount_cols = ("mount", "usage_tb", "bytes", "sessions", "krw", "coverage", "aps")
    mount_fmts = (None, TB, INT, INT, INT, PCT, INT)
    s.skip()
    s.line(labels.text("by_mount", lang), _SECTION)
    s.header([labels.text(k, lang) for k in mount_cols])
    for m in area.by_mount:
        f = m.figures
        s.values(
            [labels.mount_name(m.mount, lang), float(f.tb), f.total_bytes, f.sessions, f.krw,
             _ratio(f.coverage), f.aps],
            mount_fmts,
        )  # fmt: skip

    day_cols = ("day", "usage_tb", "bytes", "sessions", "krw", "est_bytes", "est_krw", "coverage")
    day_fmts = ("yyyy-mm-dd", TB, INT, INT, INT, INT, INT, PCT)
    s.skip()
    s.line(labels.text("daily", lang), _SECTION)
    s.header([labels.text(k, lang) for k in day_cols])
    for d in area.daily:
        f = d.figures
        s.values(
            [d.day, float(f.tb), f.total_bytes, f.sessions, f.krw, f.est_bytes, f.est_krw,
             _ratio(f.coverage)],
            day_fmts,
        )  # fmt: skip
    s.widths[1] = max(s.widths.get(1, 0), 12)
    s.widths[2] = max(s.widths.get(2, 0), 14)
    s.widths[3] = max(s.widths.get(3, 0), 20)
    s.finish()


#: (label key, number format) of the rollout's counts, per kind and per gu alike.
ROLLOUT_COUNT_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("plan_aps", INT),
    ("done", INT),
    ("state_planned", INT),
    ("state_due", INT),
    ("state_overdue", INT),
    ("state_installed", INT),
    ("state_verified", INT),
    ("state_regressed", INT),
    ("state_drift", INT),
    ("installed_in_month", INT),
)
ROLLOUT_KIND_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("kind", None),
    ("target", INT),
    ("done_of_target", PCT),
    ("done_of_plan", PCT),
    *ROLLOUT_COUNT_COLUMNS,
)
ROLLOUT_DISTRICT_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("code", None),
    ("name_ko", None),
    ("name_en", None),
    *ROLLOUT_COUNT_COLUMNS,
)
ROLLOUT_INSTALL_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("ap", None),
    ("code", None),
    ("area", None),
    ("site", None),
    ("site_name", None),
    ("kind", None),
    ("quarter", None),
    ("installed_at", "yyyy-mm-dd hh:mm"),
    ("state", None),
    ("days_before", INT),
    ("traffic_before", GB),
    ("peak_before", INT),
    ("sessions_before", DEC1),
    ("polls_before", PCT),
    ("days_after", INT),
    ("traffic_after", GB),
    ("peak_after", INT),
    ("sessions_after", DEC1),
    ("polls_after", PCT),
)


def rollout_counts(counts: RolloutCounts) -> list[Any]:
    return [counts.aps, counts.done, counts.planned, counts.due, counts.overdue,
            counts.installed, counts.verified, counts.regressed, counts.drift,
            counts.installed_in_month]  # fmt: skip


def _ap_figures(f: ApFigures | None) -> list[Any]:
    """Days, GB/day, peak clients, sessions/day, poll success (a fraction); empty without."""
    if f is None:
        return [None] * 5
    return [f.days, float(labels.gb(f.traffic_per_day)), f.peak_clients, f.sessions_per_day,
            f.poll_success]  # fmt: skip


def _rollout_sheet(wb: Any, report: MonthlyReport, lang: str) -> None:
    ws = wb.create_sheet(labels.text("rollout_sheet", lang))
    s = _Sheet(ws)
    section = report.rollout
    if section is None:
        s.line(labels.text("rollout_none", lang), _SECTION)
        s.widths[1] = 12
        s.finish()
        return
    s.line(f"{labels.text('rollout_title', lang)} · {report.month}", _TITLE)
    s.line(labels.rollout_as_of(section, lang))
    for warning in labels.rollout_warnings(section, lang):
        s.line(warning, Font(bold=True, color="C00000"))
    ws.freeze_panes = ws.cell(row=s.row, column=1)  # the title and the as-of line stay
    s.skip()
    width = len(ROLLOUT_INSTALL_COLUMNS)

    s.line(labels.text("rollout_totals", lang), _SECTION)
    s.header([labels.text(key, lang) for key, _ in ROLLOUT_KIND_COLUMNS])
    formats = [fmt for _, fmt in ROLLOUT_KIND_COLUMNS]
    for k in section.kinds:
        s.values(
            [labels.kind_name(k.kind, lang), k.target, _ratio(k.done_of_target),
             _ratio(k.done_of_plan), *rollout_counts(k.counts)],
            formats, total=k is section.total,
        )  # fmt: skip
    if section.drift_outside:
        s.line(labels.text("drift_outside", lang, n=labels.fmt_int(section.drift_outside)))

    s.skip()
    s.line(labels.text("rollout_districts", lang), _SECTION)
    s.header([labels.text(key, lang) for key, _ in ROLLOUT_DISTRICT_COLUMNS])
    formats = [fmt for _, fmt in ROLLOUT_DISTRICT_COLUMNS]
    for d in section.districts:
        s.values([d.code, d.name_ko, d.name_en, *rollout_counts(d.counts)], formats)
    city = report.city
    s.values([city.code, city.name_ko, city.name_en, *rollout_counts(section.total.counts)],
             formats, total=True)  # fmt: skip

    s.skip()
    s.line(labels.text("rollout_installs", lang), _SECTION)
    if not section.installs:
        s.line(labels.text("rollout_no_installs", lang))
    else:
        s.header([labels.text(key, lang) for key, _ in ROLLOUT_INSTALL_COLUMNS])
        formats = [fmt for _, fmt in ROLLOUT_INSTALL_COLUMNS]
        for i in section.installs:
            name = i.district_ko if lang == "ko" else i.district_en
            s.values(
                [i.ap_id, i.district_code, name, i.site, i.site_name,
                 labels.kind_name(i.kind, lang), i.quarter,
                 i.installed_at.astimezone(labels.KST).replace(tzinfo=None),
                 labels.state_name(i.state, lang), *_ap_figures(i.before),
                 *_ap_figures(i.after)],
                formats,
            )  # fmt: skip
    s.widths[1] = max(s.widths.get(1, 0), 16)
    s.widths[8] = max(s.widths.get(8, 0), 17)

    s.skip()
    s.line(labels.text("rollout_method", lang), _SECTION)
    for paragraph in labels.rollout_method(section, lang):
        s.paragraph(paragraph, width)
    s.finish()


def write_xlsx(report: MonthlyReport, path: Path, lang: str) -> Path:
    labels.check_lang(lang)
    wb = Workbook()
    wb.properties.title = f"{labels.text('title', lang)} {report.month}"
    wb.properties.creator = f"pubwifi {report.software_version}"
    wb.properties.created = report.generated_at.replace(tzinfo=None)
    _summary(wb, report, lang)
    _rollout_sheet(wb, report, lang)
    for area in areas(report):
        _area_sheet(wb, report, area, lang)
    wb.save(path)
    return path
