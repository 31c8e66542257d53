"""TrapReceiver.process/admit on datagrams built by the lab's encoder, with recording fakes."""

from __future__ import annotations

import pytest
from conftest import RecordingCounters, RecordingSink

from collector.inventory.model import Inventory
from collector.lab.mibview import SnmpType, Value
from collector.lab.traps import COLD_START, LINK_DOWN, v2c_trap
from collector.profiles import load_profiles
from collector.traps import receiver as receiver_module
from collector.traps.mapping import TrapKinds
from collector.traps.receiver import Credentials, TrapReceiver

COMMUNITY = b"unit-community"
IF_DESCR_2 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 2)


def receiver_for(
    inventory: Inventory, queue_limit: int = 100
) -> tuple[TrapReceiver, RecordingSink, RecordingCounters]:
    sink, counters = RecordingSink(), RecordingCounters()
    communities = {
        name: COMMUNITY for name in {ap.snmp_auth.name for ap in inventory} if "v2c" in name
    }
    receiver = TrapReceiver(
        inventory.aps,
        Credentials(communities, []),
        TrapKinds.from_profiles(load_profiles()),
        sink,
        counters,
        queue_limit=queue_limit,
        clock=lambda: 1_750_000_000.0,
    )
    return receiver, sink, counters


def source(inventory: Inventory, index: int = 0) -> tuple[str, int]:
    return (str(inventory.aps[index].address), 40000)


def test_a_v2c_trap_becomes_an_event_with_its_strings_verbatim(v2c_inventory: Inventory) -> None:
    receiver, sink, counters = receiver_for(v2c_inventory)
    hostile = b"<img src=x onerror=alert(1)> $(reboot)"
    varbind = (IF_DESCR_2, Value(SnmpType.OCTET_STRING, hostile))
    data = v2c_trap(COMMUNITY, 1, 100, LINK_DOWN, [varbind])
    assert receiver.process(data, source(v2c_inventory, 1)) == "event"
    [(ap, event)] = sink.events
    assert ap is v2c_inventory.aps[1]
    assert (event.ap_id, event.kind, event.source) == (ap.id, "link_down", "trap")
    assert event.detail == "1.3.6.1.2.1.2.2.1.2.2=" + hostile.decode()
    assert event.at == 1_750_000_000.0
    assert counters.kinds == {"link_down": 1} and counters.drops == {}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (v2c_trap(b"wrong", 1, 1, COLD_START), "bad_community"),
        (v2c_trap(COMMUNITY, 1, 1, (1, 3, 6, 1, 4, 1, 99999, 0, 1)), "unknown_trap"),
        (b"\x30\x03\x02\x01\x01", "malformed"),
        (b"\xff" * 40, "malformed"),
        (v2c_trap(COMMUNITY, 1, 1, COLD_START)[:-3], "malformed"),
    ],
)
def test_refused_datagrams_are_counted_by_reason(
    v2c_inventory: Inventory, data: bytes, reason: str
) -> None:
    receiver, sink, counters = receiver_for(v2c_inventory)
    assert receiver.process(data, source(v2c_inventory)) == reason
    assert sink.events == [] and counters.drops == {reason: 1}


def test_v2c_from_an_ap_configured_for_v3_is_refused(v3_inventory: Inventory) -> None:
    receiver, sink, _ = receiver_for(v3_inventory)
    assert receiver.process(v2c_trap(COMMUNITY, 1, 1, COLD_START), source(v3_inventory)) == (
        "bad_community"
    )
    assert sink.events == []


def test_unknown_senders_and_a_full_queue_are_shed_at_admission(v2c_inventory: Inventory) -> None:
    receiver, _, counters = receiver_for(v2c_inventory, queue_limit=2)
    data = v2c_trap(COMMUNITY, 1, 1, COLD_START)
    receiver.admit(data, ("127.70.200.1", 1))
    for _ in range(5):
        receiver.admit(data, source(v2c_inventory))
    assert len(receiver.queue) == 2
    assert counters.drops == {"unknown_sender": 1, "queue_full": 3}


@pytest.mark.parametrize("decoder", ["fast", "pysnmp"])
def test_a_bug_in_processing_is_counted_not_raised(
    v2c_inventory: Inventory, monkeypatch: pytest.MonkeyPatch, decoder: str
) -> None:
    receiver, _, counters = receiver_for(v2c_inventory)
    receiver.fast = decoder == "fast"

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(receiver.snmp.message_dispatcher, "receive_message", broken)
    monkeypatch.setattr(receiver_module, "decode", broken)
    assert receiver.process(v2c_trap(COMMUNITY, 1, 1, COLD_START), source(v2c_inventory)) == (
        "internal"
    )
    assert counters.drops == {"internal": 1}
