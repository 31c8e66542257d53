"""The MikroTik RouterOS dialect: paths, key=value settings, immediate persistence, errors."""

from __future__ import annotations

from collector.lab.ssh.clientids import client_identity
from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import ClientCounter, CliSession, no_clients
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState

NOW = 1_700_000_000.0 + 8 * 86400 + 3600


def session(clients: ClientCounter | None = None) -> CliSession:
    state = sample_state("mikrotik_routeros", "AP-M1")
    return CliSession(
        dialect_for("mikrotik_routeros"),
        state,
        user="admin",
        secret="pw",
        clock=lambda: NOW,
        clients=clients or no_clients,
    )


def run(cli: CliSession, *lines: str) -> str:
    return "".join(cli.feed_line(line) for line in lines)


def test_prompt_and_resource_print() -> None:
    cli = session()
    assert cli.prompt == "[admin@ap-m1] > "
    out = run(cli, "/system resource print")
    assert "uptime: 1w1d1h0m0s" in out and "board-name: RBcAPGi-5acD2nD" in out
    assert "version: 6.49.10" in out


def test_wireless_set_changes_and_persists_at_once() -> None:
    cli = session()
    out = run(
        cli,
        "/interface wireless set [find name=wlan1] frequency=2462 tx-power=12 "
        "tx-power-mode=all-rates-fixed",
        '/interface wireless set wlan4 ssid="Seoul Secure 2" vlan-id=400',
        "/interface wireless set 1 channel=149",
    )
    assert out == "[admin@ap-m1] > " * 3
    cfg = cli.state.running
    assert (cfg.radios[0].channel, cfg.radios[0].tx_power_dbm) == (11, 12)
    assert cfg.radios[1].channel == 149
    assert (cfg.ssids[1].name, cfg.ssids[1].vlan) == ("Seoul Secure 2", 400)
    assert cli.state.saved == cli.state.running  # RouterOS has no separate save
    export = run(cli, "/export")
    assert 'ssid="Seoul Secure 2"' in export and "frequency=2462" in export


def test_a_refused_setting_changes_nothing() -> None:
    cli = session()
    out = run(cli, "/interface wireless set wlan2 ssid=Changed frequency=2412")
    assert out.startswith("failure: ")
    assert cli.state.running.ssids[0].name == "Seoul_Free_WiFi"
    assert "failure: input does not match any value of colour" in run(
        cli, "/interface wireless set wlan1 colour=blue"
    )
    assert "failure: no such item" in run(
        cli, "/interface wireless set [find name=wlan9] tx-power=3"
    )


def test_routeros_style_errors_with_line_and_column() -> None:
    cli = session()
    assert run(cli, "/foo").startswith("bad command name foo (line 1 column 1)")
    assert run(cli, "/system resourse print").startswith(
        "bad command name resourse (line 1 column 9)"
    )
    assert run(cli, "/interface wireless print extra").startswith(
        "expected end of command (line 1 column 27)"
    )


def test_registration_table_count_only() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("2.4GHz", "Seoul_Free_WiFi"): 9, ("5GHz", "Seoul_Secure"): 3}

    assert run(session(counts), "/interface wireless registration-table print count-only") == (
        "12\n[admin@ap-m1] > "
    )


def test_registration_table_lists_each_client_routeros_style() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("2.4GHz", "Seoul_Free_WiFi"): 2, ("5GHz", "Seoul_Secure"): 3}

    out = run(session(counts), "/interface wireless registration-table print")
    rows = out.splitlines()[:-1]
    assert len(rows) == 5
    first = client_identity("AP-M1", "2.4GHz", "Seoul_Free_WiFi", 0)
    assert rows[0].startswith(f" 0 interface=wlan1 mac-address={first.mac.upper()} ap=no wds=no")
    assert f"last-ip={first.ip}" in rows[0]
    assert [r.split()[1] for r in rows[2:]] == ["interface=wlan4"] * 3
    assert [r.split()[0] for r in rows] == ["0", "1", "2", "3", "4"]


def test_export_carries_the_lab_secrets_in_routeros_syntax() -> None:
    secrets = lab_secrets("AP-M1")
    lines = run(session(), "/export").splitlines()
    at = lines.index("/radius")
    assert lines[at + 1] == f"add address=10.10.0.5 secret={secrets.radius_key} service=wireless"
    at = lines.index("/snmp community")
    assert lines[at + 1] == f"set [ find default=yes ] name={secrets.snmp_community}"
    assert "/interface wireless" in lines and "set name=ap-m1" in lines


def test_reboot_asks_and_restarts() -> None:
    cli = session()
    assert run(cli, "/system reboot") == "Reboot, yes? [y/N]: "
    assert "cancelled" in run(cli, "n")
    run(cli, "/system reboot", "y")
    assert cli.closed and cli.state.boot_time == NOW
