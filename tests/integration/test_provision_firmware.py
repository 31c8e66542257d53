"""Firmware upgrades end to end: ``pubwifi provision apply`` upgrades one AP of every platform
with real netmiko (the push ends in a reload that drops the session; verification logs in
again), the new version is what the AP reports over SSH facts and over SNMP, rollback installs
the previous image again, and an image the image server does not hold is refused with the AP
left as it was.

The lab (SSH and SNMP) runs in this process, as in ``test_provision.py``, so the test reads
each lab AP's state; ``pubwifi`` runs as a child process, as an engineer runs it.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from inproclab import running_lab
from labproc import LAB_ENV, PUBWIFI, Role, build_inventory, free_port

from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory
from collector.lab.fleet import Fleet
from collector.ssh.factstore import FactStore
from provisioning.intents import Expectation
from provisioning.snmpcheck import snmp_problems

pytestmark = pytest.mark.integration

PLATFORMS = ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros", "net-snmp")
# the lab's wifi6 model of each platform (collector/lab/platforms/*.yaml): old -> new
OLD = {
    "cisco_ios_ap": "17.9.5.47",
    "aruba_instant": "8.10.0.12_90107",
    "mikrotik_routeros": "7.16.2",
    "net-snmp": "OpenWrt 23.05.5",
}
NEW = {
    "cisco_ios_ap": ("ap1g7-k9w8-tar.17.9.6.61.tar", "17.9.6.61"),
    "aruba_instant": ("ArubaInstant_Ursa_8.10.0.13_90200", "8.10.0.13_90200"),
    "mikrotik_routeros": ("routeros-7.16.3-arm64.npk", "7.16.3"),
    "net-snmp": (
        "openwrt-23.05.6-mediatek-filogic-openwrt_ax-squashfs-sysupgrade.bin",
        "OpenWrt 23.05.6",
    ),
}
MTXR_LIC_VERSION = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 4, 4, 0)


@dataclass
class FwLab:
    inventory: Path
    loaded: Inventory
    fleet: Fleet
    ids: list[str]
    data: Path
    tmp: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, **LAB_ENV, "PUBWIFI_DATA_DIR": str(self.data)}

    def pubwifi(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PUBWIFI, *args], capture_output=True, text=True, env=self.env(), timeout=timeout_s
        )

    def state(self, ap_id: str) -> Any:
        return self.fleet.member(ap_id).device.state

    def platform(self, ap_id: str) -> str:
        return str(self.loaded.ap(ap_id).platform)

    def change(self, name: str, images: dict[str, tuple[str, str]]) -> Path:
        """One change for every platform: image and version chosen by ``ap.platform``."""
        image = "{{ %r[ap.platform] }}" % {p: i for p, (i, _) in images.items()}
        version = "{{ %r[ap.platform] }}" % {p: v for p, (_, v) in images.items()}
        document = {
            "name": name,
            "reason": "integration test",
            "intent": {
                "kind": "firmware",
                "image": image,
                "version": version,
                "server": "10.10.0.20",
            },
            "select": {"ids": self.ids},
            "waves": {"canary": 4, "then": [100]},
            "error_budget": {"max_failed_percent": 0, "halt_on_verify_failure": True},
            "verify": {"within_s": 20, "snmp": True, "cli": True},
        }
        path = self.tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    def apply(self, path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
        done = self.pubwifi(
            "provision", "apply", str(path), "--yes", "--inventory", str(self.inventory)
        )
        return done, _campaign_of(done.stdout + done.stderr)

    def status(self, campaign: str) -> dict[str, Any]:
        done = self.pubwifi("provision", "status", campaign, "--json")
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def ssh_firmware(self) -> dict[str, str | None]:
        """What a fresh SSH sweep stores as each AP's firmware (the collector's own parser)."""
        sweep = self.pubwifi(
            "ssh", "sweep", "--once", "--sink", "none", "--inventory", str(self.inventory)
        )
        assert sweep.returncode == 0, sweep.stderr[-2000:]
        store = FactStore.in_data_dir(self.data, readonly=True)
        try:
            found = {ap: store.get(ap) for ap in self.ids}
        finally:
            store.close()
        return {ap: (f.facts.firmware if f else None) for ap, f in found.items()}

    def snmp(self, versions: dict[str, str]) -> dict[str, list[str]]:
        aps = [self.loaded.ap(ap) for ap in self.ids]
        expected = {ap: Expectation(firmware=versions[self.platform(ap)]) for ap in self.ids}
        return snmp_problems(aps, expected, environ=LAB_ENV)


def _campaign_of(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("campaign "):
            return line.split()[1]
    raise AssertionError(output)


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[FwLab]:
    port = free_port(socket.SOCK_STREAM)
    snmp_port = free_port(socket.SOCK_DGRAM)
    roles = [Role(f"r{i}", platform, standard="wifi6") for i, platform in enumerate(PLATFORMS)]
    built = build_inventory(
        tmp_path / "inventory.yaml",
        roles,
        snmp_port=snmp_port,
        ssh_port=port,
        first_ip="127.64.0.1",
    )
    inventory = load_inventory(built.path)
    ids = [ap.id for ap in inventory.aps]
    with running_lab(inventory, ssh_port=port, snmp_port=snmp_port) as running:
        lab = FwLab(built.path, inventory, running.fleet, ids, tmp_path / "data", tmp_path)
        assert lab.ssh_firmware() == {ap: OLD[lab.platform(ap)] for ap in ids}
        yield lab


def test_an_upgrade_lands_on_every_platform_then_rolls_back(lab: FwLab) -> None:
    before = {ap: copy.deepcopy(lab.state(ap).running) for ap in lab.ids}
    boots = {ap: lab.state(ap).boot_time for ap in lab.ids}
    path = lab.change("fw-up", NEW)
    plan = lab.pubwifi("provision", "plan", str(path), "--json", "--inventory", str(lab.inventory))
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert planned["to_apply"] == 4, planned["flags"]
    done, campaign = lab.apply(path)
    assert done.returncode == 0, done.stdout + done.stderr
    status = lab.status(campaign)
    assert status["state"] == "completed", status
    assert {ap["state"] for ap in status["aps"]} == {"verified"}, status["aps"]
    new = {p: v for p, (_, v) in NEW.items()}
    for ap in lab.ids:
        state = lab.state(ap)
        assert state.firmware == new[lab.platform(ap)], ap
        assert state.boot_time >= boots[ap] and state.running == before[ap], ap
    # what the AP reports: over SSH (the collector's facts) and over SNMP
    assert lab.ssh_firmware() == {ap: new[lab.platform(ap)] for ap in lab.ids}
    assert lab.snmp(new) == {ap: [] for ap in lab.ids}
    stale = lab.snmp(OLD)  # the SNMP check does see the version where the profile reads one
    for ap in lab.ids:
        if lab.platform(ap) in ("cisco_ios_ap", "aruba_instant"):
            assert stale[ap] == [
                f"SNMP: firmware {new[lab.platform(ap)]} != {OLD[lab.platform(ap)]}"
            ]
    ros = next(ap for ap in lab.ids if lab.platform(ap) == "mikrotik_routeros")
    view = lab.fleet.member(ros).agent.view
    assert view.get(MTXR_LIC_VERSION, 0.0).value == b"7.16.3"  # MIKROTIK-MIB mtxrLicVersion.0

    undone = lab.pubwifi("provision", "rollback", campaign, "--inventory", str(lab.inventory))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert lab.status(campaign)["state"] == "rolled_back"
    for ap in lab.ids:
        assert lab.state(ap).firmware == OLD[lab.platform(ap)], ap
        assert lab.state(ap).running == before[ap], ap
    assert lab.snmp(OLD) == {ap: [] for ap in lab.ids}
    audit = lab.pubwifi("audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_an_unknown_image_is_refused_and_the_ap_left_as_it_was(lab: FwLab) -> None:
    before = {ap: copy.deepcopy(lab.state(ap).running) for ap in lab.ids}
    boots = {ap: lab.state(ap).boot_time for ap in lab.ids}
    missing = {
        "cisco_ios_ap": ("ap1g7-k9w8-tar.17.99.1.1.tar", "17.99.1.1"),
        "aruba_instant": ("ArubaInstant_Ursa_8.99.0.1_99999", "8.99.0.1_99999"),
        "mikrotik_routeros": ("routeros-7.99.1-arm64.npk", "7.99.1"),
        "net-snmp": (
            "openwrt-99.05.1-mediatek-filogic-openwrt_ax-squashfs-sysupgrade.bin",
            "OpenWrt 99.05.1",
        ),
    }
    done, campaign = lab.apply(lab.change("fw-missing", missing))
    assert done.returncode != 0 or "halted" in done.stdout, done.stdout + done.stderr
    status = lab.status(campaign)
    assert status["state"] in ("halted", "failed"), status
    states = {ap["ap"]: (ap["state"], ap["error"]) for ap in status["aps"]}
    assert set(states.values()) == {("restored", "cli-error")}, states
    for ap in lab.ids:
        state = lab.state(ap)
        assert state.firmware == OLD[lab.platform(ap)] and state.staged_firmware is None, ap
        assert state.running == before[ap] and state.boot_time == boots[ap], ap
