"""Every lab platform's CLI dialect, by platform key (the key the inventory and profiles use).

Adding a platform: read netmiko's driver for its device type (what session preparation sends,
which prompts it waits for, its enable/config/save commands), write one module here that builds
a ``DIALECT`` from command tables (changes go through :mod:`collector.lab.ssh.changes`), add it
below, and add a ``tests/unit/lab/test_cli_<platform>.py`` plus a row in the integration test.
"""

from __future__ import annotations

from collector.lab.ssh.dialect import Dialect
from collector.lab.ssh.dialects import aruba_instant, cisco_ios_ap, mikrotik_routeros, net_snmp

DIALECTS: dict[str, Dialect] = {
    d.platform: d
    for d in (
        cisco_ios_ap.DIALECT,
        aruba_instant.DIALECT,
        mikrotik_routeros.DIALECT,
        net_snmp.DIALECT,
    )
}

#: platform key -> netmiko ``device_type`` (what provisioning passes to ConnectHandler).
NETMIKO_DEVICE_TYPES: dict[str, str] = {k: d.netmiko_device_type for k, d in DIALECTS.items()}


def dialect_for(platform: str) -> Dialect:
    """The dialect for ``platform``; KeyError names the known keys."""
    try:
        return DIALECTS[platform]
    except KeyError:
        known = ", ".join(sorted(DIALECTS))
        raise KeyError(f"no SSH dialect for platform {platform!r} (known: {known})") from None
