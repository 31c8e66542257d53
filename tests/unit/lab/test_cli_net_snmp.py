"""The Linux/hostapd dialect of the ``net-snmp`` platform (netmiko ``linux``)."""

from __future__ import annotations

from collector.lab.ssh.clientids import client_identity
from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import ClientCounter, CliSession, no_clients
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState

NOW = 1_700_000_000.0 + 2 * 86400 + 3 * 3600 + 4 * 60


def session(clients: ClientCounter | None = None) -> CliSession:
    state = sample_state("net-snmp", "AP-L1")
    return CliSession(
        dialect_for("net-snmp"),
        state,
        user="ops",
        secret="pw",
        clock=lambda: NOW,
        clients=clients or no_clients,
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


def test_iw_dev_has_one_interface_block_per_bss() -> None:
    out = run(session(), "iw dev")
    assert out.count("phy#") == 3 and out.count("\tInterface ") == 6
    block = out.split("\tInterface wlan1-1\n")[1].split("\tInterface")[0]
    assert "\t\tssid Seoul_Secure\n\t\ttype AP\n" in block
    assert "\t\tchannel 36 (5180 MHz), width: 20 MHz, center1: 5180 MHz\n" in block
    assert "\t\ttxpower 20.00 dBm\n" in block
    assert "\t\tchannel 37 (6135 MHz)" in out


def test_all_sta_prints_each_station_mac_then_its_values() -> None:
    def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
        return {("5GHz", "Seoul_Secure"): 2}

    lines = run(session(counts), "hostapd_cli -i wlan1-1 all_sta").splitlines()[:-1]
    macs = [client_identity("AP-L1", "5GHz", "Seoul_Secure", i).mac for i in range(2)]
    assert [line for line in lines if "=" not in line and ":" in line] == macs
    assert lines[1].startswith("flags=[AUTH][ASSOC][AUTHORIZED]") and "aid=2" in lines
    assert run(session(counts), "hostapd_cli -i wlan0 all_sta") == "ops@ap-l1:~$ "


def test_board_uptime_and_serial_for_the_facts() -> None:
    cli = session()
    board = run(cli, "ubus call system board")
    assert '\t"model": "hostapd-6e",' in board and '\t\t"description": "hostapd 2.10"' in board
    assert run(cli, "cat /proc/uptime").startswith(f"{2 * 86400 + 3 * 3600 + 4 * 60}.00 ")
    assert run(cli, "cat /proc/device-tree/serial-number").startswith("LAB")


def test_hostapd_conf_has_the_radius_secret_for_each_secure_bss() -> None:
    secret = lab_secrets("AP-L1").radius_key
    cli = session()
    for command in ("cat /etc/hostapd/hostapd.conf", "hostapd_cli get_config"):
        out = run(cli, command)
        expected = (
            "bss=wlan1-1\nssid=Seoul_Secure\nvlan_id=101\nwpa=2\nwpa_key_mgmt=WPA-EAP\n"
            f"auth_server_addr=10.10.0.5\nauth_server_port=1812\n"
            f"auth_server_shared_secret={secret}\n"
        )
        assert expected in out
        assert out.count("auth_server_shared_secret=") == 3  # one per secure BSS, not the open
