"""The shipper: spool -> writer, in order; a batch is committed only after the database took it.

A write that stops part-way commits exactly the lines it handled. Bad points the database refuses
are kept in ``set_aside.lp`` beside the spool (up to a cap, then only counted). Retryable errors
back off exponentially (or as ``Retry-After`` says); configuration errors are logged at ERROR
every time they recur, with the data kept in the spool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from collector.influx.hooks import SpoolMetrics
from collector.influx.spool import Spool
from collector.influx.writer import (
    DEFAULT_BATCH_LINES,
    InfluxWriter,
    SetAside,
    WriteConfigError,
    WriteError,
    WriteResult,
    WriteRetryableError,
)

log = logging.getLogger(__name__)

SET_ASIDE_FILE = "set_aside.lp"


@dataclass(slots=True)
class ShipperStats:
    written: int = 0
    set_aside: int = 0
    retries: int = 0
    config_errors: int = 0
    last_error: str | None = None
    last_success: float | None = None  # time.time() of the last successful write


@dataclass(slots=True)
class Backoff:
    """Exponential back-off: ``initial_s``, doubling, at most ``max_s``; reset on success."""

    initial_s: float = 1.0
    max_s: float = 60.0
    config_error_s: float = 60.0
    _next_s: float = 0.0

    def next_delay(self, hint_s: float | None = None) -> float:
        self._next_s = min(self.max_s, self._next_s * 2 if self._next_s else self.initial_s)
        return max(self._next_s, min(hint_s or 0.0, self.max_s * 5))

    def reset(self) -> None:
        self._next_s = 0.0


class Shipper:
    """Moves lines from a :class:`Spool` to an :class:`InfluxWriter`."""

    def __init__(
        self,
        spool: Spool,
        writer: InfluxWriter,
        *,
        metrics: SpoolMetrics | None = None,
        batch_lines: int = DEFAULT_BATCH_LINES,
        backoff: Backoff | None = None,
        set_aside_cap_bytes: int = 16 * 1024**2,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.spool = spool
        self.writer = writer
        self.metrics: SpoolMetrics = metrics or spool.metrics
        self.batch_lines = batch_lines
        self.backoff = backoff or Backoff()
        self.stats = ShipperStats()
        self.set_aside_path: Path = spool.directory / SET_ASIDE_FILE
        self._set_aside_cap = set_aside_cap_bytes
        self._clock = wall_clock

    @property
    def dropped(self) -> int:
        """Lines the spool dropped at its cap (or found corrupt)."""
        return self.spool.dropped_lines

    def ship_once(self) -> int:
        """Write one batch; returns lines handled (0: spool empty). Raises :class:`WriteError`."""
        batch = self.spool.peek(self.batch_lines)
        if not batch.lines:
            self.spool.release(batch)
            return 0
        try:
            result = self.writer.write(batch.lines)
        except WriteError as error:
            self._account(error.result)
            self.spool.commit_prefix(batch, error.result.handled)
            self.stats.last_error = str(error)
            if isinstance(error, WriteRetryableError):
                self.stats.retries += 1
                self.metrics.write_retried(error.reason)
            elif isinstance(error, WriteConfigError):
                self.stats.config_errors += 1
                self.metrics.write_retried("config_error")
            raise
        except BaseException:
            self.spool.release(batch)
            raise
        self._account(result)
        self.spool.commit(batch)
        return len(batch.lines)

    def drain(self) -> int:
        """Ship until the spool is empty; returns lines handled. Raises :class:`WriteError`."""
        total = 0
        while handled := self.ship_once():
            total += handled
        return total

    def run(self, stop: threading.Event, idle_s: float = 1.0) -> None:
        """Ship until ``stop`` is set, backing off on errors (the collector's shipping thread)."""
        self.run_until_empty(stop, idle_s, forever=True)

    def run_until_empty(
        self, stop: threading.Event, idle_s: float = 1.0, *, forever: bool = False
    ) -> None:
        """Ship until ``stop`` is set or (unless ``forever``) the spool is empty, backing off
        on errors."""
        while not stop.is_set():
            if not forever and not self.spool.depth_lines:
                return
            delay = idle_s
            try:
                self.drain()
                self.backoff.reset()
            except WriteRetryableError as error:
                delay = self.backoff.next_delay(error.retry_after_s)
                log.warning("InfluxDB write will be retried in %.0f s: %s", delay, error)
            except WriteConfigError as error:
                delay = self.backoff.config_error_s
                log.error(
                    "InfluxDB write CONFIGURATION ERROR (%d lines kept in the spool, retry in "
                    "%.0f s): %s",
                    self.spool.depth_lines,
                    delay,
                    error,
                )
            if not forever and not self.spool.depth_lines:
                return
            stop.wait(delay)

    def _account(self, result: WriteResult) -> None:
        if result.written:
            self.stats.written += result.written
            self.stats.last_success = self._clock()
            self.metrics.points_written(result.written)
        if result.set_aside:
            self.stats.set_aside += len(result.set_aside)
            for item in result.set_aside:
                self.metrics.points_set_aside(1, item.reason)
            self._keep_set_aside(result.set_aside)

    def _keep_set_aside(self, items: list[SetAside]) -> None:
        for item in items:
            log.warning("InfluxDB refused a point (%s), set aside: %.200s", item.reason, item.line)
        try:
            size = self.set_aside_path.stat().st_size
        except FileNotFoundError:
            size = 0
        text = "".join(f"# {item.reason}\n{item.line}\n" for item in items)
        if size + len(text) <= self._set_aside_cap:
            with self.set_aside_path.open("a", encoding="utf-8") as file:
                file.write(text)
