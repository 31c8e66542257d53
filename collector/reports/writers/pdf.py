"""The report as a PDF (fpdf2), A4, in Korean or English, with the NanumGothic font embedded.

Page 1: the title in Korean and English, the month (and a month-to-date notice when so), the
city's headline figures, a bar chart of the city's daily usage, the tariff and the methodology.
Then the table of the 25 gu with the city's total, the city's top sites and its usage by mount
type. Then the Wi-Fi 6 rollout (와이파이6 교체·신설) from a new page: the programme per kind
against its targets, the APs installed in the period with their before/after figures, how it
is counted, and the table of the gu; one line instead when the inventory has no programme.
Every page has a running footer: when it was generated, by which software version, and the page
number. Numbers are right-aligned with thousands separators.

The font comes from the Debian package ``fonts-nanum``; without it :func:`write_pdf` raises
:class:`FontMissingError` naming the package (no PDF with missing Korean glyphs is written).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from collector.reports.table import AreaReport, MonthlyReport, RolloutCounts, RolloutSection
from collector.reports.writers import labels

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_FILES = {"": "NanumGothic.ttf", "B": "NanumGothicBold.ttf"}
FONT = "NanumGothic"

INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (0, 84, 166)  # a sober blue
HEAD_FILL = (222, 229, 240)
ZEBRA = (246, 248, 251)
RULE = (190, 198, 210)
BAR = (62, 122, 190)
WARN = (176, 0, 32)
MARGIN = 18.0
ROW_MM = 6.8  # a table row: line height 5.6 + padding
PDF_INSTALLS = 200  # the period's installs listed in the PDF (all of them in the XLSX)


class FontMissingError(RuntimeError):
    """The Korean TTF font is not installed."""


def font_paths(font_dir: Path = FONT_DIR) -> dict[str, Path]:
    paths = {style: font_dir / name for style, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FontMissingError(
            f"the PDF report needs the Korean font NanumGothic, not found: {', '.join(missing)}; "
            "install the Debian package fonts-nanum (apt-get install fonts-nanum)"
        )
    return paths


def _month_title(month: str, lang: str) -> str:
    year, mon = month.split("-")
    if lang == "ko":
        return f"{year}년 {int(mon)}월"
    names = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
    return f"{names[int(mon) - 1]} {year}"


class _Report(FPDF):
    def __init__(self, font_dir: Path) -> None:
        """A blank document with its fonts parsed (the slow part, 0.5 s for NanumGothic):
        :func:`prepare` makes one ahead of time, :meth:`begin` makes it a report's."""
        super().__init__(orientation="P", unit="mm", format="A4")
        self.font_dir = font_dir
        for style, path in font_paths(font_dir).items():
            self.add_font(FONT, style, str(path))

    def begin(self, report: MonthlyReport, lang: str) -> None:
        self.report = report
        self.report_lang = lang
        self.set_margins(MARGIN, 16, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_title(f"{labels.text('title', lang)} {report.month}")
        self.set_author(labels.text("publisher", lang))
        self.set_creator(f"pubwifi {report.software_version}")
        self.set_lang("ko-KR" if lang == "ko" else "en")
        self.set_creation_date(report.generated_at)
        self.set_text_color(*INK)

    # --- furniture ---------------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{labels.text('title', self.report_lang)} · {self.report.month}",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        self._rule(self.get_y() + 0.5)
        self.set_y(self.get_y() + 5)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-13)
        self._rule(self.get_y())
        self.set_y(self.get_y() + 1.5)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        when = labels.fmt_time(self.report.generated_at)
        generated = (
            f"{labels.text('generated', self.report_lang)} {when}"
            f" · pubwifi {self.report.software_version}"
        )
        width = self.epw / 2
        self.cell(width, 4, generated)
        page = labels.text("page", self.report_lang, n=self.page_no(), total="{nb}")
        self.cell(width, 4, page, align="R")
        self.set_text_color(*INK)

    def _rule(self, y: float, color: tuple[int, int, int] = RULE) -> None:
        self.set_draw_color(*color)
        self.set_line_width(0.2)
        self.line(self.l_margin, y, self.w - self.r_margin, y)

    def section(self, title: str, need: float = 22) -> None:
        """A section heading; a new page first unless ``need`` mm fit below it."""
        if self.will_page_break(need + 13):
            self.add_page()
        self.ln(3)
        self.set_font(FONT, "B", 11.5)
        self.set_text_color(*ACCENT)
        self.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._rule(self.get_y(), ACCENT)
        self.ln(2.5)
        self.set_text_color(*INK)

    def fitted(self, w: float, h: float, text: str, style: str, size: float) -> None:
        """One line in ``w`` mm: the font shrinks (to 60 %) rather than overflow."""
        self.set_font(FONT, style, size)
        floor = size * 0.6
        while self.get_string_width(text) > w - 2 * self.c_margin and self.font_size_pt > floor:
            self.set_font(FONT, style, self.font_size_pt - 0.5)
        self.cell(w, h, text)

    def paragraph(self, body: str, size: float = 8, height: float = 4.0) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, height, body, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(0.8)

    # --- page 1 ------------------------------------------------------------------------------

    def title_block(self) -> None:
        r, lang = self.report, self.report_lang
        self.set_fill_color(*ACCENT)
        self.rect(0, 0, self.w, 5, style="F")
        self.set_y(13)
        self.set_font(FONT, "", 9)
        self.set_text_color(*MUTED)
        self.cell(0, 5, labels.text("publisher", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 19)
        self.cell(0, 10, labels.text("title", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 11)
        self.set_text_color(*MUTED)
        self.cell(0, 6, labels.text("title_other", lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 12)
        self.cell(0, 7, _month_title(r.month, lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{labels.text('period', lang)}: {labels.period(r, lang)}",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        self.set_text_color(*INK)
        note = labels.month_to_date_note(r, lang)
        if note:
            self.ln(1.5)
            self.set_draw_color(*WARN)
            self.set_text_color(*WARN)
            self.set_font(FONT, "B", 9)
            self.cell(0, 7, note, border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*INK)
        self.ln(1)

    def headline(self) -> None:
        lang, area = self.report_lang, self.report.city
        f = area.figures
        self.section(labels.text("headline", lang))
        changes = (
            f"{labels.text('mom', lang)} "
            f"{labels.fmt_change(labels.change(area.previous_month, f.total_bytes))}",
            f"{labels.text('yoy', lang)} "
            f"{labels.fmt_change(labels.change(area.previous_year, f.total_bytes))}",
        )
        won = "원" if lang == "ko" else " KRW"
        boxes: list[tuple[str, str, str | None]] = [
            (labels.text("usage_tb", lang), labels.fmt_tb(f.total_bytes), None),
            (labels.text("sessions", lang), labels.fmt_int(f.sessions), None),
            (labels.text("krw", lang), labels.fmt_int(f.krw) + won, None),
            (labels.text("coverage", lang), labels.fmt_pct(f.coverage),
             f"AP {labels.fmt_int(f.aps)} · {labels.text('aps_with_gaps', lang)} "
             f"{labels.fmt_int(f.aps_with_gaps)}"),
            (labels.text("availability", lang), labels.fmt_pct(f.availability), None),
            (labels.text("changes", lang), changes[0], changes[1]),
        ]  # fmt: skip
        gap, cols, height = 3.5, 3, 19.0
        width = (self.epw - gap * (cols - 1)) / cols
        top = self.get_y()
        for i, (label, value, sub) in enumerate(boxes):
            x = self.l_margin + (i % cols) * (width + gap)
            y = top + (i // cols) * (height + gap)
            self.set_fill_color(*ZEBRA)
            self.set_draw_color(*RULE)
            self.set_line_width(0.2)
            self.rect(x, y, width, height, style="DF")
            self.set_fill_color(*ACCENT)
            self.rect(x, y, 1.2, height, style="F")
            self.set_xy(x + 4, y + 2)
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            self.cell(width - 6, 4, label)
            self.set_xy(x + 4, y + 6.5)
            self.set_text_color(*INK)
            big = 13.0 if i != 5 else 10.0
            self.fitted(width - 6, 7, value, "B", big)
            if sub:
                self.set_xy(x + 4, y + 13)
                if i == 5:
                    self.fitted(width - 6, 4.5, sub, "B", big)
                else:
                    self.set_text_color(*MUTED)
                    self.fitted(width - 6, 4.5, sub, "", 7.5)
                self.set_text_color(*INK)
        self.set_xy(self.l_margin, top + 2 * height + gap + 2)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        est = labels.text("estimate_note", lang, tb=labels.fmt_tb(f.est_bytes),
                          krw=labels.fmt_int(f.est_krw))  # fmt: skip
        self.cell(0, 5, est, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def daily_chart(self, area: AreaReport, height: float = 42.0) -> None:
        lang = self.report_lang
        self.section(labels.text("daily_chart", lang))
        values = [labels.tb(d.figures.total_bytes) for d in area.daily]
        if self.will_page_break(height + 12):
            self.add_page()
        top = self.get_y()
        axis_w = 14.0
        left, right = self.l_margin + axis_w, self.w - self.r_margin
        bottom = top + height
        step, ticks = _ticks(max(values, default=Decimal(0)))
        scale_top = step * ticks
        self.set_font(FONT, "", 7)
        self.set_draw_color(*RULE)
        self.set_line_width(0.15)
        decimals = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
        for k in range(ticks + 1):
            y = bottom - height * k / ticks
            self.line(left, y, right, y)
            self.set_xy(self.l_margin, y - 2)
            self.set_text_color(*MUTED)
            self.cell(axis_w - 1.5, 4, f"{step * k:,.{decimals}f}", align="R")
        n = max(len(values), 1)
        slot = (right - left) / n
        bar = slot * 0.68
        self.set_fill_color(*BAR)
        for i, (day, value) in enumerate(zip(area.daily, values, strict=True)):
            x = left + i * slot + (slot - bar) / 2
            h = height * float(value / scale_top) if scale_top > 0 else 0.0
            if h > 0:
                self.rect(x, bottom - h, bar, h, style="F")
            self.set_xy(left + i * slot, bottom + 0.8)
            self.cell(slot, 3.5, str(day.day.day), align="C")
        self.set_draw_color(*INK)
        self.set_line_width(0.3)
        self.line(left, bottom, right, bottom)
        self.set_xy(left, bottom + 4.5)
        self.set_font(FONT, "", 7)
        first = area.daily[0].day.isoformat() if area.daily else ""
        last = area.daily[-1].day.isoformat() if area.daily else ""
        self.cell(right - left, 4, f"{labels.text('day', lang)}: {first} ~ {last} (KST)",
                  align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        self.set_text_color(*INK)
        self.ln(1)

    def tariff_and_method(self) -> None:
        lang = self.report_lang
        self.section(labels.text("tariff", lang))
        for line in labels.tariff_lines(self.report, lang):
            self.paragraph(line, size=8.5, height=4.4)
        self.section(labels.text("methodology", lang))
        for body in labels.methodology(self.report, lang):
            self.paragraph(body)

    # --- tables ------------------------------------------------------------------------------

    def table_of(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        aligns: Sequence[str],
        bold_last: bool = False,
        size: float = 8.5,
    ) -> None:
        self.set_font(FONT, "", size)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.set_fill_color(*ZEBRA)  # the zebra rows' text cells fill with the current colour
        head = FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=INK)
        with self.table(
            col_widths=tuple(widths),
            text_align=tuple(aligns),
            headings_style=head,
            borders_layout="HORIZONTAL_LINES",
            cell_fill_color=ZEBRA,
            cell_fill_mode="ROWS",
            line_height=5.6 * size / 8.5,
            padding=(0.6, 1.6, 0.6, 1.6),
            width=self.epw,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(text)
            for i, values in enumerate(rows):
                total = bold_last and i == len(rows) - 1
                style = FontFace(emphasis="BOLD", fill_color=HEAD_FILL) if total else None
                row = table.row(style=style)
                for text in values:
                    row.cell(text)
        self.ln(2)

    def districts(self) -> None:
        lang, r = self.report_lang, self.report
        self.add_page()
        self.section(f"{labels.text('districts', lang)} · {_month_title(r.month, lang)}")
        keys = ("area", "usage_tb", "sessions", "krw", "coverage", "change_prev_month",
                "change_prev_year")  # fmt: skip
        rows = [_area_row(a, lang) for a in r.districts]
        total = _area_row(r.city, lang)
        total[0] = labels.text("city_total", lang)
        rows.append(total)
        self.table_of([labels.text(k, lang) for k in keys], rows,
                      (30, 22, 24, 32, 18, 20, 24), ("LEFT",) + ("RIGHT",) * 6,
                      bold_last=True)  # fmt: skip
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 4, _table_note(lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def sites_and_mounts(self, area: AreaReport) -> None:
        lang = self.report_lang
        if area.top_sites:
            self.section(f"{area_title(area, lang)} · {labels.text('top_sites', lang)}",
                         need=ROW_MM * (len(area.top_sites) + 1))  # fmt: skip
            keys = ("rank", "site_name", "mount", "usage_tb", "sessions", "krw", "coverage")
            rows = [
                [str(i), s.name, labels.mount_name(s.mount, lang),
                 labels.fmt_tb(s.figures.total_bytes), labels.fmt_int(s.figures.sessions),
                 labels.fmt_int(s.figures.krw), labels.fmt_pct(s.figures.coverage)]
                for i, s in enumerate(area.top_sites, start=1)
            ]  # fmt: skip
            aligns = ("CENTER", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
            widths = (12, 50, 30, 22, 20, 28, 18)
            self.table_of([labels.text(k, lang) for k in keys], rows, widths, aligns)
        if area.by_mount:
            self.section(f"{area_title(area, lang)} · {labels.text('by_mount', lang)}",
                         need=ROW_MM * (len(area.by_mount) + 2))  # fmt: skip
            mount_keys = ("mount", "aps", "usage_tb", "sessions", "krw", "coverage")
            rows = [
                [labels.mount_name(m.mount, lang), labels.fmt_int(m.figures.aps),
                 labels.fmt_tb(m.figures.total_bytes), labels.fmt_int(m.figures.sessions),
                 labels.fmt_int(m.figures.krw), labels.fmt_pct(m.figures.coverage)]
                for m in area.by_mount
            ]  # fmt: skip
            name = area_title(area, lang)
            if area is self.report.city:
                name = labels.text("city_total", lang)
            total = [name, *_mount_cells(area)]
            rows.append(total)
            self.table_of([labels.text(k, lang) for k in mount_keys], rows,
                          (40, 20, 28, 30, 36, 26), ("LEFT",) + ("RIGHT",) * 5,
                          bold_last=True)  # fmt: skip

    # --- the Wi-Fi 6 rollout ----------------------------------------------------------------

    def rollout(self) -> None:
        lang, section = self.report_lang, self.report.rollout
        if section is None:
            if self.will_page_break(12):
                self.add_page()
            self.ln(3)
            self.set_font(FONT, "B", 9.5)
            self.set_text_color(*ACCENT)
            self.multi_cell(0, 5, labels.text("rollout_none", lang),
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
            self.set_text_color(*INK)
            return
        self.add_page()
        month = _month_title(self.report.month, lang)
        self.section(f"{labels.text('rollout_title', lang)} · {month}")
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, labels.rollout_as_of(section, lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        for warning in labels.rollout_warnings(section, lang):
            self.set_text_color(*WARN)
            self.set_font(FONT, "B", 8.5)
            self.multi_cell(0, 4.6, warning, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*INK)
        self.ln(1)
        self._rollout_totals(section)
        self._rollout_installs(section)
        self.section(labels.text("rollout_method", lang), need=40)
        for body in labels.rollout_method(section, lang):
            self.paragraph(body)
        self._rollout_districts(section)

    def _rollout_totals(self, section: RolloutSection) -> None:
        lang = self.report_lang
        self.section(labels.text("rollout_totals", lang), need=ROW_MM * 15)
        kinds = section.kinds
        rows = [
            [labels.text("target", lang), *(labels.fmt_opt(k.target) for k in kinds)],
            [labels.text("plan_aps", lang), *(labels.fmt_int(k.counts.aps) for k in kinds)],
            [labels.text("done", lang), *(labels.fmt_int(k.counts.done) for k in kinds)],
            [labels.text("done_of_target", lang),
             *(labels.fmt_pct(k.done_of_target) for k in kinds)],
            [labels.text("done_of_plan", lang), *(labels.fmt_pct(k.done_of_plan) for k in kinds)],
            [labels.text("installed_in_month", lang),
             *(labels.fmt_int(k.counts.installed_in_month) for k in kinds)],
        ]  # fmt: skip
        for state in ("planned", "due", "overdue", "installed", "verified", "regressed", "drift"):
            rows.append([labels.state_label(state, lang),
                         *(labels.fmt_int(getattr(k.counts, state)) for k in kinds)])  # fmt: skip
        headings = [labels.text("item", lang), *(labels.kind_name(k.kind, lang) for k in kinds)]
        self.table_of(headings, rows, (72, 34, 34, 34), ("LEFT", "RIGHT", "RIGHT", "RIGHT"))
        if section.drift_outside:
            self.set_font(FONT, "", 8)
            self.cell(0, 5, labels.text("drift_outside", lang,
                                        n=labels.fmt_int(section.drift_outside)),
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip

    def _rollout_districts(self, section: RolloutSection) -> None:
        lang = self.report_lang
        self.section(labels.text("rollout_districts", lang),
                     need=ROW_MM * (len(section.districts) + 3))  # fmt: skip
        headings = [labels.text(k, lang) for k in ("area", "plan_aps", "done")]
        headings += [labels.state_name(s, lang) for s in ("verified", "overdue", "regressed",
                                                          "drift")]  # fmt: skip
        headings.append(labels.text("installed_in_month", lang))
        rows = [
            [labels.both_names(d.name_ko, d.name_en, lang), *_rollout_cells(d.counts)]
            for d in section.districts
        ]
        rows.append([labels.text("city_total", lang), *_rollout_cells(section.total.counts)])
        self.table_of(headings, rows, (44, 18, 18, 18, 18, 20, 20, 18),
                      ("LEFT",) + ("RIGHT",) * 7, bold_last=True)  # fmt: skip

    def _rollout_installs(self, section: RolloutSection) -> None:
        lang = self.report_lang
        title = f"{labels.text('rollout_installs', lang)} ({labels.fmt_int(len(section.installs))})"
        if not section.installs:
            self.section(title, need=8)
            self.paragraph(labels.text("rollout_no_installs", lang), size=8.5)
            return
        self.section(title, need=ROW_MM * min(len(section.installs) + 2, 8))
        keys = ("ap", "area", "kind", "installed_on", "state", "pdf_traffic_before",
                "pdf_traffic_after", "pdf_polls_before", "pdf_polls_after")  # fmt: skip
        rows = []
        for i in section.installs[:PDF_INSTALLS]:
            before, after = i.before, i.after
            rows.append([
                i.ap_id,
                i.district_ko if lang == "ko" else i.district_en,
                labels.kind_name(i.kind, lang),
                i.installed_at.astimezone(labels.KST).date().isoformat(),
                labels.state_name(i.state, lang),
                labels.fmt_gb(before.traffic_per_day if before else None),
                labels.fmt_gb(after.traffic_per_day if after else None),
                labels.fmt_pct(labels.share(before.poll_success if before else None)),
                labels.fmt_pct(labels.share(after.poll_success if after else None)),
            ])  # fmt: skip
        self.table_of([labels.text(k, lang) for k in keys], rows,
                      (25, 27, 20, 18, 16, 17, 17, 17, 17),
                      ("LEFT", "LEFT", "LEFT", "LEFT", "LEFT") + ("RIGHT",) * 4,
                      size=7.5)  # fmt: skip
        hidden = len(section.installs) - PDF_INSTALLS
        if hidden > 0:
            self.paragraph(labels.text("rollout_more_installs", lang, n=labels.fmt_int(hidden)))


def _rollout_cells(counts: RolloutCounts) -> list[str]:
    return [labels.fmt_int(n) for n in (counts.aps, counts.done, counts.verified, counts.overdue,
                                         counts.regressed, counts.drift,
                                         counts.installed_in_month)]  # fmt: skip


def area_title(area: AreaReport, lang: str) -> str:
    return labels.area_name(area, lang)


def _mount_cells(area: AreaReport) -> list[str]:
    f = area.figures
    return [labels.fmt_int(f.aps), labels.fmt_tb(f.total_bytes), labels.fmt_int(f.sessions),
            labels.fmt_int(f.krw), labels.fmt_pct(f.coverage)]  # fmt: skip


def _area_row(area: AreaReport, lang: str) -> list[str]:
    f = area.figures
    return [
        labels.area_name(area, lang),
        labels.fmt_tb(f.total_bytes),
        labels.fmt_int(f.sessions),
        labels.fmt_int(f.krw),
        labels.fmt_pct(f.coverage),
        labels.fmt_change(labels.change(area.previous_month, f.total_bytes)),
        labels.fmt_change(labels.change(area.previous_year, f.total_bytes)),
    ]


def _table_note(lang: str) -> str:
    if lang == "ko":
        return (
            "이용량 1 TB = 10^12 바이트. 절감액은 원 단위로 반올림했으며 자치구 합계는 서울특별시 "
            "전체와 원 단위까지 일치합니다. 증감률은 이용량(바이트) 기준이며, '-'는 비교할 자료가 "
            "없음을 뜻합니다. 추정치(미수집 시간)는 표의 수치에 포함하지 않았습니다."
        )
    return (
        "1 TB = 10^12 bytes. Savings are rounded to whole won; the districts add up to the city "
        "to the won. Changes are of usage (bytes); '-' means there is nothing to compare with. "
        "Estimates for uncovered time are not included in these figures."
    )


def _ticks(top: Decimal, most: int = 5) -> tuple[Decimal, int]:
    """A round step (1, 2, 2.5 or 5 x 10^k) and how many of them reach ``top`` (chart axis)."""
    if top <= 0:
        return Decimal(1), 1
    raw = float(top) / most
    power = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        step = factor * power
        if step * most >= top:
            return step, max(1, math.ceil(top / step))
    return Decimal(10) * power, most  # pragma: no cover - 10 x power always reaches


_prepared: list[_Report] = []  # at most one blank document, made by prepare()


def prepare(font_dir: Path = FONT_DIR) -> None:
    """Parse the fonts into a blank document now (a writer process does this when it starts,
    while the report is being built); the next :func:`write_pdf` uses it."""
    _prepared[:] = [_Report(font_dir)]


def write_pdf(report: MonthlyReport, path: Path, lang: str, font_dir: Path = FONT_DIR) -> Path:
    labels.check_lang(lang)
    spare = _prepared.pop() if _prepared else None
    pdf = spare if spare is not None and spare.font_dir == font_dir else _Report(font_dir)
    pdf.begin(report, lang)
    pdf.add_page()
    pdf.title_block()
    pdf.headline()
    pdf.daily_chart(report.city)
    pdf.tariff_and_method()
    pdf.districts()
    pdf.sites_and_mounts(report.city)
    pdf.rollout()
    subset_log = logging.getLogger("fontTools.subset")
    level = subset_log.level
    subset_log.setLevel(logging.ERROR)  # "TSI0 NOT subset": hinting sources, harmless
    try:
        pdf.output(str(path))
    finally:
        subset_log.setLevel(level)
    return path
