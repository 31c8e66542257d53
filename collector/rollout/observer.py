"""Feeds the rollout store from the SNMP samples the collector accounts (live and backfill).

Per answered sample: the model the AP names (``""`` if it names none), recorded when it
changes and refreshed hourly (so "last seen" stays within an hour); the day's peak client
count (AP total, else the sum over radios), recorded when it rises; a reboot when sysUpTime went
backwards since the AP's previous sample. Times are the samples' own (a backfill records
history at the instants it covers). Everything is kept in memory and written in one
transaction per :meth:`RolloutObserver.flush` (the collector flushes at most every
``flush_every_s`` at the end of a cycle, and on close): a crash loses at most that much of
these observations, never the ledger's points.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from collector.poll.sample import Sample
from collector.rollout.quarters import kst_day
from collector.rollout.store import DayObservation, RolloutStore, Sighting

REFRESH_S = 3600.0
NS = 1_000_000_000


class RolloutObserver:
    def __init__(
        self,
        store: RolloutStore,
        *,
        flush_every_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.flush_every_s = flush_every_s
        self._clock = clock
        self._last_flush = clock()
        self._model: dict[str, tuple[str, float]] = {}  # ap -> (model, when last recorded)
        self._peak: dict[str, tuple[int, int]] = {}  # ap -> (day, peak so far)
        self._uptime: dict[str, int] = {}
        self._sightings: dict[tuple[str, str], Sighting] = {}
        self._days: dict[tuple[str, int], DayObservation] = {}

    def observe(self, sample: Sample) -> None:
        if not sample.up:
            return
        ap, at = sample.ap_id, sample.time_ns / NS
        model = sample.model or ""
        known = self._model.get(ap)
        if known is None or known[0] != model or at - known[1] >= REFRESH_S:
            self._model[ap] = (model, at)
            pending = self._sightings.get((ap, model))
            first = at if pending is None else min(pending.first_seen, at)
            self._sightings[(ap, model)] = Sighting(ap, "snmp", model, sample.firmware, first, at)
        day = kst_day(at)
        reboots = 0
        if sample.uptime is not None:
            before = self._uptime.get(ap)
            if before is not None and sample.uptime < before:
                reboots = 1
            self._uptime[ap] = sample.uptime
        clients = _clients(sample)
        seen_day, peak = self._peak.get(ap, (day, -1))
        if seen_day != day:
            peak = -1
        if (clients is not None and clients > peak) or reboots:
            peak = max(peak, clients if clients is not None else 0)
            self._peak[ap] = (day, peak)
            old = self._days.get((ap, day))
            self._days[(ap, day)] = DayObservation(
                ap, day, peak, reboots + (old.reboots if old is not None else 0)
            )

    def end_cycle(self) -> None:
        """Flush if ``flush_every_s`` has passed since the last flush."""
        if self._clock() - self._last_flush >= self.flush_every_s:
            self.flush()

    def flush(self) -> None:
        sightings, days = list(self._sightings.values()), list(self._days.values())
        self._sightings, self._days = {}, {}
        self._last_flush = self._clock()
        self.store.record(sightings, days)


def _clients(sample: Sample) -> int | None:
    if sample.clients is not None:
        return sample.clients
    counts = [r.clients for r in sample.radios if r.clients is not None and r.band != "wired"]
    return sum(counts) if counts else None
