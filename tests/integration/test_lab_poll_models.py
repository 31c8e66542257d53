"""Every model the lab serves polls ok through the real poller and the real SNMP engine.

One AP per (platform, model) of ``collector/lab/platforms/*.yaml``, over SNMPv3 authPriv and
over v2c, served by the lab's own SNMP agent (in this process, on a free UDP port) and polled
with :class:`collector.poll.ap.ApPoller` over :class:`collector.snmp.gufo_backend.GufoEngine`:
first contact (walk, then the combined detection/sample GET) and a steady-state poll must both
come back up, detected as the platform, with every radio the model has, each with 64- or
32-bit byte counters, and no poll condition (unknown platform, unmapped rows, bad values).

The lab's agent answers tooBig past its message size as a real agent does, so a request the
poller makes too big for a tri-band AP (Wi-Fi 6E/7: a third, 6 GHz radio) fails here.
Run: ``.venv/bin/pytest tests/integration/test_lab_poll_models.py`` (~10 s).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from inproclab import running_lab
from labproc import LAB_ENV, LabInventory, Role, build_inventory, free_port

from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.lab.platforms import load_platforms
from collector.poll.ap import ApPoller
from collector.poll.sample import CounterValue, Sample
from collector.profiles import load_profiles
from collector.snmp.engine import SnmpPollError, SnmpTarget, resolve_credentials
from collector.snmp.gufo_backend import GufoEngine

pytestmark = pytest.mark.integration

LAB_PLATFORMS = load_platforms()
PROFILES = load_profiles()
#: (platform, standard) of every model in every lab platform file
MODELS = sorted((key, standard) for key, spec in LAB_PLATFORMS.items() for standard in spec.models)
ROLES = [
    Role(f"{platform}/{standard}/v{version}", platform, version, standard)
    for platform, standard in MODELS
    for version in ("3", "2c")
]


@dataclass
class PolledFleet:
    built: LabInventory
    aps: dict[str, AccessPoint]  # by role name
    first: dict[str, Sample | str]  # first contact, by role name (str: why it failed)
    steady: dict[str, Sample | str]  # the next poll
    counts: dict[str, int]  # the poller's conditions over both polls


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolledFleet]:
    directory = tmp_path_factory.mktemp("lab-models")
    snmp_port = free_port(socket.SOCK_DGRAM)
    ssh_port = free_port(socket.SOCK_STREAM)
    built = build_inventory(
        directory / "inventory.yaml", ROLES, snmp_port, ssh_port, first_ip="127.65.0.1"
    )
    inventory = load_inventory(built.path)
    by_id = {ap.id: ap for ap in inventory.aps}
    aps = {role.name: by_id[built[role.name].id] for role in ROLES}
    with running_lab(inventory, ssh_port=ssh_port, snmp_port=snmp_port):
        first, steady, counts = asyncio.run(_poll_twice(aps))
    yield PolledFleet(built, aps, first, steady, counts)


async def _poll_twice(
    aps: dict[str, AccessPoint],
) -> tuple[dict[str, Sample | str], dict[str, Sample | str], dict[str, int]]:
    engine = GufoEngine(request_timeout=2.0, retries=1)
    poller = ApPoller(engine, PROFILES)
    targets = {
        name: SnmpTarget(
            ap.id, str(ap.address), ap.snmp_port, resolve_credentials(ap.snmp_auth, LAB_ENV)
        )
        for name, ap in aps.items()
    }
    first = {name: await _poll(poller, aps[name], target) for name, target in targets.items()}
    steady = {name: await _poll(poller, aps[name], target) for name, target in targets.items()}
    return first, steady, dict(poller.counts)  # Counter += 0 leaves zero entries


async def _poll(poller: ApPoller, ap: AccessPoint, target: SnmpTarget) -> Sample | str:
    """The sample, or why the poll failed (each model's test then fails on its own)."""
    try:
        return await poller.poll(ap, target)
    except SnmpPollError as error:
        return str(error)


def test_every_lab_platform_and_model_is_covered() -> None:
    assert {(p, s) for p, s in MODELS} >= {
        ("cisco_ios_ap", "wifi6e"),
        ("cisco_ios_ap", "wifi7"),
        ("aruba_instant", "wifi6e"),
        ("aruba_instant", "wifi7"),
    }
    assert {p for p, _ in MODELS} == set(PROFILES)


@pytest.mark.parametrize("role", [role.name for role in ROLES])
def test_model_polls_ok_with_byte_counters_on_every_radio(polled: PolledFleet, role: str) -> None:
    ap = polled.aps[role]
    model = LAB_PLATFORMS[ap.platform].models[ap.standard.value]  # type: ignore[index]
    assert ap.model == model.model
    for when, sample in (("first contact", polled.first[role]), ("steady", polled.steady[role])):
        assert isinstance(sample, Sample), f"{role} ({model.model}) {when}: failed: {sample}"
        assert sample.up, f"{role} ({model.model}) {when}: down"
        assert sample.detected_platform == ap.platform, f"{role} {when}: detection"
        assert not sample.platform_mismatch
        if "model" in PROFILES[ap.platform].scalars:  # MikroTik and net-snmp name none
            assert sample.model == model.model
        radios = [radio for radio in sample.radios if radio.band != "wired"]
        assert sorted(radio.band for radio in radios) == sorted(model.radios), (
            f"{role} ({model.model}) {when}: radios {[r.band for r in sample.radios]}"
        )
        for radio in radios:
            for counter in (radio.rx_bytes, radio.tx_bytes):
                assert isinstance(counter, CounterValue), f"{role} {radio.band}: no byte counter"
                assert counter.bits in (32, 64) and counter.value >= 0
    first, steady = polled.first[role], polled.steady[role]
    assert isinstance(first, Sample) and isinstance(steady, Sample)
    assert first.rediscovered and not steady.rediscovered


def test_no_poll_condition_over_the_whole_fleet(polled: PolledFleet) -> None:
    assert {name: n for name, n in polled.counts.items() if n} == {}, polled.counts
