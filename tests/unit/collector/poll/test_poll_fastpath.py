"""The runner's fast path for known APs (collector.poll.fastpath) against a fake engine.

The fake offers ``start_get``/``cancel_get`` as GufoEngine does: answers arrive as callbacks
from the event loop. The fast path must give the same samples as the full path, hand what it
cannot finish (no answer, an error, an empty answer, an AP that changed) to the full path
within the AP's deadline, and keep a dead AP from holding a concurrency slot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from pollfixtures import ENV, SYS_OBJECT_ID, acme_agent, build_profiles, make_ap

from collector.poll.runner import Runner, RunnerOptions
from collector.poll.sample import Sample
from collector.poll.sink import ListSink
from collector.snmp.engine import Reason, SnmpPollError, SnmpTarget, Value
from collector.snmp.fake import FakeAgent, FakeEngine

Done = Callable[[dict[str, Value] | None, BaseException | None], None]


class FastFakeEngine(FakeEngine):
    """FakeEngine with GufoEngine's callback GET; ``empty``/``broken``: APs answering so."""

    def __init__(self, agents: dict[str, FakeAgent], request_timeout: float = 0.1) -> None:
        super().__init__(agents)
        self.request_timeout = request_timeout
        self.fast: list[str] = []
        self.cancelled: list[str] = []
        self.empty: set[str] = set()
        self.broken: set[str] = set()

    def start_get(self, target: SnmpTarget, oids: list[str], done: Done) -> bool:
        self.fast.append(target.key)
        agent = self.agents.get(target.key)
        if agent is None or agent.hang:
            return True  # sent; nothing will ever answer
        loop = asyncio.get_running_loop()
        if target.key in self.broken:
            loop.call_soon(done, None, SnmpPollError(Reason.DECODE))
        elif target.key in self.empty:
            loop.call_soon(done, {}, None)
        else:
            answer = {oid: agent.values[oid] for oid in oids if oid in agent.values}
            loop.call_later(agent.delay, done, answer, None)
        return True

    def cancel_get(self, target: SnmpTarget) -> None:
        self.cancelled.append(target.key)


def _run(runner: Runner, aps: list, cycles: int = 2) -> list[list[Sample]]:
    async def go() -> list[list[Sample]]:
        out = []
        for _ in range(cycles):
            sink = ListSink()
            await runner.poll_once(aps, sink)
            out.append(sink.samples)
        return out

    return asyncio.run(go())


def _comparable(sample: Sample) -> Sample:
    return dataclasses.replace(sample, time_ns=0, elapsed_s=0.0)


def test_known_aps_go_by_the_fast_path_with_the_same_samples_as_the_full_path() -> None:
    aps = [make_ap(f"AP-{i}", n=i) for i in range(30)]
    agents = {ap.id: acme_agent(rx=1000 + i) for i, ap in enumerate(aps)}
    fast = FastFakeEngine(agents)
    runner = Runner(fast, build_profiles(), RunnerOptions(concurrency=8), environ=ENV)
    _, second = _run(runner, aps)
    assert len(fast.fast) == 30 and runner.fast_requests == 30  # cycle 2 only: cycle 1 discovers
    assert all(s.up for s in second)
    full = Runner(FakeEngine(agents), build_profiles(), RunnerOptions(concurrency=8), environ=ENV)
    _, reference = _run(full, aps)
    by_id = {s.ap_id: _comparable(s) for s in reference}
    assert [_comparable(s) for s in sorted(second, key=lambda s: s.ap_id)] == [
        by_id[s.ap_id] for s in sorted(second, key=lambda s: s.ap_id)
    ]
    assert full.fast_requests == 0  # an engine without start_get: the full path only


def test_a_silent_known_ap_is_handed_on_and_times_out_within_its_deadline() -> None:
    deadline = 0.4
    live = [make_ap(f"LIVE-{i}", n=i) for i in range(40)]
    dead = make_ap("DEAD", n=99)
    agents = {ap.id: acme_agent() for ap in [*live, dead]}
    engine = FastFakeEngine(agents, request_timeout=0.25)
    options = RunnerOptions(concurrency=1, deadline_s=deadline, slot_hold_s=0.02)
    runner = Runner(engine, build_profiles(), options, environ=ENV)
    _run(runner, [dead, *live], cycles=1)  # discovered while it still answered
    agents[dead.id].hang = True
    started = time.monotonic()
    (samples,) = _run(runner, [dead, *live], cycles=1)
    took = time.monotonic() - started
    down = [s for s in samples if not s.up]
    assert [s.ap_id for s in down] == [dead.id] and down[0].reason == "timeout"
    assert engine.cancelled == [dead.id] and runner.fast_timeouts == 1
    assert took < deadline + 0.15  # its deadline, not the fast timeout plus a whole new one
    assert sum(s.up for s in samples) == 40  # one slot, yet the dead AP held it only briefly


def test_an_ap_that_changed_is_rediscovered_by_the_full_path() -> None:
    ap = make_ap("AP-1")
    agent = acme_agent()
    engine = FastFakeEngine({ap.id: agent})
    runner = Runner(engine, build_profiles(), RunnerOptions(), environ=ENV)
    _run(runner, [ap], cycles=1)
    agent.set(SYS_OBJECT_ID, "1.3.6.1.4.1.99999.1.7")  # swapped for another model
    (samples,) = _run(runner, [ap], cycles=1)
    assert samples[0].up and samples[0].rediscovered
    assert runner.ap_poller.counts["rediscovered"] == 1
    assert engine.calls[(ap.id, "walk")] == 2  # discovered at first contact and again now


def test_empty_and_failed_fast_answers_are_asked_again_by_the_full_path() -> None:
    aps = [make_ap("EMPTY", n=1), make_ap("BROKEN", n=2)]
    engine = FastFakeEngine({ap.id: acme_agent() for ap in aps})
    runner = Runner(engine, build_profiles(), RunnerOptions(), environ=ENV)
    _run(runner, aps, cycles=1)
    gets_before = sum(n for (key, op), n in engine.calls.items() if op == "get")
    engine.empty.add("EMPTY")
    engine.broken.add("BROKEN")
    (samples,) = _run(runner, aps, cycles=1)
    assert all(s.up for s in samples) and len(samples) == 2
    assert sum(n for (key, op), n in engine.calls.items() if op == "get") == gets_before + 2
