"""Firmware as a change kind: the change file, per-platform rendering and the undo's image,
and the rendered commands pushed into the lab CLI (the AP reloads into the new version; the
undo brings the old one back)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from provisioning_lab import PLATFORMS, SECRET, device, facts_of, session

from collector.errors import InputError
from collector.lab.state import DeviceState
from collector.ssh.facts import ApFacts
from provisioning import intents
from provisioning.change import Firmware, load_change
from provisioning.intents import Expectation

# platform -> (model in the lab's YAML, its current version, (newer image, version))
LAB = {
    "cisco_ios_ap": ("C9120AXI", "17.9.5.47", ("ap1g7-k9w8-tar.17.9.6.61.tar", "17.9.6.61")),
    "aruba_instant": (
        "AP-515",
        "8.10.0.12_90107",
        ("ArubaInstant_Ursa_8.10.0.13_90200", "8.10.0.13_90200"),
    ),
    "mikrotik_routeros": (
        "cAPGi-5HaxD2HaxD",
        "7.16.2",
        ("routeros-7.16.3-arm64.npk", "7.16.3"),
    ),
    "net-snmp": (
        "OpenWrt-AX",
        "OpenWrt 23.05.5",
        ("openwrt-23.05.6-mediatek-filogic-openwrt_ax-squashfs-sysupgrade.bin", "OpenWrt 23.05.6"),
    ),
}
SERVER = "10.10.0.20"


def lab_device(platform: str) -> DeviceState:
    state = device(platform)
    state.model, state.firmware = LAB[platform][0], LAB[platform][1]
    return state


def wanted(platform: str, image: str | None = None, version: str | None = None) -> dict[str, str]:
    new_image, new_version = LAB[platform][2]
    return {"image": image or new_image, "version": version or new_version, "server": SERVER}


def push_reload(state: DeviceState, commands: tuple[str, ...], config_mode: bool) -> str:
    """What CliSession.push_reload does, over the lab CLI: each line, confirmations answered."""
    cli = session(state)
    out = ""
    if config_mode:
        out += cli.feed_line("sudo -s") + cli.feed_line(SECRET)
    for command in commands:
        out += cli.feed_line(command)
        while not cli.closed and cli.prompt.rstrip().endswith(("[y/N]:", "[confirm]", "(y/n):")):
            out += cli.feed_line("y")
    assert cli.closed and cli.reloaded, f"{state.platform} did not reload:\n{out}"
    return out


@pytest.mark.parametrize("platform", PLATFORMS)
def test_upgrade_then_undo_on_the_lab_cli(platform: str) -> None:
    state = lab_device(platform)
    before = copy.deepcopy(state)
    facts = facts_of(state)
    rendered = intents.render("firmware", platform, facts, wanted(platform))
    new_version = LAB[platform][2][1]
    assert rendered.reload and rendered.save == () and rendered.undo_problem is None
    assert rendered.current == {"version": before.firmware}
    assert rendered.target == {"version": new_version}
    assert rendered.expect == Expectation(firmware=new_version)
    assert rendered.undo_expect == Expectation(firmware=before.firmware)
    assert rendered.config_mode is (platform == "net-snmp")
    assert rendered.expect.facts_problems(facts) == [f"firmware {before.firmware} != {new_version}"]

    push_reload(state, rendered.commands, rendered.config_mode)
    assert state.firmware == new_version
    assert state.running == before.running and state.saved == before.saved
    assert not rendered.expect.facts_problems(facts_of(state))

    push_reload(state, rendered.undo, rendered.config_mode)
    assert state.firmware == before.firmware
    assert not rendered.undo_expect.facts_problems(facts_of(state))


def test_the_undo_image_is_the_change_image_with_the_previous_version() -> None:
    rendered = intents.render(
        "firmware", "cisco_ios_ap", facts_of(lab_device("cisco_ios_ap")), wanted("cisco_ios_ap")
    )
    assert rendered.commands == (
        f"archive download-sw /overwrite /reload tftp://{SERVER}/ap1g7-k9w8-tar.17.9.6.61.tar",
    )
    assert rendered.undo == (
        f"archive download-sw /overwrite /reload tftp://{SERVER}/ap1g7-k9w8-tar.17.9.5.47.tar",
    )
    assert intents.firmware_token("cisco_ios_ap", "15.3(3)JF16") == "153-3.JF16"
    assert intents.firmware_token("net-snmp", "OpenWrt 23.05.6") == "23.05.6"
    assert (
        intents.image_for(
            "cisco_ios_ap", "ap3g2-k9w7-tar.153-3.JF16.tar", "15.3(3)JF16", "15.3(3)JF15"
        )
        == "ap3g2-k9w7-tar.153-3.JF15.tar"
    )


def test_no_image_for_the_previous_version_means_no_undo() -> None:
    state = lab_device("net-snmp")
    state.firmware = "hostapd 2.10"  # not an OpenWrt release: no image name can be made
    rendered = intents.render("firmware", "net-snmp", facts_of(state), wanted("net-snmp"))
    assert rendered.undo == ()
    assert rendered.undo_problem == "no image for the previous version hostapd 2.10"


def test_an_unknown_image_is_refused_by_the_lab_and_nothing_changes() -> None:
    state = lab_device("mikrotik_routeros")
    before = copy.deepcopy(state)
    rendered = intents.render(
        "firmware",
        "mikrotik_routeros",
        facts_of(state),
        wanted("mikrotik_routeros", "routeros-7.99.1-arm64.npk", "7.99.1"),
    )
    cli = session(state)
    out = cli.feed_line(rendered.commands[0])
    assert "failure: closing connection: <404 Not Found" in out
    assert state == before


def test_facts_problems_compare_the_firmware() -> None:
    facts = ApFacts("h", "m", "s", "1.2", 1, (), ())
    assert Expectation(firmware="1.2").facts_problems(facts) == []
    assert Expectation(firmware="1.3").facts_problems(facts) == ["firmware 1.2 != 1.3"]


FILE = """\
name: fw-canary
reason: "ticket NET-77"
intent:
  kind: firmware
  image: {image}
  version: "{version}"
  server: {server}
select: {{platform: [cisco_ios_ap]}}
waves: {{canary: 1, then: [100]}}
error_budget: {{max_failed_percent: 0, halt_on_verify_failure: true}}
verify: {{within_s: 600}}
"""


def test_a_firmware_change_file_loads_and_bad_values_are_located(tmp_path: Path) -> None:
    path = tmp_path / "fw.yaml"
    path.write_text(
        FILE.format(image="ap1g7-k9w8-tar.17.9.6.61.tar", version="17.9.6.61", server=SERVER)
    )
    intent = load_change(path).intent
    assert isinstance(intent, Firmware) and intent.version == "17.9.6.61"
    path.write_text(FILE.format(image="../etc/passwd", version="17.9.6.61", server="a b"))
    with pytest.raises(InputError) as caught:
        load_change(path)
    text = [str(p).replace(str(path), "FILE") for p in caught.value.problems]
    assert any(t.startswith("FILE:5: intent.image: image '../etc/passwd'") for t in text), text
    assert any(t.startswith("FILE:7: intent.server:") for t in text), text


def test_the_image_must_carry_the_version_per_platform() -> None:
    good = ("cisco_ios_ap", "ap1g7-k9w8-tar.17.9.6.61.tar", "17.9.6.61")
    assert intents.check_image_version(*good) is None
    problem = intents.check_image_version(
        "cisco_ios_ap", "ap3g2-k9w7-tar.153-3.JF16.tar", "15.3(3)JF15"
    )
    assert problem == (
        "image ap3g2-k9w7-tar.153-3.JF16.tar does not carry version 15.3(3)JF15 "
        "(as cisco_ios_ap names it: 153-3.JF15)"
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_predicted_config_after_an_upgrade(platform: str) -> None:
    from provisioning_lab import config_text

    state = lab_device(platform)
    facts, backup = facts_of(state), config_text(state)
    rendered = intents.render("firmware", platform, facts, wanted(platform))
    ctx = intents.context("firmware", platform, facts, rendered.current, rendered.target)
    predicted = intents.predict("firmware", platform, backup, ctx)
    push_reload(state, rendered.commands, rendered.config_mode)
    assert predicted == config_text(state)
