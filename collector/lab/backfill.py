"""``pubwifi lab backfill``: months of demo history produced by the collector's own write path.

For every AP the collector polls (``status.is_polled``), the samples it *would* have produced at
every step of the window are synthesised from the lab (:mod:`collector.lab.backfill_sampler`:
the poller's own plan over the lab MIB, checked against a real poll of the lab per AP) and fed
to :class:`~collector.collect.pipeline.SpoolSink` from
:func:`~collector.collect.pipeline.open_pipeline`: the same exact counter deltas, durable
baselines, line protocol, disk spool and shipper as live collection. APs the lab does not answer
for (failed, offline) get ``up=0`` samples, as live. Then the ledger rollup
(:mod:`collector.ledger.rollup`) runs for the backfilled hours.

**Window rule.** The window is ``[until - days, until)``, ``until`` aligned down to the step.
Samples are taken at ``start, start + step, ..., until``: the first is a ``first_sample`` (no
delta), so the deltas cover exactly ``[start, until)`` and sum to ``lab truth --from start --to
until``. Baselines live in ``DATA_DIR/backfill``, apart from live collection's, so live
collection's first sample after ``until`` is a ``first_sample`` too: nothing is counted twice,
and ``[until, first live poll)`` is a visible gap. Run the backfill before live collection
starts (or with ``--until`` = when it started), never over a period it already covered.
A backfill continues exactly from an earlier one that ended at its ``start``; it refuses to
rewrite a period an earlier backfill already covered (delete ``DATA_DIR/backfill`` to redo).

**32-bit counters.** A Counter32 delta is exact only if the counter cannot have wrapped once
more unseen. :func:`collector.collect.counters.counter_delta` can rule that out only with the
interface's speed (``ifHighSpeed``): it calls a delta ``ambiguous_gap`` (no delta) when one more
wrap would still fit under what the interface can carry in the span. A radio that reports no
speed is bounded by nothing: its deltas take the classic single-wrap assumption, in live
polling as here (Aruba's profile reads no ``ifHighSpeed`` and the accountant has no nominal
speed for it, so its Counter32 deltas are not speed-checked). So for APs with 32-bit counters
each step is split into ``k`` sub-steps (``k`` divides the step), the fewest that keep every
delta exact under the AP's own peak traffic (an exact bound of the model: fewer than 2^32
bytes between two samples) and, for radios that report a speed, unambiguous under the speed
rule; when a radio would need more than ``max_substeps`` (default 3: live collection's 300 s
at a 15 min step), its deltas stay ``ambiguous_gap`` exactly as live polling would record
them: counted in the summary (``deltas``, ``incomplete_aps``), never guessed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.collect.counters import CLOCK_DRIFT, CLOCK_SLACK_S, max_bytes
from collector.collect.pipeline import Pipeline
from collector.errors import InputError
from collector.inventory.model import AccessPoint, Inventory
from collector.lab.backfill_sampler import NS, LabSampler
from collector.lab.faults import FaultPlan
from collector.lab.fleet import ANSWERING, Fleet
from collector.lab.mibview import SnmpFault
from collector.lab.traffic import TrafficProfile
from collector.poll.sample import Sample, down
from collector.profiles import load_profiles
from collector.settings import Settings

log = logging.getLogger(__name__)

DAY_S = 86_400
HOUR_S = 3_600
CHUNK_SAMPLES = 4_000  # samples per SpoolSink.emit (one baseline commit + one spool fsync)
MAX_BACKLOG_LINES = 400_000  # spool depth above which generation waits for the shipper
MAX_SUBSTEPS = 3  # default: sample no more often than live collection's 300 s at 15 min
ROLLUP_THREADS = 4  # concurrent KST days in the rollup (its time is mostly InfluxDB's)
STALL_S = 60.0  # no line shipped for this long while waiting: InfluxDB is not taking writes

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)`` in whole epoch seconds, sampled every ``step_s``."""

    start: int
    end: int
    step_s: int

    @classmethod
    def ending(cls, until: float, days: int, step_s: int) -> Window:
        """``days`` ending at ``until`` aligned down to ``step_s`` (which must divide a day)."""
        if days < 1 or step_s < 1 or DAY_S % step_s:
            raise ValueError(f"need days >= 1 and a step dividing a day, not {days}, {step_s}")
        end = int(until // 1) - int(until // 1) % step_s
        return cls(end - days * DAY_S, end, step_s)

    def instants(self, substeps: int = 1) -> range:
        """Sample times: ``start .. end`` inclusive, every ``step_s / substeps``."""
        return range(self.start, self.end + 1, self.step_s // substeps)

    def hours(self) -> range:
        """UTC hour starts meeting ``[start, end)``."""
        return range(self.start - self.start % HOUR_S, self.end, HOUR_S)


def substeps_for(
    profile: TrafficProfile, step_s: int, bits: int, speed_mbps: int | None = None
) -> int:
    """The fewest sub-steps ``k`` (dividing ``step_s``) that keep octet deltas unambiguous.

    Traffic: between two samples ``span`` apart a radio's counter moves by at most the AP's
    total, at most ``peak * span + 1`` (floor rounding), ``peak`` being the AP's rate in its
    busiest hour of the week; that must stay below 2^bits. Speed: with a speed bound,
    :func:`collector.collect.counters.counter_delta` calls a delta ambiguous when ``delta + 2^bits``
    also fits under what the interface can carry in the span (slack included), so the span
    must be short enough that one wrap alone exceeds that.
    """
    total = profile.shape.prefix[168]
    most_per_week = max(profile.tx_per_week, profile.rx_per_week)
    peak_weight = max(profile.shape.weights)
    for k in range(1, step_s + 1):
        span = step_s // k
        if step_s % k or most_per_week * peak_weight * span // total + 2 >= 2**bits:
            continue
        most = max_bytes(speed_mbps, span, CLOCK_SLACK_S + CLOCK_DRIFT * span)
        if most is None or most < 2**bits:
            return k
    raise ValueError(f"{profile.ap_id}: no whole-second span keeps {bits}-bit counters exact")


@dataclass
class BackfillReport:
    """What a backfill did: the summary line of ``pubwifi lab backfill``."""

    window: Window
    aps: int = 0
    answering: int = 0
    silent: int = 0
    substepped: dict[str, int] = field(default_factory=dict)  # AP id -> sub-steps
    incomplete: dict[str, int] = field(default_factory=dict)  # AP id -> sub-steps it needs
    samples: int = 0
    lines: int = 0
    deltas: dict[str, int] = field(default_factory=dict)
    generate_s: float = 0.0
    drain_s: float = 0.0
    written: int = 0
    spooled_left: int = 0
    dropped: int = 0
    rollup: dict[str, Any] | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "aps": self.aps,
            "samples": self.samples,
            "lines": self.lines,
            "seconds": round(self.seconds, 3),
            "from": self.window.start,
            "to": self.window.end,
            "step_s": self.window.step_s,
            "answering": self.answering,
            "silent": self.silent,
            "substepped_aps": len(self.substepped),
            "max_substeps": max(self.substepped.values(), default=1),
            "incomplete_aps": len(self.incomplete),
            "incomplete_needs_substeps": max(self.incomplete.values(), default=0),
            "deltas": dict(sorted(self.deltas.items())),
            "written": self.written,
            "spooled_left": self.spooled_left,
            "dropped": self.dropped,
            "generate_seconds": round(self.generate_s, 3),
            "drain_seconds": round(self.drain_s, 3),
            "rollup": self.rollup,
        }


class Backfill:
    """One backfill run over ``pipeline`` (see the module doc)."""

    def __init__(
        self,
        inventory: Inventory,
        pipeline: Pipeline,
        window: Window,
        *,
        seed: int,
        environ: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        max_substeps: int = MAX_SUBSTEPS,
        faults: FaultPlan | None = None,
    ) -> None:
        self.inventory = inventory
        self.max_substeps = max_substeps
        self.pipeline = pipeline
        self.window = window
        self.seed = seed
        self.fleet = Fleet(
            inventory, seed=seed, environ=environ, clock=lambda: window.start, faults=faults
        )
        self.progress = progress or (lambda text: None)
        self.report = BackfillReport(window)

    def run(self, *, drain_timeout_s: float = 600.0) -> BackfillReport:
        started = time.perf_counter()
        aps = [ap for ap in self.inventory.aps if ap.status.is_polled]
        answering = [ap for ap in aps if ap.status in ANSWERING]
        samplers: dict[str, LabSampler | None] = {
            ap.id: self._sampler(ap) for ap in answering if not self._goes_live(ap)
        }
        samplers.update({ap.id: None for ap in answering if self._goes_live(ap)})
        report = self.report
        report.aps, report.answering = len(aps), len(samplers)  # goes_live APs answer later
        report.silent = len(aps) - len(samplers)
        asyncio.run(self._generate(aps, samplers, started))
        report.generate_s = time.perf_counter() - started
        accountant = self.pipeline.sink.accountant
        report.lines, report.deltas = accountant.stats.lines, dict(accountant.stats.deltas)
        self.pipeline.sink.baselines.flush()
        report.drain_s = self.wait_for_spool(0, drain_timeout_s)
        report.seconds = time.perf_counter() - started
        report.written = self.pipeline.shipper.stats.written
        report.spooled_left = self.pipeline.sink.spool.depth_lines
        report.dropped = self.pipeline.sink.spool.dropped_lines
        return report

    def _goes_live(self, ap: AccessPoint) -> bool:
        """Whether ``ap`` is a new AP that starts to answer inside the window (``goes_live``)."""
        live_from = self.fleet.member(ap).behaviour.live_from
        return live_from is not None and live_from > self.window.start

    def _sampler(self, ap: AccessPoint) -> LabSampler:
        member = self.fleet.member(ap)
        sampler = LabSampler(ap, member.device, member.agent.view, load_profiles())
        window = self.window
        template = sampler.start(window.start)
        # checked only before the device's first fault event (a poll past it applies it)
        checks = [window.start, (window.start + window.end) // 2, window.end]
        sampler.verified([t for t in checks if t < member.device.next_event] or [window.start])
        self._check_continuity(ap, template)
        bits = sampler.counter_bits()
        if bits < 64:
            profile, step = member.device.profile, window.step_s
            needs = [
                substeps_for(profile, step, bits, speed)
                for speed in self._speed_bounds(ap, template)
            ]
            feasible = [k for k in needs if k <= self.max_substeps]
            k = max([substeps_for(profile, step, bits), *feasible])
            if len(feasible) < len(needs):  # some radio cannot be exact: counted gaps, as live
                self.report.incomplete[ap.id] = max(needs)
            if k > 1:
                self.report.substepped[ap.id] = k
        return sampler

    def _speed_bounds(self, ap: AccessPoint, template: Sample) -> list[int | None]:
        """Per radio with 32-bit octet counters: the speed counter_delta bounds them by
        (the reported ``ifHighSpeed``; None where the platform reports none)."""
        return [
            radio.speed_bps // 1_000_000 if radio.speed_bps else None
            for radio in template.radios
            if any(c is not None and c.bits < 64 for c in (radio.rx_bytes, radio.tx_bytes))
        ]

    def _check_continuity(self, ap: AccessPoint, template: Sample) -> None:
        """Refuse to rewrite a period an earlier backfill covered (see the module doc)."""
        baselines = self.pipeline.sink.baselines
        for radio in template.radios:
            for name in ("rx_bytes", "tx_bytes", "sessions"):
                kept = baselines.get(ap.id, f"{name}.{radio.index}")
                if kept is not None and kept.wall_time > self.window.start:
                    raise InputError.at(
                        str(baselines.path),
                        0,
                        f"{ap.id} was already backfilled up to {int(kept.wall_time)}, after "
                        f"this window's start {self.window.start}: choose --until so the "
                        f"window starts at or after it, or remove {baselines.path.parent}",
                    )

    def samples_of(self, ap: AccessPoint, sampler: LabSampler | None) -> Iterator[Sample]:
        """Every sample of ``ap`` over the window, in time order.

        Fault events (``goes_live``, ``swapped_to_wifi6``, timed reboots) change the device: at
        the first instant at or after one, the device is refreshed and a new fast path starts
        from a reference sample there (before a ``goes_live``, nobody answers). An AP with a
        ``down`` fault never answers, as in the live lab.
        """
        member = self.fleet.member(ap) if ap.status in ANSWERING else None
        if member is None or member.behaviour.snmp_fault is SnmpFault.DOWN:
            for t in self.window.instants():
                yield down(ap.id, t * NS, "timeout", ap.platform)
            return
        device, live_from = member.device, member.behaviour.live_from
        instants = self.window.instants(self.report.substepped.get(ap.id, 1))
        for t in instants:
            if live_from is not None and t < live_from:
                yield down(ap.id, t * NS, "timeout", ap.platform)
                continue
            if sampler is None or t >= device.next_event:
                device.refresh(float(t))
                sampler = LabSampler(ap, device, member.agent.view, load_profiles())
                yield sampler.start(t)
                continue
            yield sampler.fast(t)

    async def _generate(
        self, aps: list[AccessPoint], samplers: dict[str, LabSampler | None], started: float
    ) -> None:
        sink = self.pipeline.sink
        every = max(1, len(aps) // 10)
        for number, ap in enumerate(aps, start=1):
            chunk: list[Sample] = []
            for sample in self.samples_of(ap, samplers.get(ap.id)):
                chunk.append(sample)
                if len(chunk) >= CHUNK_SAMPLES:
                    await self._emit(chunk)
            if chunk:
                await self._emit(chunk)
            if number % every == 0 or number == len(aps):
                stats = sink.accountant.stats
                self.progress(
                    f"backfill: {number}/{len(aps)} APs, {stats.samples:,} samples, "
                    f"{stats.lines:,} lines, {sink.spool.depth_lines:,} spooled, "
                    f"{time.perf_counter() - started:.1f} s"
                )

    async def _emit(self, chunk: list[Sample]) -> None:
        self.report.samples += len(chunk)
        await self.pipeline.sink.emit(chunk)
        chunk.clear()
        self.wait_for_spool(MAX_BACKLOG_LINES, None)

    def wait_for_spool(self, depth: int, timeout_s: float | None) -> float:
        """Wait until the spool holds at most ``depth`` lines; returns the seconds waited.

        Raises :class:`InputError` when nothing was shipped for :data:`STALL_S` (InfluxDB is
        away or refuses): what was generated waits in the spool, shipped by the next run.
        """
        spool, shipper = self.pipeline.sink.spool, self.pipeline.shipper
        started = last_progress = time.monotonic()
        written = shipper.stats.written
        while spool.depth_lines > depth:
            now = time.monotonic()
            if shipper.stats.written != written:
                written, last_progress = shipper.stats.written, now
            if now - last_progress > STALL_S or (
                timeout_s is not None and now - started > timeout_s
            ):
                raise InputError.at(
                    "PUBWIFI_INFLUX_URL",
                    0,
                    f"InfluxDB is not taking the backfill's writes "
                    f"({shipper.stats.last_error or 'no answer'}); "
                    f"{spool.depth_lines:,} lines wait in {spool.directory}",
                )
            time.sleep(0.02)  # polling another thread's progress; no event to wait on
        return time.monotonic() - started


def _advance_rollup_state(ledger_dir: Path, hours: list[int]) -> None:
    """Record the window's last whole hour as rolled up (``rollup.json``: what ``pubwifi
    collect`` resumes from, less its redo hours, and what the web UI shows) when that leaves no
    hole: there is no state yet, or the state reaches the window's start. An older or detached
    window leaves the state alone."""
    from collector.ledger.due import load_last_hour, save_last_hour

    if not hours:
        return
    last = load_last_hour(ledger_dir)
    if last is None or (hours[0] - HOUR_S <= last < hours[-1]):
        ledger_dir.mkdir(parents=True, exist_ok=True)
        save_last_hour(ledger_dir, hours[-1])


def rollup_backfilled_hours(
    settings: Settings,
    inventory: Inventory,
    pipeline: Pipeline,
    window: Window,
    *,
    threads: int = ROLLUP_THREADS,
) -> dict[str, Any]:
    """Roll the ledger up for the window's hours with :func:`collector.ledger.rollup.roll_up`.

    Reads the backfilled ``radio_poll`` points back from InfluxDB (the spool must be drained)
    and appends the hourly and daily points to the same spool. ``roll_up`` asks InfluxDB one
    question per hour and district, so the KST days (independent of each other: each call
    gets whole days, or the window's partial first/last day) run on ``threads`` threads.
    No backfilled delta spans more than one step, so ``lookback_s`` is the step: ``roll_up``
    then need not scan 48 h of points after every hour for long deltas (10x faster here).
    """
    from collector.influx.query import InfluxQL
    from collector.ledger.mirror import LedgerMirror
    from collector.ledger.rollup import RollupResult, kst_day_start, roll_up

    influx = settings.influx
    token = influx.token if influx.flavour == "v2" else None
    username = influx.username if token is None else None
    mirror = LedgerMirror.in_dir(settings.data_dir)
    days: dict[int, list[int]] = {}
    for hour in window.hours():
        days.setdefault(kst_day_start(hour), []).append(hour)

    def one_day(hours: list[int]) -> RollupResult:
        query = InfluxQL(
            influx.url,
            influx.database,
            token=token,
            username=username,
            password=influx.password if username is not None else None,
        )
        return roll_up(
            query,
            pipeline.sink.spool.append,
            inventory.aps,
            hours,
            lookback_s=window.step_s,
            edge_s=min(window.step_s, HOUR_S - 1),
            on_day=mirror.put_day,
        )

    started = time.perf_counter()
    total = RollupResult()
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for result in pool.map(one_day, days.values()):
            total.merge(result)
    whole = [h for h in window.hours() if h + HOUR_S <= window.end]
    _advance_rollup_state(settings.data_dir / "ledger", whole)
    return {
        "hours": len(total.hours),
        "days": len(total.days),
        "lines": total.lines,
        "too_long": total.too_long,
        "bad_deltas": total.bad_deltas,
        "seconds": round(time.perf_counter() - started, 3),
    }
