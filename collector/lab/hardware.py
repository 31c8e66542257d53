"""A lab AP's hardware and initial state, deterministic from (seed, AP id).

Model, firmware, serial number, MAC, radios (bands by Wi-Fi standard, 6 GHz for 6E/7),
channels, tx power, SSIDs and boot time. :func:`swap_hardware` replaces the AP with another
model of the same vendor (the Wi-Fi 6 swap fault, or a changed inventory standard).
"""

from __future__ import annotations

import copy
import string

from collector.inventory.model import AccessPoint
from collector.lab.device import LabDevice
from collector.lab.platforms import Model, Platform
from collector.lab.state import Config, DeviceState, Radio, Ssid
from collector.lab.traffic import profile_for, unit_hash

DAY = 86_400
CHANNELS = {
    "2.4GHz": (1, 6, 11),
    "5GHz": (36, 40, 44, 48, 149, 153, 157, 161),
    "6GHz": (5, 21, 37, 53, 69, 85, 101, 117),  # preferred scanning channels
}
TX_POWER_DBM = {"2.4GHz": 14, "5GHz": 17, "6GHz": 18}
DEFAULT_SSIDS = (("Seoul_Secure", 100, True), ("Seoul_Free_WiFi", 200, False))


def _pick(seed: int, ap_id: str, purpose: str, choices: tuple[int, ...]) -> int:
    return choices[int(unit_hash(seed, ap_id, purpose) * len(choices))]


def serial_number(template: str, seed: int, ap_id: str, salt: str = "") -> str:
    """Fill ``{yy}{ww}{A4}{D4}{H12}``-style tokens deterministically."""

    def chars(alphabet: str, count: int, purpose: str) -> str:
        return "".join(
            alphabet[int(unit_hash(seed, ap_id, f"{purpose}{salt}{i}") * len(alphabet))]
            for i in range(count)
        )

    year = 15 + int(unit_hash(seed, ap_id, f"year{salt}") * 10)
    week = 1 + int(unit_hash(seed, ap_id, f"week{salt}") * 52)
    return template.format(
        yy=f"{year:02d}",
        ww=f"{week:02d}",
        A2=chars(string.ascii_uppercase + string.digits, 2, "A"),
        A4=chars(string.ascii_uppercase + string.digits, 4, "A"),
        D4=chars(string.digits, 4, "D"),
        H12=chars("0123456789ABCDEF", 12, "H"),
    )


def base_mac(platform: Platform, seed: int, ap_id: str, salt: str = "") -> tuple[int, ...]:
    prefix = tuple(int(part, 16) for part in platform.mac_prefix.split(":"))
    tail = int(unit_hash(seed, ap_id, f"mac{salt}") * (1 << 24)) & 0xFFF0  # room per interface
    return (*prefix, (tail >> 16) & 0xFF, (tail >> 8) & 0xFF, tail & 0xF0)


def radios_for(hardware: Model, seed: int, ap_id: str, first_index: int) -> list[Radio]:
    return [
        Radio(
            if_index=first_index + i,
            band=band,
            channel=_pick(seed, ap_id, f"channel{band}", CHANNELS[band]),
            tx_power_dbm=TX_POWER_DBM[band] + _pick(seed, ap_id, f"power{band}", (-2, 0, 0, 2)),
        )
        for i, band in enumerate(hardware.radios)
    ]


def _first_radio_index(platform: Platform) -> int:
    spec = platform.interfaces
    if spec.order == "radios_first":
        return 1
    return 3 if spec.loopback else 2


def build_state(ap: AccessPoint, platform: Platform, seed: int, now: float) -> DeviceState:
    """The AP's state at lab start: up for 1-90 days (fixed per AP and calendar day)."""
    hardware = platform.model_for(ap.standard.value)
    radios = radios_for(hardware, seed, ap.id, _first_radio_index(platform))
    ssids = [Ssid(name, vlan, True, secure) for name, vlan, secure in DEFAULT_SSIDS]
    config = Config(hostname=ap.id, radios=radios, ssids=ssids)
    uptime = DAY * (1 + unit_hash(seed, ap.id, "uptime") * 89)
    boot = (now // DAY) * DAY - int(uptime)
    return DeviceState(
        ap_id=ap.id,
        platform=ap.platform,
        model=ap.model,
        standard=ap.standard.value,
        firmware=hardware.firmware,
        serial=serial_number(platform.serial, seed, ap.id),
        location=f"{ap.site.name}, {ap.site.district.name_en}, Seoul",
        running=config,
        saved=copy.deepcopy(config),
        boot_time=boot,
        counter_epoch=boot,
        sessions_epoch=boot,
    )


def build_device(ap: AccessPoint, platform: Platform, seed: int, now: float) -> LabDevice:
    return LabDevice(
        ap=ap,
        seed=seed,
        state=build_state(ap, platform, seed, now),
        platform=platform,
        hardware=platform.model_for(ap.standard.value),
        profile=profile_for(ap, seed),
        mac=base_mac(platform, seed, ap.id),
    )


def swap_hardware(device: LabDevice, standard: str, at: float, model: str | None = None) -> None:
    """Replace the AP by the vendor's ``standard`` model at ``at``; counters restart."""
    platform = device.platform
    hardware = platform.model_for(standard)
    state = device.state
    radios = radios_for(hardware, device.seed, device.ap.id, _first_radio_index(platform))
    for config in (state.running, state.saved):
        config.radios = copy.deepcopy(radios)
    state.model = model or hardware.model
    state.standard = standard
    state.firmware = hardware.firmware
    state.serial = serial_number(platform.serial, device.seed, device.ap.id, salt=standard)
    device.hardware = hardware
    device.mac = base_mac(platform, device.seed, device.ap.id, salt=standard)
    device.counter_offset = 0
    state.reboot(at)
