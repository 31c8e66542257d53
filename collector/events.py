"""AP events: what happened to an AP at an instant (a trap, a reboot seen by a poll, ...).

Stored twice, for two readers: as ``ap_event`` points in InfluxDB (:data:`collector.influx.
schema.AP_EVENT`, for dashboards) by whoever has a write path, and here, in SQLite under
``DATA_DIR/events/events.sqlite`` (WAL), which the alerting, the CLI and the web UI read.
Event details are data from devices: stored as given (never interpreted), shown escaped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from collector.sqlitedb import open_db

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    ap_id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ap ON events (ap_id, at);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
"""
SCHEMA_VERSION = 1
MAX_DETAIL = 1000  # characters of a device-supplied detail kept (the rest is cut)


@dataclass(frozen=True, slots=True)
class Event:
    """``kind``: snake_case (cold_start, warm_start, link_down, link_up, auth_failure, or a
    platform's own trap name from its profile); ``source``: trap, poll, ssh, ..."""

    ap_id: str
    at: float
    kind: str
    source: str
    detail: str = ""


class EventStore:
    """Append-only events; one writer process at a time per file, any number of readers."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._db = open_db(
            path, _SCHEMA, readonly=readonly, schema_version=SCHEMA_VERSION, what="event store"
        )
        self._lock = threading.Lock()

    @classmethod
    def in_dir(cls, data_dir: Path) -> EventStore:
        return cls(Path(data_dir) / "events" / "events.sqlite")

    @classmethod
    def existing(cls, data_dir: Path) -> EventStore | None:
        path = Path(data_dir) / "events" / "events.sqlite"
        return cls(path, readonly=True) if path.exists() else None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, events: Iterable[Event]) -> int:
        """Append ``events`` in one transaction; how many."""
        rows = [(e.ap_id, e.at, e.kind, e.source, e.detail[:MAX_DETAIL]) for e in events]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO events (ap_id, at, kind, source, detail) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")
        return len(rows)

    def of_ap(self, ap_id: str, limit: int = 50) -> list[Event]:
        """The AP's latest events, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT ap_id, at, kind, source, detail FROM events WHERE ap_id = ? "
                "ORDER BY at DESC, id DESC LIMIT ?",
                (ap_id, limit),
            ).fetchall()
        return [Event(*row) for row in rows]

    def between(
        self, start: float, end: float, kinds: Sequence[str] | None = None
    ) -> list[Event]:
        """Events in ``[start, end)``, oldest first (optionally only these kinds)."""
        query = "SELECT ap_id, at, kind, source, detail FROM events WHERE at >= ? AND at < ?"
        params: list[object] = [start, end]
        if kinds:
            query += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY at, id", params).fetchall()
        return [Event(*row) for row in rows]
