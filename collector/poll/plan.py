"""The request plan for one (profile, radio rows) pair, and turning its answer into values.

A plan is built once and shared by every AP with the same platform and rows, so the hot path
per AP is one GET and one pass over the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collector.poll.detect import SYS_OBJECT_ID
from collector.poll.radios import RadioRow, text
from collector.poll.sample import CounterValue, RadioSample
from collector.profiles import MibObject, Profile, SnmpValueType
from collector.snmp.engine import Value

#: Profile names the sample understands; others (sys_descr, if_number, ...) are read and ignored.
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
        oids = [SYS_OBJECT_ID] + [oid for oid, _, _ in scalars if oid != SYS_OBJECT_ID]
        oids += [oid for per_row in row_oids for oid in per_row]
        uptime_oid = profile.scalars["uptime"].oid
        return cls(profile.platform, oids, uptime_oid, scalars, rows, row_cells, row_oids)

    def scalar_values(self, answer: dict[str, Value]) -> tuple[dict[str, object], int]:
        """Known scalars by name, and how many answers had the wrong type."""
        found: dict[str, object] = {}
        bad = 0
        for oid, name, obj in self.scalars:
            if name in SCALAR_FIELDS and oid in answer:
                try:
                    found[name] = convert(obj, answer[oid])
                except BadValue:
                    bad += 1
        return found, bad

    def radio_samples(self, answer: dict[str, Value]) -> tuple[tuple[RadioSample, ...], int]:
        """One :class:`RadioSample` per row, and how many answers had the wrong type."""
        radios: list[RadioSample] = []
        bad = 0
        for row, cells in zip(self.rows, self.row_cells, strict=True):
            fields: dict[str, object] = {}
            for oid, field_name, obj in cells:
                if oid in answer:
                    try:
                        value = normalise(field_name, obj, convert(obj, answer[oid]))
                    except BadValue:
                        bad += 1
                        continue
                    if value is not None:
                        fields[field_name] = value
            radios.append(RadioSample(row.index, row.if_index, row.band, **fields))  # type: ignore[arg-type]
        return tuple(radios), bad

    def missing_rows(self, answer: dict[str, Value]) -> bool:
        """Whether some row answered none of its columns (it is gone: rediscover)."""
        return any(all(oid not in answer for oid in oids) for oids in self.row_oids)
