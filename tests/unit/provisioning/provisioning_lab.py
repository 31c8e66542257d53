"""Lab devices for provisioning tests: facts as the collector reads them, configs, pushes."""

from __future__ import annotations

from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.samples import sample_state
from collector.lab.state import Config, DeviceState
from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts

PLATFORMS = ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros", "net-snmp")
SECRET = "pw"
CONFIG_COMMAND = {
    "cisco_ios_ap": "show running-config",
    "aruba_instant": "show running-config",
    "mikrotik_routeros": "/export",
    "net-snmp": "hostapd_cli get_config",
}
ERRORS = (
    "Invalid",
    "Incomplete",
    "Ambiguous",
    "Parse error",
    "failure:",
    "bad command",
    "expected end",
    "syntax error",
    "FAIL",
    "No such",
    "denied",
    "not found",
    "not permitted",
    "Sorry",
)
_KEYWORD = {"2.4GHz": "g-channel", "5GHz": "a-channel", "6GHz": "6g-channel"}


def device(platform: str, ap_id: str = "AP-T1") -> DeviceState:
    return sample_state(platform, ap_id)


def facts_of(state: DeviceState) -> ApFacts:
    """What a sweep would store for ``state`` (names as the collector's parsers give them)."""
    cfg, platform = state.running, state.platform
    radios = []
    for index, radio in enumerate(cfg.radios):
        name = {
            "cisco_ios_ap": f"Dot11Radio{index}",
            "aruba_instant": _KEYWORD[radio.band],
            "mikrotik_routeros": f"wlan{index + 1}",
            "net-snmp": f"wlan{index}",
        }[platform]
        radios.append(
            RadioFacts(name, radio.band, radio.channel, float(radio.tx_power_dbm), True, 0)
        )
    ssids = [SsidFacts(s.name, 0, None if platform == "net-snmp" else s.vlan) for s in cfg.ssids]
    return ApFacts(
        cfg.hostname, state.model, state.serial, state.firmware, 1, tuple(radios), tuple(ssids)
    )


def session(state: DeviceState) -> CliSession:
    cli = CliSession(
        dialect_for(state.platform), state, user="admin", secret=SECRET, clock=lambda: 1.7e9
    )
    cli.start()
    if state.platform == "cisco_ios_ap":
        _feed(cli, "enable", SECRET, "terminal length 0")
    elif state.platform == "aruba_instant":
        _feed(cli, "no paging")
    return cli


def _feed(cli: CliSession, *lines: str) -> str:
    return "".join(cli.feed_line(line) for line in lines)


def config_text(state: DeviceState) -> str:
    """The running-config as the collector reads it (netmiko strips the echo and prompt)."""
    return session(state).run_command(CONFIG_COMMAND[state.platform])


def push(state: DeviceState, commands: tuple[str, ...], save: tuple[str, ...] = ()) -> str:
    """What netmiko's send_config_set (+ save_config) does, over the lab CLI: the output."""
    cli = session(state)
    platform = state.platform
    out = ""
    if platform in ("cisco_ios_ap", "aruba_instant"):
        out += _feed(cli, "configure terminal", *commands, "end", *save)
    elif platform == "net-snmp":
        out += _feed(cli, "sudo -s", SECRET, *commands, *save, "exit")
    else:
        out += _feed(cli, *commands, *save)
    bad = [word for word in ERRORS if word in out]
    assert not bad, f"{platform}: {bad} in:\n{out}"
    return out


def ssid_order_free(cfg: Config) -> tuple[object, ...]:
    """A config compared without the SSIDs' order (IOS re-creates a renamed SSID last)."""
    return (
        cfg.hostname,
        cfg.radios,
        sorted((s.name, s.vlan, s.secure, s.enabled) for s in cfg.ssids),
        cfg.mgmt_vlan,
    )
