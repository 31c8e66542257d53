"""Wi-Fi facts every part shares: valid channels per band, tx power and VLAN ranges, SSID
length, and the channel <-> centre-frequency arithmetic (IEEE 802.11 channel numbering).

One table for the lab's devices (what they accept), the SSH parser (RouterOS and hostapd print
frequencies, not channels) and provisioning (a change is checked against it at plan time).
"""

from __future__ import annotations

CHANNELS: dict[str, frozenset[int]] = {
    "2.4GHz": frozenset(range(1, 14)),
    "5GHz": frozenset((*range(36, 65, 4), *range(100, 145, 4), *range(149, 166, 4))),
    "6GHz": frozenset(range(1, 234, 4)),
}
TX_POWER_DBM = range(1, 31)
VLANS = range(1, 4095)
SSID_MAX_LEN = 32


def frequency_mhz(band: str, channel: int) -> int:
    """Centre frequency of ``channel`` in ``band`` (2.4 GHz channel 14 is the odd one, 2484)."""
    if band == "2.4GHz":
        return 2484 if channel == 14 else 2407 + 5 * channel
    return (5950 if band == "6GHz" else 5000) + 5 * channel


def channel_from_mhz(band: str, mhz: int) -> int:
    """The channel whose centre frequency is ``mhz`` in ``band``."""
    if band == "2.4GHz":
        return 14 if mhz == 2484 else (mhz - 2407) // 5
    return (mhz - (5950 if band == "6GHz" else 5000)) // 5


def band_from_mhz(mhz: int) -> str | None:
    """The band a centre frequency lies in, or None."""
    if 2400 <= mhz < 2500:
        return "2.4GHz"
    if 5925 <= mhz < 7200:
        return "6GHz"
    if 5150 <= mhz < 5925:
        return "5GHz"
    return None
