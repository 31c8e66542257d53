"""Fault rules: parsing (flags and strict YAML), selection, and what a client then sees."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from _lab_helpers import ENV, generated

from collector.errors import InputError
from collector.lab.faults import FaultKind, FaultPlan, build_plan, parse_flag
from collector.lab.fleet import Fleet
from collector.lab.hostile import (
    DISPLAY_STRING_OCTETS,
    XSS_CORPUS,
    display_string,
    hostile_strings,
)
from collector.lab.mibview import SnmpFault, SnmpType, Value
from collector.poll.detect import Detector
from collector.profiles import load_profiles

T0 = 1_735_700_000.0
UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
IF_IN = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)
IF_HC_IN = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)
DISCONTINUITY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 19)


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _active(platform: str) -> str:
    inventory = generated(300, platform=platform)
    return next(ap.id for ap in inventory if ap.status.value == "active")


def _fleet(platform: str, *flags: str, clock: Clock | None = None) -> Fleet:
    plan = FaultPlan([parse_flag(flag) for flag in flags])
    return Fleet(
        generated(300, platform=platform),
        seed=1,
        faults=plan,
        environ=ENV,
        clock=clock or Clock(T0),
    )


def test_flags_parse_targets_and_options() -> None:
    rule = parse_flag("reboot:0.25:every_minutes=30:seed=7")
    assert (rule.kind, rule.fraction, rule.every_minutes, rule.seed) == (
        FaultKind.REBOOT,
        0.25,
        30.0,
        7,
    )
    assert parse_flag("down:AP-11110-00001").ap == "AP-11110-00001"


@pytest.mark.parametrize(
    "flag, message",
    [
        ("nonsense", "expected KIND:AP_ID"),
        ("exploded:AP-1", "kind"),
        ("reboot:AP-1", "needs 'at'"),
        ("slow:1.5", "fraction"),
        ("slow:AP-1:delay", "not key=value"),
    ],
)
def test_bad_flags_say_what_is_wrong(flag: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_flag(flag)


def test_fault_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text(
        "faults:\n  - {kind: down, ap: AP-1}\n  - {kind: slow, fraction: 0.1, dealy: 3}\n"
    )
    with pytest.raises(InputError) as caught:
        build_plan(path, [])
    assert f"{path}:3:" in str(caught.value) and "unknown key" in str(caught.value)


def test_fraction_selection_is_seeded_and_roughly_right() -> None:
    ids = [ap.id for ap in generated(2000)]
    rule = parse_flag("down:0.1:seed=3")
    picked = [i for i in ids if rule.selects(i)]
    assert 140 < len(picked) < 260
    assert picked == [i for i in ids if parse_flag("down:0.1:seed=3").selects(i)]
    assert picked != [i for i in ids if parse_flag("down:0.1:seed=4").selects(i)]


def test_agent_faults_reach_the_agent_device() -> None:
    ap = _active("net-snmp")
    fleet = _fleet("net-snmp", f"slow:{ap}:delay_seconds=4")
    member = fleet.member(ap)
    assert (member.agent.fault, member.agent.slow_seconds) == (SnmpFault.SLOW, 4.0)
    assert _fleet("net-snmp", f"ssh_hangs:{ap}").member(ap).ssh.hangs


def test_periodic_reboot_restarts_uptime_and_counters() -> None:
    ap = _active("cisco_ios_ap")
    clock = Clock(T0)
    fleet = _fleet("cisco_ios_ap", f"reboot:{ap}:every_minutes=10:at={T0 + 60}", clock=clock)
    agent = fleet.resolve_snmp(str(fleet.inventory.ap(ap).address), 16161)
    assert agent is not None
    before = agent.view.get(UPTIME, T0).value
    assert isinstance(before, int) and before > 100 * 86_400
    clock.now = T0 + 61
    agent = fleet.resolve_snmp(str(fleet.inventory.ap(ap).address), 16161)
    assert agent is not None and agent.boot_time == T0 + 60
    assert agent.view.get(UPTIME, clock.now).value == 100
    counter = agent.view.get((*IF_HC_IN, 1), clock.now).value
    assert isinstance(counter, int) and counter < 10**8  # one second of traffic, not months


def test_discontinuity_without_reboot() -> None:
    ap = _active("net-snmp")
    fleet = _fleet("net-snmp", f"discontinuity:{ap}:at={T0 - 30}")
    view = fleet.member(ap).agent.view
    uptime = view.get(UPTIME, T0).value
    assert isinstance(uptime, int) and uptime > 86_400 * 100  # no reboot
    stamp = view.get((*DISCONTINUITY, 2), T0).value
    assert stamp == uptime - 3000


def test_counter32_wrap_happens_within_the_configured_minutes() -> None:
    ap = _active("net-snmp")
    fleet = _fleet("net-snmp", f"counter32_wrap:{ap}:wrap_minutes=5")
    view = fleet.member(ap).agent.view
    eth0 = 2
    start = view.get((*IF_IN, eth0), T0).value
    assert isinstance(start, int) and start > 2**32 - 10**9
    values = [_int(view.get((*IF_IN, eth0), T0 + m * 60).value) for m in range(0, 60)]
    assert any(b < a for a, b in pairwise(values))  # it wrapped
    hc = [_int(view.get((*IF_HC_IN, eth0), T0 + m * 60).value) for m in range(0, 60)]
    assert hc == sorted(hc)  # the 64-bit counter does not wrap


def test_swap_to_wifi6_changes_what_the_ap_reports() -> None:
    inventory = generated(300, platform="aruba_instant")
    ap = next(a for a in inventory if a.status.value == "active" and a.standard.value == "wifi5")
    before = _fleet("aruba_instant").member(ap.id).agent.view
    after = _fleet("aruba_instant", f"swapped_to_wifi6:{ap.id}").member(ap.id).agent.view
    assert before.get(SYS_OBJECT_ID, T0) != after.get(SYS_OBJECT_ID, T0)
    model = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13, 1)
    replacement = ap.replacement.model.encode() if ap.replacement else b"AP-515"
    assert after.get(model, T0).value in (b"AP-515", replacement)
    uptime = after.get(UPTIME, T0 + 5).value
    assert isinstance(uptime, int) and uptime <= 500
    assert after.get((1, 3, 6, 1, 2, 1, 1, 1, 0), T0).type is SnmpType.OCTET_STRING


def test_unknown_ap_in_rules_is_reported() -> None:
    plan = FaultPlan([parse_flag("down:AP-NOPE")])
    assert plan.unknown_aps({"AP-1"}) == ["AP-NOPE"]


SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
ENT_MODEL = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13, 1)
ENT_SOFTWARE = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 10, 1)


def _active_ids(platform: str, count: int) -> list[str]:
    inventory = generated(300, platform=platform)
    return [ap.id for ap in inventory if ap.status.value == "active"][:count]


def test_the_xss_corpus_is_utf8_display_strings_with_the_required_payloads() -> None:
    assert len(set(XSS_CORPUS)) == len(XSS_CORPUS)
    assert all(0 < len(entry.encode()) <= DISPLAY_STRING_OCTETS for entry in XSS_CORPUS)
    for required in (
        "<script>window.__pubwifi_xss=(window.__pubwifi_xss||0)+1</script>",
        '"><img src=x onerror="window.__pubwifi_xss=(window.__pubwifi_xss||0)+1">',
        "javascript:window.__pubwifi_xss=1",
        '<svg onload="window.__pubwifi_xss=1">',
        "'};window.__pubwifi_xss=1;//",
        "<b>강남</b>&amp;",
    ):
        assert required in XSS_CORPUS
    assert display_string("가" * 100) == ("가" * 85).encode()  # 3 octets each, cut whole


def test_hostile_strings_are_fixed_per_ap_and_spread_over_the_corpus() -> None:
    ids = [ap.id for ap in generated(300)]
    picked = [hostile_strings(0, i) for i in ids]
    assert picked == [hostile_strings(0, i) for i in ids]
    assert {p.sys_name for p in picked} == set(XSS_CORPUS)
    assert all(len({p.sys_name, p.model, p.firmware}) == 3 for p in picked)
    assert parse_flag("hostile_strings:0.05").kind is FaultKind.HOSTILE_STRINGS


@pytest.mark.parametrize("platform", ["cisco_ios_ap", "aruba_instant", "net-snmp"])
def test_hostile_strings_replace_the_targeted_aps_strings_only(platform: str) -> None:
    target, other = _active_ids(platform, 2)
    clean = _fleet(platform)
    fleet = _fleet(platform, f"hostile_strings:{target}")
    expected = hostile_strings(0, target)
    view = fleet.member(target).agent.view
    assert view.get(SYS_NAME, T0) == Value(SnmpType.OCTET_STRING, expected.sys_name.encode())
    descr = view.get(SYS_DESCR, T0).value
    assert isinstance(descr, bytes) and len(descr) <= DISPLAY_STRING_OCTETS
    assert descr != clean.member(target).agent.view.get(SYS_DESCR, T0).value
    if platform != "net-snmp":  # ENTITY-MIB: the model and firmware the collector reads
        assert view.get(ENT_MODEL, T0).value == expected.model.encode()
        assert view.get(ENT_SOFTWARE, T0).value == expected.firmware.encode()
    # the other AP, and the SSH side of the target, are untouched
    for oid in (SYS_NAME, SYS_DESCR, ENT_MODEL, ENT_SOFTWARE):
        assert fleet.member(other).agent.view.get(oid, T0) == clean.member(other).agent.view.get(
            oid, T0
        )
    assert fleet.member(other).agent.view.get(SYS_NAME, T0).value == other.encode()
    assert fleet.member(target).device.state.running.hostname == target


@pytest.mark.parametrize("platform", ["cisco_ios_ap", "aruba_instant", "net-snmp"])
def test_a_hostile_ap_is_still_detected_as_its_platform(platform: str) -> None:
    (target,) = _active_ids(platform, 1)
    view = _fleet(platform, f"hostile_strings:{target}").member(target).agent.view
    descr = view.get(SYS_DESCR, T0).value
    assert isinstance(descr, bytes)
    assert (
        Detector(load_profiles()).detect(
            ".".join(map(str, _oid(view.get(SYS_OBJECT_ID, T0).value))), descr.decode()
        )
        == platform
    )


def _oid(value: object) -> tuple[int, ...]:
    assert isinstance(value, tuple)
    return value


@pytest.mark.parametrize(
    ("kind", "flag"),
    [
        ("ssh_host_key_changed", "host_key_changed"),
        ("ssh_cli_error", "cli_error"),
        ("ssh_garbage", "garbage"),
        ("ssh_login_fails", "login_fails"),
    ],
)
def test_ssh_faults_reach_the_ssh_device(kind: str, flag: str) -> None:
    ap = _active("aruba_instant")
    assert FaultKind(kind).value == kind
    ssh = _fleet("aruba_instant", f"{kind}:{ap}").member(ap).ssh
    flags = ("login_fails", "hangs", "host_key_changed", "cli_error", "garbage")
    assert {f for f in flags if getattr(ssh, f)} == {flag}
    other = next(a.id for a in generated(300, platform="aruba_instant") if a.id != ap)
    untouched = _fleet("aruba_instant", f"{kind}:{ap}").member(other).ssh
    assert not any(getattr(untouched, f) for f in flags) and untouched.cli_fault is None
