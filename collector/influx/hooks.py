"""The metrics seam of the write path: a small callback interface, no Prometheus import here.

collector/metrics.py implements :class:`SpoolMetrics` with Prometheus counters and gauges;
tests use :class:`CountingMetrics`; :class:`NoMetrics` ignores everything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol


class SpoolMetrics(Protocol):
    """What the spool, shipper and writers report. Every loss path has a method."""

    def points_written(self, n: int) -> None:
        """``n`` lines the database accepted."""

    def points_set_aside(self, n: int, reason: str) -> None:
        """``n`` lines refused as bad points (``reason``: a short label, e.g. ``nan_inf``)."""

    def points_dropped(self, n: int) -> None:
        """``n`` lines lost because the spool passed its byte cap (the oldest go first)."""

    def spool_depth(self, lines: int, bytes_: int) -> None:
        """Lines not yet written, and the spool's size on disk."""

    def write_retried(self, reason: str) -> None:
        """A failed write that will be retried (``http_503``, ``connection``, ``config_error``)."""

    def torn_groups_discarded(self, groups: int, lines: int) -> None:
        """Groups (and the lines they held, if known) cut off by a crash, found on reopen."""


class NoMetrics:
    """A :class:`SpoolMetrics` that records nothing."""

    def points_written(self, n: int) -> None:
        pass

    def points_set_aside(self, n: int, reason: str) -> None:
        pass

    def points_dropped(self, n: int) -> None:
        pass

    def spool_depth(self, lines: int, bytes_: int) -> None:
        pass

    def write_retried(self, reason: str) -> None:
        pass

    def torn_groups_discarded(self, groups: int, lines: int) -> None:
        pass


@dataclass
class CountingMetrics:
    """A :class:`SpoolMetrics` that keeps plain totals (tests, benchmarks, summaries)."""

    written: int = 0
    set_aside: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    depth_lines: int = 0
    depth_bytes: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    torn_groups: int = 0
    torn_lines: int = 0

    def points_written(self, n: int) -> None:
        self.written += n

    def points_set_aside(self, n: int, reason: str) -> None:
        self.set_aside[reason] += n

    def points_dropped(self, n: int) -> None:
        self.dropped += n

    def spool_depth(self, lines: int, bytes_: int) -> None:
        self.depth_lines, self.depth_bytes = lines, bytes_

    def write_retried(self, reason: str) -> None:
        self.retries[reason] += 1

    def torn_groups_discarded(self, groups: int, lines: int) -> None:
        self.torn_groups += groups
        self.torn_lines += lines
