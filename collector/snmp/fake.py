"""A fake :class:`~collector.snmp.engine.SnmpEngine` for unit tests: agents as OID -> value maps.

An agent can answer late (``delay``), fail with a reason, or never answer (``hang``: the
caller's deadline ends the wait, as with a dead AP). Agents can be loaded from snmprec text
(``OID|TAG|VALUE`` lines, the snmpsim/LibreNMS recording format).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from collector.snmp.engine import Reason, SnmpPollError, SnmpTarget, Value

_INT_TAGS = {"2", "65", "66", "67", "70"}  # Integer32, Counter32, Gauge32, TimeTicks, Counter64


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


@dataclass
class FakeAgent:
    values: dict[str, Value]
    delay: float = 0.0
    fail: Reason | None = None
    hang: bool = False
    _sorted: list[str] | None = field(default=None, repr=False)

    @classmethod
    def from_snmprec(cls, text: str) -> FakeAgent:
        """An agent answering what an snmprec recording holds."""
        values: dict[str, Value] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                oid, tag, raw = line.split("|", 2)
            except ValueError:
                raise ValueError(f"snmprec line {number}: expected OID|TAG|VALUE") from None
            oid = oid.lstrip(".")
            if tag in _INT_TAGS:
                values[oid] = int(raw)
            elif tag == "4x":
                values[oid] = bytes.fromhex(raw)
            elif tag == "4":
                values[oid] = raw.encode()
            elif tag == "6":
                values[oid] = raw.lstrip(".")
            elif tag == "5":
                values[oid] = None
            elif tag == "64":  # IpAddress, dotted quad
                values[oid] = raw
            else:
                raise ValueError(f"snmprec line {number}: unsupported tag {tag!r}")
        return cls(values)

    def sorted_oids(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.values, key=_oid_key)
        return self._sorted

    def set(self, oid: str, value: Value) -> None:
        if oid not in self.values:
            self._sorted = None
        self.values[oid] = value


class FakeEngine:
    """Answers from :class:`FakeAgent` objects by target key; records what was asked."""

    def __init__(self, agents: dict[str, FakeAgent] | None = None) -> None:
        self.agents: dict[str, FakeAgent] = agents or {}
        self.calls: Counter[tuple[str, str]] = Counter()
        self.forgotten: list[str] = []

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        agent = await self._answering(target, "get")
        return {oid: agent.values[oid] for oid in oids if oid in agent.values}

    async def walk(self, target: SnmpTarget, column_oid: str) -> list[tuple[str, Value]]:
        agent = await self._answering(target, "walk")
        prefix = column_oid + "."
        return [(oid, agent.values[oid]) for oid in agent.sorted_oids() if oid.startswith(prefix)]

    def forget(self, key: str) -> None:
        self.forgotten.append(key)

    async def _answering(self, target: SnmpTarget, operation: str) -> FakeAgent:
        self.calls[(target.key, operation)] += 1
        agent = self.agents.get(target.key)
        if agent is None or agent.hang:
            await asyncio.sleep(3600)  # nothing answers; the caller's deadline ends this
            raise SnmpPollError(Reason.TIMEOUT)
        if agent.delay:
            await asyncio.sleep(agent.delay)
        if agent.fail is not None:
            raise SnmpPollError(agent.fail)
        return agent
