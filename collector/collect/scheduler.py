"""The collector process: APScheduler drives phased SNMP polls, the write path and rollups.

Only this module imports APScheduler. Jobs, each deliberate:

- ``tick`` every ``tick_s`` (1 s): polls the APs whose phase fell since the previous tick
  (:class:`~collector.collect.phases.PhasePlan`). ``max_instances=1`` so ticks never overlap;
  ``coalesce=True`` so a backlog of missed ticks runs once; ``misfire_grace_time=None`` so a
  late tick still runs (its window simply covers more time, and every AP in it is polled once).
  A tick starts the polls and returns: a dead AP's deadline never delays the next tick.
- SSH collection (when configured) rides on the same tick: :class:`collector.ssh.schedule.
  SshSchedule` starts the APs whose phase of the SSH interval (6 h by default) fell in the
  tick's window, on its own thread pool.
- ``rollup`` every 5 minutes: the ledger's hourly and daily rollups of closed hours
  (:mod:`collector.ledger.rollup`), in a worker thread.
- ``alerts`` every minute (when given: shard 1 of N, unless ``--no-alerts``): one evaluation of
  the alert rules and delivery of due notifications
  (:func:`collector.alerts.service.evaluate_and_notify`), in a worker thread. An exception is
  logged and counted (``pubwifi_poll_cycles_total{outcome="alerts_error"}`` and
  :attr:`Collector.alert_errors`); the next minute tries again and collection never waits for it.

A cycle is one pass over the interval; its end updates the up/down gauges and the cycle counter,
and ``pubwifi_last_successful_cycle_timestamp_seconds`` only if the cycle was successful: no
poll batch raised, and at least one AP answered (a cycle in which every AP failed, or a batch
failed, leaves the timestamp where it was, so staleness alerts fire).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collector.collect.phases import PhasePlan
from collector.collect.pipeline import Pipeline
from collector.inventory.model import AccessPoint
from collector.metrics import CollectorMetrics
from collector.poll.runner import PollStats, Runner
from collector.ssh.schedule import SshSchedule
from collector.workers.memory import peak_rss_mb

log = logging.getLogger(__name__)

TICK_S = 1.0
ROLLUP_EVERY_S = 300.0
ALERTS_EVERY_S = 60.0


@dataclass
class CycleState:
    started: float
    window_s: float = 0.0
    polled: int = 0
    failed: int = 0
    batch_errors: int = 0

    def successful(self, up: int) -> bool:
        """No batch raised and some AP answered (``up``: samples the sink saw up)."""
        return self.batch_errors == 0 and (up > 0 or self.polled > self.failed)


@dataclass
class Collector:
    """Owns the tick loop; everything it needs is passed in (tests give fakes)."""

    plan: PhasePlan
    runner: Runner
    pipeline: Pipeline
    metrics: CollectorMetrics
    interval_s: float
    rollup: Callable[[], object] | None = None
    ssh: SshSchedule | None = None
    alerts: Callable[[], object] | None = None
    clock: Callable[[], float] = time.time
    label: str = ""  # "worker J/W" when this process is one of a collector's workers
    on_cycle: Callable[[dict[str, object]], None] | None = None  # each cycle's figures
    cycles: int = 0
    alert_runs: int = 0
    alert_errors: int = 0
    ticks: int = 0
    in_flight: set[asyncio.Task[PollStats]] = field(default_factory=set)
    _last: float | None = None
    _cycle: CycleState | None = None

    async def tick(self) -> None:
        now = self.clock()
        start = self._last if self._last is not None else now - TICK_S
        self._last = now
        self.ticks += 1
        lag = now - start - TICK_S
        self.metrics.schedule_lag.set(max(0.0, lag))
        due = self.plan.due(start, now)
        if self.ssh is not None:
            self.ssh.tick(start, now)
        if self._cycle is None:
            self._cycle = CycleState(started=start)
        if due:
            self._launch(due)
        self._cycle.window_s += now - start
        if self._cycle.window_s >= self.interval_s - TICK_S / 2:
            await self._end_cycle()

    def _launch(self, due: Sequence[AccessPoint]) -> None:
        task = asyncio.get_running_loop().create_task(
            self.runner.poll_once(due, self.pipeline.sink)
        )
        self.in_flight.add(task)
        task.add_done_callback(self._polled)

    def _polled(self, task: asyncio.Task[PollStats]) -> None:
        self.in_flight.discard(task)
        if task.cancelled():
            return
        if self._cycle is None:  # a batch that ends after its cycle closed counts in the next
            self._cycle = CycleState(started=self.clock())
        error = task.exception()
        if error is not None:
            log.error("poll batch failed: %s", error)
            self.metrics.cycles.labels("batch_error").inc()
            self._cycle.batch_errors += 1
            return
        stats = task.result()
        self._cycle.polled += stats.aps
        self._cycle.failed += stats.failed

    async def _end_cycle(self) -> None:
        cycle = self._cycle
        assert cycle is not None
        self._cycle = None
        self.cycles += 1
        up, down = self.pipeline.sink.end_cycle()
        self.runner.save_discovery(min_interval_s=300.0)
        elapsed = self.clock() - cycle.started
        self.metrics.cycle_duration.observe(elapsed)
        self.metrics.cycles.labels("complete").inc()
        successful = cycle.successful(up)
        if successful:
            self.metrics.last_cycle.set(self.clock())
        if self.on_cycle is not None:
            self.on_cycle(
                {
                    "cycle": self.cycles,
                    "polled": cycle.polled,
                    "up": up,
                    "down": down,
                    "seconds": round(elapsed, 3),
                    "successful": successful,
                    "batch_errors": cycle.batch_errors,
                    "peak_rss_mb": round(peak_rss_mb(), 1),
                }
            )
        if self.label:  # a worker: its parent logs the collector's cycle line
            log.info(
                "%s: its cycle %d ended, %d APs polled (%d up, %d down) over %.1f s%s",
                self.label,
                self.cycles,
                cycle.polled,
                up,
                down,
                elapsed,
                "" if successful else f", NOT successful ({cycle.batch_errors} batch errors)",
            )
        elif successful:
            log.info(
                "cycle %d: %d APs polled (%d up, %d down) over %.1f s",
                self.cycles,
                cycle.polled,
                up,
                down,
                elapsed,
            )
        else:
            log.warning(
                "cycle %d NOT successful: %d APs polled (%d up, %d down), %d batch errors; "
                "last successful cycle time not updated",
                self.cycles,
                cycle.polled,
                up,
                down,
                cycle.batch_errors,
            )

    async def drain(self) -> None:
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)

    def evaluate_alerts(self) -> None:
        """One alert evaluation (run in a worker thread): a failure is logged and counted."""
        if self.alerts is None:
            return
        self.alert_runs += 1
        try:
            self.alerts()
        except Exception:  # alerting must never stop collection: the next minute tries again
            self.alert_errors += 1
            self.metrics.cycles.labels("alerts_error").inc()
            log.exception("alert evaluation failed")


def run_forever(
    collector: Collector,
    *,
    max_cycles: int | None = None,
    rollup_every_s: float = ROLLUP_EVERY_S,
    alerts_every_s: float = ALERTS_EVERY_S,
) -> int:
    """Run the scheduler until SIGTERM/SIGINT (or ``max_cycles``); returns an exit status."""
    return asyncio.run(_main(collector, max_cycles, rollup_every_s, alerts_every_s))


async def _main(
    collector: Collector, max_cycles: int | None, rollup_every_s: float, alerts_every_s: float
) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler = AsyncIOScheduler(event_loop=loop)
    scheduler.add_job(
        _guarded(collector.tick, collector.metrics),
        "interval",
        seconds=TICK_S,
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    if collector.rollup is not None:
        rollup = collector.rollup
        scheduler.add_job(
            _in_thread(rollup),
            "interval",
            seconds=rollup_every_s,
            id="rollup",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=_soon(),  # catch up on closed hours at start, then every period
        )
    if collector.alerts is not None:
        scheduler.add_job(
            _in_thread(collector.evaluate_alerts, "alert evaluation"),
            "interval",
            seconds=alerts_every_s,
            id="alerts",
            max_instances=1,  # a slow evaluation (InfluxDB timing out) is skipped, not stacked
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=_soon(min(5.0, alerts_every_s)),
        )
    scheduler.start()
    try:
        while not stop.is_set():
            if max_cycles is not None and collector.cycles >= max_cycles:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.2)
    finally:
        scheduler.shutdown(wait=False)
        await collector.drain()
    return 0


def _guarded(
    job: Callable[[], Awaitable[None]], metrics: CollectorMetrics
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job()
        except Exception:  # one bad tick must not stop the schedule
            log.exception("tick failed")
            metrics.cycles.labels("tick_error").inc()

    return run


def _in_thread(job: Callable[[], object], what: str = "rollup") -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await asyncio.to_thread(job)
        except Exception:
            log.exception("%s failed", what)

    return run


def _soon(seconds: float = 5.0) -> datetime:
    return datetime.now().astimezone() + timedelta(seconds=seconds)
