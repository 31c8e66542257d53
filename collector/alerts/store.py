"""The alert store: SQLite under ``DATA_DIR/alerts/alerts.sqlite`` (WAL, one writer, readers).

- ``alerts``: one row per alert, identity (rule, scope, target); at most one ``firing`` row per
  identity (a unique partial index), which is the de-duplication: an alert that fires again
  after it resolved is a new row. ``resolution`` is ``cleared`` (the condition ended),
  ``subsumed`` (closed into the site or district alert ``parent_id``), ``out_of_service`` (the
  inventory took all its APs out of service) or ``rule_removed``. ``alert_aps`` lists the
  APs of each alert, so one AP's alerts are found by index.
- ``outbox``: one message per (alert state change, channel), written in the same transaction
  as the change; ``pending`` until delivered, ``dead`` after the last failed attempt (kept).
- ``suppressions`` (maintenance set by provisioning or an engineer: APs not alerted in
  ``[start, until)``) and ``expected_changes`` (a provisioning campaign changes these APs'
  configs in ``[start, end]``: not a change outside pubwifi). Written through
  :meth:`AlertStore.suppress` and :meth:`AlertStore.expect_change`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from collector.sqlitedb import open_db

FILE = Path("alerts") / "alerts.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
    scope TEXT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL,
    started_at REAL NOT NULL, ended_at REAL, last_seen REAL NOT NULL,
    summary TEXT NOT NULL, aps TEXT NOT NULL, resolution TEXT, parent_id INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_firing ON alerts (rule, scope, target)
    WHERE state = 'firing';
CREATE INDEX IF NOT EXISTS alerts_started ON alerts (started_at);
CREATE TABLE IF NOT EXISTS alert_aps (
    alert_id INTEGER NOT NULL, ap_id TEXT NOT NULL, PRIMARY KEY (ap_id, alert_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL, channel TEXT NOT NULL,
    event TEXT NOT NULL, body TEXT NOT NULL, created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, status TEXT NOT NULL,
    last_error TEXT, done_at REAL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);
CREATE TABLE IF NOT EXISTS suppressions (
    id INTEGER PRIMARY KEY, ap_id TEXT NOT NULL, start REAL NOT NULL, until REAL NOT NULL,
    reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS suppressions_until ON suppressions (until);
CREATE TABLE IF NOT EXISTS expected_changes (
    id INTEGER PRIMARY KEY, ap_id TEXT NOT NULL, start REAL NOT NULL, end REAL NOT NULL,
    campaign TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS expected_ap ON expected_changes (ap_id, start);
"""
_COLUMNS = (
    "id, rule, kind, severity, scope, target, state, started_at, ended_at, last_seen, "
    "summary, aps, resolution, parent_id"
)


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    rule: str
    kind: str
    severity: str
    scope: str  # ap | site | district | collector
    target: str  # the AP id, site id, district code, or "collector"
    state: str  # firing | resolved
    started_at: float
    ended_at: float | None
    last_seen: float
    summary: str
    aps: tuple[str, ...]
    resolution: str | None = None  # cleared | subsumed | out_of_service | rule_removed
    parent_id: int | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.rule, self.scope, self.target)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aps"] = list(self.aps)
        return data


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    alert_id: int
    channel: str
    event: str  # firing | resolved
    body: dict[str, Any]
    attempts: int
    next_at: float
    status: str  # pending | delivered | dead
    last_error: str | None


def _alert(row: Sequence[Any]) -> Alert:
    fields = list(row)
    fields[11] = tuple(json.loads(row[11]))
    return Alert(*fields)


class AlertStore:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._db = open_db(
            path, _SCHEMA, readonly=readonly, schema_version=SCHEMA_VERSION, what="alert store"
        )
        self._lock = threading.RLock()
        self._in_batch = False

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> AlertStore:
        return cls(Path(data_dir) / FILE)

    @classmethod
    def existing(cls, data_dir: Path) -> AlertStore | None:
        """Read-only, for the CLI and the web UI; ``None`` when nothing was ever evaluated."""
        path = Path(data_dir) / FILE
        return cls(path, readonly=True) if path.exists() else None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AlertStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for the writes inside (an evaluation's changes and their messages)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._in_batch = True
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._in_batch = False

    def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            if not self._in_batch:
                with self.batch():
                    return self._write(sql, params)
            cursor = self._db.execute(sql, params)
            return int(cursor.lastrowid or 0)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- alerts ------------------------------------------------------------------------------
    def open_alert(
        self,
        rule: str,
        kind: str,
        severity: str,
        scope: str,
        target: str,
        aps: Sequence[str],
        summary: str,
        now: float,
    ) -> Alert:
        alert_id = self._write(
            "INSERT INTO alerts (rule, kind, severity, scope, target, state, started_at, "
            "last_seen, summary, aps) VALUES (?, ?, ?, ?, ?, 'firing', ?, ?, ?, ?)",
            (rule, kind, severity, scope, target, now, now, summary, json.dumps(list(aps))),
        )
        self._set_aps(alert_id, aps)
        found = self.get(alert_id)
        assert found is not None
        return found

    def touch(self, alert_id: int, aps: Sequence[str], summary: str, now: float) -> None:
        """Still firing: its latest APs and summary (no state change, no message)."""
        self._write(
            "UPDATE alerts SET last_seen = ?, aps = ?, summary = ? WHERE id = ?",
            (now, json.dumps(list(aps)), summary, alert_id),
        )
        self._set_aps(alert_id, aps)

    def close_alert(
        self, alert_id: int, now: float, resolution: str = "cleared", parent_id: int | None = None
    ) -> Alert:
        self._write(
            "UPDATE alerts SET state = 'resolved', ended_at = ?, resolution = ?, parent_id = ? "
            "WHERE id = ? AND state = 'firing'",
            (now, resolution, parent_id, alert_id),
        )
        found = self.get(alert_id)
        assert found is not None
        return found

    def _set_aps(self, alert_id: int, aps: Iterable[str]) -> None:
        self._write("DELETE FROM alert_aps WHERE alert_id = ?", (alert_id,))
        for ap in sorted(set(aps)):
            self._write("INSERT INTO alert_aps VALUES (?, ?)", (alert_id, ap))

    def get(self, alert_id: int) -> Alert | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))  # noqa: S608
        return _alert(rows[0]) if rows else None

    def active(self) -> list[Alert]:
        """Firing alerts, oldest first."""
        rows = self._read(
            f"SELECT {_COLUMNS} FROM alerts WHERE state = 'firing' ORDER BY started_at, id"  # noqa: S608
        )
        return [_alert(r) for r in rows]

    def recent(self, since: float, limit: int = 1000) -> list[Alert]:
        """Alerts firing now or at any time since ``since``, newest first."""
        rows = self._read(
            f"SELECT {_COLUMNS} FROM alerts WHERE state = 'firing' OR ended_at >= ? "  # noqa: S608
            "ORDER BY started_at DESC, id DESC LIMIT ?",
            (since, limit),
        )
        return [_alert(r) for r in rows]

    def of_ap(self, ap_id: str, limit: int = 50) -> list[Alert]:
        """The alerts that named this AP (its own, its site's, its district's), newest first."""
        rows = self._read(
            f"SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))} "  # noqa: S608
            "FROM alert_aps x JOIN alerts a ON a.id = x.alert_id WHERE x.ap_id = ? "
            "ORDER BY a.started_at DESC, a.id DESC LIMIT ?",
            (ap_id, limit),
        )
        return [_alert(r) for r in rows]

    # --- outbox ------------------------------------------------------------------------------
    def enqueue(
        self, alert_id: int, channel: str, event: str, body: dict[str, Any], now: float
    ) -> int:
        return self._write(
            "INSERT INTO outbox (alert_id, channel, event, body, created_at, next_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
            (alert_id, channel, event, json.dumps(body, ensure_ascii=False), now, now),
        )

    def due(self, now: float, limit: int = 500) -> list[Message]:
        rows = self._read(
            "SELECT id, alert_id, channel, event, body, attempts, next_at, status, last_error "
            "FROM outbox WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
            (now, limit),
        )
        return [Message(r[0], r[1], r[2], r[3], json.loads(r[4]), *r[5:]) for r in rows]

    def next_due(self) -> float | None:
        rows = self._read("SELECT min(next_at) FROM outbox WHERE status = 'pending'")
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def delivered(self, message_id: int, now: float) -> None:
        self._write(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, done_at = ?, "
            "last_error = NULL WHERE id = ?",
            (now, message_id),
        )

    def failed(self, message_id: int, now: float, error: str, next_at: float | None) -> None:
        """A failed send: retried at ``next_at``, or a dead letter when ``None``."""
        status = "dead" if next_at is None else "pending"
        self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, status = ?, "
            "next_at = ?, done_at = ? WHERE id = ?",
            (error[:500], status, now if next_at is None else next_at,
             now if next_at is None else None, message_id),
        )  # fmt: skip

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        """channel -> status -> messages."""
        out: dict[str, dict[str, int]] = {}
        for channel, status, n in self._read(
            "SELECT channel, status, count(*) FROM outbox GROUP BY channel, status"
        ):
            out.setdefault(channel, {})[status] = n
        return out

    def messages(self, alert_id: int | None = None) -> list[Message]:
        """Every outbox message (of one alert), oldest first."""
        rows = self._read(
            "SELECT id, alert_id, channel, event, body, attempts, next_at, status, last_error "
            "FROM outbox WHERE ? IS NULL OR alert_id = ? ORDER BY id",
            (alert_id, alert_id),
        )
        return [Message(r[0], r[1], r[2], r[3], json.loads(r[4]), *r[5:]) for r in rows]

    # --- suppressions and expected changes (written by provisioning) ---------------------------
    def suppress(
        self, ap_ids: Iterable[str], until: float, reason: str, start: float | None = None
    ) -> int:
        """Do not alert these APs in ``[start, until)`` (``start`` default: from now on)."""
        low = float("-inf") if start is None else start
        with self.batch():
            ids = [ap for ap in dict.fromkeys(ap_ids)]
            for ap in ids:
                self._write(
                    "INSERT INTO suppressions (ap_id, start, until, reason) VALUES (?, ?, ?, ?)",
                    (ap, low, until, reason),
                )
        return len(ids)

    def lift(self, reason: str, now: float) -> int:
        """End now the suppressions of ``reason`` still in force (a campaign that ended before
        the time it had reserved); the number of APs released. Past ones are kept as history."""
        with self.batch():
            rows = self._read(
                "SELECT count(*) FROM suppressions WHERE reason = ? AND until > ?", (reason, now)
            )
            self._write(
                "UPDATE suppressions SET until = max(start, ?) WHERE reason = ? AND until > ?",
                (now, reason, now),
            )
        return int(rows[0][0])

    def suppressed(self, now: float) -> dict[str, str]:
        """AP id -> reason, for suppressions in force at ``now``."""
        rows = self._read(
            "SELECT ap_id, reason FROM suppressions WHERE start <= ? AND until > ? ORDER BY id",
            (now, now),
        )
        return {ap: reason for ap, reason in rows}

    def expect_change(self, ap_ids: Iterable[str], start: float, end: float, campaign: str) -> int:
        """Config changes of these APs in ``[start, end]`` are ``campaign``'s, not outside ones."""
        with self.batch():
            ids = [ap for ap in dict.fromkeys(ap_ids)]
            for ap in ids:
                self._write(
                    "INSERT INTO expected_changes (ap_id, start, end, campaign) "
                    "VALUES (?, ?, ?, ?)",
                    (ap, start, end, campaign),
                )
        return len(ids)

    def change_expected(self, ap_id: str, at: float) -> str | None:
        """The campaign that expected a change of ``ap_id`` at ``at``, if any."""
        rows = self._read(
            "SELECT campaign FROM expected_changes WHERE ap_id = ? AND start <= ? AND end >= ? "
            "ORDER BY id DESC LIMIT 1",
            (ap_id, at, at),
        )
        return str(rows[0][0]) if rows else None
