"""A MibView over a fixed, sorted mapping: for tests, benchmarks and recorded devices."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

from collector.lab.mibview import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    Oid,
    Value,
)

#: A value, or a function of wall-clock time for values that move (sysUpTime, counters).
Entry = Value | Callable[[float], Value]


class StaticMibView:
    """Values at fixed OIDs; an entry may be a function of ``now``."""

    __slots__ = ("_entries", "_oids")

    def __init__(self, entries: Mapping[Oid, Entry]) -> None:
        self._oids: list[Oid] = sorted(entries)
        self._entries: dict[Oid, Entry] = dict(entries)

    def __len__(self) -> int:
        return len(self._oids)

    def _value(self, oid: Oid, now: float) -> Value:
        entry = self._entries[oid]
        return entry if isinstance(entry, Value) else entry(now)

    def get(self, oid: Oid, now: float) -> Value:
        if oid in self._entries:
            return self._value(oid, now)
        # An object exists when a sibling instance does (same parent, same depth).
        parent, depth = oid[:-1], len(oid)
        for i in range(bisect.bisect_left(self._oids, parent), len(self._oids)):
            found = self._oids[i]
            if found[: len(parent)] != parent:
                break
            if len(found) == depth:
                return NO_SUCH_INSTANCE
        return NO_SUCH_OBJECT

    def get_next(self, oid: Oid, now: float) -> tuple[Oid, Value]:
        i = bisect.bisect_right(self._oids, oid)
        if i >= len(self._oids):
            return oid, END_OF_MIB_VIEW
        found = self._oids[i]
        return found, self._value(found, now)
