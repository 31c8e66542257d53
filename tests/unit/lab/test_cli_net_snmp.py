"""The Linux/hostapd dialect of the ``net-snmp`` platform (netmiko ``linux``)."""

from __future__ import annotations

from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import ClientCounter, CliSession
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState

NOW = 1_700_000_000.0 + 2 * 86400 + 3 * 3600 + 4 * 60


def session(clients: ClientCounter | None = None) -> CliSession:
    extra = {"clients": clients} if clients else {}
    state = sample_state("net-snmp", "AP-L1")
    return CliSession(
        dialect_for("net-snmp"), state, user="ops", secret="pw", clock=lambda: NOW, **extra
    )


def run(cli: CliSession, *lines: str) -> str:
    return "".join(cli.feed_line(line) for line in lines)


def root() -> CliSession:
    cli = session()
    assert run(cli, "sudo -s") == "[sudo] password for ops: "
    assert not cli.echo
    assert run(cli, "pw") == "root@ap-l1:/home/ops# "
    return cli


def test_shell_basics() -> None:
    cli = session()
    assert cli.prompt == "ops@ap-l1:~$ "
    assert "Linux ap-l1 " in run(cli, "uname -a")
    assert " up 2 days,  3:04," in run(cli, "uptime")
    assert run(cli, "nosuch --flag").startswith("-bash: nosuch: command not found")


def test_changes_need_root() -> None:
    cli = session()
    assert "Permission denied" in run(cli, "hostapd_cli -i wlan0 set channel 11")
    assert cli.state.running.radios[0].channel == 6
    assert "Sorry, try again." in run(cli, "sudo -s", "wrong")
    assert cli.prompt == "ops@ap-l1:~$ "


def test_hostapd_and_iw_change_running_and_save_config_writes_the_file() -> None:
    cli = root()
    out = run(
        cli,
        "hostapd_cli -i wlan2 set channel 69",
        "hostapd_cli -i wlan0-1 set ssid Seoul_Secure_6E",
        "hostapd_cli -i wlan0 set vlan_id 250",
        "iw dev wlan1 set txpower fixed 1500",
    )
    assert out.count("OK") == 3 and "FAIL" not in out
    cfg = cli.state.running
    assert cfg.radios[2].band == "6GHz" and cfg.radios[2].channel == 69
    assert cfg.radios[1].tx_power_dbm == 15
    assert [(s.name, s.vlan) for s in cfg.ssids] == [
        ("Seoul_Free_WiFi", 250),
        ("Seoul_Secure_6E", 101),
    ]
    assert "ssid=Seoul_Secure_6E" not in run(cli, "cat /etc/hostapd/hostapd.conf")
    assert run(cli, "hostapd_cli save_config").startswith("OK")
    assert "ssid=Seoul_Secure_6E" in run(cli, "cat /etc/hostapd/hostapd.conf")
    assert "FAIL" in run(cli, "hostapd_cli -i wlan0 set channel 36")  # 5 GHz channel on 2.4
    run(cli, "exit")
    assert cli.prompt == "ops@ap-l1:~$ " and not cli.closed


def test_status_counts_stations_per_bss() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("5GHz", "Seoul_Free_WiFi"): 7, ("5GHz", "Seoul_Secure"): 2}

    out = run(session(counts), "hostapd_cli -i wlan1 status")
    assert "freq=5180" in out and "num_sta[0]=7" in out and "num_sta[1]=2" in out


def test_sudo_reboot() -> None:
    cli = session()
    run(cli, "sudo reboot", "pw")
    assert cli.closed and cli.state.boot_time == NOW
