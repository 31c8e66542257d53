"""Small facts that several dialects print: uptime words, frequencies, client totals."""

from __future__ import annotations

from collections.abc import Mapping

from collector import wifi
from collector.lab.state import DeviceState, Radio


def uptime_parts(state: DeviceState, now: float) -> tuple[int, int, int, int]:
    """(days, hours, minutes, seconds) since boot."""
    seconds = max(0, int(now - state.boot_time))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return days, hours, minutes, seconds


def uptime_words(state: DeviceState, now: float) -> str:
    """IOS style: ``3 days, 4 hours, 5 minutes``."""
    days, hours, minutes, _ = uptime_parts(state, now)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n or unit == "minute"]
    return ", ".join(words)


def frequency_mhz(radio: Radio) -> int:
    return wifi.frequency_mhz(radio.band, radio.channel)


def band_short(band: str) -> str:
    return {"2.4GHz": "2.4", "5GHz": "5", "6GHz": "6"}.get(band, band)


def clients_for(counts: Mapping[tuple[str, str], int], band: str, ssid: str) -> int:
    return int(counts.get((band, ssid), 0))


def clients_on_radio(counts: Mapping[tuple[str, str], int], band: str) -> int:
    return sum(n for (b, _), n in counts.items() if b == band)
