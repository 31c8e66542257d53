"""The lab's SSH server with real clients: netmiko for every platform, and OpenSSH.

One listener on 0.0.0.0:<free port> serves several APs on 127.21.0.x, each with its own
host key; clients check those keys against known_hosts files written from
``known_hosts_line``. Timings are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from netmiko import (
    ConnectHandler,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from collector.lab.ssh.device import SshCredentials, SshDevice
from collector.lab.ssh.dialects import NETMIKO_DEVICE_TYPES
from collector.lab.ssh.hostkeys import known_hosts_line, public_key_openssh
from collector.lab.ssh.samples import sample_state
from collector.lab.ssh.server import LabSshServer
from collector.secrets import Secret

pytestmark = pytest.mark.integration

SEED = "itest-seed"
USER, PASSWORD = "labops", "lab-pass-1"
PLATFORM_AT = {
    "127.21.0.1": "cisco_ios_ap",
    "127.21.0.2": "aruba_instant",
    "127.21.0.3": "mikrotik_routeros",
    "127.21.0.4": "net-snmp",
}
LOGIN_FAILS, HANGS, UNKNOWN = "127.21.0.5", "127.21.0.6", "127.21.0.99"
VERSION_COMMAND = {
    "cisco_ios_ap": ("show version", "Cisco IOS Software"),
    "aruba_instant": ("show version", "ArubaOS (MODEL: AP-515)"),
    "mikrotik_routeros": ("/system resource print", "board-name: RBcAPGi-5acD2nD"),
    "net-snmp": ("uname -a", "GNU/Linux"),
}
CONFIG_SET = {  # each: 5 GHz radio -> channel 149 / 14 dBm; first SSID -> renamed, VLAN 300
    "cisco_ios_ap": [
        "interface Dot11Radio1",
        "channel 149",
        "power local 14",
        "exit",
        "no dot11 ssid Seoul_Free_WiFi",
        "dot11 ssid Seoul_Free_WiFi_2",
        "vlan 300",
    ],
    "aruba_instant": [
        "wlan ssid-profile Seoul_Free_WiFi",
        "essid Seoul_Free_WiFi_2",
        "vlan 300",
        "exit",
        "a-channel 149 14",
    ],
    "mikrotik_routeros": [
        "/interface wireless set [find name=wlan2] frequency=5745 tx-power=14",
        "/interface wireless set [find name=wlan1] ssid=Seoul_Free_WiFi_2 vlan-id=300",
    ],
    "net-snmp": [
        "hostapd_cli -i wlan1 set channel 149",
        "iw dev wlan1 set txpower fixed 1400",
        "hostapd_cli -i wlan0 set ssid Seoul_Free_WiFi_2",
        "hostapd_cli -i wlan0 set vlan_id 300",
        "hostapd_cli save_config",  # netmiko's linux driver has no save_config()
    ],
}


@dataclass
class Lab:
    server: LabSshServer
    devices: dict[str, SshDevice]
    loop: asyncio.AbstractEventLoop

    @property
    def port(self) -> int:
        return self.server.port

    def known_hosts(self, path: Path, ip: str, ap_id: str | None = None) -> Path:
        ap = ap_id or self.devices[ip].state.ap_id
        path.write_text(known_hosts_line(ip, self.port, ap, SEED) + "\n")
        return path


def run_server(devices: dict[str, SshDevice]) -> Iterator[Lab]:
    """The server on its own event loop thread, ready when this yields."""
    loop = asyncio.new_event_loop()
    credentials = SshCredentials(USER, Secret(PASSWORD))
    server = LabSshServer(
        lambda ip, port: devices.get(ip), seed=SEED, credentials=credentials, login_timeout=10
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
    try:
        yield Lab(server, devices, loop)
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def fleet() -> dict[str, SshDevice]:
    devices = {
        ip: SshDevice(sample_state(platform, f"AP-{platform}"), platform)
        for ip, platform in PLATFORM_AT.items()
    }
    devices[LOGIN_FAILS] = SshDevice(
        sample_state("cisco_ios_ap", "AP-DENY"), "cisco_ios_ap", login_fails=True
    )
    devices[HANGS] = SshDevice(sample_state("cisco_ios_ap", "AP-HANG"), "cisco_ios_ap", hangs=True)
    return devices


@pytest.fixture()
def lab() -> Iterator[Lab]:
    yield from run_server(fleet())


def connect(lab: Lab, ip: str, known_hosts: Path, **extra: Any) -> Any:
    platform = lab.devices[ip].platform
    return ConnectHandler(
        device_type=NETMIKO_DEVICE_TYPES[platform],
        host=ip,
        port=lab.port,
        username=USER,
        password=PASSWORD,
        secret=PASSWORD,
        ssh_strict=True,
        system_host_keys=False,
        alt_host_keys=True,
        alt_key_file=str(known_hosts),
        allow_agent=False,
        use_keys=False,
        fast_cli=True,
        **extra,
    )


@pytest.mark.parametrize("ip", sorted(PLATFORM_AT))
def test_netmiko_logs_in_reads_configures_and_saves(lab: Lab, ip: str, tmp_path: Path) -> None:
    platform = PLATFORM_AT[ip]
    state = lab.devices[ip].state
    command, expected = VERSION_COMMAND[platform]
    started = time.perf_counter()
    conn = connect(lab, ip, lab.known_hosts(tmp_path / "known_hosts", ip))
    output = conn.send_command(command)
    login_and_command = time.perf_counter() - started
    print(f"\n{platform}: netmiko login + '{command}' {login_and_command:.3f} s")
    assert expected in output
    try:
        if platform == "cisco_ios_ap":
            conn.enable()
        out = conn.send_config_set(CONFIG_SET[platform])
        assert "Invalid" not in out and "error" not in out.lower() and "FAIL" not in out
        if platform in ("cisco_ios_ap", "aruba_instant"):
            conn.save_config()
    finally:
        conn.disconnect()
    five = next(r for r in state.running.radios if r.band == "5GHz")
    assert (five.channel, five.tx_power_dbm) == (149, 14)
    assert ("Seoul_Free_WiFi_2", 300) in {(s.name, s.vlan) for s in state.running.ssids}
    assert "Seoul_Free_WiFi" not in {s.name for s in state.running.ssids}
    assert state.saved == state.running


def test_cisco_reload_over_netmiko_restarts_the_device_and_drops_the_session(
    lab: Lab, tmp_path: Path
) -> None:
    ip = "127.21.0.1"
    state = lab.devices[ip].state
    boot_before = state.boot_time
    conn = connect(lab, ip, lab.known_hosts(tmp_path / "kh", ip))
    conn.enable()
    conn.send_config_set(["interface Dot11Radio0", "channel 11"])  # not saved
    out = conn.send_command_timing("reload")
    assert "Proceed with reload? [confirm]" in out
    conn.write_channel("\n")
    deadline = time.monotonic() + 5
    while state.boot_time == boot_before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state.boot_time > boot_before
    assert state.running.radios[0].channel == 6  # back to the saved config
    conn.disconnect()


def test_a_wrong_host_key_makes_netmiko_refuse(lab: Lab, tmp_path: Path) -> None:
    ip = "127.21.0.1"
    wrong = lab.known_hosts(tmp_path / "kh", ip, ap_id="AP-SOMEONE-ELSE")
    with pytest.raises(Exception, match=f"Host key for server '{ip}' does not match") as caught:
        connect(lab, ip, wrong)
    served = public_key_openssh(SEED, lab.devices[ip].state.ap_id).split()[1]
    assert f"got '{served}'" in str(caught.value)
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(Exception, match="not found in known_hosts"):
        connect(lab, ip, empty)
    assert lab.server.stats.logins_ok == 0  # refused before any password was sent


def test_login_failure_fault_raises_authentication_error(lab: Lab, tmp_path: Path) -> None:
    known = lab.known_hosts(tmp_path / "kh", LOGIN_FAILS)
    with pytest.raises(NetmikoAuthenticationException):
        connect(lab, LOGIN_FAILS, known)
    assert lab.server.stats.logins_refused >= 1


def test_wrong_password_is_refused(lab: Lab, tmp_path: Path) -> None:
    ip = "127.21.0.2"
    known = lab.known_hosts(tmp_path / "kh", ip)
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(
            device_type="aruba_os",
            host=ip,
            port=lab.port,
            username=USER,
            password="nope",
            ssh_strict=True,
            system_host_keys=False,
            alt_host_keys=True,
            alt_key_file=str(known),
            allow_agent=False,
            use_keys=False,
        )


def test_hanging_session_fault_makes_netmiko_time_out(lab: Lab, tmp_path: Path) -> None:
    known = lab.known_hosts(tmp_path / "kh", HANGS)
    started = time.perf_counter()
    with pytest.raises((ReadTimeout, NetmikoTimeoutException, ValueError, OSError)):
        connect(lab, HANGS, known, read_timeout_override=2, conn_timeout=3)
    elapsed = time.perf_counter() - started
    print(f"\nhanging session: netmiko gave up after {elapsed:.1f} s")
    assert lab.server.stats.hung_sessions == 1 and lab.server.stats.logins_ok == 1
    assert elapsed < 30


def test_unknown_ap_address_is_closed_before_any_ssh_byte(lab: Lab) -> None:
    with socket.create_connection((UNKNOWN, lab.port), timeout=5) as sock:
        assert sock.recv(100) == b""
    deadline = time.monotonic() + 5
    while lab.server.stats.refused_unknown_ap == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lab.server.stats.refused_unknown_ap == 1
    assert lab.server._device_for("192.0.2.10", 22) is None  # never a non-loopback address
    assert lab.server.stats.refused_not_loopback == 1


def _need(binary: str) -> str:
    """The binary's path; tests that call this carry ``@pytest.mark.needs(binary)``."""
    path = shutil.which(binary)
    assert path is not None, f"{binary}: mark the test with @pytest.mark.needs({binary!r})"
    return path


@pytest.mark.needs("ssh-keyscan")
def test_ssh_keyscan_sees_a_different_stable_key_per_ap_on_one_port(lab: Lab) -> None:
    keyscan = _need("ssh-keyscan")
    ips = ["127.21.0.1", "127.21.0.2"]
    result = subprocess.run(
        [keyscan, "-t", "ed25519", "-p", str(lab.port), *ips],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    keys = {}
    for line in result.stdout.splitlines():
        host, algorithm, blob = line.split()
        keys[host] = f"{algorithm} {blob}"
    assert keys == {
        f"[{ip}]:{lab.port}": public_key_openssh(SEED, lab.devices[ip].state.ap_id) for ip in ips
    }
    assert len(set(keys.values())) == 2


def _openssh(
    lab: Lab, ip: str, known_hosts: Path, tmp_path: Path, command: str
) -> subprocess.CompletedProcess[str]:
    askpass = tmp_path / "askpass.sh"
    askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LAB_SSH_PASSWORD"\n')
    askpass.chmod(0o700)
    env = dict(
        os.environ,
        SSH_ASKPASS=str(askpass),
        SSH_ASKPASS_REQUIRE="force",
        LAB_SSH_PASSWORD=PASSWORD,
        DISPLAY=":0",
    )
    return subprocess.run(
        [
            _need("ssh"),
            "-F",
            "/dev/null",
            "-p",
            str(lab.port),
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "ConnectTimeout=5",
            f"{USER}@{ip}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.needs("ssh")
def test_openssh_checks_the_host_key_and_runs_a_command(lab: Lab, tmp_path: Path) -> None:
    ip = "127.21.0.3"
    good = _openssh(
        lab, ip, lab.known_hosts(tmp_path / "good", ip), tmp_path, "/system identity print"
    )
    assert good.returncode == 0, good.stderr
    assert "name: ap-mikrotik_routeros" in good.stdout
    bad = _openssh(
        lab,
        ip,
        lab.known_hosts(tmp_path / "bad", ip, ap_id="AP-OTHER"),
        tmp_path,
        "/system identity print",
    )
    assert bad.returncode == 255
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in bad.stderr or (
        "Host key verification failed" in bad.stderr
    )
    assert "name:" not in bad.stdout


def test_startup_is_lazy_for_a_34280_ap_fleet(tmp_path: Path) -> None:
    """Server start with a resolver over 34,280 APs; keys are derived on first connection."""
    built = time.perf_counter()
    addresses = [f"127.{22 + i // 65536}.{(i // 256) % 256}.{i % 256 or 1}" for i in range(34_280)]
    devices = {
        ip: SshDevice(sample_state("cisco_ios_ap", f"AP-{n:05d}"), "cisco_ios_ap")
        for n, ip in enumerate(addresses)
    }
    build_seconds = time.perf_counter() - built
    started = time.perf_counter()
    for lab in run_server(devices):
        start_seconds = time.perf_counter() - started
        print(
            f"\n34,280 APs: devices built in {build_seconds:.2f} s, server started in "
            f"{start_seconds * 1000:.1f} ms, host keys derived at start: "
            f"{len(lab.server.host_keys)}"
        )
        assert len(lab.server.host_keys) == 0
        assert start_seconds < 10
        ip = addresses[-1]
        first = time.perf_counter()
        conn = connect(lab, ip, lab.known_hosts(tmp_path / "kh", ip))
        assert "Cisco IOS Software" in conn.send_command("show version")
        conn.disconnect()
        print(f"first login to {ip}: {time.perf_counter() - first:.3f} s")
        assert len(lab.server.host_keys) == 1
