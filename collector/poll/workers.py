"""``pubwifi poll`` over several worker processes: one command, every core, one JSON line per cycle.

The parent makes sure the inventory is compiled (:func:`collector.workers.compile.prepare`:
the strict load runs once, in a child that exits), adopts what another ``--workers`` count left
(``--sink influx``), starts the workers (:class:`collector.workers.supervisor.Supervisor`) and
merges their cycle lines into the one ``poll --once`` prints: counts and CPU add up; the cycle's
``seconds`` runs from the first worker's start of that cycle to the last one's end (so the
workers' own start-up skew is inside it); ``peak_rss_mb`` is the parent's plus every worker's.
A worker that fails ends the command with its status; its part of the cycle is not printed as
if it had been polled.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from collector.settings import Settings
from collector.workers.compile import prepare
from collector.workers.supervisor import StopSignals, Supervisor, worker_argv

log = logging.getLogger(__name__)

_SUMMED = ("cpu_seconds", "written", "spooled")  # added up when the workers report them


def run_parent(args: argparse.Namespace, settings: Settings, count: int) -> int:
    from collector.poll.cli import inventory_cache_dir

    started = time.time()
    status = prepare(
        Path(args.inventory), inventory_cache_dir(settings.data_dir), args.shard, count
    )
    if status:
        return status
    if args.sink == "influx":
        from collector.collect.layout import adopt_other_layouts

        adopt_other_layouts(settings.data_dir, args.shard.part(1, count))
    command = list(getattr(args, "argv", None) or sys.argv[1:])
    supervisor = Supervisor(
        count,
        lambda j: worker_argv(command, j, count),
        stop_grace_s=args.drain_timeout + 30.0,
    )
    merger = CycleMerger(count, str(args.shard), started)
    with StopSignals() as signals:
        supervisor.start()
        while supervisor.running() and supervisor.fatal is None and not signals.event.is_set():
            message = supervisor.next_message()
            if message is None or not message.data or message.event is not None:
                continue  # nothing, an exit, or an event such as "ready"
            if "aps" not in message.data:
                continue
            merged = merger.add(message.worker, message.data)
            if merged is not None:
                merged["peak_rss_mb"] = round(supervisor.summed_peak_rss_mb(), 1)
                print(json.dumps(merged, separators=(",", ":")), flush=True)
        if supervisor.running():
            supervisor.stop()
    if supervisor.fatal is not None:
        return supervisor.fatal.returncode
    if signals.event.is_set():
        return 130
    # a worker's 1 means "none of my APs answered", judged below for the whole fleet
    failed = [e for e in supervisor.last_exits() if e.returncode not in (0, 1)]
    for ended in failed:
        log.error("worker %d/%d exited with status %d", ended.worker, count, ended.returncode)
    if failed or merger.pending:
        return 1  # some worker's part of a cycle is missing: not a fleet result
    total = merger.last
    return 0 if total is None or total["aps"] == 0 or total["ok"] > 0 else 1


class CycleMerger:
    """Collects each worker's line for cycle N; when all are in, returns the fleet's line."""

    def __init__(self, count: int, shard: str, started: float) -> None:
        self.count = count
        self.shard = shard
        self.started = started  # when the command started (for start-up time)
        self.pending: dict[int, dict[int, dict[str, Any]]] = {}  # cycle -> worker -> line
        self.last: dict[str, Any] | None = None

    def add(self, worker: int, line: dict[str, Any]) -> dict[str, Any] | None:
        cycle = int(line.get("cycle", 1))
        lines = self.pending.setdefault(cycle, {})
        lines[worker] = line
        if len(lines) < self.count:
            return None
        del self.pending[cycle]
        self.last = merge(cycle, [lines[j] for j in sorted(lines)], self.shard, self.started)
        return self.last


def merge(
    cycle: int, lines: list[dict[str, Any]], shard: str, command_started: float
) -> dict[str, Any]:
    """The fleet's cycle line from its workers' lines (see the module doc)."""
    merged: dict[str, Any] = {}
    for key in ("aps", "ok", "failed"):
        merged[key] = sum(int(line.get(key, 0)) for line in lines)
    starts = [float(line["started_at"]) for line in lines if "started_at" in line]
    ends = [float(line["ended_at"]) for line in lines if "ended_at" in line]
    if len(starts) == len(lines) and len(ends) == len(lines):
        seconds = max(ends) - min(starts)
    else:
        seconds = max(float(line.get("seconds", 0.0)) for line in lines)
    merged["seconds"] = round(seconds, 3)
    merged["samples"] = sum(int(line.get("samples", 0)) for line in lines)
    for key in ("reasons", "conditions"):
        total: Counter[str] = Counter()
        for line in lines:
            total.update({str(k): int(v) for k, v in dict(line.get(key, {})).items()})
        merged[key] = dict(sorted(total.items()))
    merged["cycle"] = cycle
    if starts:
        merged["started_at"] = round(min(starts), 3)
        merged["ended_at"] = round(max(ends), 3) if ends else None
        if cycle == 1:  # process start, imports, inventory load until the last worker polled
            merged["startup_s"] = round(max(starts) - command_started, 3)
    for key in _SUMMED:
        if any(key in line for line in lines):
            value = sum(float(line.get(key, 0)) for line in lines)
            merged[key] = round(value, 3) if key == "cpu_seconds" else int(value)
    written = [
        float(line["started_at"]) + float(line["written_s"])
        for line in lines
        if "written_s" in line and "started_at" in line
    ]
    if written and len(written) == len(lines):  # until InfluxDB held every worker's points
        merged["written_s"] = round(max(written) - min(starts), 3)
    merged["shard"] = shard
    merged["workers"] = len(lines)
    engine: Counter[str] = Counter()
    for line in lines:
        engine.update({k: int(v) for k, v in dict(line.get("engine", {})).items()})
    merged["engine"] = dict(engine)
    merged["per_worker"] = [
        {
            "worker": j,
            "aps": line.get("aps"),
            "seconds": line.get("seconds"),
            "cpu_seconds": line.get("cpu_seconds"),
            "peak_rss_mb": line.get("peak_rss_mb"),
            **({"start": line["start"]} if "start" in line else {}),
        }
        for j, line in enumerate(lines, 1)
    ]
    return merged
