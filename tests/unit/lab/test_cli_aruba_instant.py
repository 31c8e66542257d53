"""The Aruba Instant dialect: what netmiko's aruba_os driver sends, configuration, errors."""

from __future__ import annotations

from collector.lab.ssh.clientids import client_identity
from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import ClientCounter, CliSession, no_clients
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState

NOW = 1_700_000_000.0 + 90061


def session(clients: ClientCounter | None = None) -> CliSession:
    state = sample_state("aruba_instant", "AP-A1")
    return CliSession(
        dialect_for("aruba_instant"),
        state,
        user="admin",
        secret="pw",
        clock=lambda: NOW,
        clients=clients or no_clients,
    )


def run(cli: CliSession, *lines: str) -> str:
    return "".join(cli.feed_line(line) for line in lines)


def test_netmiko_session_preparation_and_config_mode_prompts() -> None:
    cli = session()
    assert cli.prompt == "ap-a1# "  # netmiko checks '#' for enable mode
    assert run(cli, "no paging") == "ap-a1# "
    run(cli, "configure term")
    assert "(config) #" in cli.prompt  # netmiko's check_config_mode string
    run(cli, "end")
    assert cli.prompt == "ap-a1# "


def test_show_version_and_uptime() -> None:
    out = run(session(), "no paging", "show version")
    assert "ArubaOS (MODEL: AP-515), Version 8.10.0.6_86000" in out
    assert "AP uptime is 1 days 1 hours 1 minutes 1 seconds" in out


def test_ssid_profile_rename_vlan_and_channels_then_save() -> None:
    cli = session()
    out = run(
        cli,
        "configure terminal",
        "wlan ssid-profile Seoul_Free_WiFi",
        "essid Seoul_Free_WiFi_2",
        "vlan 210",
        "exit",
        "a-channel 44 18",
        "g-channel 1 9",
        "end",
    )
    assert "error" not in out.lower()
    cfg = cli.state.running
    assert (cfg.ssids[0].name, cfg.ssids[0].vlan) == ("Seoul_Free_WiFi_2", 210)
    assert [(r.channel, r.tx_power_dbm) for r in cfg.radios] == [(1, 9), (44, 18)]
    assert cli.state.saved.ssids[0].name == "Seoul_Free_WiFi"
    assert "Configuration Saved." in run(cli, "copy running-config startup-config")
    assert cli.state.saved == cli.state.running
    listing = run(cli, "no paging", "show running-config")
    assert "essid Seoul_Free_WiFi_2" in listing and "a-channel 44 18" in listing


def test_parse_errors_point_at_the_bad_token() -> None:
    cli = session()
    out = run(cli, "show clinets")
    assert out.splitlines()[0].index("^") == len("ap-a1# show ")
    assert "% Parse error" in out
    assert "% Invalid value" in run(cli, "a-channel 7 10")  # 7 is not a 5 GHz channel


def test_show_clients_is_an_aggregate() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("5GHz", "Seoul_Secure"): 4, ("2.4GHz", "Seoul_Free_WiFi"): 2}

    out = run(session(counts), "no paging", "show clients")
    assert "Number of Clients   :6" in out


def test_show_clients_lists_each_client_as_aruba_instant_does() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("5GHz", "Seoul_Secure"): 4, ("2.4GHz", "Seoul_Free_WiFi"): 2}

    lines = run(session(counts), "no paging", "show clients").splitlines()
    assert lines[1:3] == ["Client List", "-----------"]
    header = lines[3].split()
    assert header[:4] == ["Name", "IP", "Address", "MAC"] and header[-2:] == ["Speed", "(mbps)"]
    rows = [line.split() for line in lines[5:-1] if line and not line.startswith("Number")]
    assert len(rows) == 6
    first = client_identity("AP-A1", "2.4GHz", "Seoul_Free_WiFi", 0)
    assert rows[0][:3] == [first.name, first.ip, first.mac]
    assert rows[0][4:7] == ["Seoul_Free_WiFi", "ap-a1", "6"]
    assert {tuple(r[4:7]) for r in rows[2:]} == {("Seoul_Secure", "ap-a1", "36")}


def test_configs_carry_the_lab_secrets_in_aruba_syntax() -> None:
    cli = session()
    secrets = lab_secrets("AP-A1")
    for command in ("show running-config", "show startup-config"):
        out = run(cli, command)
        assert f"\nmgmt-user admin {secrets.user_password}\n" in out
        assert f"\nsnmp-server community {secrets.snmp_community}\n" in out
        block = "wlan auth-server city-radius\n ip 10.10.0.5\n port 1812\n"
        assert f"\n{block} key {secrets.radius_key}\n" in out
        assert "wlan ssid-profile Seoul_Secure" in out


def test_reload_needs_a_yes() -> None:
    cli = session()
    assert "cancelled" in run(cli, "reload", "n")
    assert not cli.closed
    run(cli, "reload", "y")
    assert cli.closed and cli.state.boot_time == NOW
