"""Who sent a notification and what it means: source address -> AP, snmpTrapOID -> event kind.

Senders are told apart by the datagram's source address only (the inventory's management
address); a notification from any other address is not an AP's. Kinds: the five generic traps
of SNMPv2-MIB (RFC 3418) for every platform, plus the platform's own from its profile's
``traps:`` map. The detail is the notification's other varbinds as ``OID=value`` text, values
as the device sent them (strings decoded as UTF-8, undecodable bytes as ``\\xNN``): data, never
interpreted here or by anyone reading it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.inventory.model import AccessPoint, Inventory

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
#: SNMPv2-MIB's generic notifications (snmpTraps).
STANDARD_TRAPS: Mapping[str, str] = {
    "1.3.6.1.6.3.1.1.5.1": "cold_start",
    "1.3.6.1.6.3.1.1.5.2": "warm_start",
    "1.3.6.1.6.3.1.1.5.3": "link_down",
    "1.3.6.1.6.3.1.1.5.4": "link_up",
    "1.3.6.1.6.3.1.1.5.5": "auth_failure",
}
_UNWRITABLE = re.compile("[\x00-\x1f\x7f]")


class Senders:
    """The APs by management address (IPv4 as an int: one dict lookup per datagram)."""

    def __init__(self, aps: Iterable[AccessPoint]) -> None:
        self._by_address = {int(ap.address): ap for ap in aps}
        # the dotted form as the socket reports it: one lookup, no parsing, per datagram
        self._by_text = {str(ap.address): ap for ap in self._by_address.values()}

    @classmethod
    def of(cls, inventory: Inventory) -> Senders:
        return cls(inventory.aps)

    def __len__(self) -> int:
        return len(self._by_address)

    def ap(self, address: str) -> AccessPoint | None:
        """The AP whose management address is ``address`` (dotted IPv4), or None."""
        ap = self._by_text.get(address)
        if ap is not None:
            return ap
        try:
            return self._by_address.get(int(ipaddress.IPv4Address(address)))
        except ValueError:
            return None


class TrapKinds:
    """snmpTrapOID -> event kind, per platform (the standard traps apply to every platform)."""

    def __init__(self, platform_traps: Mapping[str, Mapping[str, str]]) -> None:
        self._by_platform = {
            platform: {**STANDARD_TRAPS, **dict(traps)}
            for platform, traps in platform_traps.items()
        }

    @classmethod
    def from_profiles(cls, profiles: Mapping[str, object]) -> TrapKinds:
        return cls({key: getattr(p, "traps", {}) for key, p in profiles.items()})

    def kind(self, platform: str, trap_oid: str) -> str | None:
        """The event kind of ``trap_oid`` on ``platform``, or None when it is not known."""
        known = self._by_platform.get(platform, STANDARD_TRAPS)
        return known.get(trap_oid)


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification as the receiver decoded it: every varbind as (numeric OID, text)."""

    trap_oid: str | None
    varbinds: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, varbinds: Iterable[tuple[str, str]]) -> Notification:
        pairs = tuple(varbinds)
        trap = next((value for oid, value in pairs if oid == SNMP_TRAP_OID), None)
        return cls(trap, pairs)

    def detail(self) -> str:
        """The varbinds other than sysUpTime.0 and snmpTrapOID.0, ``OID=value`` per line."""
        skip = (SYS_UPTIME, SNMP_TRAP_OID)
        return "\n".join(f"{oid}={value}" for oid, value in self.varbinds if oid not in skip)


def text_of(value: bytes) -> str:
    """An OCTET STRING as text: UTF-8 where it is, ``\\xNN`` for the bytes that are not."""
    return value.decode("utf-8", errors="backslashreplace")


def writable(detail: str) -> str:
    """``detail`` for an InfluxDB string field: control characters as ``\\xNN`` (the event
    store keeps the verbatim text; InfluxDB refuses control characters)."""
    return _UNWRITABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", detail)
