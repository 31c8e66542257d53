"""Test profiles, APs and fake agents for the poll tests (no network); imported by them."""

from __future__ import annotations

import ipaddress

from collector.inventory.model import (
    AccessPoint,
    District,
    Footfall,
    KnownHostsPolicy,
    Lifecycle,
    Mount,
    Site,
    SnmpV2cAuth,
    SshAuth,
    WifiStandard,
)
from collector.profiles import Profile
from collector.secrets import SecretRef
from collector.snmp.fake import FakeAgent

ENV = {"TEST_COMMUNITY": "c0mmunity"}

UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"

# A vendor-like platform: 32-bit counters, a radio table selected and banded by radio type.
ACME = {
    "platform": "acme",
    "vendor": "Acme Wireless",
    "enterprise": 99999,
    "netmiko_device_type": "linux",
    "counter_bits": 32,
    "detect": {"sys_object_id": ["1.3.6.1.4.1.99999.1"], "sys_descr": "^Acme AP"},
    "scalars": {
        "uptime": {"mib": "SNMPv2-MIB::sysUpTime.0", "oid": UPTIME, "type": "timeticks"},
        "sys_name": {"mib": "SNMPv2-MIB::sysName.0", "oid": SYS_NAME, "type": "string"},
        "model": {
            "mib": "ACME-MIB::acmeModel.0",
            "oid": "1.3.6.1.4.1.99999.2.1.0",
            "type": "string",
        },
        "sessions": {
            "mib": "ACME-MIB::acmeAssocTotal.0",
            "oid": "1.3.6.1.4.1.99999.2.2.0",
            "type": "counter32",
            "unit": "sessions",
        },
    },
    "radios": {
        "index": "ACME-MIB::acmeRadioIndex",
        "select": {
            "mib": "ACME-MIB::acmeRadioType",
            "oid": "1.3.6.1.4.1.99999.3.1.2",
            "type": "integer",
        },
        "select_values": [1, 2, 3],
        "band_map": {"1": "2.4GHz", "2": "5GHz", "3": "6GHz"},
        "columns": {
            "rx_bytes": {
                "mib": "ACME-MIB::acmeRadioRx",
                "oid": "1.3.6.1.4.1.99999.3.1.3",
                "type": "counter32",
                "unit": "bytes",
            },
            "tx_bytes": {
                "mib": "ACME-MIB::acmeRadioTx",
                "oid": "1.3.6.1.4.1.99999.3.1.4",
                "type": "counter32",
                "unit": "bytes",
            },
            "clients": {
                "mib": "ACME-MIB::acmeRadioClients",
                "oid": "1.3.6.1.4.1.99999.3.1.5",
                "type": "gauge",
                "unit": "clients",
            },
            "channel": {
                "mib": "ACME-MIB::acmeRadioChannel",
                "oid": "1.3.6.1.4.1.99999.3.1.6",
                "type": "gauge",
                "unit": "channel",
            },
        },
    },
}

# Generic Linux: IF-MIB rows selected by ifType, banded by ifName, 64-bit counters.
GENERIC = {
    "platform": "generic",
    "vendor": "Linux",
    "enterprise": 8072,
    "netmiko_device_type": "linux",
    "counter_bits": 64,
    "detect": {"sys_object_id": ["1.3.6.1.4.1.8072.3.2"], "sys_descr": "^Linux "},
    "scalars": {
        "uptime": {"mib": "SNMPv2-MIB::sysUpTime.0", "oid": UPTIME, "type": "timeticks"},
        "sys_name": {"mib": "SNMPv2-MIB::sysName.0", "oid": SYS_NAME, "type": "string"},
    },
    "radios": {
        "index": "IF-MIB::ifIndex",
        "select": {"mib": "IF-MIB::ifType", "oid": "1.3.6.1.2.1.2.2.1.3", "type": "integer"},
        "select_values": [6, 71],
        "band": {"mib": "IF-MIB::ifName", "oid": "1.3.6.1.2.1.31.1.1.1.1", "type": "string"},
        "band_map": {"wlan0": "2.4GHz", "wlan1": "5GHz", "eth0": "wired"},
        "columns": {
            "rx_bytes": {
                "mib": "IF-MIB::ifHCInOctets",
                "oid": "1.3.6.1.2.1.31.1.1.1.6",
                "type": "counter64",
                "unit": "bytes",
            },
            "tx_bytes": {
                "mib": "IF-MIB::ifHCOutOctets",
                "oid": "1.3.6.1.2.1.31.1.1.1.10",
                "type": "counter64",
                "unit": "bytes",
            },
            "speed": {
                "mib": "IF-MIB::ifHighSpeed",
                "oid": "1.3.6.1.2.1.31.1.1.1.15",
                "type": "gauge",
                "unit": "Mbit/s",
            },
        },
    },
}


def build_profiles() -> dict[str, Profile]:
    return {str(d["platform"]): Profile.model_validate(d, strict=False) for d in (ACME, GENERIC)}


SITE = Site(
    "S1",
    "Test site",
    District("11110", "Jongno-gu", "종로구"),
    "Sajik-dong",
    37.57,
    126.98,
    Mount.SMART_POLE,
    Footfall.HIGH,
)
AUTH = SnmpV2cAuth("test-v2c", SecretRef("TEST_COMMUNITY"))
SSH = SshAuth("test-ssh", SecretRef("TEST_SSH_USER"), None, None, KnownHostsPolicy.STRICT, None)


def make_ap(ap_id: str, platform: str = "acme", n: int = 1) -> AccessPoint:
    return AccessPoint(
        id=ap_id,
        site=SITE,
        address=ipaddress.IPv4Address("127.40.0.0") + n,
        platform=platform,
        model="AP-100",
        standard=WifiStandard.WIFI5,
        installed=None,
        status=Lifecycle.ACTIVE,
        snmp_auth=AUTH,
        ssh_auth=SSH,
        snmp_port=161,
        ssh_port=22,
    )


def acme_agent(uptime: int = 1000, rx: int = 5000, bands: tuple[int, ...] = (1, 2)) -> FakeAgent:
    values: dict[str, object] = {
        UPTIME: uptime,
        SYS_NAME: b"acme-1",
        SYS_DESCR: b"Acme AP 100 fw 1.2",
        SYS_OBJECT_ID: "1.3.6.1.4.1.99999.1.100",
        "1.3.6.1.4.1.99999.2.1.0": b"AP-100",
        "1.3.6.1.4.1.99999.2.2.0": 77,
    }
    for row, band in enumerate(bands, start=1):
        values[f"1.3.6.1.4.1.99999.3.1.2.{row}"] = band
        values[f"1.3.6.1.4.1.99999.3.1.3.{row}"] = rx * row
        values[f"1.3.6.1.4.1.99999.3.1.4.{row}"] = rx * row * 3
        values[f"1.3.6.1.4.1.99999.3.1.5.{row}"] = 4 * row
        values[f"1.3.6.1.4.1.99999.3.1.6.{row}"] = 6 if band == 1 else 36
    return FakeAgent(values)  # type: ignore[arg-type]
