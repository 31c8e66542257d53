"""Provisioning end to end: real netmiko pushes to the lab on every platform, SNMP verification
against the lab's agent, the error budget, ``kill -9`` then ``resume``, rollback, a failed
verification restored, and the audit chain.

The lab (SSH and SNMP) runs in this process, so the test can count every channel change each
lab AP receives; ``pubwifi provision`` runs as a child process, as an engineer runs it.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from inproclab import running_lab
from labproc import LAB_ENV, PUBWIFI, Role, build_inventory, free_port

from collector.inventory.load import load_inventory
from collector.lab.faults import FaultRule
from collector.lab.fleet import Fleet
from collector.lab.ssh import changes
from provisioning.campaigns import CampaignStore

pytestmark = pytest.mark.integration

PLATFORMS = ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros", "net-snmp")


@dataclass
class ProvLab:
    inventory: Path
    fleet: Fleet
    ids: list[str]
    data: Path
    tmp: Path
    channel_sets: Counter[str]

    def env(self) -> dict[str, str]:
        return {**os.environ, **LAB_ENV, "PUBWIFI_DATA_DIR": str(self.data)}

    def pubwifi(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PUBWIFI, *args], capture_output=True, text=True, env=self.env(), timeout=timeout_s
        )

    def state(self, ap_id: str) -> Any:
        return self.fleet.member(ap_id).device.state

    def change(self, name: str, **fields: Any) -> Path:
        document = {
            "name": name,
            "reason": "integration test",
            "intent": {"kind": "channel_plan", "band": "5GHz", "channel": 149},
            "select": {"status": ["active"]},
            "waves": {"canary": 2, "then": [50, 50]},
            "error_budget": {"max_failed_percent": 20, "halt_on_verify_failure": True},
            "verify": {"within_s": 5, "snmp": True, "cli": True},
            **fields,
        }
        path = self.tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path


def _start_lab(tmp: Path, count: int, faults: list[FaultRule] | None = None) -> Iterator[ProvLab]:
    port = free_port(socket.SOCK_STREAM)
    snmp_port = free_port(socket.SOCK_DGRAM)
    roles = [Role(f"r{i}", PLATFORMS[i % len(PLATFORMS)], standard="wifi6") for i in range(count)]
    built = build_inventory(
        tmp / "inventory.yaml", roles, snmp_port=snmp_port, ssh_port=port, first_ip="127.63.0.1"
    )
    inventory = load_inventory(built.path)
    ids = [ap.id for ap in inventory.aps]
    counted: Counter[str] = Counter()
    original = changes.set_channel

    def counting(state: Any, radio: int, channel: int) -> None:
        before = state.running.radios[radio].channel
        original(state, radio, channel)
        if state.running.radios[radio].channel != before:  # a change, not a repeat of it
            counted[state.ap_id] += 1

    changes.set_channel = counting  # type: ignore[assignment]
    try:
        with running_lab(
            inventory, ssh_port=port, snmp_port=snmp_port, faults=faults or []
        ) as running:
            lab = ProvLab(built.path, running.fleet, ids, tmp / "data", tmp, counted)
            sweep = lab.pubwifi(
                "ssh", "sweep", "--once", "--sink", "none", "--inventory", str(built.path)
            )
            assert sweep.returncode == 0, sweep.stderr[-2000:]
            yield lab
    finally:
        changes.set_channel = original  # type: ignore[assignment]


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[ProvLab]:
    yield from _start_lab(tmp_path, 8)


def _five(lab: ProvLab, ap_id: str) -> Any:
    return next(r for r in lab.state(ap_id).running.radios if r.band == "5GHz")


def _status(lab: ProvLab, campaign: str) -> dict[str, Any]:
    done = lab.pubwifi("provision", "status", campaign, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _campaign_of(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("campaign "):
            return line.split()[1]
    raise AssertionError(output)


def test_a_change_lands_on_every_platform_and_snmp_shows_it(lab: ProvLab) -> None:
    before = {ap: copy.deepcopy(lab.state(ap).running) for ap in lab.ids}
    path = lab.change("ch149")
    plan = lab.pubwifi("provision", "plan", str(path), "--json", "--inventory", str(lab.inventory))
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    already = planned["flags"].get("no_change", 0)  # the lab may have picked 149 already
    assert planned["to_apply"] + already == len(lab.ids), planned["flags"]
    assert all(ap["diff"] for ap in planned["aps"] if ap["to_apply"]), "diffs against backups"
    done = lab.pubwifi("provision", "apply", str(path), "--yes", "--inventory", str(lab.inventory))
    assert done.returncode == 0, done.stdout + done.stderr
    campaign = _campaign_of(done.stdout)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["state"] == "completed" and report["seconds"] > 0
    assert sum(w["verified"] for w in report["waves"]) >= 1
    status = _status(lab, campaign)
    assert status["state"] == "completed"
    assert {ap["state"] for ap in status["aps"]} <= {"verified", "skipped"}
    for ap in lab.ids:
        assert _five(lab, ap).channel == 149, ap
        assert lab.state(ap).saved == lab.state(ap).running, f"{ap}: not saved"
        assert lab.channel_sets[ap] <= 1
    changed = [ap for ap in lab.ids if before[ap] != lab.state(ap).running]
    assert changed and set(changed) == {a["ap"] for a in status["aps"] if a["state"] == "verified"}
    # the configuration history now holds what pubwifi pushed, marked as its own
    outside = lab.pubwifi("config", "changed", "--since", "2000-01-01T00:00:00", "--json")
    rows = json.loads(outside.stdout) if outside.stdout.strip() else []
    assert not [row for row in rows if row.get("outside", True)], rows
    # and the audit trail is intact
    verify = lab.pubwifi("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_rollback_restores_the_exact_running_config(lab: ProvLab) -> None:
    before = {ap: copy.deepcopy(lab.state(ap).running) for ap in lab.ids}
    path = lab.change("txp", intent={"kind": "tx_power", "band": "5GHz", "dbm": 7})
    done = lab.pubwifi("provision", "apply", str(path), "--yes", "--inventory", str(lab.inventory))
    assert done.returncode == 0, done.stdout + done.stderr
    campaign = _campaign_of(done.stdout)
    assert all(_five(lab, ap).tx_power_dbm == 7 for ap in lab.ids)
    undone = lab.pubwifi("provision", "rollback", campaign, "--inventory", str(lab.inventory))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    for ap in lab.ids:
        assert lab.state(ap).running == before[ap], ap
        assert lab.state(ap).saved == before[ap], ap
    assert _status(lab, campaign)["state"] == "rolled_back"


def test_a_failed_verification_restores_that_ap(lab: ProvLab) -> None:
    """A raw change whose verification cannot hold: each AP is pushed, found wrong, restored."""
    templates = lab.tmp / "templates"
    folder = templates / "cisco_ios_ap"
    folder.mkdir(parents=True)
    (folder / "ch157.j2").write_text("interface Dot11Radio1\nchannel 157\n")
    (folder / "undo157.j2").write_text(  # rendered from the facts read at the snapshot
        "interface Dot11Radio1\n"
        '{% for r in radios if r.band == "5GHz" %}channel {{ r.channel }}{% endfor %}\n'
    )
    ids = [ap for ap in lab.ids if lab.fleet.member(ap).ssh.platform == "cisco_ios_ap"]
    before = {ap: copy.deepcopy(lab.state(ap).running) for ap in ids}
    path = lab.change(
        "never",
        intent={
            "kind": "raw",
            "template": "ch157",
            "undo_template": "undo157",
            "present": ["^this line is never in a config$"],
        },
        select={"ids": ids},
        waves={"canary": 1, "then": [100]},
        error_budget={"max_failed_percent": 100, "halt_on_verify_failure": False},
        verify={"within_s": 2, "snmp": False, "cli": True},
    )
    done = lab.pubwifi("provision", "apply", str(path), "--yes", "--inventory", str(lab.inventory))
    campaign = _campaign_of(done.stdout)
    status = _status(lab, campaign)
    states = {ap["ap"]: (ap["state"], ap["error"]) for ap in status["aps"]}
    assert set(states.values()) == {("restored", "verify-mismatch")}, states
    for ap in ids:
        assert lab.state(ap).running == before[ap], ap


def test_login_failures_over_the_budget_halt_the_campaign(tmp_path: Path) -> None:
    for lab in _start_lab(tmp_path, 20):
        path = lab.change(
            "budget",
            select={"ids": lab.ids},
            waves={"canary": 2, "then": [100]},
            error_budget={"max_failed_percent": 20, "halt_on_verify_failure": True},
        )
        # the canary order is a stable hash: put the denied APs outside it
        planned = lab.pubwifi(
            "provision", "plan", str(path), "--json", "--inventory", str(lab.inventory)
        )
        canary, rest = json.loads(planned.stdout)["waves"]
        deny = rest[: (len(rest) * 3 + 9) // 10]  # 30 % of the second wave
        for ap in deny:
            lab.fleet.member(ap).ssh.login_fails = True
        done = lab.pubwifi(
            "provision", "apply", str(path), "--yes", "--inventory", str(lab.inventory)
        )
        assert done.returncode == 1
        campaign = _campaign_of(done.stdout)
        status = _status(lab, campaign)
        assert status["state"] == "halted", status
        assert "over the error budget of 20%" in status["halted_reason"]
        by_ap = {a["ap"]: a for a in status["aps"]}
        assert {by_ap[ap]["error"] for ap in deny} == {"login-failed"}
        assert all(by_ap[ap]["state"] == "verified" for ap in canary)
        for ap in deny:
            assert _five(lab, ap).channel != 149 or lab.channel_sets[ap] == 0


def test_kill_9_mid_wave_then_resume_changes_every_ap_exactly_once(tmp_path: Path) -> None:
    for lab in _start_lab(tmp_path, 24):
        path = lab.change(
            "crash",
            select={"ids": lab.ids},
            waves={"canary": 2, "then": [100]},
            verify={"within_s": 3, "snmp": True, "cli": True},
        )
        argv = [
            PUBWIFI,
            "provision",
            "apply",
            str(path),
            "--yes",
            "--concurrency",
            "1",
            "--inventory",
            str(lab.inventory),
        ]
        log = (lab.tmp / "apply.log").open("w")
        child = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=lab.env())
        deadline = time.monotonic() + 120
        campaign = None
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
            if not (lab.data / "provisioning" / "campaigns.sqlite").exists():
                continue
            with CampaignStore.open(lab.data) as store:
                running = store.list(states="running")
                counts = store.counts(running[0].id) if running else {}
                if counts and counts["verified"] + counts["saved"] >= 8:  # wave 2 under way
                    campaign = running[0].id
                    break
        assert campaign is not None, (lab.tmp / "apply.log").read_text()
        os.kill(child.pid, signal.SIGKILL)  # mid-wave: some APs pushed, some not started
        child.wait(timeout=30)
        log.close()
        before = _status(lab, campaign)
        assert before["state"] == "running"
        assert any(a["state"] == "pending" for a in before["aps"])
        resumed = lab.pubwifi("provision", "resume", campaign, "--inventory", str(lab.inventory))
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        after = _status(lab, campaign)
        assert after["state"] == "completed", after
        for ap in lab.ids:
            assert _five(lab, ap).channel == 149, ap
            assert lab.channel_sets[ap] <= 1, (ap, lab.channel_sets[ap])
        assert sum(lab.channel_sets.values()) == sum(
            1 for a in after["aps"] if a["state"] == "verified"
        )
        assert lab.pubwifi("audit", "verify").returncode == 0


def test_a_modified_audit_entry_is_caught(lab: ProvLab) -> None:
    path = lab.change("audit", waves={"canary": 1, "then": [100]})
    done = lab.pubwifi("provision", "apply", str(path), "--yes", "--inventory", str(lab.inventory))
    assert done.returncode == 0, done.stdout + done.stderr
    log = lab.data / "provisioning" / "audit.log"
    lines = log.read_text().splitlines()
    assert len(lines) > 5
    entry = json.loads(lines[3])
    entry["actor"] = "os:mallory"
    lines[3] = json.dumps(entry, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n")
    verify = lab.pubwifi("audit", "verify")
    assert verify.returncode == 1
    assert "audit log damaged" in verify.stderr
