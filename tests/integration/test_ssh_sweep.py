"""SSH collection end to end: ``pubwifi ssh sweep`` (real netmiko) against the lab's SSH server.

The lab runs in this process (so the test sees what it printed and which logins it received),
on one free TCP port for every AP; the sweep is the real command in a child process writing to
a real influxd. Covers every platform, every SSH fault (login refused, hang, CLI error,
garbage), host keys (trust on first use, a changed key refused before any password, strict
policy, OpenSSH checking the same known_hosts file), configuration backups (one commit per
sweep holding only changed configs, secrets masked, ``pubwifi config`` show/diff/changed) and
privacy (no client MAC the lab printed is anywhere in what pubwifi wrote).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from inproclab import running_lab
from labproc import LAB_ENV, PUBWIFI, Role, build_inventory, free_port
from prometheus_client import CollectorRegistry
from servers import Server, create_database, influxd

from collector.inventory.load import load_inventory
from collector.inventory.model import KnownHostsPolicy
from collector.lab.faults import FaultRule
from collector.lab.fleet import Fleet
from collector.lab.ssh.hostkeys import public_key_openssh
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.server import LabSshServer
from collector.metrics import CollectorMetrics
from collector.ssh.configrepo import ConfigRepo
from collector.ssh.factstore import FactStore
from collector.ssh.knownhosts import KnownHosts, host_entry
from collector.ssh.mask import MaskKey
from collector.ssh.profile import load_ssh_profiles
from collector.ssh.schedule import SshSchedule
from collector.ssh.sweep import ApCollector, Logins, SweepRecorder, select

pytestmark = pytest.mark.integration

ROLES = [
    Role("cisco", "cisco_ios_ap", standard="wifi5"),
    Role("cisco6", "cisco_ios_ap", standard="wifi6"),
    Role("aruba", "aruba_instant", standard="wifi6"),
    Role("mikrotik", "mikrotik_routeros", standard="wifi5"),
    Role("linux", "net-snmp", standard="wifi6"),
    Role("deny", "aruba_instant"),
    Role("hang", "cisco_ios_ap"),
    Role("clierr", "mikrotik_routeros"),
    Role("garbage", "net-snmp"),
]
FAULTS = {"deny": "ssh_login_fails", "hang": "ssh_hangs", "clierr": "ssh_cli_error"}
FAULTS["garbage"] = "ssh_garbage"
HEALTHY = ("cisco", "cisco6", "aruba", "mikrotik", "linux")


@dataclass
class SshLab:
    inventory: Path
    fleet: Fleet
    server: LabSshServer
    ids: dict[str, str]  # role -> AP id
    addresses: dict[str, str]
    port: int
    data: Path
    influx: Server

    def sweep(self, *extra: str, timeout_s: float = 120) -> tuple[dict[str, Any], str]:
        env = {
            **os.environ,
            **LAB_ENV,
            "PUBWIFI_DATA_DIR": str(self.data),
            "PUBWIFI_INFLUX_URL": self.influx.url,
            "PUBWIFI_INFLUX_DATABASE": "pubwifi",
        }
        done = subprocess.run(
            [PUBWIFI, "ssh", "sweep", "--once", "--inventory", str(self.inventory), *extra],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout_s,
            check=False,
        )
        assert done.stdout.strip(), done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout + done.stderr

    def pubwifi(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **LAB_ENV, "PUBWIFI_DATA_DIR": str(self.data)}
        return subprocess.run(
            [PUBWIFI, *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory, need_binaries: Any) -> Iterator[Server]:
    need_binaries("influxd")
    server = influxd(tmp_path_factory.mktemp("influxd")).start()
    create_database(server, "pubwifi")
    try:
        yield server
    finally:
        server.stop()


def _lab(tmp: Path, influx: Server, policy: str = "accept-new") -> Iterator[SshLab]:
    port = free_port(socket.SOCK_STREAM)
    built = build_inventory(
        tmp / "inventory.yaml", ROLES, snmp_port=port, ssh_port=port, first_ip="127.62.0.1"
    )
    document = yaml.safe_load(built.path.read_text())
    document["auths"]["ssh"]["city-ssh"]["known_hosts"] = policy
    built.path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    inventory = load_inventory(built.path)
    ids = {role: ap.id for role, ap in built.aps.items()}
    rules = [FaultRule(kind=kind, ap=ids[role]) for role, kind in FAULTS.items()]  # type: ignore[arg-type]
    # The lab's clock at 13:00 KST (lunchtime: many clients associated), whatever time it is.
    offset = _offset_to_kst_hour(13)
    with running_lab(
        inventory,
        ssh_port=port,
        faults=rules,
        clock=lambda: time.time() + offset,
        record_client_ids=True,
    ) as running:
        yield SshLab(
            built.path,
            running.fleet,
            running.server,
            ids,
            {role: ap.address for role, ap in built.aps.items()},
            port,
            tmp / "data",
            influx,
        )


def _offset_to_kst_hour(hour: int) -> float:
    now = time.time()
    kst_seconds = (now + 9 * 3600) % 86400
    return (hour * 3600 - kst_seconds) % 86400


@pytest.fixture()
def lab(tmp_path: Path, influx: Server) -> Iterator[SshLab]:
    yield from _lab(tmp_path, influx)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def _influx(server: Server, query: str) -> list[dict[str, Any]]:
    url = f"{server.url}/query?" + urllib.parse.urlencode({"db": "pubwifi", "q": query})
    with urllib.request.urlopen(url, timeout=10) as response:
        document = json.load(response)
    return document["results"][0].get("series", [])


def test_a_sweep_collects_every_platform_and_counts_each_fault(lab: SshLab) -> None:
    summary, log = lab.sweep("--timeout", "8")
    assert summary["aps"] == len(ROLES)
    assert summary["ok"] == len(HEALTHY), log
    assert summary["failures"] == {
        "login_failed": 1,
        "timeout": 1,
        "cli_error": 1,
        "parse_failed": 1,
    }, log
    assert summary["configs_changed"] == len(HEALTHY) and summary["commit"]
    assert summary["spooled_left"] == 0
    # facts: as the lab's devices are
    for role in HEALTHY:
        state = lab.fleet.member(lab.ids[role]).device.state
        facts = json.loads(lab.pubwifi("ssh", "facts", lab.ids[role], "--json").stdout)["facts"]
        assert (facts["model"], facts["firmware"], facts["serial"]) == (
            state.model,
            state.firmware,
            state.serial,
        ), role
        assert {r["band"] for r in facts["radios"]} == {r.band for r in state.running.radios}
        assert [s["name"] for s in facts["ssids"]] == [s.name for s in state.running.ssids]
    # a parse failure is kept aside, masked
    aside = lab.data / "ssh" / "unparsed" / f"{lab.ids['garbage']}.txt"
    assert aside.exists() and "parse_failed" in aside.read_text()
    # InfluxDB got ap_facts and per-SSID client counts for every healthy AP
    series = _influx(lab.influx, 'SELECT count("model") FROM "ap_facts" GROUP BY "ap"')
    assert {s["tags"]["ap"] for s in series} == {lab.ids[r] for r in HEALTHY}
    ssid = _influx(lab.influx, 'SELECT last("clients") FROM "ap_ssid_clients" GROUP BY "ap","ssid"')
    assert len(ssid) >= 2 * len(HEALTHY)

    # the second sweep finds nothing changed: no commit
    again, _ = lab.sweep("--timeout", "8")
    assert (again["ok"], again["configs_changed"], again["commit"]) == (len(HEALTHY), 0, None)
    repo = lab.data / "configs"
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_configs_are_masked_versioned_and_changes_outside_pubwifi_are_listed(
    lab: SshLab,
) -> None:
    first, _ = lab.sweep("--timeout", "8")
    assert first["ok"] == len(HEALTHY)
    repo = lab.data / "configs"
    history = _git(repo, "log", "-p", "--all")
    for role in HEALTHY:
        secrets = lab_secrets(lab.ids[role])
        for value in (secrets.radius_key, secrets.snmp_community, secrets.user_password):
            assert value not in history, (role, value)
    assert LAB_ENV["PUBWIFI_SSH_PASSWORD"] not in history
    assert "<masked:" in history
    # an engineer changes a channel by hand on one AP
    ap = lab.ids["cisco"]
    state = lab.fleet.member(ap).device.state
    state.running.radios[0].channel = 3  # not one of the lab's preferred 1, 6, 11
    second, _ = lab.sweep("--timeout", "8")
    assert second["configs_changed"] == 1 and second["commit"]
    diff = lab.pubwifi("config", "diff", ap)
    assert diff.returncode == 0, diff.stderr
    assert re.search(r"^\+\s*channel 3$", diff.stdout, re.MULTILINE), diff.stdout
    changed = lab.pubwifi("config", "changed", "--since", "2000-01-01T00:00:00", "--json")
    assert changed.returncode == 0, changed.stderr
    listed = {row["ap_id"] if "ap_id" in row else row["ap"] for row in json.loads(changed.stdout)}
    assert ap in listed
    show = lab.pubwifi("config", "show", ap)
    assert show.returncode == 0 and " channel 3\n" in show.stdout


@pytest.mark.needs("sqlite3")
def test_no_client_identifier_is_written_anywhere(lab: SshLab) -> None:
    summary, log = lab.sweep("--timeout", "8")
    assert summary["ok"] == len(HEALTHY)
    shown = lab.server.stats.client_macs_shown
    assert shown, "the lab printed no client, so this test would prove nothing"
    forms = set()
    for mac in shown:
        digits = mac.replace(":", "").lower()
        forms |= {mac.lower(), mac.upper(), mac.replace(":", "-").lower()}
        forms.add(f"{digits[0:4]}.{digits[4:8]}.{digits[8:12]}")
    written = [log]
    for path in lab.data.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            written.append(path.read_bytes().decode("utf-8", "replace"))
    written.append(_git(lab.data / "configs", "log", "-p", "--all"))
    sqlite = shutil.which("sqlite3")
    assert sqlite is not None
    dump = [sqlite, str(lab.data / "ssh" / "facts.sqlite"), ".dump"]
    written.append(subprocess.run(dump, capture_output=True, text=True, check=True).stdout)
    for measurement in ("ap_facts", "ap_ssid_clients"):
        written.append(json.dumps(_influx(lab.influx, f'SELECT * FROM "{measurement}"')))
    blob = "\n".join(written).lower()
    leaked = sorted(form for form in forms if form.lower() in blob)
    assert leaked == []
    print(f"\n{len(shown)} client MACs printed by the lab, none in {len(written)} outputs")


def test_a_changed_host_key_is_refused_before_any_password(lab: SshLab) -> None:
    first, _ = lab.sweep("--timeout", "8")
    assert first["host_keys_accepted"] == len(ROLES)
    ap = lab.ids["aruba"]
    lab.fleet.member(ap).ssh.host_key_changed = True  # the unit was swapped, or someone is MITM
    before = lab.server.stats.auth_attempts[ap]
    second, log = lab.sweep("--timeout", "8")
    assert second["failures"].get("host_key_changed") == 1
    assert lab.server.stats.auth_attempts[ap] == before  # no password reached it
    assert "host_key_changed" in log
    listed = lab.pubwifi("ssh", "hostkeys", "--changed")
    assert ap in listed.stdout and "SHA256:" in listed.stdout
    # only an explicit command trusts it again
    third, _ = lab.sweep("--timeout", "8")
    assert third["failures"].get("host_key_changed") == 1
    trusted = lab.pubwifi("ssh", "hostkeys", "trust", ap, "--inventory", str(lab.inventory))
    assert trusted.returncode == 0, trusted.stderr
    fourth, _ = lab.sweep("--timeout", "8")
    assert "host_key_changed" not in fourth["failures"]
    assert fourth["ok"] == len(HEALTHY)


@pytest.mark.needs("ssh")
def test_openssh_checks_the_same_known_hosts_file(lab: SshLab, tmp_path: Path) -> None:
    lab.sweep("--timeout", "8")
    known = lab.data / "ssh" / "known_hosts"
    assert known.exists()

    def openssh(role: str) -> subprocess.CompletedProcess[str]:
        askpass = tmp_path / "askpass.sh"
        askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LAB_SSH_PASSWORD"\n')
        askpass.chmod(0o700)
        env = dict(
            os.environ,
            SSH_ASKPASS=str(askpass),
            SSH_ASKPASS_REQUIRE="force",
            LAB_SSH_PASSWORD=LAB_ENV["PUBWIFI_SSH_PASSWORD"],
            DISPLAY=":0",
        )
        return subprocess.run(
            [
                "ssh",
                "-F",
                "/dev/null",
                "-p",
                str(lab.port),
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                f"UserKnownHostsFile={known}",
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "PreferredAuthentications=password",
                "-o",
                "NumberOfPasswordPrompts=1",
                "-o",
                "ConnectTimeout=5",
                f"{LAB_ENV['PUBWIFI_SSH_USER']}@{lab.addresses[role]}",
                "/system identity print",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            stdin=subprocess.DEVNULL,
        )

    good = openssh("mikrotik")
    assert good.returncode == 0, good.stderr
    assert "name:" in good.stdout
    lab.fleet.member(lab.ids["mikrotik"]).ssh.host_key_changed = True
    bad = openssh("mikrotik")
    assert bad.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in bad.stderr


def test_strict_policy_refuses_unknown_keys_without_a_login(tmp_path: Path, influx: Server) -> None:
    for strict in _lab(tmp_path, influx, policy="strict"):
        summary, _ = strict.sweep("--timeout", "8", "--sink", "none")
        assert summary["failures"] == {"host_key_unknown": len(ROLES)}
        assert sum(strict.server.stats.auth_attempts.values()) == 0
        assert not (strict.data / "ssh" / "known_hosts").exists()


def test_the_collectors_schedule_spreads_sessions_and_counts_a_changed_key(lab: SshLab) -> None:
    """SshSchedule as ``pubwifi collect`` drives it: each AP once per interval, outcomes on one
    recorder thread, one commit when the interval closes, the metric a changed key raises."""
    inventory = load_inventory(lab.inventory)
    profiles = load_ssh_profiles()
    aps = select(inventory.aps, profiles)
    rekeyed = lab.ids["cisco6"]
    known = KnownHosts.in_data_dir(lab.data)
    key_type, blob = public_key_openssh(1, rekeyed).split()  # the key it had last week
    host = host_entry(lab.addresses["cisco6"], lab.port)
    known.check(host, rekeyed, key_type, blob, KnownHostsPolicy.ACCEPT_NEW)
    lab.fleet.member(rekeyed).ssh.host_key_changed = True
    metrics = CollectorMetrics(CollectorRegistry())
    env = {**os.environ, **LAB_ENV}
    collector = ApCollector(
        profiles,
        known,
        MaskKey.load_or_create(lab.data / "ssh" / "mask.key"),
        deadline_s=8.0,
        logins=Logins(env),
    )
    facts, repo = FactStore.in_data_dir(lab.data), ConfigRepo.open(lab.data / "configs")
    interval = 6.0
    schedule = SshSchedule(
        aps,
        interval,
        collector,
        lambda: SweepRecorder(facts, repo, lab.data, metrics=metrics),
        concurrency=8,
    )
    started = time.time()
    clock = started
    launched = 0
    while clock < started + interval:  # one interval of ticks, the last ending on it exactly
        time.sleep(0.25)
        now = min(time.time(), started + interval)
        launched += schedule.tick(clock, now)
        clock = now
    deadline = time.time() + 60
    while schedule.sweeps == 0 and time.time() < deadline:  # the hung AP ends at its deadline
        time.sleep(0.1)
    schedule.close()
    assert launched == len(aps)  # each AP exactly once in the interval
    summary = schedule.last
    assert summary is not None
    assert summary.failures["host_key_changed"] == 1
    value = metrics.registry.get_sample_value(
        "pubwifi_ssh_errors_total", {"reason": "host_key_changed"}
    )
    assert value == 1.0
    assert lab.server.stats.auth_attempts[rekeyed] == 0
    assert summary.commit is not None and summary.configs_changed == len(HEALTHY) - 1
