"""Every kind on every platform, pushed into the lab CLI: exact change, exact undo, exact
predicted config (on the lab's own running-config text, unmasked and masked)."""

from __future__ import annotations

import copy

import pytest
from provisioning_lab import PLATFORMS, config_text, device, facts_of, push, ssid_order_free

from collector.lab.state import DeviceState
from collector.ssh.mask import MaskKey, mask_config
from provisioning import intents
from provisioning.intents import Unrenderable

WANTED = {
    "channel_plan": {"band": "5GHz", "channel": "149"},
    "tx_power": {"band": "5GHz", "dbm": "14"},
    "ssid": {"from": "Seoul_Free_WiFi", "ssid": "Seoul_Free_WiFi_2"},
    "vlan": {"ssid": "Seoul_Free_WiFi", "vlan": "300"},
    "hostname": {"hostname": "gangnam-ap-1"},
}
CASES = [
    (kind, platform)
    for kind in WANTED
    for platform in PLATFORMS
    if not (kind == "hostname" and platform == "net-snmp")
]
KEY = MaskKey(b"k" * 32)


def changed_as_intended(kind: str, state: DeviceState, before: DeviceState) -> None:
    cfg, old = state.running, before.running
    if kind == "channel_plan":
        five = next(r for r in cfg.radios if r.band == "5GHz")
        assert five.channel == 149
        assert [r.channel for r in cfg.radios if r is not five] == [
            r.channel for r in old.radios if r.band != "5GHz"
        ]
        assert [r.tx_power_dbm for r in cfg.radios] == [r.tx_power_dbm for r in old.radios]
    elif kind == "tx_power":
        assert [(r.band, r.tx_power_dbm) for r in cfg.radios] == [
            (r.band, 14 if r.band == "5GHz" else r.tx_power_dbm) for r in old.radios
        ]
        assert [r.channel for r in cfg.radios] == [r.channel for r in old.radios]
    elif kind == "ssid":
        assert {(s.name, s.vlan, s.secure) for s in cfg.ssids} == {
            ("Seoul_Free_WiFi_2", 100, False),
            ("Seoul_Secure", 101, True),
        }
    elif kind == "vlan":
        assert [(s.name, s.vlan) for s in cfg.ssids] == [
            ("Seoul_Free_WiFi", 300),
            ("Seoul_Secure", 101),
        ]
    elif kind == "hostname":
        assert cfg.hostname == "gangnam-ap-1"
    if kind != "channel_plan" and kind != "tx_power":
        assert cfg.radios == old.radios
    if kind != "hostname":
        assert cfg.hostname == old.hostname


@pytest.mark.parametrize(("kind", "platform"), CASES)
def test_push_changes_exactly_and_undo_restores(kind: str, platform: str) -> None:
    state = device(platform)
    before = copy.deepcopy(state)
    facts = facts_of(state)
    backup = config_text(state)
    rendered = intents.render(kind, platform, facts, WANTED[kind], backup)
    assert rendered.current != rendered.target

    push(state, rendered.commands, rendered.save)
    changed_as_intended(kind, state, before)
    assert state.saved == state.running  # the save step persisted it
    after = config_text(state)

    ctx = intents.context(kind, platform, facts, rendered.current, rendered.target, backup)
    assert intents.predict(kind, platform, backup, ctx) == after
    masked = intents.predict(kind, platform, mask_config(platform, backup, KEY), ctx)
    assert masked == mask_config(platform, after, KEY)
    assert rendered.expect.config_problems(after) == []
    assert rendered.expect.config_problems(backup) != []
    assert rendered.expect.facts_problems(facts_of(state)) == []
    assert rendered.undo_expect.config_problems(backup) == []

    push(state, rendered.undo, rendered.save)
    if kind == "ssid" and platform == "cisco_ios_ap":  # IOS lists a re-created SSID last
        assert ssid_order_free(state.running) == ssid_order_free(before.running)
    else:
        assert state.running == before.running
    undo_ctx = intents.context(kind, platform, facts, rendered.target, rendered.current, backup)
    assert intents.predict(kind, platform, after, undo_ctx) == config_text(state)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_channel_plan_on_24ghz(platform: str) -> None:
    state = device(platform)
    facts, backup = facts_of(state), config_text(state)
    rendered = intents.render("channel_plan", platform, facts, {"band": "2.4GHz", "channel": "11"})
    push(state, rendered.commands, rendered.save)
    assert state.running.radios[0].channel == 11
    ctx = intents.context("channel_plan", platform, facts, rendered.current, rendered.target)
    assert intents.predict("channel_plan", platform, backup, ctx) == config_text(state)


def test_6ghz_channel_on_a_wifi6e_hostapd() -> None:
    state = device("net-snmp")
    facts, backup = facts_of(state), config_text(state)
    rendered = intents.render("channel_plan", "net-snmp", facts, {"band": "6GHz", "channel": "69"})
    assert rendered.commands == ("hostapd_cli -i wlan2 set channel 69",)
    push(state, rendered.commands, rendered.save)
    assert state.running.radios[2].channel == 69
    ctx = intents.context("channel_plan", "net-snmp", facts, rendered.current, rendered.target)
    assert intents.predict("channel_plan", "net-snmp", backup, ctx) == config_text(state)


def test_rendered_commands_read_as_the_platform_expects() -> None:
    def commands(platform: str, kind: str) -> tuple[str, ...]:
        state = device(platform)
        return intents.render(
            kind, platform, facts_of(state), WANTED[kind], config_text(state)
        ).commands

    assert commands("cisco_ios_ap", "channel_plan") == (
        "interface Dot11Radio1",
        "channel 149",
        "exit",
    )
    assert commands("aruba_instant", "channel_plan") == ("a-channel 149 20",)
    assert commands("aruba_instant", "tx_power") == ("a-channel 36 14",)
    assert commands("mikrotik_routeros", "channel_plan") == (
        "/interface wireless set [find name=wlan2] frequency=5745",
        "/interface wireless set [find name=wlan4] frequency=5745",
    )
    assert commands("net-snmp", "tx_power") == ("iw dev wlan1 set txpower fixed 1400",)
    assert commands("net-snmp", "vlan") == (
        "hostapd_cli -i wlan0 set vlan_id 300",
        "hostapd_cli -i wlan1 set vlan_id 300",
        "hostapd_cli -i wlan2 set vlan_id 300",
    )
    assert intents.PLATFORMS["mikrotik_routeros"].save == ()
    assert intents.PLATFORMS["net-snmp"].save == ("hostapd_cli save_config",)


def test_an_ssid_with_a_space_is_quoted_per_platform() -> None:
    for platform in ("mikrotik_routeros", "net-snmp", "aruba_instant"):
        state = device(platform)
        before = copy.deepcopy(state.running)
        facts, backup = facts_of(state), config_text(state)
        wanted = {"from": "Seoul_Free_WiFi", "ssid": "Seoul Free"}
        rendered = intents.render("ssid", platform, facts, wanted, backup)
        push(state, rendered.commands, rendered.save)
        assert state.running.ssids[0].name == "Seoul Free", platform
        ctx = intents.context("ssid", platform, facts, rendered.current, rendered.target, backup)
        assert intents.predict("ssid", platform, backup, ctx) == config_text(state), platform
        push(state, rendered.undo, rendered.save)
        assert state.running == before, platform


def test_cisco_refuses_to_rename_an_eap_ssid() -> None:
    state = device("cisco_ios_ap")
    wanted = {"from": "Seoul_Secure", "ssid": "Seoul_Secure_2"}
    with pytest.raises(Unrenderable, match="authentication open eap"):
        intents.render("ssid", "cisco_ios_ap", facts_of(state), wanted, config_text(state))
    with pytest.raises(Unrenderable, match="no backup"):
        intents.render("ssid", "cisco_ios_ap", facts_of(state), wanted, None)


def test_hostname_is_unsupported_on_hostapd_and_unknown_radios_are_unrenderable() -> None:
    state = device("net-snmp")
    with pytest.raises(Unrenderable, match="not supported on net-snmp"):
        intents.render("hostname", "net-snmp", facts_of(state), {"hostname": "x"})
    cisco = device("cisco_ios_ap")
    with pytest.raises(Unrenderable, match="no 6GHz radio"):
        intents.render(
            "channel_plan", "cisco_ios_ap", facts_of(cisco), {"band": "6GHz", "channel": "37"}
        )
    with pytest.raises(Unrenderable, match="no SSH facts"):
        intents.render("channel_plan", "cisco_ios_ap", None, {"band": "5GHz", "channel": "36"})


def test_already_at_target_renders_a_no_op_pair() -> None:
    state = device("aruba_instant")
    rendered = intents.render(
        "channel_plan", "aruba_instant", facts_of(state), {"band": "5GHz", "channel": "36"}
    )
    assert rendered.current == rendered.target
    assert rendered.commands == rendered.undo
