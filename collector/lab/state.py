"""A lab device's mutable state: what its CLI configures and its SNMP agent reports.

Shared by the SNMP MIB view, the SSH CLI and the fault injector. All times are wall-clock
seconds since the epoch. Traffic itself is not state: it is computed from the deterministic
model (``collector.lab.traffic``) and the device's counter epochs below.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field


@dataclass(slots=True)
class Radio:
    if_index: int
    band: str  # "2.4GHz" | "5GHz" | "6GHz"
    channel: int
    tx_power_dbm: int
    enabled: bool = True


@dataclass(slots=True)
class Ssid:
    name: str  # e.g. "Seoul_Secure", "Seoul_Free_WiFi"
    vlan: int
    enabled: bool = True
    secure: bool = True  # WPA3/802.1X (Seoul_Secure) vs open (Seoul_Free_WiFi)


@dataclass(slots=True)
class Config:
    """What ``show running-config`` prints and ``save`` persists."""

    hostname: str
    radios: list[Radio]
    ssids: list[Ssid]
    mgmt_vlan: int = 10


@dataclass(slots=True)
class DeviceState:
    ap_id: str
    platform: str
    model: str
    standard: str  # WifiStandard value
    firmware: str
    serial: str
    location: str
    running: Config
    saved: Config
    boot_time: float  # sysUpTime = now - boot_time
    counter_epoch: float  # interface counters count traffic since this instant (>= boot_time)
    discontinuity_time: float | None = None  # set when counters restart without a reboot
    sessions_epoch: float = 0.0  # the association counter counts since this instant
    extra: dict[str, str] = field(default_factory=dict)
    # The version of an image installed for the next boot (an upgrade command stages it, the
    # next reload of any kind runs it), as the vendors' upgrade flows do.
    staged_firmware: str | None = None

    def save(self) -> None:
        self.saved = copy.deepcopy(self.running)

    def reboot(self, now: float) -> None:
        """Reload: running config from saved, uptime and counters restart; a staged image
        becomes the running firmware (what ``show version`` and SNMP report from then on).

        Lab time moves in whole seconds (the counters tick once a second), so a reboot happens
        at a whole second: then the counters and sysUpTime restart together, as on a device.
        """
        now = math.floor(now)
        if self.staged_firmware is not None:
            self.firmware, self.staged_firmware = self.staged_firmware, None
        self.running = copy.deepcopy(self.saved)
        self.boot_time = now
        self.counter_epoch = now
        self.sessions_epoch = now
        self.discontinuity_time = None

    def restart_counters(self, now: float) -> None:
        """A counter discontinuity without reboot (ifCounterDiscontinuityTime changes)."""
        now = math.floor(now)
        self.counter_epoch = now
        self.discontinuity_time = now
