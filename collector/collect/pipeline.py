"""The write path of a collector process: samples -> exact points -> disk spool -> InfluxDB.

:class:`SpoolSink` is the poller's :class:`~collector.poll.sink.Sink`. For each batch it turns
samples into lines (:class:`~collector.collect.accounting.Accountant`), makes the advanced counter
baselines durable (journal append, fsync) and only then appends the lines to the spool (fsync):
a crash in between loses that batch as a visible gap, never counts it twice. A
:class:`~collector.influx.shipper.Shipper` thread moves the spool to InfluxDB in order; while
the database is away, lines wait on disk.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from collector.collect import dirlock
from collector.collect.accounting import Accountant
from collector.collect.baselines import BaselineStore
from collector.collect.counters import Delta
from collector.collect.layout import adopted_spools
from collector.influx.hooks import NoMetrics, SpoolMetrics
from collector.influx.shipper import SET_ASIDE_FILE, Shipper
from collector.influx.spool import Spool
from collector.influx.v1 import V1Writer
from collector.influx.writer import InfluxWriter
from collector.inventory.model import Inventory
from collector.metrics import CollectorMetrics, PrometheusSpoolMetrics
from collector.poll.sample import Sample
from collector.rollout.observer import RolloutObserver
from collector.rollout.store import RolloutStore
from collector.settings import Settings

log = logging.getLogger(__name__)

YIELD_EVERY = 250  # samples accounted between returns to the event loop
SNAPSHOT_EVERY_S = 600.0  # full baseline snapshot; the journal covers the time between


def make_writer(settings: Settings) -> InfluxWriter:
    """The writer for the configured InfluxDB flavour."""
    influx = settings.influx
    if influx.flavour == "v2":
        from collector.influx.v2 import V2Writer  # the only importer of influxdb-client

        return V2Writer(influx.url, token=influx.token, org=influx.org, bucket=influx.bucket)
    return V1Writer(influx.url, influx.database, username=influx.username, password=influx.password)


class SpoolSink:
    """Accounts samples and spools their lines durably (see the module doc for the order)."""

    def __init__(
        self,
        accountant: Accountant,
        spool: Spool,
        metrics: CollectorMetrics | None = None,
        spool_metrics: SpoolMetrics | None = None,
        observer: RolloutObserver | None = None,
    ) -> None:
        self.accountant = accountant
        self.observer = observer
        self.baselines = accountant.baselines
        self.spool = spool
        self.metrics = metrics
        self.spool_metrics = spool_metrics or NoMetrics()
        self.up = 0
        self.down = 0
        self._last_snapshot = time.monotonic()
        self._emitting = asyncio.Lock()

    async def emit(self, samples: Sequence[Sample]) -> None:
        """Account ``samples``, commit baselines, spool the lines (one batch at a time).

        Accounting a batch of thousands of samples is CPU work on the event loop; every
        :data:`YIELD_EVERY` samples it gives the loop back, so answers already in flight are
        read before their deadline runs out (on the 34,000-AP bench, a 5,000-sample batch held
        the loop long enough to time out APs that had answered). Batches do not interleave:
        each commits its own baselines before spooling its own lines.
        """
        async with self._emitting:
            await self._emit(samples)

    async def _emit(self, samples: Sequence[Sample]) -> None:
        lines: list[str] = []
        metrics = self.metrics
        for count, sample in enumerate(samples, 1):
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            if metrics is not None:
                self._observe(metrics, sample)
            if self.observer is not None and sample.ap_id in self.accountant.inventory:
                self.observer.observe(sample)
            try:
                accounted = self.accountant.account(sample)
            except KeyError:
                log.warning("sample for %s, which is not in the inventory, ignored", sample.ap_id)
                self.spool_metrics.points_set_aside(1, "unknown_ap")
                continue
            lines.extend(accounted.lines)  # one bad line never drops the sample's others
            for error in accounted.set_aside:
                log.warning("point of %s set aside: %s", sample.ap_id, error)
                self.spool_metrics.points_set_aside(1, error.reason)
        self.baselines.commit()  # durable before the points computed from them
        if lines:
            self.spool.append(lines)

    def _observe(self, metrics: CollectorMetrics, sample: Sample) -> None:
        metrics.poll_duration.observe(sample.elapsed_s)
        if sample.up:
            self.up += 1
        else:
            self.down += 1
            metrics.poll_errors.labels(sample.reason or "unknown").inc()
        if sample.platform_mismatch:
            metrics.platform_mismatch.inc()

    def end_cycle(self) -> tuple[int, int]:
        """Publish the cycle's up/down counts; snapshot baselines now and then."""
        up, down = self.up, self.down
        self.up = self.down = 0
        if self.metrics is not None:
            self.metrics.aps.labels("up").set(up)
            self.metrics.aps.labels("down").set(down)
        if time.monotonic() - self._last_snapshot >= SNAPSHOT_EVERY_S:
            self.baselines.flush()
            self._last_snapshot = time.monotonic()
        if self.observer is not None:
            self.observer.end_cycle()
        return up, down

    def close(self) -> None:
        self.baselines.commit()
        self.baselines.flush()
        if self.observer is not None:
            self.observer.flush()
            self.observer.store.close()


@dataclass
class Pipeline:
    """A running write path: the sink the poller feeds and the shipper thread behind it."""

    sink: SpoolSink
    shipper: Shipper
    thread: threading.Thread
    stop: threading.Event
    lock: TextIO

    def close(self, drain_timeout_s: float = 10.0) -> None:
        """Stop shipping (after trying to drain for a while); lines left stay in the spool."""
        deadline = time.monotonic() + drain_timeout_s
        while self.sink.spool.depth_lines and time.monotonic() < deadline:
            time.sleep(0.05)
        self.stop.set()
        self.thread.join(timeout=drain_timeout_s)
        self.sink.close()
        self.lock.close()  # releases the flock


def open_pipeline(
    settings: Settings,
    inventory: Inventory,
    metrics: CollectorMetrics | None = None,
    *,
    name: str = "collector",
    writer: InfluxWriter | None = None,
) -> Pipeline:
    """Open baselines and spool under ``data_dir/name`` and start the shipper thread."""
    base = Path(settings.data_dir) / name
    lock = dirlock.hold(base)  # one process per directory: two would count twice
    spool_metrics: SpoolMetrics = (
        PrometheusSpoolMetrics(metrics) if metrics is not None else NoMetrics()
    )
    baselines = BaselineStore.open(base)
    baselines.forget_aps({ap.id for ap in inventory})
    on_delta = _delta_counter(metrics) if metrics is not None else None
    accountant = Accountant(inventory, baselines, on_delta)
    spool = Spool(base / "spool", cap_bytes=settings.spool_cap_bytes, metrics=spool_metrics)
    observer = RolloutObserver(RolloutStore.in_data_dir(Path(settings.data_dir)))
    sink = SpoolSink(accountant, spool, metrics, spool_metrics, observer)
    shipper = Shipper(spool, writer or make_writer(settings), metrics=spool_metrics)
    stop = threading.Event()
    thread = threading.Thread(target=shipper.run, args=(stop,), name="shipper", daemon=True)
    thread.start()
    adopted = adopted_spools(base)
    if adopted:  # another --workers count left these; shipped beside our own, then removed
        threading.Thread(
            target=_ship_adopted,
            args=(adopted, lambda: writer or make_writer(settings), spool_metrics, stop),
            name="shipper-adopted",
            daemon=True,
        ).start()
    return Pipeline(sink, shipper, thread, stop, lock)


def _ship_adopted(
    paths: list[Path],
    make: Callable[[], InfluxWriter],
    metrics: SpoolMetrics,
    stop: threading.Event,
) -> None:
    """Ship each adopted spool until empty (retrying like the main shipper), then remove it."""
    for path in paths:
        spool = Spool(path)  # its depth is not the live spool's gauge
        shipper = Shipper(spool, make(), metrics=metrics)
        while spool.depth_lines and not stop.is_set():
            shipper.run_until_empty(stop)
        empty = spool.depth_lines == 0
        spool.close()
        if not empty:
            return  # stopping: the rest waits on disk for the next start
        if not (path / SET_ASIDE_FILE).exists():
            shutil.rmtree(path, ignore_errors=True)
        log.info("adopted spool %s shipped", path.name)


def _delta_counter(metrics: CollectorMetrics) -> Callable[[Delta], None]:
    def on_delta(delta: Delta) -> None:
        metrics.counter_deltas.labels(delta.reason.value).inc()
        if delta.lost_seconds:
            metrics.counter_lost_seconds.inc(delta.lost_seconds)

    return on_delta
