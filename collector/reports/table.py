"""The monthly report as one computed table: every format is written from this, so none disagree.

Built by :mod:`collector.reports.build` from the ledger and the tariff book; written by the
writers in :mod:`collector.reports.writers` (CSV, XLSX, PDF, open data). Writers format, they
never compute: every number they print is a field here.

Units: bytes are exact integers (1 TB = 10^12 bytes, decimal units); money is whole KRW (won),
rounded half-even once, at the end (:mod:`collector.savings.money`); rows of one table are
apportioned so they add up to their total to the won, and ``krw_exact`` keeps the unrounded sum.
Measured figures and the estimate for uncovered time are separate fields, never added together.

The Wi-Fi 6 rollout section (:class:`RolloutSection`, built by :mod:`collector.reports.rollout`)
is the programme's status as of the report's end; ``MonthlyReport.rollout`` is None when the
inventory has no programme.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from collector.rollout.state import Figures as ApFigures
from collector.savings.figures import BYTES_PER_TB, Figures

__all__ = [
    "BYTES_PER_TB",
    "ApFigures",
    "AreaReport",
    "Comparison",
    "DayRow",
    "Figures",
    "MonthlyReport",
    "MountRow",
    "RolloutCounts",
    "RolloutDistrict",
    "RolloutInstall",
    "RolloutKind",
    "RolloutSection",
    "SiteRow",
    "TariffUse",
]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The same group's measured totals in another month (None where the ledger has none)."""

    month: str  # "2026-10"
    total_bytes: int
    sessions: int
    krw: int
    coverage: Decimal | None

    def change(self, now: int) -> Decimal | None:
        """Relative change from this month to ``now`` (0.25 = +25 %), None if this is zero."""
        if self.total_bytes == 0:
            return None
        return (Decimal(now) - Decimal(self.total_bytes)) / Decimal(self.total_bytes)


@dataclass(frozen=True, slots=True)
class SiteRow:
    site: str  # site id
    name: str  # as in the inventory
    mount: str  # collector.inventory.model.Mount value
    figures: Figures


@dataclass(frozen=True, slots=True)
class MountRow:
    mount: str  # Mount value: smart_pole, streetlight_pole, ...
    figures: Figures


@dataclass(frozen=True, slots=True)
class DayRow:
    day: dt.date  # KST calendar day
    figures: Figures


@dataclass(frozen=True, slots=True)
class AreaReport:
    """The city (code ``11000``, 서울특별시) or one of the 25 gu."""

    code: str  # 시군구 코드; 11000 for the whole city
    name_en: str
    name_ko: str
    figures: Figures
    previous_month: Comparison | None
    previous_year: Comparison | None  # same month a year earlier
    top_sites: tuple[SiteRow, ...]  # by measured bytes, most first
    by_mount: tuple[MountRow, ...]  # every mount type present, smart poles first
    daily: tuple[DayRow, ...]  # every day of the period, in order


@dataclass(frozen=True, slots=True)
class TariffUse:
    """A tariff entry in force for part of the month."""

    id: str
    krw_per_gb: Decimal
    counts: tuple[str, ...]  # which bytes are priced: ("rx", "tx")
    first_day: dt.date  # first day of the month it priced
    last_day: dt.date  # last day of the month it priced (inclusive)
    source: str
    method: str


@dataclass(frozen=True, slots=True)
class RolloutCounts:
    """APs of the Wi-Fi 6 programme (or of one kind or district of it), by state at the end.

    ``aps`` are all the APs the plan puts there; the states (:mod:`collector.rollout.state`)
    add up to it. ``planned`` is the *state* (its quarter has not begun), not the plan.
    """

    aps: int  # in the plan, every state
    planned: int  # 계획: its quarter has not begun
    due: int  # 진행 분기: its quarter has begun, the planned model has not answered yet
    overdue: int  # 지연: its quarter is over, the planned model has not answered
    installed: int  # 설치됨: the planned model answers, not verified yet
    verified: int  # 검증됨: the 7 days after the install were good
    regressed: int  # 성능 저하: the days after are worse than the days before
    drift: int  # 불일치: answers as neither the inventory's model nor the planned one
    installed_in_month: int  # of these, installed during the report's period

    @property
    def done(self) -> int:
        """Installed in any form: installed, verified or regressed (the programme's "done")."""
        return self.installed + self.verified + self.regressed


@dataclass(frozen=True, slots=True)
class RolloutKind:
    """The programme's total for one kind (``replacement`` 교체, ``new`` 신설) or ``all``."""

    kind: str  # "replacement" | "new" | "all"
    target: int | None  # the press release's figure (2025: 450 + 280); None without one
    counts: RolloutCounts
    done_of_target: Decimal | None  # counts.done / target
    done_of_plan: Decimal | None  # counts.done / counts.aps


@dataclass(frozen=True, slots=True)
class RolloutDistrict:
    code: str
    name_en: str
    name_ko: str
    counts: RolloutCounts


@dataclass(frozen=True, slots=True)
class RolloutInstall:
    """A programme AP installed during the report's period, with its before/after figures."""

    ap_id: str
    district_code: str
    district_en: str
    district_ko: str
    site: str  # site id
    site_name: str
    kind: str  # "replacement" | "new"
    quarter: str  # the planned quarter, "2025Q3"
    installed_at: dt.datetime  # aware (KST): when the planned model first answered
    state: str  # as of the report's end: installed, verified or regressed
    before: ApFigures | None  # the 14 KST days before the install day (replacements only)
    after: ApFigures | None  # up to 14 KST days after it, those closed by the report's end


@dataclass(frozen=True, slots=True)
class RolloutSection:
    """The Wi-Fi 6 programme as of ``as_of`` (the report's end), as the rollout computes it."""

    as_of: int  # epoch seconds: the report's end (the month's end, or the as-of hour)
    years: tuple[int, ...]  # the programme's years (of its quarters)
    kinds: tuple[RolloutKind, ...]  # replacement, new, then all
    districts: tuple[RolloutDistrict, ...]  # the 25 gu in code order (then any other code)
    installs: tuple[RolloutInstall, ...]  # installed during the period, oldest first
    drift_outside: int  # APs outside the programme answering as an unexpected model
    observed: bool  # a rollout store was read (without one no AP can be seen installed)
    ledger: bool  # the ledger's daily copy was read (without it no before/after figures)

    @property
    def total(self) -> RolloutKind:
        return self.kinds[-1]


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    month: str  # "2026-11" (KST)
    start: int  # epoch seconds, KST midnight of the 1st
    end: int  # epoch seconds, exclusive: next month's 1st, or the as-of hour for month to date
    month_to_date: bool
    generated_at: dt.datetime  # aware
    software_version: str
    tariffs: tuple[TariffUse, ...]
    rounding: str  # the one rounding rule, stated
    estimate_method: str  # how est_bytes is made, stated
    city: AreaReport
    districts: tuple[AreaReport, ...]  # the 25 gu in code order
    rollout: RolloutSection | None = None  # None: the inventory has no Wi-Fi 6 programme
