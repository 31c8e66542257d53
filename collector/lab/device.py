"""One lab AP: its state, platform data, traffic profile and counters, evaluated at time ``t``.

Counters count from ``state.counter_epoch`` (sessions from ``state.sessions_epoch``) plus a
fault-configured ``counter_offset``; per-radio values deal the AP's totals out with an exact
:class:`~collector.lab.traffic.Split`, so radios always add up to the AP's ground truth.
The wired uplink mirrors the radios: it receives what the radios send to clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from collector.inventory.model import AccessPoint
from collector.lab.hostile import HostileStrings
from collector.lab.platforms import Model, Platform
from collector.lab.state import DeviceState
from collector.lab.traffic import SPLIT_UNITS, Split, TrafficProfile, split_for

#: Relative share of bytes / sessions per band (normalised over the bands an AP has).
BYTE_WEIGHT = {"2.4GHz": 2, "5GHz": 7, "6GHz": 4}
CLIENT_WEIGHT = {"2.4GHz": 4, "5GHz": 6, "6GHz": 2}
SSID_CLIENT_WEIGHT = (6, 4, 2, 1)  # Seoul_Secure, Seoul_Free_WiFi, then any added SSIDs


def shares(weights: list[int]) -> tuple[int, ...]:
    """Largest-remainder apportionment of SPLIT_UNITS over ``weights`` (exact sum)."""
    total = sum(weights) or 1
    exact = [SPLIT_UNITS * w / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: SPLIT_UNITS - sum(counts)]:
        counts[i] += 1
    return tuple(counts)


@dataclass(slots=True, eq=False)
class LabDevice:
    ap: AccessPoint
    seed: int
    state: DeviceState
    platform: Platform
    hardware: Model
    profile: TrafficProfile
    mac: tuple[int, ...]  # base MAC, 6 octets
    counter_offset: int = 0  # added to every octet counter (Counter32-wrap fault)
    next_event: float = float("inf")  # earliest pending fault event
    apply_events: Callable[[LabDevice, float], None] | None = None
    hostile: HostileStrings | None = None  # reported over SNMP instead of its own (a fault)
    #: link_flap: the wired uplink is down in [link_down_from, link_down_until)
    link_down_from: float | None = None
    link_down_until: float = float("-inf")
    _snap_t: int = -1
    _snap: tuple[int, int, int] = (0, 0, 0)
    _epoch_cache: dict[float, tuple[int, int, int]] = field(default_factory=dict)

    def refresh(self, now: float) -> None:
        """Apply fault events (reboot, discontinuity, swap) that are due by ``now``."""
        if now >= self.next_event and self.apply_events is not None:
            self.apply_events(self, now)

    def link_down(self, t: float) -> bool:
        """Whether the wired uplink is down at ``t`` (a link_flap fault)."""
        return self.link_down_from is not None and self.link_down_from <= t < self.link_down_until

    def link_changed(self, t: float) -> float | None:
        """When the wired uplink last went down or up by ``t`` (None: never since the lab began)."""
        start = self.link_down_from
        if start is None or t < start:
            return None
        return start if t < self.link_down_until else self.link_down_until

    # --- totals ------------------------------------------------------------------------------
    def totals(self, t: float) -> tuple[int, int, int]:
        second = int(t // 1)
        if second != self._snap_t:
            self._snap = self.profile.totals(second)
            self._snap_t = second
        return self._snap

    def _at_epoch(self, epoch: float) -> tuple[int, int, int]:
        cached = self._epoch_cache.get(epoch)
        if cached is None:
            if len(self._epoch_cache) > 4:
                self._epoch_cache.clear()
            cached = self._epoch_cache[epoch] = self.profile.totals(epoch)
        return cached

    def byte_split(self) -> Split:
        return split_for(shares([BYTE_WEIGHT[r.band] for r in self.state.running.radios]))

    def client_split(self) -> Split:
        return split_for(shares([CLIENT_WEIGHT[r.band] for r in self.state.running.radios]))

    def ssid_split(self) -> Split:
        count = len(self.state.running.ssids)
        return split_for(shares([SSID_CLIENT_WEIGHT[min(i, 3)] for i in range(count)]))

    # --- counters as an SNMP client reads them -----------------------------------------------
    def wired_octets(self, t: float) -> tuple[int, int]:
        """(in, out) octets of the uplink since the counter epoch, plus the offset."""
        tx, rx, _ = self.totals(t)
        tx0, rx0, _ = self._at_epoch(self.state.counter_epoch)
        return tx - tx0 + self.counter_offset, rx - rx0 + self.counter_offset

    def radio_octets(self, t: float, radio: int) -> tuple[int, int]:
        """(in = from clients, out = to clients) octets of radio number ``radio``."""
        tx, rx, _ = self.totals(t)
        tx0, rx0, _ = self._at_epoch(self.state.counter_epoch)
        split = self.byte_split()
        return (
            split.part(rx, radio) - split.part(rx0, radio) + self.counter_offset,
            split.part(tx, radio) - split.part(tx0, radio) + self.counter_offset,
        )

    def radio_sessions(self, t: float, radio: int) -> int:
        _, _, sessions = self.totals(t)
        _, _, sessions0 = self._at_epoch(self.state.sessions_epoch)
        split = self.client_split()
        return split.part(sessions, radio) - split.part(sessions0, radio)

    def clients(self, t: float) -> int:
        if not any(r.enabled for r in self.state.running.radios):
            return 0
        return self.profile.clients(t, self.seed)

    def radio_clients(self, t: float, radio: int) -> int:
        if not self.state.running.radios[radio].enabled:
            return 0
        return self.client_split().part(self.clients(t), radio)

    def ssid_clients(self, t: float, ssid: int) -> int:
        if not self.state.running.ssids[ssid].enabled:
            return 0
        return self.ssid_split().part(self.clients(t), ssid)

    def client_table(self, t: float) -> dict[tuple[str, str], int]:
        """Associated clients by (band, SSID name), as the SSH CLI shows them."""
        table: dict[tuple[str, str], int] = {}
        ssids = self.state.running.ssids
        split = self.ssid_split() if ssids else None
        for position, radio in enumerate(self.state.running.radios):
            on_radio = self.radio_clients(t, position)
            for index, ssid in enumerate(ssids):
                assert split is not None
                table[(radio.band, ssid.name)] = split.part(on_radio, index) if ssid.enabled else 0
        return table
