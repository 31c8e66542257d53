"""Validated changes to a device's running configuration, shared by every dialect.

Each function either changes ``state.running`` or raises :class:`ChangeRejected` with a reason
that a dialect words in its own style. Nothing here knows about prompts or vendors.
"""

from __future__ import annotations

from collector.lab.state import DeviceState, Radio, Ssid
from collector.wifi import CHANNELS, SSID_MAX_LEN, TX_POWER_DBM, VLANS


class ChangeRejected(ValueError):
    """A configuration value the device refuses (out of range, unknown SSID, ...)."""


def radio(state: DeviceState, index: int) -> Radio:
    """The ``index``-th radio (0 = first, usually 2.4 GHz)."""
    radios = state.running.radios
    if not 0 <= index < len(radios):
        raise ChangeRejected(f"no radio {index}")
    return radios[index]


def radio_by_band(state: DeviceState, band: str) -> Radio:
    for candidate in state.running.radios:
        if candidate.band == band:
            return candidate
    raise ChangeRejected(f"no {band} radio")


def set_channel(state: DeviceState, radio_index: int, channel: int) -> None:
    target = radio(state, radio_index)
    if channel not in CHANNELS.get(target.band, frozenset()):
        raise ChangeRejected(f"channel {channel} is not valid in the {target.band} band")
    target.channel = channel


def set_tx_power(state: DeviceState, radio_index: int, dbm: int) -> None:
    target = radio(state, radio_index)
    if dbm not in TX_POWER_DBM:
        raise ChangeRejected(f"tx power {dbm} dBm is out of range 1-30")
    target.tx_power_dbm = dbm


def set_radio_enabled(state: DeviceState, radio_index: int, enabled: bool) -> None:
    radio(state, radio_index).enabled = enabled


def ssid(state: DeviceState, name: str) -> Ssid:
    for candidate in state.running.ssids:
        if candidate.name == name:
            return candidate
    raise ChangeRejected(f"no SSID {name!r}")


def ssid_at(state: DeviceState, index: int) -> Ssid:
    ssids = state.running.ssids
    if not 0 <= index < len(ssids):
        raise ChangeRejected(f"no SSID number {index}")
    return ssids[index]


def _check_ssid_name(name: str) -> None:
    if not 1 <= len(name) <= SSID_MAX_LEN or not name.isprintable():
        raise ChangeRejected(f"SSID must be 1-{SSID_MAX_LEN} printable characters")


def add_ssid(state: DeviceState, name: str, vlan: int = 1) -> Ssid:
    """The SSID called ``name``, created (open, on ``vlan``) if it does not exist yet."""
    _check_ssid_name(name)
    for candidate in state.running.ssids:
        if candidate.name == name:
            return candidate
    created = Ssid(name=name, vlan=vlan, secure=False)
    state.running.ssids.append(created)
    return created


def remove_ssid(state: DeviceState, name: str) -> None:
    state.running.ssids.remove(ssid(state, name))


def rename_ssid(state: DeviceState, old: str, new: str) -> None:
    _check_ssid_name(new)
    target = ssid(state, old)
    if new != old and any(s.name == new for s in state.running.ssids):
        raise ChangeRejected(f"SSID {new!r} already exists")
    target.name = new


def set_ssid_vlan(state: DeviceState, name: str, vlan: int) -> None:
    if vlan not in VLANS:
        raise ChangeRejected(f"VLAN {vlan} is out of range 1-4094")
    ssid(state, name).vlan = vlan


def set_hostname(state: DeviceState, hostname: str) -> None:
    if not hostname or len(hostname) > 63 or not all(c.isalnum() or c in "-_." for c in hostname):
        raise ChangeRejected("hostname must be 1-63 letters, digits, '-', '_' or '.'")
    state.running.hostname = hostname
