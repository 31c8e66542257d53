"""What the fleet was seen to be: SQLite under ``DATA_DIR/rollout/rollout.sqlite`` (WAL).

- ``sightings`` (ap, source, model): the first and last time the AP answered as ``model`` over
  ``source`` (``snmp`` or ``ssh``). ``model`` is ``""`` when the AP answered without naming its
  model (MikroTik and OpenWrt over SNMP): a new AP still "starts to answer". First seen is
  kept as the minimum and last seen as the maximum of everything recorded, so replays and
  out-of-order writes (a backfill, then live polling) keep the earliest sighting.
- ``ap_days`` (ap, KST day): the day's peak client count (of one poll, all radios) and the
  reboots seen (sysUpTime went backwards), for before/after figures and candidate scores; the
  ledger holds bytes, sessions and polls, not these.

Writers batch (:class:`~collector.rollout.observer.RolloutObserver`); readers open it
read-only when it exists. No client identifiers exist here, only counts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from collector.sqlitedb import open_db

FILE_NAME = "rollout.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sightings (
    ap_id TEXT NOT NULL, source TEXT NOT NULL, model TEXT NOT NULL, firmware TEXT,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    PRIMARY KEY (ap_id, source, model)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ap_days (
    ap_id TEXT NOT NULL, day INTEGER NOT NULL,
    peak_clients INTEGER NOT NULL, reboots INTEGER NOT NULL,
    PRIMARY KEY (ap_id, day)) WITHOUT ROWID;
"""
_PUT_SIGHTING = (
    "INSERT INTO sightings VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ap_id, source, model) "
    "DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), "
    "firmware = CASE WHEN excluded.last_seen >= last_seen THEN excluded.firmware "
    "ELSE firmware END, last_seen = max(last_seen, excluded.last_seen)"
)
_PUT_DAY = (
    "INSERT INTO ap_days VALUES (?, ?, ?, ?) ON CONFLICT (ap_id, day) DO UPDATE SET "
    "peak_clients = max(peak_clients, excluded.peak_clients), "
    "reboots = reboots + excluded.reboots"
)


class Sighting(NamedTuple):  # a tuple: 34,000 of them are read per status
    ap_id: str
    source: str  # "snmp" | "ssh"
    model: str  # "" when the AP answered without naming its model
    firmware: str | None
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class DayObservation:
    """One AP's KST day: peak clients (a max) and reboots seen (added up over writes)."""

    ap_id: str
    day: int
    peak_clients: int
    reboots: int = 0


class RolloutStore:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_db(
            path, _SCHEMA, readonly=readonly, schema_version=SCHEMA_VERSION, what="rollout store"
        )

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> RolloutStore:
        return cls(Path(data_dir) / "rollout" / FILE_NAME)

    @classmethod
    def existing(cls, data_dir: Path) -> RolloutStore | None:
        """The store in ``data_dir`` opened read-only, if there is one (readers never make it)."""
        path = Path(data_dir) / "rollout" / FILE_NAME
        return cls(path, readonly=True) if path.exists() else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, sightings: Iterable[Sighting], days: Iterable[DayObservation] = ()) -> None:
        """Add sightings and day observations in one transaction."""
        sighting_rows = [
            (s.ap_id, s.source, s.model, s.firmware, s.first_seen, s.last_seen) for s in sightings
        ]
        day_rows = [(d.ap_id, d.day, d.peak_clients, d.reboots) for d in days]
        if not sighting_rows and not day_rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_PUT_SIGHTING, sighting_rows)
                self._db.executemany(_PUT_DAY, day_rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def sightings(self) -> dict[str, list[Sighting]]:
        """Every AP's sightings, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT ap_id, source, model, firmware, first_seen, last_seen FROM sightings "
                "ORDER BY ap_id, first_seen"
            ).fetchall()
        out: dict[str, list[Sighting]] = {}
        for row in rows:
            out.setdefault(row[0], []).append(Sighting._make(row))
        return out

    def days_of(self, ap_id: str, days: Sequence[int]) -> dict[int, DayObservation]:
        marks = ",".join("?" * len(days))
        with self._lock:
            rows = self._db.execute(
                "SELECT ap_id, day, peak_clients, reboots FROM ap_days "  # noqa: S608 (marks)
                f"WHERE ap_id = ? AND day IN ({marks})",
                (ap_id, *days),
            ).fetchall()
        return {row[1]: DayObservation(*row) for row in rows}

    def window_totals(self, low: int, high: int) -> dict[str, tuple[int, int]]:
        """Per AP over the KST days ``[low, high)``: (highest daily peak, reboots)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT ap_id, max(peak_clients), sum(reboots) FROM ap_days "
                "WHERE day >= ? AND day < ? GROUP BY ap_id",
                (low, high),
            ).fetchall()
        return {ap: (int(peak), int(reboots)) for ap, peak, reboots in rows}
