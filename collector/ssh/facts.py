"""What an SSH sweep learns about one AP. Counts only: no client MAC, IP or name has a field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RadioFacts:
    """One radio as the CLI states it. ``name`` is the CLI's (``Dot11Radio1``, ``wlan0``)."""

    name: str
    band: str  # "2.4GHz" | "5GHz" | "6GHz"
    channel: int | None
    tx_power_dbm: float | None
    enabled: bool | None
    clients: int | None  # associated clients on this radio, a count


@dataclass(frozen=True, slots=True)
class SsidFacts:
    """One SSID with its aggregate client count (summed over the radios that carry it)."""

    name: str
    clients: int
    vlan: int | None = None


@dataclass(frozen=True, slots=True)
class ApFacts:
    hostname: str | None
    model: str | None
    serial: str | None
    firmware: str | None
    uptime_s: int | None
    radios: tuple[RadioFacts, ...]
    ssids: tuple[SsidFacts, ...]

    @property
    def clients(self) -> int:
        """All associated clients (the SSIDs' sum)."""
        return sum(s.clients for s in self.ssids)
