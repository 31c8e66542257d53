"""Polling one AP: identify it, find its radios when needed, one GET, one :class:`Sample`.

Steady state is a single GET (sysObjectID, the profile's scalars, every radio column). First
contact, a reboot (sysUpTime went back), a swap (sysObjectID changed) or a vanished row takes
two requests: a walk of the inventory platform's ``select`` column, then one GET that carries
detection (sysObjectID, sysDescr), the scalars, the band column and every column of the
selected rows, so that the same answer identifies the AP, names its radios and is its sample.
Only when the AP turns out to be another platform does a full discovery with the detected
profile follow (walk, band GET, GET).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.inventory.model import AccessPoint
from collector.poll.detect import SYS_DESCR, SYS_OBJECT_ID, Detector
from collector.poll.plan import Plan
from collector.poll.radios import (
    Discovery,
    RadioRow,
    band_oids,
    discover_rows,
    rows_from,
    select_rows,
    text,
)
from collector.poll.sample import Sample
from collector.profiles import Profile
from collector.snmp.engine import Reason, SnmpEngine, SnmpPollError, SnmpTarget, Value

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@dataclass(slots=True)
class Known:
    """What the poller keeps per AP: its discovery, the plan built from it, the last uptime."""

    discovery: Discovery
    plan: Plan
    detected: str | None  # what detection said (None: no profile matched)
    uptime: int  # sysUpTime at the last answer (timeticks)
    seen: float  # wall-clock time of that answer (Unix seconds)


class ApPoller:
    """Polls single APs and remembers, per AP, its platform and radio rows."""

    def __init__(self, engine: SnmpEngine, profiles: Mapping[str, Profile]) -> None:
        self.engine = engine
        self.profiles = profiles
        self.detector = Detector(profiles)
        self.known: dict[str, Known] = {}
        self.counts: Counter[str] = Counter()  # mismatches, rediscoveries, bad values, ...
        self.discoveries = 0  # bumped whenever ``known`` gains or changes a discovery
        self._plans: dict[tuple[str, tuple[RadioRow, ...]], Plan] = {}

    def forget(self, ap_id: str) -> None:
        if self.known.pop(ap_id, None) is not None:
            self.discoveries += 1

    def restore(self, entries: Iterable[tuple[str, Discovery, str | None, float]]) -> None:
        """Seed ``known`` from a saved cache: ``(ap_id, discovery, detected, seen)``.

        ``discovery.uptime`` must already be the lowest uptime a not-rebooted AP can now have
        (see :mod:`collector.poll.discovery_cache`), so the usual rules find reboots.
        """
        for ap_id, discovery, detected, seen in entries:
            if discovery.platform in self.profiles:
                plan = self._plan(discovery.platform, discovery.rows)
                self.known[ap_id] = Known(discovery, plan, detected, discovery.uptime, seen)

    async def poll(self, ap: AccessPoint, target: SnmpTarget, rediscover: bool = False) -> Sample:
        """Poll ``ap``; raises :class:`SnmpPollError` when it cannot be read.

        ``rediscover``: the steady-state answer (:meth:`finish_get`) found the AP changed, so
        discover it again without asking the same GET first.
        """
        started = time.monotonic()
        known = None if rediscover else self.known.get(ap.id)
        if known is not None:
            answer = await self.engine.get(target, known.plan.oids)
            if self._stale(known, answer):
                self.counts["rediscovered"] += 1
                known = None
        if known is None:
            known, answer = await self._discover(ap, target)
            self.discoveries += 1
            return self._sample(ap, known, answer, True, started)
        return self._sample(ap, known, answer, False, started)

    def finish_get(
        self, ap: AccessPoint, known: Known, answer: dict[str, Value], started: float
    ) -> Sample | None:
        """The sample from a steady-state GET of ``known.plan.oids`` sent elsewhere (the
        runner's fast path), or None when the answer says the AP must be discovered again
        (swapped, rebooted, a row gone). An empty answer is not for this method: it is asked
        again through :meth:`poll`, whose GET splits it. Raises :class:`SnmpPollError` as
        :meth:`poll` does."""
        if self._stale(known, answer):
            self.counts["rediscovered"] += 1
            return None
        return self._sample(ap, known, answer, False, started)

    def _sample(
        self,
        ap: AccessPoint,
        known: Known,
        answer: dict[str, Value],
        rediscovered: bool,
        started: float,
    ) -> Sample:
        plan = known.plan
        uptime = answer.get(plan.uptime_oid)
        if not isinstance(uptime, int):
            self.forget(ap.id)
            raise SnmpPollError(Reason.NO_SUCH if uptime is None else Reason.DECODE, "sysUpTime")
        sample = plan.sample(
            ap,
            answer,
            known.detected,
            uptime,
            rediscovered,
            self.counts,
            time.monotonic() - started,
        )
        known.uptime = uptime
        known.seen = sample.time_ns / 1e9
        self.known[ap.id] = known
        return sample

    def _plan(self, platform: str, rows: tuple[RadioRow, ...]) -> Plan:
        plan = self._plans.get((platform, rows))
        if plan is None:
            plan = self._plans[(platform, rows)] = Plan.build(self.profiles[platform], rows)
        return plan

    @staticmethod
    def _stale(known: Known, answer: dict[str, Value]) -> bool:
        plan = known.plan
        uptime = answer.get(plan.uptime_oid)
        object_id = answer.get(SYS_OBJECT_ID)
        if object_id != known.discovery.sys_object_id:
            object_id = text(object_id).lstrip(".")
        return (
            object_id != known.discovery.sys_object_id
            or (isinstance(uptime, int) and uptime < known.uptime)
            or plan.missing_rows(answer)
        )

    async def _discover(
        self, ap: AccessPoint, target: SnmpTarget
    ) -> tuple[Known, dict[str, Value]]:
        """First contact in two requests when the AP is what the inventory says."""
        profile = self.profiles.get(ap.platform)
        if profile is None:
            return await self._discover_slow(ap, target)
        table = profile.radios
        selected = await select_rows(self.engine, target, table)
        candidates = tuple(RadioRow(index, None, "") for index, _ in selected)
        probe = self._plan(ap.platform, candidates)
        # Each OID once: a profile that reads sysDescr as a scalar must not get it twice (a
        # long sysDescr asked twice can push the answer past the agent's message size).
        oids = list(dict.fromkeys([*probe.oids, SYS_DESCR, *band_oids(table, selected)]))
        answer = await self.engine.get(target, oids)
        identity = self._identify(ap, answer)
        platform, detected, sys_object_id = identity
        if platform != ap.platform:
            return await self._discover_slow(ap, target, identity)
        rows, unmapped = rows_from(table, selected, answer)
        return self._known(platform, detected, sys_object_id, answer, rows, unmapped), answer

    async def _discover_slow(
        self,
        ap: AccessPoint,
        target: SnmpTarget,
        identity: tuple[str, str | None, str] | None = None,
    ) -> tuple[Known, dict[str, Value]]:
        """Detection (unless done), discovery with that profile, then the GET (<= 4 requests)."""
        ident = await self.engine.get(target, [SYS_OBJECT_ID, SYS_DESCR, SYS_UPTIME])
        platform, detected, sys_object_id = identity or self._identify(ap, ident)
        rows, unmapped = await discover_rows(self.engine, target, self.profiles[platform].radios)
        known = self._known(platform, detected, sys_object_id, ident, rows, unmapped)
        return known, await self.engine.get(target, known.plan.oids)

    def _identify(self, ap: AccessPoint, answer: dict[str, Value]) -> tuple[str, str | None, str]:
        """(platform to poll with, detected platform, sysObjectID); counts mismatches."""
        sys_object_id = text(answer.get(SYS_OBJECT_ID)).lstrip(".")
        detected = self.detector.detect(sys_object_id, text(answer.get(SYS_DESCR)))
        if detected is None:
            self.counts["platform_unknown"] += 1
        elif detected != ap.platform:
            self.counts["platform_mismatch"] += 1
        platform = detected if detected is not None and detected in self.profiles else ap.platform
        if platform not in self.profiles:
            raise SnmpPollError(Reason.DECODE, f"no profile for platform {platform!r}")
        return platform, detected, sys_object_id

    def _known(
        self,
        platform: str,
        detected: str | None,
        sys_object_id: str,
        answer: dict[str, Value],
        rows: tuple[RadioRow, ...],
        unmapped: int,
    ) -> Known:
        self.counts["unmapped_rows"] += unmapped
        uptime = answer.get(SYS_UPTIME)
        uptime = uptime if isinstance(uptime, int) else 0
        discovery = Discovery(platform, sys_object_id, uptime, rows, unmapped)
        return Known(discovery, self._plan(platform, rows), detected, uptime, time.time())
