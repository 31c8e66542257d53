"""The monthly report as one computed table: every format is written from this, so none disagree.

Built by :mod:`collector.reports.build` from the ledger and the tariff book; written by the
writers in :mod:`collector.reports.writers` (CSV, XLSX, PDF, open data). Writers format, they
never compute: every number they print is a field here.

Units: bytes are exact integers (1 TB = 10^12 bytes, decimal units); money is whole KRW (won),
rounded half-even once, at the end (:mod:`collector.savings.money`); rows of one table are
apportioned so they add up to their total to the won, and ``krw_exact`` keeps the unrounded sum.
Measured figures and the estimate for uncovered time are separate fields, never added together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from collector.savings.figures import BYTES_PER_TB, Figures

__all__ = [
    "BYTES_PER_TB",
    "AreaReport",
    "Comparison",
    "DayRow",
    "Figures",
    "MonthlyReport",
    "MountRow",
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
