"""The gufo engine when the machine has no ephemeral UDP port left: shed kept sessions, go on."""

from __future__ import annotations

import asyncio
import errno
from types import SimpleNamespace
from typing import Any

import pytest

from collector.secrets import Secret
from collector.snmp.engine import SnmpTarget, V2cCredentials
from collector.snmp.gufo_backend import SHED_STEP, GufoEngine
from collector.snmp.ports import port_budget


def test_port_budget_is_three_quarters_of_the_ephemeral_range() -> None:
    from collector.snmp.ports import PORT_RANGE

    budget = port_budget()
    if budget is None:
        assert not PORT_RANGE.exists()
        return
    low, high = (int(part) for part in PORT_RANGE.read_text().split())
    assert budget == int((high - low + 1) * 0.75)


def test_exhausted_ports_shed_the_oldest_kept_sessions_and_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = GufoEngine(max_sessions=5000)
    engine._sessions = {  # type: ignore[misc]
        f"AP-{i}": SimpleNamespace(session=object()) for i in range(1500)
    }
    # what gufo raises: an OSError without errno, the code only in the text
    failures = [OSError("Resource temporarily unavailable (os error 11)")]
    opened: list[str] = []

    def new_session(target: SnmpTarget) -> Any:
        if failures:
            raise failures.pop()
        opened.append(target.key)
        return object()

    monkeypatch.setattr(engine, "_new_session", new_session)
    target = SnmpTarget("AP-NEW", "127.0.0.1", 161, V2cCredentials(Secret("c")))
    entry = asyncio.run(engine._open(target))
    assert opened == ["AP-NEW"] and engine.ports_exhausted == 1
    assert engine.max_sessions == 1500 - SHED_STEP
    assert "AP-0" not in engine._sessions and "AP-1499" in engine._sessions
    assert not entry.kept  # the cap is now below what is kept: no new kept session


def test_other_socket_errors_are_not_shed(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = GufoEngine(max_sessions=10)

    def new_session(target: SnmpTarget) -> Any:
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(engine, "_new_session", new_session)
    target = SnmpTarget("AP-1", "127.0.0.1", 161, V2cCredentials(Secret("c")))
    with pytest.raises(OSError):
        asyncio.run(engine._open(target))
    assert engine.ports_exhausted == 0
