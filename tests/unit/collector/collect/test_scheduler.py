"""The collector's cycle bookkeeping: when the last-successful-cycle timestamp may move."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import cast

from prometheus_client import CollectorRegistry

from collector.collect.phases import PhasePlan
from collector.collect.pipeline import Pipeline
from collector.collect.scheduler import Collector
from collector.metrics import CollectorMetrics
from collector.poll.runner import PollStats, Runner

GAUGE = "pubwifi_last_successful_cycle_timestamp_seconds"


@dataclass
class TwoOfThreeTicks:
    """A plan with one AP due on the first two ticks of every three (a 3 s cycle)."""

    ticks: int = 0

    def due(self, start: float, end: float) -> list[object]:
        self.ticks += 1
        return [object()] if self.ticks % 3 else []


@dataclass
class ScriptedRunner:
    """Each poll batch takes the next outcome: a PollStats, or an exception to raise."""

    outcomes: list[PollStats | Exception]

    async def poll_once(self, aps: object, sink: object) -> PollStats:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def save_discovery(self, min_interval_s: float = 0.0) -> bool:
        return False


@dataclass
class Sink:
    up: int = 0
    down: int = 0
    ends: list[tuple[int, int]] = field(default_factory=list)

    def end_cycle(self) -> tuple[int, int]:
        self.ends.append((self.up, self.down))
        return self.up, self.down


@dataclass
class FakePipeline:
    sink: Sink = field(default_factory=Sink)


@dataclass
class Clock:
    now: float = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def run_cycles(outcomes: list[list[PollStats | Exception]], ups: list[int]) -> list[float | None]:
    """One cycle (three 1 s ticks, two poll batches) per entry; the gauge after each cycle."""
    registry = CollectorRegistry()
    clock = Clock()
    runner = ScriptedRunner([outcome for cycle in outcomes for outcome in cycle])
    pipeline = FakePipeline()
    collector = Collector(
        plan=cast(PhasePlan, TwoOfThreeTicks()),
        runner=cast(Runner, runner),
        pipeline=cast(Pipeline, pipeline),
        metrics=CollectorMetrics(registry),
        interval_s=3.0,
        clock=clock,
    )
    seen: list[float | None] = []

    async def main() -> None:
        for cycle, up in zip(outcomes, ups, strict=True):
            assert len(cycle) == 2  # the batches of the cycle's first two ticks
            pipeline.sink.up, pipeline.sink.down = up, 2 - up
            before = collector.cycles
            for _ in range(3):
                clock.now += 1.0
                await collector.tick()
                await collector.drain()  # each batch finishes within its cycle
            assert collector.cycles == before + 1
            seen.append(registry.get_sample_value(GAUGE))

    asyncio.run(main())
    return seen


def ok(aps: int = 1, failed: int = 0) -> PollStats:
    return PollStats(aps=aps, ok=aps - failed, failed=failed)


def test_timestamp_moves_only_after_successful_cycles() -> None:
    t0 = Clock().now
    seen = run_cycles(
        [
            [ok(), ok()],  # both APs answered
            [ok(failed=1), ok(failed=1)],  # every AP failed
            [ok(), RuntimeError("batch blew up")],  # one batch raised
            [ok(failed=1), ok()],  # one AP answered: enough
        ],
        ups=[2, 0, 1, 1],
    )
    assert seen == [t0 + 3, t0 + 3, t0 + 3, t0 + 12]


def test_no_cycle_ever_successful_leaves_the_gauge_unset() -> None:
    seen = run_cycles([[ok(failed=1), ok(failed=1)]], ups=[0])
    assert seen == [0.0]  # a Gauge starts at 0: "never", which alerts as stale


def test_batch_errors_alone_are_not_success() -> None:
    assert run_cycles([[RuntimeError("x"), RuntimeError("y")]], ups=[0]) == [0.0]
