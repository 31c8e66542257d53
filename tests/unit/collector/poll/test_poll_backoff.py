"""Dead-AP back-off: thresholds, doubling, jitter, reset on any answer."""

from __future__ import annotations

import asyncio
import random

from pollfixtures import ENV, acme_agent, build_profiles, make_ap

from collector.poll.backoff import BackOff, BackOffPolicy
from collector.poll.runner import Runner, RunnerOptions
from collector.poll.sink import ListSink
from collector.snmp.fake import FakeEngine


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backs_off_after_threshold_then_doubles_within_jitter() -> None:
    clock = Clock()
    policy = BackOffPolicy(threshold=3, base_delay_s=60, max_delay_s=600, jitter=0.25)
    backoff = BackOff(policy, clock=clock, rng=random.Random(1))
    for _ in range(2):
        backoff.record("AP-1", "timeout")
        assert backoff.due("AP-1")
    waits = []
    for _ in range(6):
        backoff.record("AP-1", "timeout")
        assert not backoff.due("AP-1")
        wait = backoff._failing["AP-1"].next_try - clock.now
        waits.append(wait)
        clock.now += wait
        assert backoff.due("AP-1")
    for wait, nominal in zip(waits, (60, 120, 240, 480, 600, 600), strict=True):
        assert 0.75 * nominal <= wait <= 1.25 * nominal


def test_jitter_spreads_dead_aps() -> None:
    clock = Clock()
    backoff = BackOff(BackOffPolicy(threshold=1, jitter=0.25), clock=clock, rng=random.Random(7))
    for i in range(50):
        backoff.record(f"AP-{i}", "timeout")
    assert len({round(s.next_try, 6) for s in backoff._failing.values()}) == 50


def test_any_answer_resets_and_auth_errors_are_not_dead() -> None:
    backoff = BackOff(BackOffPolicy(threshold=1), clock=Clock())
    backoff.record("AP-1", "timeout")
    assert not backoff.due("AP-1")
    backoff.record("AP-1", None)
    assert backoff.due("AP-1") and backoff.failures("AP-1") == 0
    for _ in range(5):
        backoff.record("AP-2", "auth")
    assert backoff.due("AP-2") and backoff.failures("AP-2") == 0


def tries(engine: FakeEngine, key: str) -> int:
    """Requests sent to ``key`` (a dead AP's first request, walk or GET, never returns)."""
    return engine.calls[(key, "walk")] + engine.calls[(key, "get")]


def test_runner_skips_backed_off_ap_and_reports_it_down() -> None:
    clock = Clock()
    backoff = BackOff(BackOffPolicy(threshold=2, base_delay_s=60), clock=clock)
    dead = make_ap("DEAD", n=1)
    alive = make_ap("ALIVE", n=2)
    engine = FakeEngine({"ALIVE": acme_agent()})  # DEAD has no agent: never answers
    runner = Runner(engine, build_profiles(), RunnerOptions(deadline_s=0.05), backoff, ENV)
    reasons = []
    for _ in range(4):
        sink = ListSink()
        stats = asyncio.run(runner.poll_once([dead, alive], sink))
        assert stats.ok == 1 and stats.failed == 1 and stats.samples == 2
        reasons.append(next(s.reason for s in sink.samples if s.ap_id == "DEAD"))
    assert reasons == ["timeout", "timeout", "backoff", "backoff"]
    assert tries(engine, "DEAD") == 2
    clock.now += 200  # past the (jittered) first wait
    sink = ListSink()
    asyncio.run(runner.poll_once([dead], sink))
    assert sink.samples[0].reason == "timeout" and tries(engine, "DEAD") == 3


def test_unanswered_aps_are_asked_first_next_cycle() -> None:
    order: list[str] = []

    class Recording(FakeEngine):
        async def walk(self, target, column_oid):  # type: ignore[no-untyped-def]
            order.append(target.key)
            return await super().walk(target, column_oid)

        async def get(self, target, oids):  # type: ignore[no-untyped-def]
            order.append(target.key)
            return await super().get(target, oids)

    backoff = BackOff()
    backoff.record("B", "timeout")
    aps = [make_ap(name, n=i) for i, name in enumerate(("A", "B", "C"), start=1)]
    engine = Recording({name: acme_agent() for name in ("A", "B", "C")})
    runner = Runner(
        engine, build_profiles(), RunnerOptions(deadline_s=1), backoff=backoff, environ=ENV
    )
    asyncio.run(runner.poll_once(aps, ListSink()))
    assert order[0] == "B", order
    assert set(order) == {"A", "B", "C"}
