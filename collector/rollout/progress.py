"""The programme's state as time-series points, for Grafana: ``rollout_progress`` per district x
quarter x kind, counted from ``pubwifi rollout status``'s rows.

The collector writes a snapshot at most once an hour (:class:`ProgressSnapshots`), through the
same spool as every other point; the latest point of each series is the current state, and the
series over time is the programme's progress.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from collector.influx.schema import ROLLOUT_PROGRESS
from collector.rollout.state import ApRollout, State

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 3600
_DONE = (State.INSTALLED, State.VERIFIED, State.REGRESSED)


def progress_lines(rows: Iterable[ApRollout], seconds: int) -> list[str]:
    """One ``rollout_progress`` line per (district, quarter, kind) with a programme AP."""
    counts: dict[tuple[str, str, str], Counter[State]] = {}
    for row in rows:
        if row.kind is None or row.quarter is None:
            continue  # drift outside the programme: not a cell of the plan
        counts.setdefault((row.district, row.quarter, row.kind), Counter())[row.state] += 1
    lines = []
    for (district, quarter, kind), states in sorted(counts.items()):
        prefix = ROLLOUT_PROGRESS.prefix({"district": district, "quarter": quarter, "kind": kind})
        values: dict[str, int | None] = {
            "planned_aps": sum(states.values()),
            "done": sum(states[s] for s in _DONE),
        }
        values.update({state.value: states[state] for state in State})
        lines.append(ROLLOUT_PROGRESS.line(prefix, values, seconds))
    return lines


class ProgressSnapshots:
    """Hourly snapshots: ``rows()`` computes the status, ``append`` takes the lines (a spool)."""

    def __init__(
        self,
        rows: Callable[[float], Sequence[ApRollout]],
        append: Callable[[list[str]], object],
        every_s: float = SNAPSHOT_EVERY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rows = rows
        self._append = append
        self._every_s = every_s
        self._clock = clock
        self._last: float | None = None

    def __call__(self) -> int:
        """Write a snapshot if one is due; the number of lines written."""
        now = self._clock()
        if self._last is not None and now - self._last < self._every_s:
            return 0
        lines = progress_lines(self._rows(now), int(now))
        if lines:
            self._append(lines)
        self._last = now
        log.info("rollout progress: %d district x quarter x kind points", len(lines))
        return len(lines)
