"""The request plan for one (profile, radio rows) pair, and turning its answer into values.

A plan is built once and shared by every AP with the same platform and rows, so the hot path
per AP is one GET and one pass over the answer.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from collector.inventory.model import AccessPoint
from collector.poll.detect import SYS_OBJECT_ID
from collector.poll.radios import RadioRow, text
from collector.poll.sample import CounterValue, RadioSample, Sample
from collector.profiles import MibObject, Profile, SnmpValueType
from collector.snmp.engine import Value

#: Profile names the sample understands; others (sys_descr, if_number, ...) are not polled.
SCALAR_FIELDS = ("uptime", "sys_name", "model", "firmware", "standard", "clients", "sessions")
RADIO_FIELDS = {
    "rx_bytes": "rx_bytes",
    "tx_bytes": "tx_bytes",
    "speed": "speed_bps",
    "discontinuity": "discontinuity",
    "clients": "clients",
    "sessions": "sessions",
    "channel": "channel",
    "tx_power": "tx_power_dbm",
}
_SPEED_SCALE = {"Mbit/s": 1_000_000, "kbit/s": 1_000, "bit/s": 1, None: 1}
_COUNTER_BITS = {SnmpValueType.COUNTER32: 32, SnmpValueType.COUNTER64: 64}


class BadValue(Exception):
    """An answer of the wrong SNMP type for what the profile declares."""


def convert(obj: MibObject, value: Value) -> object:
    """A raw value as the profile's type says (counters keep their width)."""
    kind = obj.type
    if kind in _COUNTER_BITS:
        if not isinstance(value, int) or value < 0:
            raise BadValue(obj.mib)
        return CounterValue(value, _COUNTER_BITS[kind])
    if kind is SnmpValueType.STRING:
        return text(value)
    if kind is SnmpValueType.OID:
        return text(value).lstrip(".")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise BadValue(obj.mib)
    if obj.unit in _SPEED_SCALE and obj.unit != "bit/s" and obj.unit is not None:
        return int(value) * _SPEED_SCALE[obj.unit]
    return value


_LEADING_NUMBER = re.compile(r"\s*(\d+)")


def normalise(field_name: str, obj: MibObject, value: object) -> object:
    """Values in the sample's units whatever the MIB's: channel numbers, dBm.

    Aruba's aiRadioChannel is text ("36E", "149+"); MikroTik reports the frequency in MHz;
    a transmit power that is not in dBm (IEEE 802.11's 1-8 power level) is left out rather than
    written under a dBm name.
    """
    if field_name == "channel":
        if isinstance(value, str):
            match = _LEADING_NUMBER.match(value)
            if match is None:
                raise BadValue(obj.mib)
            return int(match.group(1))
        if obj.unit == "MHz" and isinstance(value, int):
            return channel_of_frequency(value)
    if field_name == "tx_power_dbm" and obj.unit != "dBm":
        return None
    return value


def channel_of_frequency(mhz: int) -> int | None:
    """IEEE 802.11 channel number of a centre frequency (2.4, 5 and 6 GHz bands)."""
    if mhz == 2484:
        return 14
    if 2412 <= mhz <= 2472:
        return (mhz - 2407) // 5
    if 5955 <= mhz <= 7115:
        return (mhz - 5950) // 5
    if 5000 <= mhz <= 5900:
        return (mhz - 5000) // 5
    return None


#: Turns one raw answer into the sample's value (None: leave the field out); raises BadValue.
Converter = Callable[[Value], object]
#: RadioSample's value fields in declaration order (after index, if_index, band).
_RADIO_SLOTS = {
    name: slot
    for slot, name in enumerate(
        (
            "rx_bytes",
            "tx_bytes",
            "speed_bps",
            "discontinuity",
            "clients",
            "sessions",
            "channel",
            "tx_power_dbm",
        )
    )
}


def converter(field_name: str, obj: MibObject) -> Converter:
    """:func:`convert` then :func:`normalise` for one field, specialised once per plan."""
    bits = _COUNTER_BITS.get(obj.type)
    if bits is not None:
        mib = obj.mib

        def counter(value: Value) -> object:
            if not isinstance(value, int) or value < 0:
                raise BadValue(mib)
            return CounterValue(value, bits)

        return counter
    if (
        field_name in ("channel", "tx_power_dbm")
        or obj.type in (SnmpValueType.STRING, SnmpValueType.OID)
        or obj.unit in ("Mbit/s", "kbit/s")
    ):
        return lambda value: normalise(field_name, obj, convert(obj, value))
    mib = obj.mib

    def number(value: Value) -> object:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise BadValue(mib)
        return value

    return number


@dataclass(frozen=True, slots=True)
class Plan:
    platform: str
    oids: list[str]
    uptime_oid: str
    scalars: tuple[tuple[str, str, MibObject], ...]  # (oid, name, object)
    rows: tuple[RadioRow, ...]
    # per row: (full OID, sample field, object) for each column the sample understands
    row_cells: tuple[tuple[tuple[str, str, MibObject], ...], ...]
    row_oids: tuple[tuple[str, ...], ...]  # per row: every column's full OID
    # the hot path's view of the same: (oid, name, converter) and (oid, slot, converter)
    scalar_cells: tuple[tuple[str, str, Converter], ...] = ()
    radio_cells: tuple[tuple[tuple[str, int, Converter], ...], ...] = ()
    first_row_oids: tuple[str, ...] = ()  # one OID per row, for the cheap "row gone?" check

    @classmethod
    def build(cls, profile: Profile, rows: tuple[RadioRow, ...]) -> Plan:
        scalars = tuple((obj.oid, name, obj) for name, obj in profile.scalars.items())
        columns = tuple(profile.radios.columns.items())
        row_oids = tuple(tuple(f"{obj.oid}.{row.index}" for _, obj in columns) for row in rows)
        row_cells = tuple(
            tuple(
                (oid, RADIO_FIELDS[name], obj)
                for oid, (name, obj) in zip(oids, columns, strict=True)
                if name in RADIO_FIELDS
            )
            for oids in row_oids
        )
        # only what the sample uses (sysObjectID tells a swap): a profile's other scalars
        # (sysDescr, ifNumber) serve detection, which asks for them itself
        oids = [SYS_OBJECT_ID] + [
            oid for oid, name, _ in scalars if oid != SYS_OBJECT_ID and name in SCALAR_FIELDS
        ]
        oids += [oid for per_row in row_oids for oid in per_row]
        uptime_oid = profile.scalars["uptime"].oid
        scalar_cells = tuple(
            (oid, name, converter(name, obj)) for oid, name, obj in scalars if name in SCALAR_FIELDS
        )
        radio_cells = tuple(
            tuple((oid, _RADIO_SLOTS[name], converter(name, obj)) for oid, name, obj in cells)
            for cells in row_cells
        )
        return cls(
            profile.platform,
            oids,
            uptime_oid,
            scalars,
            rows,
            row_cells,
            row_oids,
            scalar_cells,
            radio_cells,
            tuple(per_row[0] for per_row in row_oids),
        )

    def scalar_values(self, answer: dict[str, Value]) -> tuple[dict[str, object], int]:
        """Known scalars by name, and how many answers had the wrong type."""
        found: dict[str, object] = {}
        bad = 0
        for oid, name, convert_one in self.scalar_cells:
            if oid in answer:
                try:
                    found[name] = convert_one(answer[oid])
                except BadValue:
                    bad += 1
        return found, bad

    def radio_samples(self, answer: dict[str, Value]) -> tuple[tuple[RadioSample, ...], int]:
        """One :class:`RadioSample` per row, and how many answers had the wrong type."""
        radios: list[RadioSample] = []
        bad = 0
        for row, cells in zip(self.rows, self.radio_cells, strict=True):
            values: list[object] = [None] * 8
            for oid, slot, convert_one in cells:
                raw = answer.get(oid, _MISSING)
                if raw is not _MISSING:
                    try:
                        values[slot] = convert_one(raw)
                    except BadValue:
                        bad += 1
            radios.append(RadioSample(row.index, row.if_index, row.band, *values))  # type: ignore[arg-type]
        return tuple(radios), bad

    def missing_rows(self, answer: dict[str, Value]) -> bool:
        """Whether some row answered none of its columns (it is gone: rediscover)."""
        for first, oids in zip(self.first_row_oids, self.row_oids, strict=True):
            if first not in answer and all(oid not in answer for oid in oids):
                return True
        return False

    def sample(
        self,
        ap: AccessPoint,
        answer: dict[str, Value],
        detected: str | None,
        uptime: int,
        rediscovered: bool,
        counts: Counter[str],
        elapsed_s: float,
    ) -> Sample:
        """The AP's :class:`Sample` from this plan's answer; bad values are counted."""
        scalars, bad_scalars = self.scalar_values(answer)
        radios, bad_radios = self.radio_samples(answer)
        if bad_scalars or bad_radios:
            counts["bad_values"] += bad_scalars + bad_radios
        sessions = scalars.get("sessions")
        clients = scalars.get("clients")
        return Sample(
            ap_id=ap.id,
            time_ns=time.time_ns(),
            up=True,
            platform=self.platform,
            inventory_platform=ap.platform,
            detected_platform=detected,
            platform_mismatch=detected != ap.platform,
            uptime=uptime,
            sys_name=_str(scalars.get("sys_name")),
            model=_str(scalars.get("model")),
            firmware=_str(scalars.get("firmware")),
            standard=_str(scalars.get("standard")) or ap.standard.value,
            clients=clients if isinstance(clients, int) else None,
            sessions=sessions if isinstance(sessions, CounterValue) else None,
            radios=radios,
            rediscovered=rediscovered,
            elapsed_s=elapsed_s,
        )


_MISSING: Any = object()


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
