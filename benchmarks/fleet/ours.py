"""Our side: ``pubwifi poll --once`` as a measured child process, one variant per run.

Whatever state ``poll`` is in, a variant is one command; its CPU and peak RSS come from
``os.wait4``, the cycle time and counts from the JSON line it prints last. A variant whose
command fails is recorded as skipped with the reason, never counted as a result.
"""

from __future__ import annotations

import json
import subprocess
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


@dataclass
class PollRun:
    """One measured ``poll --once`` (or the reason it did not run)."""

    variant: str
    skipped: str = ""
    aps: int = 0
    ok: int = 0
    failed: int = 0
    cycle_s: float = 0.0
    steady_cycle_s: float | None = None  # a second cycle in the same process, if poll can
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    snmpd_cpu_s: float = 0.0
    server_cpu_s: float | None = None  # influxd, for the influx sink
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.aps / self.cycle_s if self.cycle_s > 0 else 0.0

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
    argv = [pubwifi, "poll", "--once", "--inventory", str(variant.inventory),
            "--sink", variant.sink, "--concurrency", str(concurrency),
            "--timeout", str(deadline_s)]
    return argv + (["--repeat", "2"] if repeat else [])


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
    first, last = cycles[0], cycles[-1]
    run.aps, run.ok, run.failed = int(_num(first, "aps")), int(_num(first, "ok")), int(
        _num(first, "failed"))
    run.cycle_s = _num(first, "seconds")
    if len(cycles) > 1:
        run.steady_cycle_s = _num(last, "seconds")
    run.wall_s, run.cpu_s, run.peak_rss_mb = child.wall_s, child.cpu_s, child.peak_rss_mb
    reasons = first.get("reasons")
    if isinstance(reasons, dict):
        run.reasons = {str(k): int(v) for k, v in reasons.items()}
    return run


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
