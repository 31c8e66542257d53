"""The local facts store: each AP's latest SSH facts, when they changed, and each sweep's outcome.

SQLite under ``DATA_DIR/ssh/facts.sqlite`` (WAL, so the web UI and rollout tracking read while a
sweep writes). Tables:

- ``facts``: one row per AP, the latest successful collection (model, serial, firmware, uptime,
  aggregate clients, radios and SSIDs as JSON; counts only, no client identifiers exist here);
- ``fact_changes``: one row each time an AP's model, serial or firmware was first seen different
  (what the Wi-Fi 6 rollout needs: "the planned model answers since ...");
- ``attempts``: the latest attempt per AP (ok or the failure reason), so a failing AP shows why.

Writes come from one thread (the sweep's recorder) and are committed per batch.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from collector.sqlitedb import open_db
from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    ap_id TEXT PRIMARY KEY,
    collected_at REAL NOT NULL,
    hostname TEXT, model TEXT, serial TEXT, firmware TEXT, uptime_s INTEGER,
    clients INTEGER NOT NULL,
    radios TEXT NOT NULL,
    ssids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fact_changes (
    ap_id TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS fact_changes_ap ON fact_changes (ap_id, seen_at);
CREATE TABLE IF NOT EXISTS attempts (
    ap_id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    ok INTEGER NOT NULL,
    reason TEXT,
    seconds REAL NOT NULL
);
"""
_TRACKED = ("model", "serial", "firmware")


@dataclass(frozen=True, slots=True)
class StoredFacts:
    ap_id: str
    collected_at: float
    facts: ApFacts


@dataclass(frozen=True, slots=True)
class FactChange:
    ap_id: str
    field: str
    old: str | None
    new: str | None
    seen_at: float


@dataclass(frozen=True, slots=True)
class Attempt:
    ap_id: str
    at: float
    ok: bool
    reason: str | None
    seconds: float


class FactStore:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_db(
            path, _SCHEMA, readonly=readonly, busy_timeout_ms=None, autocommit=False, private=True
        )
        self._latest: dict[str, tuple[str | None, ...]] | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path, *, readonly: bool = False) -> FactStore:
        return cls(Path(data_dir) / "ssh" / "facts.sqlite", readonly=readonly)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- writing ---------------------------------------------------------------------------
    def record(self, ap_id: str, at: float, facts: ApFacts, seconds: float) -> list[FactChange]:
        """Store ``facts`` as ``ap_id``'s latest; returns the tracked fields that changed."""
        with self._lock:
            latest = self._tracked()
            now = tuple(getattr(facts, name) for name in _TRACKED)
            before = latest.get(ap_id)
            changes = []
            for index, name in enumerate(_TRACKED):
                old = before[index] if before is not None else None
                if before is None or old != now[index]:
                    changes.append(FactChange(ap_id, name, old, now[index], at))
            latest[ap_id] = now
            self._db.execute(
                "INSERT OR REPLACE INTO facts VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    ap_id,
                    at,
                    facts.hostname,
                    facts.model,
                    facts.serial,
                    facts.firmware,
                    facts.uptime_s,
                    facts.clients,
                    json.dumps([asdict(r) for r in facts.radios], separators=(",", ":")),
                    json.dumps([asdict(s) for s in facts.ssids], separators=(",", ":")),
                ),
            )
            self._db.executemany(
                "INSERT INTO fact_changes VALUES (?,?,?,?,?)",
                [(c.ap_id, c.field, c.old, c.new, c.seen_at) for c in changes],
            )
            self._attempt(ap_id, at, True, None, seconds)
            return changes

    def record_failure(self, ap_id: str, at: float, reason: str, seconds: float) -> None:
        with self._lock:
            self._attempt(ap_id, at, False, reason, seconds)

    def _attempt(self, ap_id: str, at: float, ok: bool, reason: str | None, s: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO attempts VALUES (?,?,?,?,?)", (ap_id, at, int(ok), reason, s)
        )

    def commit(self) -> None:
        with self._lock:
            self._db.commit()

    def _tracked(self) -> dict[str, tuple[str | None, ...]]:
        if self._latest is None:
            rows = self._db.execute("SELECT ap_id, model, serial, firmware FROM facts")
            self._latest = {row[0]: tuple(row[1:]) for row in rows}
        return self._latest

    # --- reading ---------------------------------------------------------------------------
    def get(self, ap_id: str) -> StoredFacts | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM facts WHERE ap_id = ?", (ap_id,)).fetchone()
        return _stored(row) if row is not None else None

    def changes(self, ap_id: str | None = None) -> list[FactChange]:
        query = "SELECT * FROM fact_changes"
        params: tuple[str, ...] = ()
        if ap_id is not None:
            query += " WHERE ap_id = ?"
            params = (ap_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seen_at, rowid", params).fetchall()
        return [FactChange(*row) for row in rows]

    def attempt(self, ap_id: str) -> Attempt | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM attempts WHERE ap_id = ?", (ap_id,)).fetchone()
        return Attempt(row[0], row[1], bool(row[2]), row[3], row[4]) if row else None


def _stored(row: tuple[object, ...]) -> StoredFacts:
    radios = tuple(RadioFacts(**r) for r in json.loads(str(row[8])))
    ssids = tuple(SsidFacts(**s) for s in json.loads(str(row[9])))
    facts = ApFacts(
        hostname=_opt(row[2]),
        model=_opt(row[3]),
        serial=_opt(row[4]),
        firmware=_opt(row[5]),
        uptime_s=int(row[6]) if isinstance(row[6], int) else None,
        radios=radios,
        ssids=ssids,
    )
    return StoredFacts(str(row[0]), float(row[1]), facts)  # type: ignore[arg-type]


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
