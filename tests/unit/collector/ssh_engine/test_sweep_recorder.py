"""The sweep's recorder: facts, points, masked configs in one commit, failures by reason."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.metrics import CollectorMetrics
from collector.ssh.configrepo import ConfigRepo
from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts
from collector.ssh.factstore import FactStore
from collector.ssh.knownhosts import KnownHosts
from collector.ssh.profile import load_ssh_profiles
from collector.ssh.schedule import SshSchedule
from collector.ssh.session import prompt_pattern
from collector.ssh.sweep import ApOutcome, SweepRecorder, refused

FACTS = ApFacts(
    hostname="ap-1",
    model="C9120AXI",
    serial="FCW2233L0AB",
    firmware="17.9.5.47",
    uptime_s=100,
    radios=(RadioFacts("Dot11Radio0", "2.4GHz", 6, 17.0, True, 3),),
    ssids=(SsidFacts("Seoul_Free_WiFi", 2, 100), SsidFacts("Seoul Secure,=x", 1, 101)),
)


@pytest.fixture(scope="module")
def aps() -> list[AccessPoint]:
    path = Path(tempfile.mkdtemp()) / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=6)), encoding="utf-8")
    return list(load_inventory(path).aps)


def _recorder(tmp: Path) -> tuple[SweepRecorder, list[str], CollectorMetrics]:
    lines: list[str] = []
    metrics = CollectorMetrics(CollectorRegistry())
    recorder = SweepRecorder(
        FactStore.in_data_dir(tmp),
        ConfigRepo.open(tmp / "configs"),
        tmp,
        spool=lines.extend,
        metrics=metrics,
    )
    return recorder, lines, metrics


def test_a_sweep_records_points_facts_and_one_commit(
    tmp_path: Path, aps: list[AccessPoint]
) -> None:
    recorder, lines, metrics = _recorder(tmp_path)
    recorder.begin()
    for ap in aps[:3]:
        recorder.record(ApOutcome(ap, 1000.0, 0.5, facts=FACTS, config=f"hostname {ap.id}\n"))
    recorder.record(ApOutcome(aps[3], 1000.0, 30.0, "timeout", "deadline passed"))
    recorder.record(
        ApOutcome(aps[4], 1000.0, 0.2, "parse_failed", "show version: junk", unparsed="### x\n?")
    )
    summary = recorder.finish(KnownHosts(tmp_path / "known_hosts"))
    assert (summary.aps, summary.ok, summary.failed) == (5, 3, 2)
    assert dict(summary.failures) == {"timeout": 1, "parse_failed": 1}
    assert summary.configs_changed == 3 and summary.commit is not None
    facts_lines = [line for line in lines if line.startswith("ap_facts,")]
    ssid_lines = [line for line in lines if line.startswith("ap_ssid_clients,")]
    assert len(facts_lines) == 3 and len(ssid_lines) == 6
    assert 'model="C9120AXI"' in facts_lines[0] and "clients=3i" in facts_lines[0]
    assert any(r"ssid=Seoul\ Secure\,\=x" in line for line in ssid_lines)  # escaped tag value
    assert summary.points == 9
    stored = FactStore.in_data_dir(tmp_path).get(aps[0].id)
    assert stored is not None and stored.facts == FACTS
    failed = FactStore.in_data_dir(tmp_path).attempt(aps[3].id)
    assert failed is not None and failed.reason == "timeout"
    aside = tmp_path / "ssh" / "unparsed" / f"{aps[4].id}.txt"
    assert aside.read_text().startswith(f"# {aps[4].id} parse_failed")
    sample = metrics.registry.get_sample_value
    assert sample("pubwifi_ssh_errors_total", {"reason": "timeout"}) == 1.0
    assert sample("pubwifi_ssh_last_sweep_aps", {"result": "ok"}) == 3.0
    assert sample("pubwifi_ssh_config_changes_total") == 3.0
    # the same configs again: no commit
    recorder.begin()
    for ap in aps[:3]:
        recorder.record(ApOutcome(ap, 2000.0, 0.5, facts=FACTS, config=f"hostname {ap.id}\n"))
    again = recorder.finish(KnownHosts(tmp_path / "known_hosts"))
    assert (again.configs_changed, again.commit) == (0, None)
    count = subprocess.run(
        ["git", "-C", str(tmp_path / "configs"), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert count.stdout.strip() == "1"


def _closed(recorder: SweepRecorder) -> bool:
    try:
        recorder.rollout.sightings()
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
        return True
    return False


def test_the_recorder_closes_its_rollout_store(tmp_path: Path, aps: list[AccessPoint]) -> None:
    with _recorder(tmp_path)[0] as recorder:
        recorder.begin()
        recorder.record(ApOutcome(aps[0], 1000.0, 0.5, facts=FACTS))
        recorder.finish(KnownHosts(tmp_path / "known_hosts"))
        assert not _closed(recorder)
    assert _closed(recorder)
    recorder.close()  # again: harmless
    reader = FactStore.in_data_dir(tmp_path)  # what it recorded was kept
    assert reader.get(aps[0].id) is not None


class _Collector:
    """Answers every AP at once (what SshSchedule needs of an ApCollector)."""

    def __init__(self, known_hosts: KnownHosts) -> None:
        self.known_hosts = known_hosts

    def collect(self, ap: AccessPoint) -> ApOutcome:
        return ApOutcome(ap, 1000.0, 0.1, facts=FACTS)


def test_the_schedule_closes_every_recorder_it_made(tmp_path: Path, aps: list[AccessPoint]) -> None:
    made: list[SweepRecorder] = []

    def make() -> SweepRecorder:
        made.append(_recorder(tmp_path)[0])
        return made[-1]

    collector = _Collector(KnownHosts(tmp_path / "known_hosts"))
    schedule = SshSchedule(aps, 60.0, collector, make, concurrency=2)  # type: ignore[arg-type]
    assert schedule.tick(0.0, 60.0) == len(aps)  # one whole interval: a sweep, the next begun
    schedule.close()
    assert schedule.sweeps == 1 and len(made) == 2
    assert [_closed(r) for r in made] == [True, True]  # the finished sweep's and the unfinished


def test_a_config_that_looks_unmasked_is_refused_and_counted_alone(
    tmp_path: Path, aps: list[AccessPoint]
) -> None:
    recorder, _, metrics = _recorder(tmp_path)
    recorder.begin()
    recorder.record(
        ApOutcome(aps[0], 1.0, 0.1, facts=FACTS, config="snmp-server community public RO\n")
    )
    recorder.record(ApOutcome(aps[1], 1.0, 0.1, facts=FACTS, config="hostname ok\n"))
    summary = recorder.finish(KnownHosts(tmp_path / "known_hosts"))
    assert summary.configs_changed == 1 and summary.commit is not None
    value = metrics.registry.get_sample_value(
        "pubwifi_ssh_errors_total", {"reason": "config_refused"}
    )
    assert value == 1.0


@pytest.mark.parametrize(
    ("base", "ending", "matches"),
    [
        ("ap-1", "...\nap-1#", True),
        ("ap-1", "...\nap-1# ", True),
        ("[admin@ap-1]", "x\n[admin@ap-1] > ", True),
        ("labops@ap-1:~", "x\nlabops@ap-1:~$ ", True),
        ("ap-1", "ap-1#\nshow version", False),  # a stray prompt before the echo
        ("ap-1", "ap-1# show version\nCisco IOS", False),
    ],
)
def test_the_prompt_is_only_found_at_the_end(base: str, ending: str, matches: bool) -> None:
    assert bool(re.search(prompt_pattern(base), ending)) is matches


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        ("cisco_ios_ap", "                 ^\n% Invalid input detected at '^' marker."),
        ("mikrotik_routeros", "bad command name show (line 1 column 1)"),
        ("net-snmp", "sh: iw: command not found"),
        ("net-snmp", "Failed to connect to hostapd - wpa_ctrl_open: Permission denied"),
    ],
)
def test_cli_refusals_are_recognised_in_the_platforms_words(platform: str, text: str) -> None:
    profile = load_ssh_profiles()[platform]
    assert refused(profile, {"show x": "fine\n"}, text) == "running-config"
    assert refused(profile, {"show x": text}, "hostname ap\n") == "show x"


def test_ordinary_output_is_not_a_refusal() -> None:
    profile = load_ssh_profiles()["cisco_ios_ap"]
    ordinary = "Cisco IOS Software, Version 15.3\nProcessor board ID FCW1\n"
    assert refused(profile, {"show version": ordinary}, "hostname ap\n") is None
