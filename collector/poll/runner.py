"""Poll a list of APs once, as fast as the agents allow, without letting one AP delay another.

Concurrency has two bounds. ``concurrency`` slots limit requests to APs that answer; an AP
that has not answered within ``slot_hold_s`` gives its slot back and keeps waiting (up to its
own deadline) outside it, so a dead or slow AP costs the others almost nothing. ``max_pending``
limits everything outstanding (tasks, sockets). Samples go to the sink in batches and are not
kept, so memory does not grow with the fleet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from collector.inventory.model import AccessPoint, SnmpAuth
from collector.poll.ap import ApPoller
from collector.poll.backoff import BackOff
from collector.poll.discovery_cache import DiscoveryCache
from collector.poll.fastpath import FastLane, InFlight
from collector.poll.sample import Sample, down
from collector.poll.sink import Sink
from collector.profiles import Profile
from collector.secrets import UnsetSecretError
from collector.snmp.engine import (
    Credentials,
    SnmpEngine,
    SnmpPollError,
    SnmpTarget,
    Value,
    resolve_credentials,
)

StartGet = Callable[
    [SnmpTarget, list[str], Callable[[dict[str, Value] | None, BaseException | None], None]], bool
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    concurrency: int = 100
    deadline_s: float = 2.0  # per AP, everything included (discovery, retries)
    slot_hold_s: float = 0.1  # an unanswered AP gives its slot back after this long
    max_pending: int = 0  # outstanding APs in all; 0: 20 x concurrency
    batch_size: int = 5000  # samples per sink.emit

    @property
    def pending_limit(self) -> int:
        return self.max_pending or 20 * self.concurrency


@dataclass
class PollStats:
    aps: int = 0
    ok: int = 0
    failed: int = 0
    samples: int = 0
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)  # failures by reason
    conditions: Counter[str] = field(default_factory=Counter)  # mismatches, rediscoveries...

    def summary(self) -> dict[str, object]:
        """The ``poll --once`` JSON line (first five keys are the contract)."""
        return {
            "aps": self.aps,
            "ok": self.ok,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "samples": self.samples,
            "reasons": dict(sorted(self.reasons.items())),
            "conditions": dict(sorted(self.conditions.items())),
        }


class _Gate:
    """A count of free places that only the producer loop waits on.

    Cheaper than ``asyncio.Semaphore`` on the hot path (its ``locked()`` scans waiters on
    every acquire): the producer checks ``free`` inline and awaits :meth:`wait` only when full.
    """

    __slots__ = ("_waiter", "free", "wake_at")

    def __init__(self, places: int) -> None:
        self.free = places
        # the producer is woken when an eighth of the places are free, not for every one:
        # it then starts that many polls in a row (one wake-up, not one per AP)
        self.wake_at = max(1, places // 8)
        self._waiter: asyncio.Future[None] | None = None

    async def wait(self) -> None:
        """Return once a place is free (the caller then takes it: ``free -= 1``)."""
        while self.free <= 0:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    def give(self) -> None:
        self.free += 1
        waiter = self._waiter
        if waiter is not None and self.free >= self.wake_at and not waiter.done():
            waiter.set_result(None)


class _Slot:
    """One concurrency slot, given back exactly once (by the answer or by the hold timer)."""

    __slots__ = ("_gate", "_held")

    def __init__(self, gate: _Gate) -> None:
        self._gate = gate
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._gate.give()


class Runner:
    """Polls APs with an :class:`SnmpEngine`; keeps per-AP state between cycles."""

    def __init__(
        self,
        engine: SnmpEngine,
        profiles: Mapping[str, Profile],
        options: RunnerOptions | None = None,
        backoff: BackOff | None = None,
        environ: Mapping[str, str] | None = None,
        discovery: DiscoveryCache | None = None,
    ) -> None:
        self.engine = engine
        self.discovery = discovery
        self.options = options or RunnerOptions()
        self.backoff = backoff
        self.ap_poller = ApPoller(engine, profiles)
        self._environ = environ
        self._credentials: dict[SnmpAuth, Credentials] = {}
        self._targets: dict[str, tuple[AccessPoint, SnmpTarget]] = {}
        self._start_get: StartGet | None = getattr(engine, "start_get", None)
        self.fast_requests = 0  # GETs sent on the fast path
        self.fast_timeouts = 0  # of those, handed to the full path unanswered

    def save_discovery(self, now: float | None = None, min_interval_s: float = 0.0) -> bool:
        """Persist what the poller knows (platforms, radio rows) when it changed.

        With ``min_interval_s``, at most that often (scheduled collection calls this per
        batch). Returns whether the cache file was written.
        """
        if self.discovery is None:
            return False
        return self.discovery.save_if_changed(self.ap_poller, now, min_interval_s)

    def target(self, ap: AccessPoint) -> SnmpTarget:
        """The engine's view of ``ap`` (credentials resolved once per auth)."""
        cached = self._targets.get(ap.id)
        if cached is not None and cached[0] is ap:
            return cached[1]
        credentials = self._credentials.get(ap.snmp_auth)
        if credentials is None:
            credentials = resolve_credentials(ap.snmp_auth, self._environ)
            self._credentials[ap.snmp_auth] = credentials
        target = SnmpTarget(ap.id, str(ap.address), ap.snmp_port, credentials)
        self._targets[ap.id] = (ap, target)
        return target

    async def poll_once(self, aps: Iterable[AccessPoint], sink: Sink) -> PollStats:
        """Poll every AP in ``aps`` once; samples go to ``sink``; returns the cycle's stats.

        APs that went unanswered last time are asked first, so their deadlines run out while
        the rest of the cycle is polled instead of after it. Known APs go by the fast path
        (:mod:`collector.poll.fastpath`) when the engine offers one; the others, and whatever
        the fast path cannot finish, by a task each (:meth:`_poll_ap`).
        """
        options = self.options
        if self.backoff is not None:
            backoff = self.backoff
            aps = sorted(aps, key=lambda ap: backoff.failures(ap.id) == 0)  # stable
        stats = PollStats()
        before = Counter(self.ap_poller.counts)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        slots = _Gate(options.concurrency)
        pending = _Gate(options.pending_limit)
        batch: list[Sample] = []
        tasks: set[asyncio.Task[None]] = set()

        async def one(ap: AccessPoint, slot: _Slot, timer: asyncio.TimerHandle) -> None:
            try:
                sample = await self._poll_ap(ap)
            finally:
                timer.cancel()
                slot.release()
                pending.give()
            self._count(stats, sample)
            batch.append(sample)

        async def full(ap: AccessPoint, rediscover: bool, deadline_s: float) -> None:
            try:
                sample = await self._poll_ap(ap, rediscover, deadline_s)
            finally:
                pending.give()
            self._count(stats, sample)
            batch.append(sample)

        def hand_on(request: InFlight, rediscover: bool = False) -> None:
            """The full path takes over a fast request, with what is left of its deadline."""
            left = options.deadline_s - (time.monotonic() - request.sent)
            task = loop.create_task(full(request.ap, rediscover, max(left, 0.05)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        def timed_out(request: InFlight) -> None:
            self.fast_timeouts += 1
            hand_on(request)

        lane = self._lane(loop, timed_out)
        start_get = self._start_get

        def try_fast(ap: AccessPoint, slot: _Slot) -> bool:
            known = self.ap_poller.known.get(ap.id)
            if known is None or lane is None or start_get is None:
                return False
            try:
                target = self.target(ap)
            except UnsetSecretError:
                return False
            request = InFlight(ap, target, time.monotonic(), slot.release)

            def answered(values: dict[str, Value] | None, error: BaseException | None) -> None:
                if not lane.finished(request):
                    return  # already timed out and handed on
                if error is not None or not values:
                    hand_on(request)  # the full path asks again and tells what went wrong
                    return
                try:
                    sample = self.ap_poller.finish_get(ap, known, values, request.sent)
                except SnmpPollError as failure:
                    reason = failure.reason.value
                    if self.backoff is not None:
                        self.backoff.record(ap.id, reason)
                    sample = down(
                        ap.id, time.time_ns(), reason, ap.platform, time.monotonic() - request.sent
                    )
                else:
                    if sample is None:
                        hand_on(request, rediscover=True)
                        return
                    if self.backoff is not None:
                        self.backoff.record(ap.id, None)
                pending.give()
                self._count(stats, sample)
                batch.append(sample)

            if not start_get(target, known.plan.oids, answered):
                return False
            lane.sent(request)
            self.fast_requests += 1
            return True

        try:
            for ap in aps:
                stats.aps += 1
                if self.backoff is not None and not self.backoff.due(ap.id):
                    sample = down(ap.id, time.time_ns(), "backoff", ap.platform)
                    self._count(stats, sample)
                    batch.append(sample)
                else:
                    if pending.free <= 0:
                        await pending.wait()
                    pending.free -= 1
                    if slots.free <= 0:
                        await slots.wait()
                    slots.free -= 1
                    slot = _Slot(slots)
                    if not try_fast(ap, slot):
                        timer = loop.call_later(options.slot_hold_s, slot.release)
                        task = loop.create_task(one(ap, slot, timer))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                if len(batch) >= options.batch_size:
                    await self._flush(sink, batch, stats)
            while True:  # fast requests may hand APs on to new tasks while we wait
                if lane is not None and lane.in_flight:
                    await lane.drained()
                elif tasks:
                    await asyncio.gather(*tasks)
                else:
                    break
            await self._flush(sink, batch, stats)
        finally:
            if lane is not None:
                lane.close()
            for task in tasks:
                task.cancel()
        stats.seconds = time.perf_counter() - started
        stats.conditions = Counter(self.ap_poller.counts)
        stats.conditions.subtract(before)
        stats.conditions = +stats.conditions
        return stats

    def _lane(
        self, loop: asyncio.AbstractEventLoop, timed_out: Callable[[InFlight], None]
    ) -> FastLane | None:
        """The fast path, when the engine has one (``start_get``; test doubles do not)."""
        if self._start_get is None:
            return None
        timeout = float(getattr(self.engine, "request_timeout", self.options.deadline_s / 2))
        cancel = getattr(self.engine, "cancel_get")  # noqa: B009 (offered with start_get)
        return FastLane(loop, cancel, timeout, self.options.slot_hold_s, timed_out)

    async def _poll_ap(
        self, ap: AccessPoint, rediscover: bool = False, deadline_s: float | None = None
    ) -> Sample:
        """One AP within its deadline; every failure becomes a down sample with a reason."""
        started = time.monotonic()
        reason: str
        try:
            target = self.target(ap)
            async with asyncio.timeout(deadline_s or self.options.deadline_s):
                sample = await self.ap_poller.poll(ap, target, rediscover)
            if self.backoff is not None:
                self.backoff.record(ap.id, None)
            return sample
        except TimeoutError:
            reason = "timeout"
            self.engine.forget(ap.id)
        except SnmpPollError as error:
            reason = error.reason.value
        except UnsetSecretError:
            reason = "config"
        except Exception:  # a bug must cost one AP, never the cycle
            log.exception("polling %s failed unexpectedly", ap.id)
            reason = "internal"
        if self.backoff is not None:
            self.backoff.record(ap.id, reason)
        return down(ap.id, time.time_ns(), reason, ap.platform, time.monotonic() - started)

    @staticmethod
    def _count(stats: PollStats, sample: Sample) -> None:
        if sample.up:
            stats.ok += 1
        else:
            stats.failed += 1
            stats.reasons[sample.reason or "unknown"] += 1

    @staticmethod
    async def _flush(sink: Sink, batch: list[Sample], stats: PollStats) -> None:
        if batch:
            ready = batch[:]
            batch.clear()
            stats.samples += len(ready)
            await sink.emit(ready)
