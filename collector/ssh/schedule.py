"""SSH collection inside ``pubwifi collect``: each AP at a stable phase of its own interval.

The collector's tick (every second) calls :meth:`SshSchedule.tick` with the window since the
previous tick; the APs whose phase falls in it are handed to a thread pool (netmiko blocks).
Outcomes are recorded on ONE recorder thread, in order, so the facts store, the config
repository and the spool see a single writer.

A sweep is one pass over the interval. Each session belongs to the sweep that started it (its
generation): when the interval's window closes, that sweep is finished (its one config commit,
its summary and gauges) as soon as its last session has been recorded, while the next sweep's
sessions already run and are recorded into the next sweep. Nothing here blocks the event loop:
a hanging AP holds only its worker, and only until its deadline.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from collector.collect.phases import PhasePlan
from collector.inventory.model import AccessPoint
from collector.ssh.sweep import ApCollector, ApOutcome, SweepRecorder, SweepSummary

log = logging.getLogger(__name__)


class SshSchedule:
    def __init__(
        self,
        aps: Sequence[AccessPoint],
        interval_s: float,
        collector: ApCollector,
        make_recorder: Callable[[], SweepRecorder],
        *,
        concurrency: int,
    ) -> None:
        self.plan = PhasePlan([(interval_s, list(aps))])
        self.interval_s = interval_s
        self.collector = collector
        self._make_recorder = make_recorder
        self._workers = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="ssh")
        self._recording = ThreadPoolExecutor(1, thread_name_prefix="ssh-record")
        self._window = 0.0
        self._lock = threading.Lock()
        self._generation = 0
        self._recorders: dict[int, SweepRecorder] = {0: make_recorder()}
        self._in_flight: dict[int, int] = {0: 0}
        self._closing: set[int] = set()
        self.sweeps = 0
        self.last: SweepSummary | None = None

    def __len__(self) -> int:
        return len(self.plan)

    def tick(self, start: float, end: float) -> int:
        """Start the APs due in ``[start, end)``; returns how many were started."""
        due = self.plan.due(start, end)
        generation = self._generation
        for ap in due:
            with self._lock:
                self._in_flight[generation] += 1
            future = self._workers.submit(self.collector.collect, ap)
            future.add_done_callback(functools.partial(self._done, generation=generation))
        self._window += end - start
        if self._window >= self.interval_s - 1e-6:  # the tick that completes the interval
            self._window = 0.0
            with self._lock:
                self._generation += 1
                self._recorders[self._generation] = self._make_recorder()
                self._in_flight[self._generation] = 0
                self._closing.add(generation)
                idle = self._in_flight[generation] == 0
            if idle:
                self._recording.submit(self._finish, generation)
        return len(due)

    def _done(self, future: Future[ApOutcome], generation: int) -> None:
        if not future.cancelled():
            error = future.exception()
            if error is not None:  # collect() returns outcomes; this is a bug, logged not fatal
                log.error("ssh collection raised: %r", error)
            else:
                recorder = self._recorders[generation]
                self._recording.submit(recorder.record, future.result())
        with self._lock:
            self._in_flight[generation] -= 1
            last = generation in self._closing and self._in_flight[generation] == 0
        if last:
            self._recording.submit(self._finish, generation)

    def _finish(self, generation: int) -> None:
        with self._lock:
            self._closing.discard(generation)
            recorder = self._recorders.pop(generation)
            del self._in_flight[generation]
        with recorder:
            summary = recorder.finish(self.collector.known_hosts)
        self.sweeps += 1
        self.last = summary
        log.info(
            "ssh sweep %d: %d APs (%d ok, %d failed %s), %d configs changed, commit %s",
            self.sweeps,
            summary.aps,
            summary.ok,
            summary.failed,
            dict(summary.failures),
            summary.configs_changed,
            summary.commit or "-",
        )

    def close(self) -> None:
        """Stop starting sessions, let running ones end (each within its deadline), and record
        them; an unfinished sweep's facts and points are kept, its configs wait for the next."""
        self._workers.shutdown(wait=True, cancel_futures=True)
        for recorder in list(self._recorders.values()):
            self._recording.submit(_flush_and_close, recorder)
        self._recording.shutdown(wait=True)


def _flush_and_close(recorder: SweepRecorder) -> None:
    with recorder:
        recorder.flush()
