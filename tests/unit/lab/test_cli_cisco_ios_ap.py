"""The Cisco IOS autonomous-AP dialect: feed commands, check output and device state."""

from __future__ import annotations

import re

from collector.lab.ssh.clientids import client_identity
from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import ClientCounter, CliSession, no_clients
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState

BOOT = 1_700_000_000.0
NOW = BOOT + 3 * 86400 + 4 * 3600 + 5 * 60 + 6


def session(clients: ClientCounter | None = None) -> CliSession:
    state = sample_state("cisco_ios_ap", "AP-C1", boot_time=BOOT)
    return CliSession(
        dialect_for("cisco_ios_ap"),
        state,
        user="admin",
        secret="pw",
        clock=lambda: NOW,
        clients=clients or no_clients,
    )


def run(cli: CliSession, *lines: str) -> str:
    return "".join(cli.feed_line(line) for line in lines)


def privileged() -> CliSession:
    cli = session()
    run(cli, "enable", "pw", "terminal length 0")
    assert cli.prompt == "ap-c1#"
    return cli


def test_user_exec_then_enable_with_the_ssh_password() -> None:
    cli = session()
    assert cli.prompt == "ap-c1>"
    assert "% Bad secrets" in run(cli, "enable", "wrong")
    assert cli.prompt == "ap-c1>"
    assert "Invalid input" in run(cli, "configure terminal")  # not allowed in user exec
    assert run(cli, "en", "pw") == "Password: ap-c1#"


def test_show_version_reports_model_firmware_serial_and_uptime() -> None:
    out = run(privileged(), "show version")
    assert "Version 15.3(3)JD17" in out
    assert "ap-c1 uptime is 3 days, 4 hours, 5 minutes" in out
    assert "Product/Model Number            : AIR-CAP3702I-K-K9" in out


def test_configure_radio_and_ssid_changes_running_but_not_saved_until_write() -> None:
    cli = privileged()
    out = run(
        cli,
        "conf t",
        "interface Dot11Radio1",
        "channel 149",
        "power local 14",
        "no dot11 ssid Seoul_Free_WiFi",
        "dot11 ssid Seoul_Free_WiFi_5G",
        "vlan 300",
        "end",
    )
    assert "Invalid" not in out and cli.prompt == "ap-c1#"
    radio = cli.state.running.radios[1]
    assert (radio.channel, radio.tx_power_dbm) == (149, 14)
    assert [(s.name, s.vlan) for s in cli.state.running.ssids] == [
        ("Seoul_Secure", 101),
        ("Seoul_Free_WiFi_5G", 300),
    ]
    assert cli.state.saved.radios[1].channel == 36
    assert "channel 149" in run(cli, "show running-config")
    assert "channel 149" not in run(cli, "show startup-config")
    assert "[OK]" in run(cli, "wr mem")
    assert cli.state.saved == cli.state.running


def test_copy_run_start_asks_for_the_destination_like_ios() -> None:
    cli = privileged()
    run(cli, "configure terminal", "hostname ap-renamed", "end")
    assert cli.prompt == "ap-renamed#"
    out = run(cli, "copy running-config startup-config")
    assert out == "Destination filename [startup-config]? "
    assert "[OK]" in run(cli, "")
    assert cli.state.saved.hostname == "ap-renamed"


def test_reload_restores_saved_config_and_restarts_uptime() -> None:
    cli = privileged()
    run(cli, "configure terminal", "interface Dot11Radio0", "channel 11", "end")
    assert run(cli, "reload") == "Proceed with reload? [confirm]"
    run(cli, "")
    assert cli.closed and cli.reloaded
    assert cli.state.boot_time == NOW
    assert cli.state.running.radios[0].channel == 6  # the unsaved change is gone


def test_config_if_falls_back_to_global_commands_and_do() -> None:
    cli = privileged()
    run(cli, "configure terminal", "interface Dot11Radio0")
    assert "Cisco IOS Software" in run(cli, "do show version")
    assert cli.prompt == "ap-c1(config-if)#"
    run(cli, "dot11 ssid Extra")  # a global command leaves (config-if) as IOS does
    assert cli.prompt == "ap-c1(config-ssid)#"


def test_out_of_range_values_are_refused() -> None:
    cli = privileged()
    run(cli, "configure terminal", "interface Dot11Radio0")
    assert "out of range" in run(cli, "power local 40")
    assert "% Invalid input" in run(cli, "interface Dot11Radio7")
    assert cli.state.running.radios[0].tx_power_dbm == 17


def test_associations_list_each_client_in_ios_form_under_radio_and_ssid() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("2.4GHz", "Seoul_Free_WiFi"): 12, ("5GHz", "Seoul_Secure"): 5}

    cli = session(clients=counts)
    out = run(cli, "terminal length 0", "show dot11 associations")
    out = out[out.index("802.11") :]
    radio0, radio1 = out.split("802.11 Client Stations on Dot11Radio1: ")
    assert radio0.startswith("802.11 Client Stations on Dot11Radio0: \n\nSSID [Seoul_Free_WiFi] : ")
    assert "SSID [Seoul_Secure]" in radio1 and "Seoul_Free_WiFi" not in radio1
    assert "MAC Address    IP address      IPV6 address" in out
    rows = [line for line in out.splitlines() if re.match(r"^[0-9a-f]{4}\.[0-9a-f]{4}\.", line)]
    assert len(rows) == 17
    first = client_identity("AP-C1", "2.4GHz", "Seoul_Free_WiFi", 0)
    assert rows[0].startswith(f"{first.cisco_mac} {first.ip}") and first.name in rows[0]
    assert rows[-1].endswith("EAP-Assoc")


def test_show_interfaces_states_each_radio_band_and_admin_state() -> None:
    cli = privileged()
    run(cli, "configure terminal", "interface Dot11Radio1", "shutdown", "end")
    out = run(cli, "show interfaces")
    assert "Dot11Radio0 is up, line protocol is up" in out
    assert "Hardware is 802.11N 2.4GHz Radio, address is " in out
    assert "Dot11Radio1 is administratively down, line protocol is down" in out
    assert "Hardware is 802.11AC 5GHz Radio" in out


def test_configs_carry_the_lab_secrets_in_ios_syntax() -> None:
    cli = privileged()
    secrets = lab_secrets("AP-C1")
    expected = [
        "hostname ap-c1",
        f"enable secret 9 {secrets.enable_hash}",
        f"username admin privilege 15 password 0 {secrets.user_password}",
        f"snmp-server community {secrets.snmp_community} RO",
        "radius-server host 10.10.0.5 auth-port 1812 acct-port 1813 key 0 " + secrets.radius_key,
    ]
    for command in ("show running-config", "show startup-config"):
        lines = run(cli, command).splitlines()
        start = lines.index("hostname ap-c1")
        assert lines[start : start + 5] == expected
        assert "dot11 ssid Seoul_Free_WiFi" in lines  # the old lines stay
