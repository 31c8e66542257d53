"""``pubwifi collect`` over several worker processes, one ``/metrics`` for them all.

The parent compiles the inventory once (:func:`collector.workers.compile.prepare`), adopts
what another ``--workers`` count left (:mod:`collector.collect.layout`), serves ``/metrics``
(:class:`collector.metrics.WorkerMetrics`: the workers' values added up, plus
``pubwifi_collector_workers`` and ``pubwifi_collector_worker_restarts_total``) and runs the
workers (:class:`collector.workers.supervisor.Supervisor`): each polls its part of the shard on
the same schedule, with its own write path (accounting, journal, spool, shipping) on its own
core. Worker 1 of shard 1 keeps the fleet-wide jobs (ledger, alerts) and the shard's SSH
collection. A worker that dies is started again (its spool and baselines are on disk, so it
resumes with exact deltas); SIGTERM or SIGINT stops them all, each draining its spool first.

Each worker reports its cycles; when every running worker has reported one since the last,
the parent logs the collector's line, ``cycle N: P APs polled (U up, D down) over S s``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from collector.collect.layout import adopt_other_layouts
from collector.metrics import MULTIPROC_ENV, WorkerMetrics
from collector.settings import Settings
from collector.workers.compile import prepare
from collector.workers.supervisor import Exit, StopSignals, Supervisor, worker_argv

log = logging.getLogger(__name__)


def run_parent(args: argparse.Namespace, settings: Settings, count: int, port: int) -> int:
    from collector.poll.cli import inventory_cache_dir

    inventory = Path(args.inventory or settings.inventory)
    status = prepare(inventory, inventory_cache_dir(settings.data_dir), args.shard, count)
    if status:
        return status
    adopt_other_layouts(settings.data_dir, args.shard.part(1, count))
    directory = tempfile.mkdtemp(prefix="pubwifi-metrics-")
    try:
        return _supervise(args, count, port, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _supervise(args: argparse.Namespace, count: int, port: int, directory: str) -> int:
    metrics = WorkerMetrics(directory, count)
    metrics.serve("127.0.0.1", port)
    command = list(getattr(args, "argv", None) or sys.argv[1:])

    def exited(ended: Exit) -> None:
        metrics.worker_exited(ended.pid)

    supervisor = Supervisor(
        count,
        lambda j: worker_argv(command, j, count),
        {**os.environ, MULTIPROC_ENV: directory},
        restart=True,
        done_on_success=args.max_cycles is not None,
        on_exit=exited,
        on_restart=lambda worker: metrics.restarts.labels(str(worker)).inc(),
    )
    cycles = FleetCycles(count)
    log.info(
        "collecting shard %s in %d worker processes; metrics on 127.0.0.1:%d/metrics",
        args.shard,
        count,
        port,
    )
    with StopSignals() as signals:
        supervisor.start()
        while not signals.event.is_set() and supervisor.fatal is None:
            if not supervisor.running() and not supervisor.waiting_restart():
                break  # every worker finished (--max-cycles)
            message = supervisor.next_message()
            running = supervisor.ready()
            metrics.workers.labels("running").set(len(running))
            if message is not None and message.event == "cycle":
                line = cycles.add(message.worker, message.data or {}, running)
                if line:
                    log.info("%s", line)
        supervisor.stop()
    rss = supervisor.summed_peak_rss_mb()
    each = ", ".join(f"{w.peak_rss_mb:.1f}" for w in supervisor.workers)
    log.info(
        "collector stopped: %d workers, %d restarts; peak RSS of all processes %.1f MB "
        "(workers %s MB)",
        count,
        sum(w.restarts for w in supervisor.workers),
        rss,
        each,
    )
    if supervisor.fatal is not None:
        return supervisor.fatal.returncode
    return 0


class FleetCycles:
    """Adds up the workers' cycle reports into the collector's cycle line."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.number = 0
        self.pending: dict[int, dict[str, Any]] = {}

    def add(self, worker: int, report: dict[str, Any], running: set[int]) -> str | None:
        """The collector's line once every running worker reported since the last one."""
        self.pending[worker] = report
        if not running or not running.issubset(self.pending):
            return None
        reports = list(self.pending.values())
        self.pending = {}
        self.number += 1
        polled = sum(int(r.get("polled", 0)) for r in reports)
        up = sum(int(r.get("up", 0)) for r in reports)
        down = sum(int(r.get("down", 0)) for r in reports)
        seconds = max(float(r.get("seconds", 0.0)) for r in reports)
        failed = [r for r in reports if not r.get("successful", True)]
        missing = self.count - len(reports)
        note = f"; {missing} worker(s) not reporting" if missing else ""
        if failed:
            note += f"; {len(failed)} worker cycle(s) NOT successful"
        return (
            f"cycle {self.number}: {polled} APs polled ({up} up, {down} down) over "
            f"{seconds:.1f} s{note}"
        )
