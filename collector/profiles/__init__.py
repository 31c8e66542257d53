"""Vendor profiles: what to poll on each platform, as schema-checked data (one YAML per platform).

A profile names every object by its MIB, numeric OID, SNMP type and unit, says how to detect the
platform (sysObjectID prefix, sysDescr pattern) and how to find the radio rows (table index).
The platform key names the profile file, the netmiko device type, the config template folder and
the test recordings.
"""

from collector.profiles.schema import (
    PROFILE_DIR,
    Detect,
    MibObject,
    Profile,
    RadioTable,
    SnmpValueType,
    load_profile,
    load_profiles,
    platform_keys,
)

PROFILE_DIR_KEYS = frozenset(path.stem for path in PROFILE_DIR.glob("*.yaml"))

__all__ = [
    "PROFILE_DIR",
    "PROFILE_DIR_KEYS",
    "Detect",
    "MibObject",
    "Profile",
    "RadioTable",
    "SnmpValueType",
    "load_profile",
    "load_profiles",
    "platform_keys",
]
