"""Issue 5's schedule case: ``pubwifi collect`` on the whole fleet, ``--interval 60``, N cycles.

One child process, a fresh data directory, the harness's InfluxDB and a free metrics port. Its
log lines are time-stamped as they arrive; ``cycle N: P APs polled (U up, D down) over S s``
lines say when each cycle ended. ``/metrics`` is read every few seconds for the largest
``pubwifi_schedule_lag_seconds``. CPU comes from ``os.wait4``, peak RSS from the collector's
last line (the VmHWM of its parent and each worker, summed; wait4 only for a collector that
does not print it); CPU
after the first cycle (first contact over, steady state) from ``/proc`` (the process and its
workers) read at that cycle's end.
A cycle counts as missed when the gap to the previous one is over 1.5 intervals (or fewer
cycles ended than asked); as overlapping when it is under 0.5 intervals or its polls were
still running when the next started (more APs polled than the fleet holds in some cycle).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import subprocess
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleet.procs import free_tcp_port, tree_cpu_seconds

CYCLE_LINE = re.compile(
    r"cycle (\d+): (\d+) APs polled \((\d+) up, (\d+) down\) over ([\d.]+) s")
LAG_LINE = re.compile(r"^pubwifi_schedule_lag_seconds (\S+)$", re.MULTILINE)
RSS_LINE = re.compile(  # collect with workers: the sum, then each worker's
    r"peak RSS of all processes ([\d.]+) MB(?: \(workers ([\d., ]+) MB\))?")


@dataclass
class CollectRun:
    """What ``pubwifi collect`` did over its cycles (or why it could not run)."""

    aps: int
    interval_s: float
    cycles_asked: int
    skipped: str = ""
    cycles: list[tuple[float, int, int, int]] = field(default_factory=list)  # t, polled, up, down
    wall_s: float = 0.0
    cpu_s: float = 0.0
    steady_cpu_s: float | None = None  # CPU from the first cycle's end to the last one's
    steady_wall_s: float | None = None
    peak_rss_mb: float = 0.0
    max_lag_s: float = 0.0
    summed_rss_mb: float | None = None  # the parent's own account of all its processes
    worker_rss: str = ""  # each worker's peak, as the parent printed them ("412.0, 151.3")
    returncode: int = 0

    @property
    def gaps(self) -> list[float]:
        times = [t for t, *_ in self.cycles]
        return [b - a for a, b in itertools.pairwise(times)]

    @property
    def missed(self) -> int:
        late = sum(1 for gap in self.gaps if gap > 1.5 * self.interval_s)
        return late + max(0, self.cycles_asked - len(self.cycles))

    @property
    def overlapped(self) -> int:
        early = sum(1 for gap in self.gaps if gap < 0.5 * self.interval_s)
        return early + sum(1 for _, polled, _, _ in self.cycles if polled > self.aps)

    @property
    def cpu_percent(self) -> float:
        return 100 * self.cpu_s / self.wall_s if self.wall_s else 0.0

    @property
    def steady_cpu_percent(self) -> float | None:
        if self.steady_cpu_s is None or not self.steady_wall_s:
            return None
        return 100 * self.steady_cpu_s / self.steady_wall_s


def measure_collect(pubwifi: str, inventory: Path, aps: int, env: Mapping[str, str],
                    data_dir: Path, interval_s: float, cycles: int,
                    concurrency: int, deadline_s: float) -> CollectRun:
    """Run ``collect`` for ``cycles`` cycles and read its schedule, CPU and memory."""
    run = CollectRun(aps=aps, interval_s=interval_s, cycles_asked=cycles)
    port = free_tcp_port()
    argv = [pubwifi, "collect", "--inventory", str(inventory), "--interval", f"{interval_s:g}",
            "--max-cycles", str(cycles), "--metrics-port", str(port),
            "--concurrency", str(concurrency), "--timeout", f"{deadline_s:g}"]
    child_env = {**env, "PUBWIFI_DATA_DIR": str(data_dir)}
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=child_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tail: list[str] = []
    cpu_at_cycle_end: list[tuple[float, float]] = []  # (monotonic time, CPU seconds)

    def read_log() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            now = time.monotonic()
            tail.append(line.rstrip())
            del tail[:-20]
            summed = RSS_LINE.search(line)
            if summed:
                run.summed_rss_mb = float(summed.group(1))
                run.worker_rss = summed.group(2) or ""
            match = CYCLE_LINE.search(line)
            if match:
                polled, up, down = (int(match.group(i)) for i in (2, 3, 4))
                run.cycles.append((now - started, polled, up, down))
                with contextlib.suppress(OSError):
                    cpu_at_cycle_end.append((now, tree_cpu_seconds(proc.pid)))

    stop = threading.Event()

    def watch_lag() -> None:
        while not stop.wait(2.0):
            with contextlib.suppress(OSError, ValueError):
                url = f"http://127.0.0.1:{port}/metrics"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    match = LAG_LINE.search(answer.read().decode())
                if match:
                    run.max_lag_s = max(run.max_lag_s, float(match.group(1)))

    threads = [threading.Thread(target=read_log, daemon=True),
               threading.Thread(target=watch_lag, daemon=True)]
    for thread in threads:
        thread.start()
    limit = (cycles + 3) * interval_s + 300
    timer = threading.Timer(limit, lambda: _kill(proc.pid))
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
        stop.set()
    run.wall_s = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    threads[0].join(timeout=10)
    run.returncode = proc.returncode
    run.cpu_s = usage.ru_utime + usage.ru_stime
    # the collector's own account (VmHWM of its processes); wait4's ru_maxrss would carry this
    # harness's memory from before the exec
    run.peak_rss_mb = run.summed_rss_mb if run.summed_rss_mb else usage.ru_maxrss / 1024
    if len(cpu_at_cycle_end) > 1:
        (t0, c0), (t1, c1) = cpu_at_cycle_end[0], cpu_at_cycle_end[-1]
        run.steady_wall_s, run.steady_cpu_s = t1 - t0, c1 - c0
    if proc.returncode != 0 or not run.cycles:
        run.skipped = (f"`pubwifi collect` exit status {proc.returncode}, {len(run.cycles)} "
                       "cycles: " + " | ".join(tail[-3:]))
    return run


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)


def describe(run: CollectRun) -> list[str]:
    """The summary's lines for the schedule case."""
    title = (f"(e) pubwifi collect, {run.aps} APs, --interval {run.interval_s:g}, "
             f"{run.cycles_asked} cycles")
    if run.skipped:
        return [f"{title}: skipped: {run.skipped}"]
    gaps = run.gaps
    gap_text = (f"gaps between cycle ends {min(gaps):.1f}-{max(gaps):.1f} s" if gaps
                else "one cycle only")
    polled = [p for _, p, _, _ in run.cycles]
    steady = run.steady_cpu_percent
    steady_text = f", {steady:.1f} % after the first cycle" if steady is not None else ""
    return [
        title,
        f"    {len(run.cycles)} cycles completed, {run.missed} missed, {run.overlapped} "
        f"overlapping; {gap_text}; APs polled per cycle {min(polled)}-{max(polled)}; "
        f"max schedule lag {run.max_lag_s:.2f} s",
        f"    CPU {run.cpu_s:.1f} s over {run.wall_s:.0f} s = {run.cpu_percent:.1f} % of one core"
        f"{steady_text}; peak RSS {run.peak_rss_mb:.1f} MB"
        + (f" (workers {run.worker_rss} MB; the rest is the parent)" if run.worker_rss else ""),
    ]
