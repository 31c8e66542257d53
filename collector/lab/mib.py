"""A lab device's MIB: one sorted OID list per platform *shape*, values computed per request.

A shape is (platform, radio bands, number of SSIDs): every AP of that shape serves the same OIDs,
so the sorted OID array, its providers and rows are built once and shared (``get`` is a bisect
plus one provider call). Tables indexed by the AP's MAC address (Aruba's AI-AP-MIB) are stored
with an all-zero MAC and translated on the way in and out; within such a column only the AP's
own MAC exists, so the order does not depend on which MAC it is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from collector.lab.device import LabDevice
from collector.lab.mibvalues import PROVIDERS, Iface, Provider, Raw, Row
from collector.lab.mibview import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    Oid,
    SnmpType,
    Value,
)
from collector.lab.platforms import Platform, load_platforms, tables_of

_TYPES: dict[str, SnmpType] = {
    "integer": SnmpType.INTEGER,
    "gauge": SnmpType.GAUGE32,
    "counter32": SnmpType.COUNTER32,
    "counter64": SnmpType.COUNTER64,
    "timeticks": SnmpType.TIMETICKS,
    "string": SnmpType.OCTET_STRING,
    "bytes": SnmpType.OCTET_STRING,
    "oid": SnmpType.OBJECT_IDENTIFIER,
    "ipaddress": SnmpType.IP_ADDRESS,
}
_MODULUS = {SnmpType.COUNTER32: 1 << 32, SnmpType.COUNTER64: 1 << 64, SnmpType.TIMETICKS: 1 << 32}
_ZERO_MAC = (0, 0, 0, 0, 0, 0)
_PAST = (1 << 32,)  # a sub-identifier greater than any real one


@dataclass(frozen=True, slots=True)
class Shape:
    oids: list[Oid]  # sorted; MAC-indexed rows hold _ZERO_MAC
    entries: list[tuple[SnmpType, Provider, Row]]
    columns: frozenset[Oid]  # every column OID (entry + column number)
    column_lengths: tuple[int, ...]
    mac_columns: tuple[Oid, ...]  # columns whose index starts with the AP's MAC


def interfaces_of(platform: Platform, bands: tuple[str, ...]) -> list[Iface]:
    """ifTable rows for a platform with radios of ``bands`` (ifIndex order of the real thing)."""
    spec = platform.interfaces
    rows: list[tuple[str, int, int, int]] = []  # name, type, mbps, radio
    radio_rows = [
        (spec.radio_name.format(n=i, n1=i + 1), 71, _radio_mbps(platform, band), i)
        for i, band in enumerate(bands)
    ]
    wired = (spec.wired.name, 6, spec.wired.mbps, -1)
    if spec.loopback:
        rows.append(("lo", 24, 10, -1))
    if spec.order == "radios_first":
        rows += [*radio_rows, wired]
    else:
        rows += [wired, *radio_rows]
    return [
        Iface(i + 1, name, kind, mbps, radio) for i, (name, kind, mbps, radio) in enumerate(rows)
    ]


def _radio_mbps(platform: Platform, band: str) -> int:
    return max(model.max_mbps(band) for model in platform.models.values())


@cache
def shape_for(platform_key: str, bands: tuple[str, ...], ssids: int) -> Shape:
    """Build (once) the OID layout of a platform with these radios and SSIDs."""
    platform = load_platforms()[platform_key]
    ifaces = interfaces_of(platform, bands)
    radio_ifaces = [iface for iface in ifaces if iface.radio >= 0]
    rows_by_kind: dict[str, list[tuple[Oid, Row]]] = {
        "scalar": [((0,), Row())],
        "chassis": [((1,), Row())],
        "interfaces": [((i.if_index,), Row(i)) for i in ifaces],
        "radios": [((i.if_index,), Row(i)) for i in radio_ifaces],
        "radios_by_mac": [((*_ZERO_MAC, i.radio), Row(i)) for i in radio_ifaces],
        "ap_mac": [(_ZERO_MAC, Row())],
        "ssids": [((n + 1,), Row(ssid=n)) for n in range(ssids)],
    }
    items: list[tuple[Oid, SnmpType, Provider, Row]] = []
    columns: set[Oid] = set()
    mac_columns: list[Oid] = []
    for table in tables_of(platform):
        for number, column in table.columns.items():
            column_oid = (*table.entry_oid, number)
            columns.add(column_oid)
            if table.rows in ("radios_by_mac", "ap_mac"):
                mac_columns.append(column_oid)
            provider = PROVIDERS.get(column.value)
            if provider is None:
                raise KeyError(f"{platform_key}: {column.name}: unknown value {column.value!r}")
            if column.value == "if.number":
                count = len(ifaces)
                provider = _constant(count)
            for index, row in rows_by_kind[table.rows]:
                items.append(((*column_oid, *index), _TYPES[column.type], provider, row))
    items.sort(key=lambda item: item[0])
    for previous, current in pairwise(items):
        if previous[0] == current[0]:
            raise ValueError(f"{platform_key}: OID {current[0]} served twice")
    return Shape(
        oids=[item[0] for item in items],
        entries=[(kind, provider, row) for _, kind, provider, row in items],
        columns=frozenset(columns),
        column_lengths=tuple(sorted({len(c) for c in columns})),
        mac_columns=tuple(mac_columns),
    )


def _constant(value: int) -> Provider:
    return lambda dev, row, t: value


def _typed(kind: SnmpType, raw: Raw) -> Value:
    if isinstance(raw, int):
        modulus = _MODULUS.get(kind)
        if modulus is not None:
            raw %= modulus
        elif kind is SnmpType.GAUGE32:
            raw = min(max(raw, 0), 4_294_967_295)
    return Value(kind, raw)


class DeviceMib:
    """The :class:`~collector.lab.mibview.MibView` of one lab device."""

    __slots__ = ("device",)

    def __init__(self, device: LabDevice) -> None:
        self.device = device

    def shape(self) -> Shape:
        running = self.device.state.running
        return shape_for(
            self.device.platform.platform,
            tuple(radio.band for radio in running.radios),
            len(running.ssids),
        )

    def _to_template(self, shape: Shape, oid: Oid) -> Oid:
        for column in shape.mac_columns:
            size = len(column)
            if oid[:size] == column and len(oid) > size:
                part = oid[size : size + 6]
                mac = self.device.mac[: len(part)]
                if part == mac:
                    return (*column, *_ZERO_MAC[: len(part)], *oid[size + 6 :])
                return column if part < mac else (*column, *_PAST)
        return oid

    def _from_template(self, shape: Shape, oid: Oid) -> Oid:
        for column in shape.mac_columns:
            size = len(column)
            if oid[:size] == column:
                return (*column, *self.device.mac, *oid[size + 6 :])
        return oid

    def get(self, oid: Oid, now: float) -> Value:
        device = self.device
        device.refresh(now)
        shape = self.shape()
        template = self._to_template(shape, oid) if shape.mac_columns else oid
        position = bisect_left(shape.oids, template)
        if position < len(shape.oids) and shape.oids[position] == template:
            kind, provider, row = shape.entries[position]
            return _typed(kind, provider(device, row, now))
        for length in shape.column_lengths:
            if oid[:length] in shape.columns and len(oid) > length:
                return NO_SUCH_INSTANCE
        return NO_SUCH_OBJECT

    def get_next(self, oid: Oid, now: float) -> tuple[Oid, Value]:
        device = self.device
        device.refresh(now)
        shape = self.shape()
        template = self._to_template(shape, oid) if shape.mac_columns else oid
        position = bisect_right(shape.oids, template)
        if position >= len(shape.oids):
            return oid, END_OF_MIB_VIEW
        found = shape.oids[position]
        kind, provider, row = shape.entries[position]
        real = self._from_template(shape, found) if shape.mac_columns else found
        return real, _typed(kind, provider(device, row, now))
