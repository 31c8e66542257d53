"""Our side: ``pubwifi poll --once`` as a measured child process, one variant per run.

Whatever state ``poll`` is in, a variant is one command; its CPU comes from ``os.wait4``, its
peak RSS, the cycle time and counts from the JSON lines it prints (``peak_rss_mb`` is the
kernel's ``VmHWM`` of each of its processes, summed; wait4's ``ru_maxrss`` would include this
harness's own memory from before the exec). A variant whose
command fails is recorded as skipped with the reason, never counted as a result.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleet.procs import ChildRun, cpu_seconds, run_measured


@dataclass(frozen=True)
class Variant:
    """One way of running ``poll``: which inventory, which sink."""

    key: str
    title: str
    inventory: Path
    sink: str = "none"
    repeat: int = 3  # cycles in one process: the first is first contact, the rest steady state
    rediscover: bool = True  # ignore the discovery cache (true first contact)
    shards: int = 1  # >1: that many `--shard K/N` processes at once, the concurrency split
    workers: int | None = None  # --workers; None: poll's default (one worker per usable core)


@dataclass
class PollRun:
    """One measured ``poll --once`` (or the reason it did not run)."""

    variant: str
    skipped: str = ""
    aps: int = 0
    ok: int = 0
    failed: int = 0
    cycle_s: float = 0.0  # the first cycle (first contact unless the cache was used)
    steady_cycle_s: float | None = None  # median of cycles 2.. in the same process
    first_cpu_s: float | None = None  # CPU of the first cycle, as poll reports it
    steady_cpu_s: float | None = None  # median CPU of cycles 2..
    written_s: float | None = None  # influx: first cycle until InfluxDB took every point
    steady_written_s: float | None = None
    requests: int | None = None  # SNMP requests of the first cycle
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    snmpd_cpu_s: float = 0.0
    server_cpu_s: float | None = None  # influxd, for the influx sink
    shard_peak_rss_mb: float | None = None  # sharded: the largest one process reached
    workers: int = 1  # worker processes of the command (its JSON line's "workers")
    startup_s: float | None = None  # command start until its last worker began polling
    cycles_run: int = 0  # cycles the process printed
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.aps / self.cycle_s if self.cycle_s > 0 else 0.0

    @property
    def first_us_per_ap(self) -> float | None:
        return None if self.first_cpu_s is None or not self.aps else (
            1e6 * self.first_cpu_s / self.aps)

    @property
    def steady_us_per_ap(self) -> float | None:
        return None if self.steady_cpu_s is None or not self.aps else (
            1e6 * self.steady_cpu_s / self.aps)

    @property
    def steady_rate(self) -> float | None:
        if self.steady_cycle_s is None or self.steady_cycle_s <= 0:
            return None
        return self.aps / self.steady_cycle_s


def poll_help(pubwifi: str) -> str | None:
    """``pubwifi poll --help`` text, or None when the command does not exist yet."""
    result = subprocess.run([pubwifi, "poll", "--help"], capture_output=True, text=True,
                            timeout=60, check=False)
    return result.stdout if result.returncode == 0 else None


def poll_argv(pubwifi: str, variant: Variant, concurrency: int, deadline_s: float,
              repeat: bool) -> list[str]:
    """The variant's command; ``repeat`` False: an old ``poll`` (one cycle, no cache flag)."""
    argv = [pubwifi, "poll", "--once", "--inventory", str(variant.inventory),
            "--sink", variant.sink, "--concurrency", str(max(1, concurrency // variant.shards)),
            "--timeout", str(deadline_s)]
    if variant.workers is not None:
        argv += ["--workers", str(variant.workers)]
    if not repeat:
        return argv
    return argv + ["--repeat", str(variant.repeat)] + (["--rediscover"] if variant.rediscover
                                                       else [])


def summaries(stdout: str) -> list[dict[str, object]]:
    """Every JSON cycle summary ``poll`` printed (one per cycle; the last line is the last)."""
    found: list[dict[str, object]] = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{") and '"aps"' in line:
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def measure_poll(argv: list[str], variant: Variant, env: Mapping[str, str], snmpd_pid: int,
                 timeout_s: float, server_pid: int | None = None) -> PollRun:
    """Run one variant; a non-zero exit or a missing JSON line makes it a skip."""
    snmpd_before = cpu_seconds(snmpd_pid)
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    child = run_measured(argv, env, timeout_s)
    run = PollRun(variant=variant.key, snmpd_cpu_s=cpu_seconds(snmpd_pid) - snmpd_before)
    if server_pid:
        run.server_cpu_s = cpu_seconds(server_pid) - server_before
    cycles = summaries(child.stdout)
    if not child.ok or not cycles:
        run.skipped = _why(child, cycles)
        return run
    first = cycles[0]
    run.aps, run.ok, run.failed = int(_num(first, "aps")), int(_num(first, "ok")), int(
        _num(first, "failed"))
    run.cycle_s = _num(first, "seconds")
    steady = cycles[1:]
    if steady:
        run.steady_cycle_s = statistics.median(_num(c, "seconds") for c in steady)
    run.first_cpu_s = _opt(first, "cpu_seconds")
    run.steady_cpu_s = _median(steady, "cpu_seconds")
    run.written_s = _opt(first, "written_s")
    run.steady_written_s = _median(steady, "written_s")
    run.requests = _requests(first)
    run.wall_s, run.cpu_s, run.peak_rss_mb = child.wall_s, child.cpu_s, child.peak_rss_mb
    # poll prints its own peak (VmHWM, with workers summed over its processes); wait4's
    # ru_maxrss would carry this harness's memory from before the exec (collector.workers.memory)
    summed = [v for v in (_opt(c, "peak_rss_mb") for c in cycles) if v is not None]
    if summed:
        run.peak_rss_mb = max(summed)
    run.workers = int(_num(first, "workers")) if "workers" in first else 1
    per_worker = cycles[-1].get("per_worker")
    if isinstance(per_worker, list) and per_worker:  # the largest worker, beside the sum
        run.shard_peak_rss_mb = max(float(w.get("peak_rss_mb") or 0) for w in per_worker)
    run.startup_s = _opt(first, "startup_s")
    run.cycles_run = len(cycles)
    reasons = first.get("reasons")
    if isinstance(reasons, dict):
        run.reasons = {str(k): int(v) for k, v in reasons.items()}
    return run


def measure_sharded(argv: list[str], variant: Variant, env: Mapping[str, str], snmpd_pid: int,
                    timeout_s: float) -> PollRun:
    """``variant.shards`` processes (``--shard K/N``) started together; one run of the fleet.

    The fleet's cycle is the slowest shard's (per cycle index); APs, CPU and peak RSS add up
    (the RSS column is what the machine holds), the largest single process is kept apart.
    """
    count = variant.shards
    children: list[ChildRun | None] = [None] * count
    snmpd_before = cpu_seconds(snmpd_pid)

    def one(k: int) -> None:
        children[k] = run_measured([*argv, "--shard", f"{k + 1}/{count}"], env, timeout_s)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run = PollRun(variant=variant.key, snmpd_cpu_s=cpu_seconds(snmpd_pid) - snmpd_before)
    per_shard = []
    for child in children:
        assert child is not None
        cycles = summaries(child.stdout)
        if not child.ok or not cycles:
            run.skipped = _why(child, cycles)
            return run
        per_shard.append(cycles)
    rounds = min(len(cycles) for cycles in per_shard)
    first = [cycles[0] for cycles in per_shard]
    run.aps = int(sum(_num(c, "aps") for c in first))
    run.ok = int(sum(_num(c, "ok") for c in first))
    run.failed = int(sum(_num(c, "failed") for c in first))
    run.cycle_s = max(_num(c, "seconds") for c in first)
    if rounds > 1:
        run.steady_cycle_s = statistics.median(
            max(_num(cycles[i], "seconds") for cycles in per_shard) for i in range(1, rounds))
        run.steady_cpu_s = statistics.median(
            sum(_opt(cycles[i], "cpu_seconds") or 0.0 for cycles in per_shard)
            for i in range(1, rounds))
    run.first_cpu_s = sum(_opt(c, "cpu_seconds") or 0.0 for c in first)
    requests = [_requests(c) for c in first]
    if all(r is not None for r in requests):
        run.requests = sum(r or 0 for r in requests)
    done = [child for child in children if child is not None]
    run.wall_s = max(child.wall_s for child in done)
    run.cpu_s = sum(child.cpu_s for child in done)
    peaks = [max(_opt(c, "peak_rss_mb") or child.peak_rss_mb for c in cycles)
             for child, cycles in zip(done, per_shard, strict=True)]
    run.peak_rss_mb = sum(peaks)
    run.shard_peak_rss_mb = max(peaks)
    return run


def _requests(summary: Mapping[str, object]) -> int | None:
    """SNMP requests of that cycle, from poll's ``engine`` object."""
    engine = summary.get("engine")
    if isinstance(engine, dict) and isinstance(engine.get("requests"), int):
        return int(engine["requests"])
    return None


def _opt(summary: Mapping[str, object], key: str) -> float | None:
    value = summary.get(key)
    return float(value) if isinstance(value, int | float) else None


def _median(summaries_: list[dict[str, object]], key: str) -> float | None:
    values = [v for v in (_opt(s, key) for s in summaries_) if v is not None]
    return statistics.median(values) if values else None


def _num(summary: Mapping[str, object], key: str) -> float:
    value = summary.get(key)
    if not isinstance(value, int | float):
        raise ValueError(f"poll's JSON line has no number {key!r}: {summary}")
    return float(value)


def _why(child: ChildRun, cycles: list[dict[str, object]]) -> str:
    if child.ok and not cycles:
        return "poll printed no JSON summary line"
    command = " ".join(["pubwifi", *child.argv[1:]])
    return f"`{command}` failed: {child.failure()}"
