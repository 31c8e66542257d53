"""The datagram peek (collector.traps.wire) and the sender/kind map (collector.traps.mapping)."""

from __future__ import annotations

import pytest

from collector.inventory.model import Inventory
from collector.lab.mibview import SnmpType, Value
from collector.lab.traps import LINK_DOWN, v2c_trap
from collector.profiles import load_profiles
from collector.traps.mapping import Notification, Senders, TrapKinds, text_of, writable
from collector.traps.wire import VERSION_2C, WireError, peek


def test_peek_reads_a_v2c_community() -> None:
    head = peek(v2c_trap(b"s3cret", 7, 100, LINK_DOWN))
    assert (head.version, head.community) == (VERSION_2C, b"s3cret")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x05\x02\x01\x01",  # length beyond the datagram
        v2c_trap(b"c", 1, 1, LINK_DOWN) + b"\x00",  # trailing byte
        b"\x30\x03\x02\x01\x07",  # version 7
        b"\x30\x84\xff\xff\xff\xff",  # 4 GiB claimed
        b"\x04\x01x",  # not a SEQUENCE
    ],
)
def test_peek_refuses_what_is_not_a_message(data: bytes) -> None:
    with pytest.raises(WireError):
        peek(data)


def test_standard_and_profile_traps_have_kinds() -> None:
    kinds = TrapKinds.from_profiles(load_profiles())
    assert kinds.kind("net-snmp", "1.3.6.1.6.3.1.1.5.1") == "cold_start"
    assert kinds.kind("cisco_ios_ap", "1.3.6.1.6.3.1.1.5.5") == "auth_failure"
    assert kinds.kind("cisco_ios_ap", "1.3.6.1.4.1.9.9.43.2.0.1") == "config_changed"
    assert kinds.kind("aruba_instant", "1.3.6.1.4.1.14823.2.3.1.11.1.2.1041") == "ap_down"
    # a platform's own trap is not another platform's
    assert kinds.kind("net-snmp", "1.3.6.1.4.1.9.9.43.2.0.1") is None
    assert kinds.kind("cisco_ios_ap", "1.3.6.1.6.3.1.1.5.99") is None


def test_senders_are_found_by_address_only(v2c_inventory: Inventory) -> None:
    senders = Senders.of(v2c_inventory)
    first = v2c_inventory.aps[0]
    assert senders.ap(str(first.address)) is first
    assert senders.ap("127.70.9.9") is None
    assert senders.ap("not an address") is None
    assert senders.ap("::1") is None


def test_detail_keeps_values_verbatim_and_leaves_out_uptime_and_trap_oid() -> None:
    hostile = "<script>alert(1)</script>'; DROP TABLE events; --"
    notification = Notification.of(
        [
            ("1.3.6.1.2.1.1.3.0", "123"),
            ("1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.6.3.1.1.5.3"),
            ("1.3.6.1.2.1.2.2.1.1.2", "2"),
            ("1.3.6.1.2.1.2.2.1.2.2", hostile),
        ]
    )
    assert notification.trap_oid == "1.3.6.1.6.3.1.1.5.3"
    assert notification.detail() == f"1.3.6.1.2.1.2.2.1.1.2=2\n1.3.6.1.2.1.2.2.1.2.2={hostile}"


def test_text_of_undecodable_bytes_and_writable_control_characters() -> None:
    assert text_of("서울".encode() + b"\xff") == "서울\\xff"
    assert writable("a\nb\x1b[31m") == "a\\x0ab\\x1b[31m"
    assert Value(SnmpType.INTEGER, 1).value == 1  # the lab encoder's types, used above
