"""The runner: bounded concurrency, per-AP deadline, dead APs never delay the rest, stats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pollfixtures import ENV, acme_agent, build_profiles, make_ap

from collector.poll.runner import Runner, RunnerOptions
from collector.poll.sample import Sample
from collector.poll.sink import ListSink
from collector.snmp.engine import Reason
from collector.snmp.fake import FakeAgent, FakeEngine


class TimedSink:
    """Records when each sample arrived (relative to the start)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.arrived: dict[str, float] = {}
        self.batches: list[int] = []
        self.samples: list[Sample] = []

    async def emit(self, samples: Sequence[Sample]) -> None:
        now = time.monotonic() - self.start
        self.batches.append(len(samples))
        for sample in samples:
            self.arrived.setdefault(sample.ap_id, now)
        self.samples.extend(samples)


def test_dead_aps_finish_in_about_one_deadline_and_do_not_delay_live_ones() -> None:
    deadline = 0.5
    dead = [make_ap(f"DEAD-{i}", n=i) for i in range(100)]
    live = [make_ap(f"LIVE-{i}", n=1000 + i) for i in range(400)]
    agents = {ap.id: FakeAgent(acme_agent().values, delay=0.002) for ap in live}
    agents.update({ap.id: FakeAgent({}, hang=True) for ap in dead})
    aps = [ap for pair in zip(dead, live[:100], strict=True) for ap in pair] + live[100:]
    # fewer slots than dead APs: a dead AP must give its slot back
    options = RunnerOptions(concurrency=20, deadline_s=deadline, slot_hold_s=0.02, batch_size=50)
    runner = Runner(FakeEngine(agents), build_profiles(), options, environ=ENV)
    sink = TimedSink()
    start_ns = time.time_ns()
    stats = asyncio.run(runner.poll_once(aps, sink))
    assert stats.aps == 500 and stats.ok == 400 and stats.failed == 100
    assert stats.reasons == {"timeout": 100} and stats.samples == 500
    assert stats.seconds < 2 * deadline, stats.seconds  # ~1 deadline, not 100 x deadline / 20
    dead_samples = [s for s in sink.samples if not s.up]
    assert all(deadline * 0.9 <= s.elapsed_s < deadline * 1.5 for s in dead_samples)
    # live APs were all answered before the first dead one gave up
    live_done = max(s.time_ns for s in sink.samples if s.up)
    assert (live_done - start_ns) / 1e9 < deadline
    assert max(sink.batches) <= 50 + options.pending_limit


def test_concurrency_bound_is_respected() -> None:
    in_flight = 0
    peak = 0

    class CountingEngine(FakeEngine):
        async def get(self, target, oids):  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await super().get(target, oids)
            finally:
                in_flight -= 1

    aps = [make_ap(f"AP-{i}", n=i) for i in range(200)]
    engine = CountingEngine({ap.id: FakeAgent(acme_agent().values, delay=0.005) for ap in aps})
    runner = Runner(
        engine, build_profiles(), RunnerOptions(concurrency=8, slot_hold_s=1), environ=ENV
    )
    stats = asyncio.run(runner.poll_once(aps, ListSink()))
    assert stats.ok == 200
    assert peak == 8


def test_failure_reasons_are_reported_per_ap() -> None:
    aps = [make_ap(f"AP-{i}", n=i) for i in range(4)]
    engine = FakeEngine(
        {
            "AP-0": acme_agent(),
            "AP-1": FakeAgent({}, fail=Reason.AUTH),
            "AP-2": FakeAgent({}, fail=Reason.DECODE),
            "AP-3": FakeAgent({}),  # answers nothing at all: no sysUpTime
        }
    )
    sink = ListSink()
    stats = asyncio.run(Runner(engine, build_profiles(), environ=ENV).poll_once(aps, sink))
    assert {s.ap_id: s.reason for s in sink.samples} == {
        "AP-0": None,
        "AP-1": "auth",
        "AP-2": "decode",
        "AP-3": "no_such",
    }
    assert stats.summary()["reasons"] == {"auth": 1, "decode": 1, "no_such": 1}
    assert [stats.summary()[k] for k in ("aps", "ok", "failed", "samples")] == [4, 1, 3, 4]


def test_unset_secret_costs_only_its_ap() -> None:
    ap = make_ap("AP-1")
    sink = ListSink()
    stats = asyncio.run(
        Runner(FakeEngine({"AP-1": acme_agent()}), build_profiles(), environ={}).poll_once(
            [ap], sink
        )
    )
    assert stats.reasons == {"config": 1}


def test_timed_out_session_is_forgotten() -> None:
    engine = FakeEngine({"AP-1": FakeAgent({}, hang=True)})
    runner = Runner(engine, build_profiles(), RunnerOptions(deadline_s=0.05), environ=ENV)
    asyncio.run(runner.poll_once([make_ap("AP-1")], ListSink()))
    assert engine.forgotten == ["AP-1"]
