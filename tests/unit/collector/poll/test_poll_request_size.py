"""Requests that fit an agent's message size: no OID asked twice, and an answer too big split.

A tri-band AP (Wi-Fi 6E/7) makes the first-contact GET the largest request the poller sends;
the agent answers tooBig past its message size (RFC 3416 4.2.1), which gufo_snmp's ``get_many``
returns as an empty dict. Both sides are tested here without a network.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from collector.inventory.model import AccessPoint
from collector.poll.ap import ApPoller
from collector.profiles import load_profiles
from collector.secrets import Secret
from collector.snmp.engine import SnmpTarget, V2cCredentials, Value, resolve_credentials
from collector.snmp.fake import FakeAgent, FakeEngine
from collector.snmp.gufo_backend import MAX_SPLIT_DEPTH, GufoEngine

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
sys.path.insert(0, str(RECORDINGS))  # the recorded lab devices' fleet (golden.py)
from golden import ENV, lab_fleet  # noqa: E402


class RecordingEngine(FakeEngine):
    """A fake engine that keeps every GET's OID list."""

    def __init__(self, agents: dict[str, FakeAgent]) -> None:
        super().__init__(agents)
        self.gets: list[list[str]] = []

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        self.gets.append(list(oids))
        return await super().get(target, oids)


@pytest.mark.parametrize("platform", ["cisco_ios_ap", "aruba_instant", "mikrotik_routeros"])
def test_first_contact_and_steady_gets_ask_each_oid_once(platform: str, tmp_path: Path) -> None:
    _, chosen = lab_fleet(tmp_path)
    ap: AccessPoint = next(a for a in chosen if a.platform == platform)
    recording = (RECORDINGS / f"{platform}.snmprec").read_text(encoding="utf-8")
    engine = RecordingEngine({ap.id: FakeAgent.from_snmprec(recording)})
    credentials = resolve_credentials(ap.snmp_auth, ENV)
    target = SnmpTarget(ap.id, str(ap.address), ap.snmp_port, credentials)
    poller = ApPoller(engine, load_profiles())
    for _ in range(2):
        assert asyncio.run(poller.poll(ap, target)).up
    assert len(engine.gets) == 2  # first contact's combined GET, then the steady one
    for oids in engine.gets:
        twice = sorted({oid for oid in oids if oids.count(oid) > 1})
        assert twice == [], f"asked more than once: {twice}"


class _Session:
    """Answers like an agent with ``values`` and a message size of ``room`` varbinds: more
    than that and the answer is tooBig, which gufo_snmp hands back as an empty dict."""

    def __init__(self, values: dict[str, Value], room: int) -> None:
        self.values, self.room = values, room
        self.asked: list[int] = []

    async def get_many(self, oids: Sequence[str]) -> dict[str, Value]:
        self.asked.append(len(oids))
        if len(oids) > self.room:
            return {}
        return {oid: self.values[oid] for oid in oids if oid in self.values}


def _engine(session: _Session, max_varbinds: int = 40) -> GufoEngine:
    engine = GufoEngine(max_sessions=0, max_varbinds=max_varbinds)

    async def request(target: SnmpTarget, operation: Callable[[Any], Awaitable[Any]]) -> Any:
        engine.requests += 1
        return await operation(session)

    engine._request = request  # type: ignore[method-assign]
    return engine


TARGET = SnmpTarget("AP-1", "127.0.0.1", 161, V2cCredentials(Secret("c")))
OIDS = [f"1.3.6.1.4.1.99999.1.{n}" for n in range(1, 36)]
VALUES: dict[str, Value] = {oid: n for n, oid in enumerate(OIDS)}


@pytest.mark.parametrize("room", [35, 34, 20, 9, 5])
def test_a_get_answered_too_big_is_asked_again_in_halves(room: int) -> None:
    session = _Session(VALUES, room)
    engine = _engine(session)
    assert asyncio.run(engine.get(TARGET, OIDS)) == VALUES
    assert (engine.gets_split > 0) == (room < len(OIDS))
    assert max(session.asked[1:], default=0) <= len(OIDS) - len(OIDS) // 2


def test_chunks_past_max_varbinds_are_split_too() -> None:
    session = _Session(VALUES, 8)
    engine = _engine(session, max_varbinds=20)
    assert asyncio.run(engine.get(TARGET, OIDS)) == VALUES
    assert engine.gets_split >= 2


def test_an_agent_with_none_of_the_objects_costs_a_bounded_number_of_requests() -> None:
    session = _Session({}, 100)
    engine = _engine(session)
    assert asyncio.run(engine.get(TARGET, OIDS)) == {}
    assert engine.requests <= 1 + 2 ** (MAX_SPLIT_DEPTH + 1) - 2
    assert asyncio.run(engine.get(TARGET, OIDS[:1])) == {}  # one OID: nothing to split


def test_a_full_answer_is_one_request() -> None:
    session = _Session(VALUES, 100)
    engine = _engine(session)
    assert asyncio.run(engine.get(TARGET, OIDS)) == VALUES
    assert engine.requests == 1 and engine.gets_split == 0
