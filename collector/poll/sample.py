"""What one poll of one AP produced: the typed result handed to counters and sinks.

Counter values stay raw (with their width) here; turning two readings into an exact delta is
:mod:`collector.collect.counters`' job. Fields a platform does not expose are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CounterValue:
    """A raw SNMP counter reading and its width (32 or 64 bits), for wrap handling."""

    value: int
    bits: int


@dataclass(frozen=True, slots=True)
class RadioSample:
    """One radio (or, on generic platforms, one interface) of an AP."""

    index: str  # the table row index (OID suffix), e.g. "2" or "1.5"
    if_index: int | None  # IF-MIB ifIndex when the row index is one
    band: str  # "2.4GHz", "5GHz", "6GHz" or "wired"
    rx_bytes: CounterValue | None = None
    tx_bytes: CounterValue | None = None
    speed_bps: int | None = None  # interface speed, bit/s (ifHighSpeed * 10^6)
    discontinuity: int | None = None  # ifCounterDiscontinuityTime, timeticks
    clients: int | None = None  # currently associated clients
    sessions: CounterValue | None = None  # cumulative associations
    channel: int | None = None
    tx_power_dbm: float | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One AP, one poll. ``up`` False carries a ``reason`` (a Prometheus label value)."""

    ap_id: str
    time_ns: int  # wall clock when the answer arrived (or the poll gave up)
    up: bool
    reason: str | None = None
    platform: str = ""  # the profile used to poll (the detected one when it differs)
    inventory_platform: str = ""
    detected_platform: str | None = None
    platform_mismatch: bool = False
    uptime: int | None = None  # sysUpTime, timeticks (1/100 s)
    sys_name: str | None = None
    model: str | None = None  # as reported by the AP, when the platform exposes it
    firmware: str | None = None
    standard: str | None = None  # Wi-Fi standard: reported if the platform says, else inventory
    clients: int | None = None  # AP-level totals, when the platform has them
    sessions: CounterValue | None = None
    radios: tuple[RadioSample, ...] = ()
    rediscovered: bool = False  # radio rows were (re)discovered in this poll
    elapsed_s: float = 0.0  # how long this poll took


def down(ap_id: str, time_ns: int, reason: str, platform: str, elapsed_s: float = 0.0) -> Sample:
    """The sample of an AP that did not answer (or was not asked, ``reason="backoff"``)."""
    return Sample(
        ap_id=ap_id,
        time_ns=time_ns,
        up=False,
        reason=reason,
        platform=platform,
        inventory_platform=platform,
        elapsed_s=elapsed_s,
    )
