"""The fleet: address index, lazy devices, who answers, credentials, start-up time."""

from __future__ import annotations

import time

import pytest
from _lab_helpers import ENV, generated

from collector.errors import InputError
from collector.lab.fleet import Fleet

T0 = 1_735_700_000.0


def test_resolves_by_address_and_port_and_builds_lazily() -> None:
    inventory = generated(300)
    fleet = Fleet(inventory, seed=1, environ=ENV, clock=lambda: T0)
    ap = next(a for a in inventory if a.status.value == "active")
    assert fleet._members == {}
    agent = fleet.resolve_snmp(str(ap.address), ap.snmp_port)
    assert agent is not None and agent.device_id == ap.id
    assert fleet.resolve_snmp(str(ap.address), ap.snmp_port + 1) is None
    assert fleet.resolve_snmp("127.99.99.99", ap.snmp_port) is None
    assert fleet.resolve_snmp("not an address", ap.snmp_port) is None
    assert len(fleet._members) == 1


def test_silent_statuses_do_not_answer() -> None:
    inventory = generated(2000)
    fleet = Fleet(inventory, seed=1, environ=ENV, clock=lambda: T0)
    silent = [a for a in inventory if a.status.value in ("offline", "failed")]
    assert silent
    assert all(fleet.resolve_snmp(str(a.address), a.snmp_port) is None for a in silent)


@pytest.mark.parametrize("version", ["3", "2c"])
def test_serves_the_aps_snmp_version_only(version: str) -> None:
    inventory = generated(50, version=version)
    fleet = Fleet(inventory, seed=1, environ=ENV, clock=lambda: T0)
    ap = next(a for a in inventory if a.standard.value != "wifi4")  # wifi4 units stay on v2c
    agent = fleet.member(ap).agent
    if version == "3":
        assert agent.community is None and agent.v3_user is not None
        assert agent.v3_user.name == b"labuser"
        assert "lab-auth-key" not in repr(agent.v3_user)
    else:
        assert agent.community == b"lab-community" and agent.v3_user is None


def test_unset_credentials_stop_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="PUBWIFI_SNMP_V3_USER is not set"):
        Fleet(generated(50), seed=1, environ={}, clock=lambda: T0)


def test_same_seed_same_device() -> None:
    inventory = generated(50)
    one = Fleet(inventory, seed=1, environ=ENV, clock=lambda: T0).member(inventory.aps[3]).device
    two = Fleet(inventory, seed=1, environ=ENV, clock=lambda: T0).member(inventory.aps[3]).device
    assert (one.state.serial, one.mac, one.state.running) == (
        two.state.serial,
        two.mac,
        two.state.running,
    )


def test_34280_aps_start_fast() -> None:
    inventory = generated(34_280)
    started = time.perf_counter()
    fleet = Fleet(inventory, seed=1, environ=ENV)
    elapsed = time.perf_counter() - started
    print(f"fleet start-up for 34,280 APs (inventory already loaded): {elapsed:.3f} s")
    assert elapsed < 2.0  # the issue allows 10 s including the inventory load (~2 s here)
    started = time.perf_counter()
    for ap in list(inventory)[:2000]:
        fleet.member(ap)
    per_device = (time.perf_counter() - started) / 2000
    print(f"first contact builds a device in {per_device * 1e6:.0f} us")
    assert per_device < 2e-3
