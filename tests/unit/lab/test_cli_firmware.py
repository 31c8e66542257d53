"""Firmware upgrades on every lab dialect: the vendor's commands stage an image the lab holds,
the reload runs it (``show version``-style facts and SNMP report the new version), and an
image the lab does not hold is refused in the vendor's words with nothing changed."""

from __future__ import annotations

import copy

import pytest
from _lab_helpers import ENV, generated

from collector.lab import firmware
from collector.lab.fleet import Fleet
from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import CliSession
from collector.lab.state import DeviceState

T0 = 1_735_700_000.0
SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
ENT_SOFTWARE = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 10, 1)
MTXR_LIC_VERSION = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 4, 4, 0)
# platform -> (newer image of the wifi6 model, its version)
NEWER = {
    "cisco_ios_ap": ("ap1g7-k9w8-tar.17.9.6.61.tar", "17.9.6.61"),
    "aruba_instant": ("ArubaInstant_Ursa_8.10.0.13_90200", "8.10.0.13_90200"),
    "mikrotik_routeros": ("routeros-7.16.3-arm64.npk", "7.16.3"),
    "net-snmp": (
        "openwrt-23.05.6-mediatek-filogic-openwrt_ax-squashfs-sysupgrade.bin",
        "OpenWrt 23.05.6",
    ),
}
VERSION_COMMAND = {
    "cisco_ios_ap": "show version",
    "aruba_instant": "show version",
    "mikrotik_routeros": "/system resource print",
    "net-snmp": "ubus call system board",
}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _fleet(platform: str) -> tuple[Fleet, str]:
    inventory = generated(40, platform=platform)
    ap = next(a for a in inventory if a.status.value == "active" and a.standard.value == "wifi6")
    return Fleet(inventory, seed=1, environ=ENV, clock=Clock(T0)), ap.id


def _session(state: DeviceState) -> CliSession:
    cli = CliSession(
        dialect_for(state.platform), state, user="admin", secret="pw", clock=lambda: T0
    )
    cli.start()
    if state.platform == "cisco_ios_ap":
        _feed(cli, "enable", "pw", "terminal length 0")
    elif state.platform == "aruba_instant":
        _feed(cli, "no paging")
    elif state.platform == "net-snmp":
        _feed(cli, "sudo -s", "pw")
    return cli


def _feed(cli: CliSession, *lines: str) -> str:
    return "".join(cli.feed_line(line) for line in lines)


def _upgrade(platform: str, image: str) -> tuple[str, ...]:
    url = f"http://10.10.0.20/{image}"
    return {
        "cisco_ios_ap": (f"archive download-sw /overwrite /reload tftp://10.10.0.20/{image}",),
        "aruba_instant": (f"upgrade-image {url}",),
        "mikrotik_routeros": (f"/tool fetch url={url}", "/system reboot", "y"),
        "net-snmp": (f"wget -O /tmp/{image} {url}", f"sysupgrade /tmp/{image}"),
    }[platform]


@pytest.mark.parametrize("platform", sorted(NEWER))
def test_an_upgrade_reloads_into_the_new_version_over_ssh_and_snmp(platform: str) -> None:
    fleet, ap_id = _fleet(platform)
    member = fleet.member(ap_id)
    state = member.device.state
    old = state.firmware
    image, version = NEWER[platform]
    assert version != old and firmware.images_for(state)[image] == version
    state.running.hostname = "edited-not-saved"  # a reload runs the saved config
    before_saved = copy.deepcopy(state.saved)
    cli = _session(state)
    _feed(cli, *_upgrade(platform, image))
    assert cli.closed and cli.reloaded, "the upgrade ends with a reload"
    assert state.firmware == version and state.staged_firmware is None
    assert state.running == before_saved and state.saved == before_saved
    assert version.split()[-1] in _session(state).run_command(VERSION_COMMAND[platform])
    view = member.agent.view
    if platform in ("cisco_ios_ap", "aruba_instant"):
        assert version.encode() in view.get(SYS_DESCR, T0).value  # type: ignore[operator]
        assert view.get(ENT_SOFTWARE, T0).value == version.encode()
    elif platform == "mikrotik_routeros":
        assert view.get(MTXR_LIC_VERSION, T0).value == version.encode()


REFUSAL = {
    "cisco_ios_ap": "%Error opening tftp://10.10.0.20/nope.tar (No such file or directory)",
    "aruba_instant": "Image upgrade failed",
    "mikrotik_routeros": 'failure: closing connection: <404 Not Found "nope.tar">',
    "net-snmp": "wget: server returned error: HTTP/1.1 404 Not Found",
}


@pytest.mark.parametrize("platform", sorted(NEWER))
def test_an_unknown_image_is_refused_and_nothing_changes(platform: str) -> None:
    fleet, ap_id = _fleet(platform)
    state = fleet.member(ap_id).device.state
    before = copy.deepcopy(state)
    cli = _session(state)
    out = _feed(cli, *_upgrade(platform, "nope.tar")[:1])
    assert REFUSAL[platform] in out
    assert not cli.closed and state.staged_firmware is None
    assert state.firmware == before.firmware and state.running == before.running


def test_an_image_of_another_model_family_is_unknown_to_this_one() -> None:
    fleet, ap_id = _fleet("cisco_ios_ap")
    state = fleet.member(ap_id).device.state
    with pytest.raises(firmware.UnknownImage):
        firmware.version_of(state, "tftp://h/ap3g2-k9w7-tar.153-3.JF16.tar")  # a wifi4 image


def test_staging_without_reload_waits_for_the_next_reload() -> None:
    fleet, ap_id = _fleet("cisco_ios_ap")
    state = fleet.member(ap_id).device.state
    cli = _session(state)
    out = _feed(
        cli, "archive download-sw /overwrite tftp://10.10.0.20/ap1g7-k9w8-tar.17.9.6.61.tar"
    )
    assert "New software image installed in flash:/ap1g7-k9w8-mx.17.9.6.61" in out
    assert not cli.closed and state.firmware == "17.9.5.47"
    _feed(cli, "reload", "")
    assert cli.reloaded and state.firmware == "17.9.6.61"


def test_openwrt_sysupgrade_needs_the_downloaded_file_and_root() -> None:
    fleet, ap_id = _fleet("net-snmp")
    state = fleet.member(ap_id).device.state
    assert "Image not found: /tmp/x.bin" in _feed(_session(state), "sysupgrade /tmp/x.bin")
    user = CliSession(dialect_for("net-snmp"), state, user="admin", secret="pw", clock=lambda: T0)
    user.start()
    assert "command not found" in _feed(user, "sysupgrade /tmp/x.bin")


def test_aruba_no_reboot_variant_then_reload() -> None:
    fleet, ap_id = _fleet("aruba_instant")
    state = fleet.member(ap_id).device.state
    cli = _session(state)
    _feed(cli, "upgrade-image2-no-reboot http://h/ArubaInstant_Ursa_8.10.0.13_90200")
    assert not cli.closed and state.staged_firmware == "8.10.0.13_90200"
    _feed(cli, "reload", "y")
    assert cli.reloaded and state.firmware == "8.10.0.13_90200"
