"""Radio rows: found by walking the profile's ``select`` column, named by band, cached per AP.

Discovery runs on first contact and again when the AP rebooted (sysUpTime went back), was
swapped (sysObjectID changed) or a row stopped answering; every other poll is one GET.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.profiles import RadioTable
from collector.snmp.engine import SnmpEngine, SnmpTarget, Value

WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class RadioRow:
    index: str  # OID suffix after the column
    if_index: int | None
    band: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """What the poller remembers about an AP between polls."""

    platform: str
    sys_object_id: str
    uptime: int
    rows: tuple[RadioRow, ...]
    unmapped: int = 0  # selected rows whose band value the profile does not map


def text(value: Value) -> str:
    """An SNMP value as text (OCTET STRINGs are decoded as UTF-8, bad bytes replaced)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def band_of(table: RadioTable, value: Value) -> str | None:
    """The band the profile's ``band_map`` gives a row's band (or select) value."""
    return table.band_map.get(text(value), table.band_map.get(WILDCARD))


async def select_rows(
    engine: SnmpEngine, target: SnmpTarget, table: RadioTable
) -> list[tuple[str, Value]]:
    """Walk ``select``; the ``(index, value)`` of rows whose value is selected, agent order."""
    column = table.select.oid
    prefix_len = len(column) + 1
    wanted = set(table.select_values)
    return [
        (oid[prefix_len:], value)
        for oid, value in await engine.walk(target, column)
        if isinstance(value, int) and value in wanted and oid.startswith(column + ".")
    ]


def band_oids(table: RadioTable, selected: list[tuple[str, Value]]) -> list[str]:
    """The band column's OID for each selected row (none when the select value is the band)."""
    if table.band is None:
        return []
    return [f"{table.band.oid}.{index}" for index, _ in selected]


def rows_from(
    table: RadioTable, selected: list[tuple[str, Value]], answer: dict[str, Value]
) -> tuple[tuple[RadioRow, ...], int]:
    """Name each selected row's band (from ``answer`` when the band is its own column).

    Returns the rows and how many selected rows had no band (left out, and counted).
    """
    rows: list[RadioRow] = []
    unmapped = 0
    band_column = table.band.oid if table.band is not None else None
    for index, value in selected:
        key = answer.get(f"{band_column}.{index}") if band_column is not None else value
        band = band_of(table, key)
        if band is None:
            unmapped += 1
            continue
        rows.append(RadioRow(index, int(index) if index.isdigit() else None, band))
    return tuple(rows), unmapped


async def discover_rows(
    engine: SnmpEngine, target: SnmpTarget, table: RadioTable
) -> tuple[tuple[RadioRow, ...], int]:
    """Walk ``select``, keep rows whose value is selected, map each to its band (two requests).

    Returns the rows and how many selected rows had no band (left out, and counted).
    """
    selected = await select_rows(engine, target, table)
    oids = band_oids(table, selected)
    answer = await engine.get(target, oids) if oids else {}
    return rows_from(table, selected, answer)
