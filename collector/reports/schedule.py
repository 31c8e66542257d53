"""Last month's report, made by the collector on the 1st at 06:00 KST (or at the next start).

:func:`due_month` says which month is due at a given time: the previous KST month, from the 1st
at 06:00 (six hours after the month's last ledger day closed), as long as no revision of it
exists yet. The collector checks every few minutes and at start, so a run missed while it was
down is made when it comes back. A month that cannot be made (no data in the ledger: a fresh
install) is logged once and not retried until the collector restarts.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from collector.errors import InputError
from collector.reports import store

log = logging.getLogger(__name__)
KST = dt.timezone(dt.timedelta(hours=9), "KST")
RUN_AT_HOUR = 6  # KST, on the 1st


def due_month(now: float, root: Path) -> str | None:
    """The month whose report is due at ``now`` and not yet made, or None."""
    local = dt.datetime.fromtimestamp(now, KST)
    if local.day == 1 and local.hour < RUN_AT_HOUR:
        local -= dt.timedelta(days=1)  # before 06:00 on the 1st: the month before last is due
    first = local.replace(day=1)
    previous = first - dt.timedelta(days=1)
    month = f"{previous.year:04d}-{previous.month:02d}"
    return None if store.revisions(root, month) else month


@dataclass
class MonthlyReportJob:
    """The scheduler's job: ``make(month)`` produces and publishes a revision."""

    root: Path
    make: Callable[[str], object]
    clock: Callable[[], float] = time.time
    _given_up: set[str] = field(default_factory=set)

    def __call__(self) -> str | None:
        month = due_month(self.clock(), self.root)
        if month is None or month in self._given_up:
            return None
        try:
            self.make(month)
        except InputError as error:
            self._given_up.add(month)
            log.warning("monthly report %s not made: %s", month, error)
            return None
        log.info("monthly report %s made under %s", month, self.root / month)
        return month
