"""Stable polling phases: each AP is polled at the same offset within every interval.

An AP's offset is a stable hash of its id (not Python's ``hash``), so polls spread evenly over
the interval, survive restarts and agree between hosts. :meth:`PhasePlan.due` answers which
APs fell due in a window of wall-clock time, so a late or coalesced tick catches up with every
AP it covers instead of skipping any (no AP misses a cycle because a tick ran late).

APs whose platform has only 32-bit octet counters can be given a shorter period: at 300 s a
busy radio can wrap a Counter32 more than once, and then no delta is exact.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.inventory.model import AccessPoint


def phase_fraction(ap_id: str) -> float:
    """A stable number in [0, 1) for ``ap_id``."""
    digest = hashlib.blake2b(ap_id.encode(), digest_size=8, person=b"pubwifi-phase").digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class _Group:
    period: float
    offsets: tuple[float, ...]  # sorted, in [0, period)
    aps: tuple[AccessPoint, ...]  # in offset order


class PhasePlan:
    """Which APs are due in a time window, for one or more polling periods."""

    def __init__(self, groups: Iterable[tuple[float, Sequence[AccessPoint]]]) -> None:
        self.groups: list[_Group] = []
        for period, aps in groups:
            if period <= 0:
                raise ValueError("a polling period must be positive")
            ordered = sorted(aps, key=lambda ap: phase_fraction(ap.id))
            offsets = tuple(phase_fraction(ap.id) * period for ap in ordered)
            self.groups.append(_Group(period, offsets, tuple(ordered)))

    def __len__(self) -> int:
        return sum(len(group.aps) for group in self.groups)

    def due(self, start: float, end: float) -> list[AccessPoint]:
        """APs whose phase falls in (start, end] (epoch seconds); at most once per period."""
        due: list[AccessPoint] = []
        for group in self.groups:
            span = end - start
            if span <= 0:
                continue
            if span >= group.period:  # a whole period or more passed: everyone once
                due.extend(group.aps)
                continue
            low, high = start % group.period, end % group.period
            if low < high:
                due.extend(_between(group, low, high))
            else:  # the window wraps around the period boundary
                due.extend(_between(group, low, group.period))
                due.extend(_between(group, -1.0, high))
        return due


def _between(group: _Group, low: float, high: float) -> tuple[AccessPoint, ...]:
    """APs with low < offset <= high."""
    first = bisect.bisect_right(group.offsets, low)
    last = bisect.bisect_right(group.offsets, high)
    return group.aps[first:last]
