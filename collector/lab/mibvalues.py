"""The values a lab MIB serves, by the names platform files use (``value: radio.clients``).

Each provider is ``f(device, row, t)`` and returns a plain int, bytes or OID tuple; the MIB
layer types it and applies counter wrap. Values are computed at request time from the device's
state and traffic model, nothing is stored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from collector.lab.device import LabDevice
from collector.lab.hostile import display_string

Raw = int | bytes | tuple[int, ...]
WIRED_IF_TYPE = 6  # ethernetCsmacd: the AP's uplink


@dataclass(frozen=True, slots=True)
class Iface:
    if_index: int
    name: str
    if_type: int  # 6 ethernetCsmacd, 24 softwareLoopback, 71 ieee80211
    mbps: int
    radio: int = -1  # position in state.running.radios, -1 if not a radio


@dataclass(frozen=True, slots=True)
class Row:
    iface: Iface | None = None
    ssid: int = -1


Provider = Callable[[LabDevice, Row, float], Raw]


@cache
def parse_oid(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _centis(seconds: float) -> int:
    return max(0, int(seconds * 100))


def _iface(row: Row) -> Iface:
    assert row.iface is not None
    return row.iface


def _radio(row: Row) -> int:
    return _iface(row).radio


def _in_octets(dev: LabDevice, row: Row, t: float) -> int:
    iface = _iface(row)
    if iface.radio >= 0:
        return dev.radio_octets(t, iface.radio)[0]
    return dev.wired_octets(t)[0] if iface.if_type == 6 else 0


def _out_octets(dev: LabDevice, row: Row, t: float) -> int:
    iface = _iface(row)
    if iface.radio >= 0:
        return dev.radio_octets(t, iface.radio)[1]
    return dev.wired_octets(t)[1] if iface.if_type == 6 else 0


def _up(dev: LabDevice, row: Row) -> int:
    iface = _iface(row)
    if iface.radio >= 0 and not dev.state.running.radios[iface.radio].enabled:
        return 2
    return 1


def _oper(dev: LabDevice, row: Row, t: float) -> int:
    """ifOperStatus: down(2) for a disabled radio, and for the wired uplink while it flaps."""
    iface = _iface(row)
    if iface.radio < 0 and iface.if_type == WIRED_IF_TYPE and dev.link_down(t):
        return 2
    return _up(dev, row)


def _last_change(dev: LabDevice, row: Row, t: float) -> int:
    """ifLastChange: sysUpTime when the wired uplink last changed state (0: not since boot)."""
    iface = _iface(row)
    if iface.radio >= 0 or iface.if_type != WIRED_IF_TYPE:
        return 0
    changed = dev.link_changed(t)
    if changed is None or changed < dev.state.boot_time:
        return 0
    return _centis(changed - dev.state.boot_time)


def _mbps(dev: LabDevice, row: Row, t: float = 0.0) -> int:
    """The interface's speed: the radio's maximum PHY rate for this model, else the port's."""
    iface = _iface(row)
    if iface.radio >= 0:
        band = dev.state.running.radios[iface.radio].band
        return dev.hardware.max_mbps(band, iface.mbps)
    return iface.mbps


def _phys_address(dev: LabDevice, row: Row, t: float) -> bytes:
    iface = _iface(row)
    if iface.if_type == 24:
        return b""
    mac = list(dev.mac)
    mac[5] = (mac[5] + iface.if_index) & 0xFF
    return bytes(mac)


def _hostname(dev: LabDevice) -> str:
    """The sysName the AP reports: its configured hostname, or a hostile string (a fault)."""
    return dev.state.running.hostname if dev.hostile is None else dev.hostile.sys_name


def _model(dev: LabDevice) -> str:
    return dev.state.model if dev.hostile is None else dev.hostile.model


def _firmware(dev: LabDevice) -> str:
    return dev.state.firmware if dev.hostile is None else dev.hostile.firmware


def _sys_descr(dev: LabDevice, row: Row, t: float) -> bytes:
    """The platform's sysDescr; a hostile AP's strings fill its fields after the part that
    platform detection matches, so it is still detected."""
    hw = dev.hardware
    text = dev.platform.sys_descr.format(
        model=_model(dev),
        firmware=_firmware(dev),
        family=hw.family,
        image=hw.image,
        arch=hw.arch,
        hostname=_hostname(dev),
    )
    return display_string(text) if dev.hostile is not None else text.encode()


def _channel_text(dev: LabDevice, row: Row, t: float) -> bytes:
    radio = dev.state.running.radios[_radio(row)]
    suffix = {"2.4GHz": "", "5GHz": "E", "6GHz": "E"}[radio.band]
    return f"{radio.channel}{suffix}".encode()


def _freq_mhz(dev: LabDevice, row: Row, t: float) -> int:
    radio = dev.state.running.radios[_radio(row)]
    if radio.band == "2.4GHz":
        return 2484 if radio.channel == 14 else 2407 + 5 * radio.channel
    if radio.band == "5GHz":
        return 5000 + 5 * radio.channel
    return 5950 + 5 * radio.channel


def _band_text(dev: LabDevice, row: Row, t: float) -> bytes:
    radio = dev.state.running.radios[_radio(row)]
    ax = dev.state.standard in ("wifi6", "wifi6e", "wifi7")
    if radio.band == "2.4GHz":
        return b"2ghz-b/g/n/ax" if ax else b"2ghz-b/g/n"
    return b"5ghz-a/n/ac/ax" if ax else b"5ghz-a/n/ac"


def _max_bps(dev: LabDevice, row: Row, t: float) -> int:
    band = dev.state.running.radios[_radio(row)].band
    return dev.hardware.max_mbps(band) * 1_000_000


def _tx_power_mw(dev: LabDevice, row: Row, t: float) -> int:
    return round(10 ** (dev.state.running.radios[_radio(row)].tx_power_dbm / 10))


def _tx_power_level(dev: LabDevice, row: Row, t: float) -> int:
    """Cisco power level 1 (maximum) .. 8, halving (3 dB) per level from 30 dBm."""
    dbm = dev.state.running.radios[_radio(row)].tx_power_dbm
    return max(1, min(8, 1 + (30 - dbm) // 3))


def _ssid_name(dev: LabDevice, row: Row, t: float) -> bytes:
    ssids = dev.state.running.ssids
    return ssids[0].name.encode() if ssids else b""


def _const(value: int) -> Provider:
    return lambda dev, row, t: value


PROVIDERS: dict[str, Provider] = {
    "sys.descr": _sys_descr,
    "sys.object_id": lambda d, r, t: parse_oid(d.hardware.sys_object_id),
    "sys.uptime": lambda d, r, t: _centis(t - d.state.boot_time),
    "sys.contact": lambda d, r, t: b"Seoul Digital City Bureau <wifi-noc@seoul.go.kr>",
    "sys.name": lambda d, r, t: _hostname(d).encode(),
    "sys.location": lambda d, r, t: d.state.location.encode(),
    "sys.services": _const(6),
    "if.number": lambda d, r, t: 0,  # replaced per shape by the MIB builder
    "if.index": lambda d, r, t: _iface(r).if_index,
    "if.descr": lambda d, r, t: _iface(r).name.encode(),
    "if.name": lambda d, r, t: _iface(r).name.encode(),
    "if.type": lambda d, r, t: _iface(r).if_type,
    "if.mtu": lambda d, r, t: 65536 if _iface(r).if_type == 24 else 1500,
    "if.speed": lambda d, r, t: min(_mbps(d, r) * 1_000_000, 4_294_967_295),
    "if.high_speed": _mbps,
    "if.phys_address": _phys_address,
    "if.admin_status": lambda d, r, t: _up(d, r),
    "if.oper_status": _oper,
    "if.last_change": _last_change,
    "if.in_octets": _in_octets,
    "if.out_octets": _out_octets,
    "if.alias": lambda d, r, t: b"",
    "if.discontinuity": lambda d, r, t: (
        0
        if d.state.discontinuity_time is None
        else _centis(d.state.discontinuity_time - d.state.boot_time)
    ),
    "ent.descr": lambda d, r, t: display_string(f"{_model(d)} Access Point"),
    "ent.name": lambda d, r, t: _model(d).encode(),
    "ent.hardware_rev": lambda d, r, t: b"V01",
    "ent.firmware": lambda d, r, t: _firmware(d).encode(),
    "ent.serial": lambda d, r, t: d.state.serial.encode(),
    "ent.vendor": lambda d, r, t: d.platform.vendor.encode(),
    "ent.model": lambda d, r, t: _model(d).encode(),
    "const.0": _const(0),
    "const.1": _const(1),
    "const.3": _const(3),
    "const.8": _const(8),
    "radio.clients": lambda d, r, t: d.radio_clients(t, _radio(r)),
    "radio.sessions": lambda d, r, t: d.radio_sessions(t, _radio(r)),
    "radio.channel": lambda d, r, t: d.state.running.radios[_radio(r)].channel,
    "radio.channel_text": _channel_text,
    "radio.freq_mhz": _freq_mhz,
    "radio.band_text": _band_text,
    "radio.tx_power_dbm": lambda d, r, t: d.state.running.radios[_radio(r)].tx_power_dbm,
    "radio.tx_power_mw": _tx_power_mw,
    "radio.tx_power_level": _tx_power_level,
    "radio.number": lambda d, r, t: _radio(r),
    "radio.noise_floor": lambda d, r, t: -95 + _radio(r),
    "radio.status": lambda d, r, t: _up(d, r),
    "radio.max_bps": _max_bps,
    "radio.ssid": _ssid_name,
    "ssid.clients": lambda d, r, t: d.ssid_clients(t, r.ssid),
    "ap.mac": lambda d, r, t: bytes(d.mac),
    "ap.address": lambda d, r, t: ipaddress.IPv4Address(d.ap.address).packed,
}
