"""One row of savings: measured bytes, sessions and KRW, the estimate beside them, coverage.

Shared by ``pubwifi savings`` (:mod:`collector.savings.compute`) and the monthly report
(:mod:`collector.reports.table`), so the CLI, the report and the UI print the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BYTES_PER_TB = 10**12


@dataclass(frozen=True, slots=True)
class Figures:
    """What one row reports: the city, a district, a site, a mount type or a day."""

    rx_bytes: int
    tx_bytes: int
    sessions: int
    krw: int  # measured bytes priced, whole won (apportioned within its table)
    krw_exact: Decimal  # the same, unrounded
    est_bytes: int  # estimate for the uncovered AP-seconds (never part of the measured bytes)
    est_krw: int
    aps: int  # APs expected to carry traffic (polled lifecycle states)
    aps_with_gaps: int  # of those, APs whose ledger does not cover the whole period
    covered_ap_s: int  # AP-seconds the ledger covers
    expected_ap_s: int  # aps x seconds of the period
    polls: int | None = None  # polls made / answered (availability); None if not in the ledger
    polls_up: int | None = None

    @property
    def total_bytes(self) -> int:
        return self.rx_bytes + self.tx_bytes

    @property
    def tb(self) -> Decimal:
        return Decimal(self.total_bytes) / BYTES_PER_TB

    @property
    def coverage(self) -> Decimal | None:
        """Share of expected AP-seconds covered (0..1), or None when nothing was expected."""
        if self.expected_ap_s <= 0:
            return None
        return Decimal(self.covered_ap_s) / Decimal(self.expected_ap_s)

    @property
    def availability(self) -> Decimal | None:
        """Share of polls answered (0..1), or None when unknown."""
        if not self.polls or self.polls_up is None:
            return None
        return Decimal(self.polls_up) / Decimal(self.polls)
