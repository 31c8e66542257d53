"""What the SNMP agent needs to know about one device: view, credentials, engine, fault."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from collector.lab.mibview import MibView, SnmpFault
from collector.lab.snmp.usm import UsmUser

#: net-snmp's enterprise number, used only as the engineID prefix of lab devices.
ENGINE_ENTERPRISE = 8072
#: engineBoots counts seconds from this instant to the boot (2020-01-01T00:00:00Z), so that each
#: reboot raises it and a restarted lab reports the same value for the same boot.
BOOTS_EPOCH = 1_577_836_800
_MAX_ENGINE = 2_147_483_647


@lru_cache(maxsize=1 << 17)
def engine_id_for(device_id: str) -> bytes:
    """A stable RFC 3411 snmpEngineID (format 5: octets) derived from the device id."""
    head = (0x80000000 | ENGINE_ENTERPRISE).to_bytes(4, "big") + b"\x05"
    return head + hashlib.sha256(device_id.encode()).digest()[:12]


def engine_boots(boot_time: float) -> int:
    return min(max(1, int(boot_time) - BOOTS_EPOCH), _MAX_ENGINE - 1)


def engine_time(boot_time: float, now: float) -> int:
    return min(max(0, int(now - boot_time)), _MAX_ENGINE)


@dataclass(slots=True, eq=False)
class AgentDevice:
    """One simulated device as the agent sees it. Cheap to build: nothing is precomputed."""

    device_id: str
    view: MibView
    boot_time: float  # wall-clock seconds; engineBoots/engineTime follow from it
    community: bytes | None = field(default=None, repr=False)  # None: v2c refused
    v3_user: UsmUser | None = None  # None: v3 refused (unknown user)
    fault: SnmpFault | None = None
    slow_seconds: float = 3.0  # the delay of SnmpFault.SLOW

    @property
    def engine_id(self) -> bytes:
        return engine_id_for(self.device_id)

    @property
    def engine_boots(self) -> int:
        return engine_boots(self.boot_time)

    def engine_time(self, now: float) -> int:
        return engine_time(self.boot_time, now)
