"""Polling one AP: identify it, find its radios when needed, one GET, one :class:`Sample`.

Steady state is a single GET (sysObjectID, the profile's scalars, every radio column). First
contact, a reboot (sysUpTime went back), a swap (sysObjectID changed) or a vanished row adds
detection (one GET) and radio discovery (one walk, one GET) before it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from collector.inventory.model import AccessPoint
from collector.poll.detect import SYS_DESCR, SYS_OBJECT_ID, Detector
from collector.poll.plan import Plan
from collector.poll.radios import Discovery, RadioRow, discover_rows, text
from collector.poll.sample import CounterValue, Sample
from collector.profiles import Profile
from collector.snmp.engine import Reason, SnmpEngine, SnmpPollError, SnmpTarget, Value

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


class ApPoller:
    """Polls single APs and remembers, per AP, its platform and radio rows."""

    def __init__(self, engine: SnmpEngine, profiles: Mapping[str, Profile]) -> None:
        self.engine = engine
        self.profiles = profiles
        self.detector = Detector(profiles)
        self.known: dict[str, Discovery] = {}
        self.detected: dict[str, str | None] = {}
        self.counts: Counter[str] = Counter()  # mismatches, rediscoveries, bad values, ...
        self._plans: dict[tuple[str, tuple[RadioRow, ...]], Plan] = {}

    def forget(self, ap_id: str) -> None:
        self.known.pop(ap_id, None)
        self.detected.pop(ap_id, None)

    async def poll(self, ap: AccessPoint, target: SnmpTarget) -> Sample:
        """Poll ``ap``; raises :class:`SnmpPollError` when it cannot be read."""
        started = time.monotonic()
        state = self.known.get(ap.id)
        answer: dict[str, Value] | None = None
        if state is not None:
            plan = self._plan(state.platform, state.rows)
            answer = await self.engine.get(target, plan.oids)
            if self._stale(state, plan, answer):
                self.counts["rediscovered"] += 1
                state = None
        rediscovered = state is None
        if state is None:
            state = await self._discover(ap, target)
            plan = self._plan(state.platform, state.rows)
            answer = await self.engine.get(target, plan.oids)
        assert answer is not None
        uptime = answer.get(plan.uptime_oid)
        if not isinstance(uptime, int):
            self.known.pop(ap.id, None)
            raise SnmpPollError(Reason.NO_SUCH if uptime is None else Reason.DECODE, "sysUpTime")
        self.known[ap.id] = replace(state, uptime=uptime) if state.uptime != uptime else state
        return self._sample(ap, plan, answer, uptime, rediscovered, time.monotonic() - started)

    def _plan(self, platform: str, rows: tuple[RadioRow, ...]) -> Plan:
        plan = self._plans.get((platform, rows))
        if plan is None:
            plan = self._plans[(platform, rows)] = Plan.build(self.profiles[platform], rows)
        return plan

    @staticmethod
    def _stale(state: Discovery, plan: Plan, answer: dict[str, Value]) -> bool:
        uptime = answer.get(plan.uptime_oid)
        return (
            text(answer.get(SYS_OBJECT_ID)).lstrip(".") != state.sys_object_id
            or (isinstance(uptime, int) and uptime < state.uptime)
            or plan.missing_rows(answer)
        )

    async def _discover(self, ap: AccessPoint, target: SnmpTarget) -> Discovery:
        ident = await self.engine.get(target, [SYS_OBJECT_ID, SYS_DESCR, SYS_UPTIME])
        sys_object_id = text(ident.get(SYS_OBJECT_ID)).lstrip(".")
        detected = self.detector.detect(sys_object_id, text(ident.get(SYS_DESCR)))
        self.detected[ap.id] = detected
        if detected is None:
            self.counts["platform_unknown"] += 1
        elif detected != ap.platform:
            self.counts["platform_mismatch"] += 1
        platform = detected if detected is not None and detected in self.profiles else ap.platform
        if platform not in self.profiles:
            raise SnmpPollError(Reason.DECODE, f"no profile for platform {platform!r}")
        rows, unmapped = await discover_rows(self.engine, target, self.profiles[platform].radios)
        self.counts["unmapped_rows"] += unmapped
        uptime = ident.get(SYS_UPTIME)
        uptime = uptime if isinstance(uptime, int) else 0
        return Discovery(platform, sys_object_id, uptime, rows, unmapped)

    def _sample(
        self, ap: AccessPoint, plan: Plan, answer: dict[str, Value], uptime: int,
        rediscovered: bool, elapsed: float,
    ) -> Sample:
        scalars, bad_scalars = plan.scalar_values(answer)
        radios, bad_radios = plan.radio_samples(answer)
        if bad_scalars or bad_radios:
            self.counts["bad_values"] += bad_scalars + bad_radios
        detected = self.detected.get(ap.id)
        sessions = scalars.get("sessions")
        clients = scalars.get("clients")
        return Sample(
            ap_id=ap.id,
            time_ns=time.time_ns(),
            up=True,
            platform=plan.platform,
            inventory_platform=ap.platform,
            detected_platform=detected,
            platform_mismatch=detected != ap.platform,
            uptime=uptime,
            sys_name=_str(scalars.get("sys_name")),
            model=_str(scalars.get("model")),
            firmware=_str(scalars.get("firmware")),
            standard=_str(scalars.get("standard")) or ap.standard.value,
            clients=clients if isinstance(clients, int) else None,
            sessions=sessions if isinstance(sessions, CounterValue) else None,
            radios=radios,
            rediscovered=rediscovered,
            elapsed_s=elapsed,
        )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
