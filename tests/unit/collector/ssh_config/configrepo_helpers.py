"""Shared lab configs and a fixed mask key for the ssh_config tests (named to stay unique)."""

from __future__ import annotations

from collector.ssh.mask import MaskKey

KEY = MaskKey(bytes(range(32)))

CISCO_HASH = "$9$0a1b2c3d4e5f60$" + "0123456789abcdef0123456789abcdef01234567"

#: platform -> (config text, the secrets in it)
LAB_CONFIGS: dict[str, tuple[str, list[str]]] = {
    "cisco_ios_ap": (
        "hostname ap-1\n"
        f"enable secret 9 {CISCO_HASH}\n"
        "username admin privilege 15 password 0 pw-0123456789ab\n"
        "snmp-server community cmty-0123456789ab RO\n"
        "radius-server host 10.10.0.5 auth-port 1812 acct-port 1813 key 0 rad-0123456789abcdef\n"
        "interface Dot11Radio0\n"
        " channel 1\n",
        [CISCO_HASH, "pw-0123456789ab", "cmty-0123456789ab", "rad-0123456789abcdef"],
    ),
    "aruba_instant": (
        "mgmt-user admin pw-0123456789ab\n"
        "snmp-server community cmty-0123456789ab\n"
        "wlan auth-server city-radius\n"
        " ip 10.10.0.5\n"
        " port 1812\n"
        " key rad-0123456789abcdef\n"
        "wlan ssid-profile Seoul_Free_WiFi\n"
        " essid Seoul_Free_WiFi\n",
        ["pw-0123456789ab", "cmty-0123456789ab", "rad-0123456789abcdef"],
    ),
    "mikrotik_routeros": (
        "# nov/14/2023 by RouterOS 7.12\n"
        "/radius\n"
        "add address=10.10.0.5 secret=rad-0123456789abcdef service=wireless\n"
        "/snmp community\n"
        "set [ find default=yes ] name=cmty-0123456789ab\n"
        "/system identity\n"
        "set name=ap-1\n",
        ["rad-0123456789abcdef", "cmty-0123456789ab"],
    ),
    "net-snmp": (
        "interface=wlan0\nssid=Seoul_Free_WiFi\nauth_server_addr=10.10.0.5\n"
        "auth_server_shared_secret=rad-0123456789abcdef\n",
        ["rad-0123456789abcdef"],
    ),
}
