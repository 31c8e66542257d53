"""The campaign store: what each provisioning campaign is, where it got to, and who holds what.

Why SQLite under the data dir (``DATA_DIR/provisioning/campaigns.sqlite``): the CLI, the
collector and the web UI are separate processes that must see the same campaigns, and an
apply run must survive ``kill -9``. Every process opens its own connection (WAL, so readers
never wait for the writer); every write is one short ``BEGIN IMMEDIATE`` transaction with a
busy timeout, and ``synchronous=FULL`` makes each commit durable before the call returns, so a
recorded ``pushed`` or ``verified`` is never lost, even to a power cut. A lock per store object
makes one store safe to share between threads.

Why the states are validated here rather than in the engine: resume and rollback decide what
to do from the recorded state alone ("verified: do not push again", "pushed: the AP may hold
the change: undo it"). Each move is checked against a table (:data:`CAMPAIGN_MOVES`,
:data:`TASK_MOVES`); an illegal one raises :class:`ValueError` and records nothing, so a
recorded state always means what the table says. Two moves are guarded further:
``completed`` needs every task settled (nothing in flight or unrestored) and ``rolled_back``
needs every changed AP rolled back; either also ends the campaign's AP claims and runner lease.

Task moves (the AP's own states)::

    pending -> snapshotted -> pushed -> saved -> verified     (the apply path)
    pending | snapshotted -> skipped                          (no change needed)
    pending | snapshotted | pushed | saved -> failed -> restored | restore_failed
    restore_failed -> restored | restore_failed               (a restore retried)
    restored -> pending                                       (the AP retried from scratch)
    snapshotted | pushed | saved | verified | failed | restore_failed | rollback_failed
        -> rolled_back | rollback_failed                      (rollback)

A snapshot is taken only on ``pending -> snapshotted`` and never replaced afterwards (a resumed
run must not capture an AP that already holds part of the change); a retry goes through
``restored`` (the AP verified back at its snapshot) and ``pending`` and captures afresh.
``attempts`` counts the entries into ``snapshotted``. A failure before anything was pushed is
recorded as ``failed -> restored`` too: the AP is in its original state.

Campaign moves::

    planned -> submitted -> approved -> running -> completed | halted | failed
    submitted -> planned (withdrawn)    halted -> running (resume) | failed
    running | halted | failed | completed -> rolling_back -> rolled_back | failed

A crashed run leaves its campaign ``running``: ``resume`` takes the runner lease over from the
dead process (:meth:`CampaignStore.acquire_runner`) and carries on from the tasks' states.

AP claims ("never two campaigns on one AP at once") belong to the campaign, not the process:
they stay through crashes, halts and failures and end only when the campaign completes or is
rolled back (or :meth:`CampaignStore.release` is called). A ``failed`` campaign keeps its APs:
they may hold part of a change until it is rolled back.

Limits: the last error and the snapshot are stored as given; callers pass masked configs and
never a resolved secret. The runner lease trusts a pid only on its own host (another host's
lease is taken over only with ``force``).
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.errors import InputError

KST = dt.timezone(dt.timedelta(hours=9), "KST")
DIR_NAME = "provisioning"
FILE_NAME = "campaigns.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
MAX_ERROR_DETAIL = 2000

# --- campaign states -----------------------------------------------------------------------
PLANNED = "planned"
SUBMITTED = "submitted"
APPROVED = "approved"
RUNNING = "running"
COMPLETED = "completed"
HALTED = "halted"
FAILED = "failed"
ROLLING_BACK = "rolling_back"
ROLLED_BACK = "rolled_back"

CAMPAIGN_MOVES: Mapping[str, frozenset[str]] = {
    PLANNED: frozenset({SUBMITTED}),
    SUBMITTED: frozenset({APPROVED, PLANNED}),
    APPROVED: frozenset({RUNNING}),
    RUNNING: frozenset({COMPLETED, HALTED, FAILED, ROLLING_BACK}),
    HALTED: frozenset({RUNNING, FAILED, ROLLING_BACK}),
    FAILED: frozenset({ROLLING_BACK}),
    COMPLETED: frozenset({ROLLING_BACK}),
    ROLLING_BACK: frozenset({ROLLED_BACK, FAILED}),
    ROLLED_BACK: frozenset(),
}
CAMPAIGN_STATES = frozenset(CAMPAIGN_MOVES)
#: A campaign in these states is over: its claims and runner lease are gone.
ENDED = frozenset({COMPLETED, ROLLED_BACK})
#: Claims may be taken in these states (from approval until the campaign ends).
CLAIMING = frozenset({APPROVED, RUNNING, HALTED, FAILED, ROLLING_BACK})
#: Task states change only while the campaign is in one of these (a halt or a failure
#: recorded by another process must never stop the runner recording what it already did).
TASKS_MOVE_IN = frozenset({RUNNING, HALTED, FAILED, ROLLING_BACK})

# --- task states ---------------------------------------------------------------------------
PENDING = "pending"
SNAPSHOTTED = "snapshotted"
PUSHED = "pushed"
SAVED = "saved"
VERIFIED = "verified"
TASK_FAILED = "failed"
RESTORED = "restored"
RESTORE_FAILED = "restore_failed"
SKIPPED = "skipped"
TASK_ROLLED_BACK = "rolled_back"
ROLLBACK_FAILED = "rollback_failed"

_ROLLBACK = frozenset({TASK_ROLLED_BACK, ROLLBACK_FAILED})
TASK_MOVES: Mapping[str, frozenset[str]] = {
    PENDING: frozenset({SNAPSHOTTED, SKIPPED, TASK_FAILED}),
    SNAPSHOTTED: frozenset({PUSHED, SKIPPED, TASK_FAILED}) | _ROLLBACK,
    PUSHED: frozenset({SAVED, TASK_FAILED}) | _ROLLBACK,
    SAVED: frozenset({VERIFIED, TASK_FAILED}) | _ROLLBACK,
    VERIFIED: _ROLLBACK,
    TASK_FAILED: frozenset({RESTORED, RESTORE_FAILED}) | _ROLLBACK,
    RESTORED: frozenset({PENDING}),
    RESTORE_FAILED: frozenset({RESTORED, RESTORE_FAILED}) | _ROLLBACK,
    SKIPPED: frozenset(),
    TASK_ROLLED_BACK: frozenset(),
    ROLLBACK_FAILED: _ROLLBACK,
}
TASK_STATES = frozenset(TASK_MOVES)
#: Tasks whose AP may differ from its snapshot: what a rollback must undo.
NEEDS_ROLLBACK = frozenset(
    {SNAPSHOTTED, PUSHED, SAVED, VERIFIED, TASK_FAILED, RESTORE_FAILED, ROLLBACK_FAILED}
)
#: Tasks that keep a campaign from being ``completed``.
UNSETTLED = frozenset({PENDING, SNAPSHOTTED, PUSHED, SAVED, TASK_FAILED, RESTORE_FAILED})
#: Moves that record an error (a reason label is required).
_ERROR_STATES = frozenset({TASK_FAILED, RESTORE_FAILED, ROLLBACK_FAILED})

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_REASON_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS campaigns (
        id TEXT PRIMARY KEY, change_name TEXT NOT NULL, change_path TEXT NOT NULL,
        change_sha256 TEXT NOT NULL, change_text TEXT NOT NULL, reason TEXT NOT NULL,
        created_by TEXT NOT NULL, created_at REAL NOT NULL, state TEXT NOT NULL,
        submitted_by TEXT, submitted_at REAL, approved_by TEXT, approved_at REAL,
        halted_reason TEXT, waves TEXT NOT NULL, current_wave INTEGER NOT NULL,
        plan TEXT NOT NULL, updated_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tasks (
        campaign_id TEXT NOT NULL REFERENCES campaigns (id), ap_id TEXT NOT NULL,
        wave INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
        error_reason TEXT, error_detail TEXT, snapshot_config TEXT, snapshot_values TEXT,
        times TEXT NOT NULL, updated_at REAL NOT NULL,
        PRIMARY KEY (campaign_id, ap_id)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS tasks_by_wave ON tasks (campaign_id, wave, state)",
    """CREATE TABLE IF NOT EXISTS claims (
        ap_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        claimed_at REAL NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS claims_by_campaign ON claims (campaign_id)",
    """CREATE TABLE IF NOT EXISTS runners (
        campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id), pid INTEGER NOT NULL,
        host TEXT NOT NULL, identity TEXT, acquired_at REAL NOT NULL) WITHOUT ROWID""",
)
_CAMPAIGN_COLS = (
    "id, change_name, change_path, change_sha256, change_text, reason, created_by, created_at,"
    " state, submitted_by, submitted_at, approved_by, approved_at, halted_reason, waves,"
    " current_wave, plan, updated_at"
)
_TASK_COLS = (
    "campaign_id, ap_id, wave, state, attempts, error_reason, error_detail,"
    " snapshot_config IS NOT NULL, times, updated_at"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An AP as it was before the change: its masked running-config and the captured values
    the undo is rendered from (a JSON object)."""

    config: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TaskError:
    """Why a step failed: a short label (``timeout``, ``verify-mismatch``...) and a detail."""

    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Task:
    """One AP of a campaign. ``times`` maps each state to when it was last entered."""

    campaign_id: str
    ap_id: str
    wave: int
    state: str
    attempts: int
    error: TaskError | None
    has_snapshot: bool
    times: dict[str, float]
    updated_at: float


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign as recorded. ``change_text`` is exactly what was reviewed (its sha256)."""

    id: str
    change_name: str
    change_path: str
    change_sha256: str
    change_text: str
    reason: str
    created_by: str
    created_at: float
    state: str
    submitted_by: str | None
    submitted_at: float | None
    approved_by: str | None
    approved_at: float | None
    halted_reason: str | None
    waves: tuple[tuple[str, ...], ...]
    current_wave: int
    plan: Any
    updated_at: float

    @property
    def ap_ids(self) -> tuple[str, ...]:
        return tuple(ap for wave in self.waves for ap in wave)


@dataclass(frozen=True, slots=True)
class Runner:
    """Who is applying a campaign. ``live`` is as judged now (:meth:`CampaignStore.runner`)."""

    campaign_id: str
    pid: int
    host: str
    acquired_at: float
    live: bool


def sha256_text(text: str) -> str:
    """The sha256 of ``text`` as UTF-8: the file's own sha256 when it was read with
    ``path.read_bytes().decode("utf-8")`` (``read_text`` would translate newlines)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _person(actor: str) -> str:
    """The person behind ``os:alice`` or ``web:alice`` (one person, whatever the channel)."""
    return actor.partition(":")[2].strip().casefold() if ":" in actor else actor.casefold()


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _states(given: str | Collection[str] | None, known: frozenset[str]) -> list[str] | None:
    if given is None:
        return None
    wanted = [given] if isinstance(given, str) else list(given)
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise ValueError(f"unknown state(s) {unknown}; known: {sorted(known)}")
    return wanted


def _process_identity(pid: int) -> str | None:
    """Boot id and start time of ``pid`` (Linux), so a reused pid is not taken for the runner;
    ``None`` where /proc cannot tell, or for a zombie."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if len(fields) < 20 or fields[0] == "Z":
        return None
    return f"{boot}:{fields[19]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def runner_is_live(pid: int, host: str, identity: str | None, *, this_host: str) -> bool:
    """Whether the recorded runner still runs. Another host's runner cannot be checked from
    here and counts as live; on this host the pid must exist and (where /proc tells) still be
    the same process, not a zombie and not a later process given the same pid."""
    if host != this_host:
        return True
    if not _pid_alive(pid):
        return False
    return identity is None or _process_identity(pid) == identity


class CampaignStore:
    """Campaigns, their per-AP tasks, AP claims and runner leases (module doc)."""

    def __init__(
        self, path: Path, *, clock: Callable[[], float] = time.time, host: str | None = None
    ) -> None:
        self.path = path
        self._clock = clock
        self._host = host if host is not None else socket.gethostname()
        self._lock = threading.Lock()
        _private_dir(path.parent)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        _private_file(path)
        self._db = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            self._setup()
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def open(cls, data_dir: Path, **kwargs: Any) -> CampaignStore:
        """The store of ``data_dir`` (created on first use)."""
        return cls(Path(data_dir) / DIR_NAME / FILE_NAME, **kwargs)

    def _setup(self) -> None:
        db = self._db
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        with self._write():
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise RuntimeError(
                    f"{self.path}: campaign store schema {version}, this pubwifi knows "
                    f"{SCHEMA_VERSION}"
                )
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                _private_file(side)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> CampaignStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken before anything is
        read, so a read-check-write (a transition, a claim) cannot interleave with another
        process's."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every statement in it sees the same committed state."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    # --- campaigns -------------------------------------------------------------------------

    def create(
        self,
        *,
        change_name: str,
        change_path: Path | str,
        change_text: str,
        reason: str,
        created_by: str,
        waves: Sequence[Sequence[str]],
        plan: Any,
    ) -> Campaign:
        """Record a ``planned`` campaign with one ``pending`` task per AP of ``waves``.

        The id is ``<change name>-<YYYYmmddTHHMMSS>`` (KST, now); a second campaign of the
        same change in the same second gets ``-2``, ``-3``... appended. ``plan`` is any JSON
        value, stored and returned as is.
        """
        if not _NAME_RE.match(change_name):
            raise InputError.at(
                str(change_path),
                0,
                f"change name {change_name!r}: use 1-64 letters, digits, '.', '_' or '-'"
                " (it names the campaign)",
            )
        _actor(created_by, "created_by")
        wave_lists = [list(wave) for wave in waves]
        seen: set[str] = set()
        for index, wave in enumerate(wave_lists):
            if not wave:
                raise ValueError(f"wave {index} has no AP")
            for ap in wave:
                if not isinstance(ap, str) or not ap:
                    raise ValueError(f"wave {index}: AP ids are non-empty strings, not {ap!r}")
                if ap in seen:
                    raise ValueError(f"AP {ap!r} is in more than one wave (or twice in one)")
                seen.add(ap)
        if not wave_lists:
            raise ValueError("a campaign needs at least one wave")
        plan_text = _dumps(plan)
        now = self._clock()
        stamp = dt.datetime.fromtimestamp(now, KST).strftime("%Y%m%dT%H%M%S")
        base = f"{change_name}-{stamp}"
        with self._write() as db:
            campaign_id, n = base, 1
            while db.execute("SELECT 1 FROM campaigns WHERE id = ?", (campaign_id,)).fetchone():
                n += 1
                campaign_id = f"{base}-{n}"
            db.execute(
                f"INSERT INTO campaigns ({_CAMPAIGN_COLS}) VALUES "  # noqa: S608
                "(?,?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL,NULL,?,0,?,?)",
                (
                    campaign_id,
                    change_name,
                    str(change_path),
                    sha256_text(change_text),
                    change_text,
                    reason,
                    created_by,
                    now,
                    PLANNED,
                    _dumps(wave_lists),
                    plan_text,
                    now,
                ),
            )
            db.executemany(
                "INSERT INTO tasks VALUES (?,?,?,?,0,NULL,NULL,NULL,NULL,?,?)",
                [
                    (campaign_id, ap, index, PENDING, _dumps({PENDING: now}), now)
                    for index, wave in enumerate(wave_lists)
                    for ap in wave
                ],
            )
            return self._campaign(db, campaign_id)

    def submit(self, campaign_id: str, by: str) -> Campaign:
        """``planned -> submitted``, recording who asked for review."""
        _actor(by, "submitter")
        return self._move(campaign_id, SUBMITTED, extra={"submitted_by": by})

    def approve(self, campaign_id: str, by: str) -> Campaign:
        """``submitted -> approved``. The approver must be another person than the submitter
        (``os:alice`` and ``web:alice`` are one person): :class:`PermissionError` otherwise."""
        _actor(by, "approver")
        return self._move(campaign_id, APPROVED, extra={"approved_by": by})

    def transition(self, campaign_id: str, to: str, *, reason: str | None = None) -> Campaign:
        """Any other campaign move of :data:`CAMPAIGN_MOVES`. ``reason`` is kept as
        ``halted_reason`` on a move to ``halted`` or ``failed`` (cleared on ``running``)."""
        if to in (SUBMITTED, APPROVED):
            raise ValueError(f"use submit()/approve() to move a campaign to {to!r}")
        return self._move(campaign_id, to, reason=reason)

    def halt(self, campaign_id: str, reason: str) -> Campaign:
        return self._move(campaign_id, HALTED, reason=reason)

    def set_wave(self, campaign_id: str, index: int) -> Campaign:
        """Record the wave being applied (``len(waves)``: all done)."""
        with self._write() as db:
            campaign = self._campaign(db, campaign_id)
            if not 0 <= index <= len(campaign.waves):
                raise ValueError(
                    f"{campaign_id}: wave {index} out of range 0..{len(campaign.waves)}"
                )
            db.execute(
                "UPDATE campaigns SET current_wave = ?, updated_at = ? WHERE id = ?",
                (index, self._clock(), campaign_id),
            )
            return self._campaign(db, campaign_id)

    def _move(
        self,
        campaign_id: str,
        to: str,
        *,
        reason: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Campaign:
        if to not in CAMPAIGN_STATES:
            raise ValueError(f"unknown campaign state {to!r}; known: {sorted(CAMPAIGN_STATES)}")
        with self._write() as db:
            campaign = self._campaign(db, campaign_id)
            if to not in CAMPAIGN_MOVES[campaign.state]:
                raise ValueError(
                    f"{campaign_id}: cannot move from {campaign.state!r} to {to!r} (allowed: "
                    f"{', '.join(sorted(CAMPAIGN_MOVES[campaign.state])) or 'none'})"
                )
            now = self._clock()
            sets: dict[str, object] = {"state": to, "updated_at": now}
            if to == APPROVED:
                approver = (extra or {})["approved_by"]
                if campaign.submitted_by is None or _person(approver) == _person(
                    campaign.submitted_by
                ):
                    raise PermissionError(
                        f"{campaign_id}: {approver} submitted this campaign and cannot approve "
                        "it too; another admin must approve it"
                    )
                sets.update(approved_by=approver, approved_at=now)
            elif to == SUBMITTED:
                sets.update(submitted_by=(extra or {})["submitted_by"], submitted_at=now)
            elif to == PLANNED:  # withdrawn from review
                sets.update(submitted_by=None, submitted_at=None)
            if to in (HALTED, FAILED):
                sets["halted_reason"] = reason
            elif to == RUNNING:
                sets["halted_reason"] = None
            if to == COMPLETED:
                self._require_none(db, campaign_id, UNSETTLED, "completed")
            elif to == ROLLED_BACK:
                self._require_none(db, campaign_id, NEEDS_ROLLBACK, "rolled back")
            if to in ENDED:
                db.execute("DELETE FROM claims WHERE campaign_id = ?", (campaign_id,))
                db.execute("DELETE FROM runners WHERE campaign_id = ?", (campaign_id,))
            # Column names come from the literals above only; values are bound.
            assignments = ", ".join(f"{column} = ?" for column in sets)
            db.execute(
                f"UPDATE campaigns SET {assignments} WHERE id = ?",  # noqa: S608
                (*sets.values(), campaign_id),
            )
            return self._campaign(db, campaign_id)

    @staticmethod
    def _require_none(
        db: sqlite3.Connection, campaign_id: str, states: frozenset[str], what: str
    ) -> None:
        marks = ",".join("?" * len(states))
        rows = db.execute(
            f"SELECT state, count(*) FROM tasks WHERE campaign_id = ? AND state IN ({marks})"  # noqa: S608
            " GROUP BY state ORDER BY state",
            (campaign_id, *sorted(states)),
        ).fetchall()
        if rows:
            left = ", ".join(f"{n} {state}" for state, n in rows)
            raise ValueError(f"{campaign_id}: cannot be {what} with tasks {left}")

    def get(self, campaign_id: str) -> Campaign:
        """The campaign (:class:`KeyError` if there is none)."""
        with self._read() as db:
            return self._campaign(db, campaign_id)

    def list(self, states: str | Collection[str] | None = None) -> builtins.list[Campaign]:
        """Campaigns, oldest first, optionally only those in ``states``."""
        wanted = _states(states, CAMPAIGN_STATES)
        query = f"SELECT {_CAMPAIGN_COLS} FROM campaigns"  # noqa: S608
        params: tuple[str, ...] = ()
        if wanted is not None:
            query += f" WHERE state IN ({','.join('?' * len(wanted))})"
            params = tuple(wanted)
        with self._read() as db:
            rows = db.execute(query + " ORDER BY created_at, id", params).fetchall()
        return [_campaign_of(row) for row in rows]

    @staticmethod
    def _campaign(db: sqlite3.Connection, campaign_id: str) -> Campaign:
        row = db.execute(
            f"SELECT {_CAMPAIGN_COLS} FROM campaigns WHERE id = ?",  # noqa: S608
            (campaign_id,),
        ).fetchone()
        if row is None:
            raise KeyError(f"no campaign {campaign_id!r}")
        return _campaign_of(row)

    # --- tasks -----------------------------------------------------------------------------

    def advance(
        self,
        campaign_id: str,
        ap_id: str,
        to: str,
        *,
        error: TaskError | None = None,
        snapshot: Snapshot | None = None,
    ) -> Task:
        """Move one AP's task to ``to`` (:data:`TASK_MOVES`), durably, and return it.

        ``snapshot`` is required on the move to ``snapshotted`` and refused on any other;
        ``error`` is required on a move to ``failed``, ``restore_failed`` or
        ``rollback_failed`` (and kept as the last error until the next one).
        """
        if to not in TASK_STATES:
            raise ValueError(f"unknown task state {to!r}; known: {sorted(TASK_STATES)}")
        if (snapshot is not None) != (to == SNAPSHOTTED):
            raise ValueError(
                "a snapshot is recorded with the move to 'snapshotted' and only with it"
            )
        if to in _ERROR_STATES and error is None:
            raise ValueError(f"a move to {to!r} records why: pass error=TaskError(...)")
        if error is not None and not _REASON_RE.match(error.reason):
            raise ValueError(
                f"error reason {error.reason!r}: a short label (a-z, 0-9, '_', '.', '-')"
            )
        snapshot_values = None
        if snapshot is not None:
            if not isinstance(snapshot.values, dict):
                raise ValueError("snapshot values are a JSON object (dict)")
            snapshot_values = _dumps(snapshot.values)
        with self._write() as db:
            campaign = self._campaign(db, campaign_id)
            if campaign.state not in TASKS_MOVE_IN:
                raise ValueError(
                    f"{campaign_id} is {campaign.state}: its tasks change only while it is "
                    f"{', '.join(sorted(TASKS_MOVE_IN))}"
                )
            task = self._task(db, campaign_id, ap_id)
            if to not in TASK_MOVES[task.state]:
                raise ValueError(
                    f"{campaign_id}/{ap_id}: cannot move from {task.state!r} to {to!r} "
                    f"(allowed: {', '.join(sorted(TASK_MOVES[task.state])) or 'none'})"
                )
            if to in (TASK_ROLLED_BACK, ROLLBACK_FAILED) and campaign.state != ROLLING_BACK:
                raise ValueError(f"{campaign_id} is {campaign.state}, not rolling back")
            now = self._clock()
            times = {**task.times, to: now}
            attempts = task.attempts + (to == SNAPSHOTTED)
            reason = task.error.reason if task.error else None
            detail = task.error.detail if task.error else None
            if error is not None:
                reason, detail = error.reason, error.detail[:MAX_ERROR_DETAIL]
            db.execute(
                "UPDATE tasks SET state = ?, attempts = ?, error_reason = ?, error_detail = ?,"
                " times = ?, updated_at = ? WHERE campaign_id = ? AND ap_id = ?",
                (to, attempts, reason, detail, _dumps(times), now, campaign_id, ap_id),
            )
            if snapshot is not None:
                db.execute(
                    "UPDATE tasks SET snapshot_config = ?, snapshot_values = ?"
                    " WHERE campaign_id = ? AND ap_id = ?",
                    (snapshot.config, snapshot_values, campaign_id, ap_id),
                )
            return self._task(db, campaign_id, ap_id)

    def task(self, campaign_id: str, ap_id: str) -> Task:
        with self._read() as db:
            return self._task(db, campaign_id, ap_id)

    def tasks(
        self,
        campaign_id: str,
        wave: int | None = None,
        state: str | Collection[str] | None = None,
    ) -> builtins.list[Task]:
        """The campaign's tasks in wave order (then AP id), optionally one wave's and/or
        those in ``state`` (one state or several). Snapshots are read with :meth:`snapshot`."""
        wanted = _states(state, TASK_STATES)
        query = f"SELECT {_TASK_COLS} FROM tasks WHERE campaign_id = ?"  # noqa: S608
        params: builtins.list[object] = [campaign_id]
        if wave is not None:
            query += " AND wave = ?"
            params.append(wave)
        if wanted is not None:
            query += f" AND state IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        with self._read() as db:
            self._campaign(db, campaign_id)
            rows = db.execute(query + " ORDER BY wave, ap_id", params).fetchall()
        return [_task_of(row) for row in rows]

    def snapshot(self, campaign_id: str, ap_id: str) -> Snapshot | None:
        """The AP's snapshot, if it was taken."""
        with self._read() as db:
            row = db.execute(
                "SELECT snapshot_config, snapshot_values FROM tasks"
                " WHERE campaign_id = ? AND ap_id = ?",
                (campaign_id, ap_id),
            ).fetchone()
        if row is None:
            raise KeyError(f"no task for AP {ap_id!r} in campaign {campaign_id!r}")
        if row[0] is None:
            return None
        return Snapshot(config=row[0], values=json.loads(row[1]))

    def counts(self, campaign_id: str, wave: int | None = None) -> dict[str, int]:
        """How many tasks are in each state (every state present, zeros too): the whole
        campaign's, or one wave's."""
        return self._counts(campaign_id, wave)[-1 if wave is None else 0]

    def wave_counts(self, campaign_id: str) -> builtins.list[dict[str, int]]:
        """:meth:`counts` for every wave, in wave order, in one read."""
        return self._counts(campaign_id, None)[:-1]

    def _counts(self, campaign_id: str, wave: int | None) -> builtins.list[dict[str, int]]:
        with self._read() as db:
            campaign = self._campaign(db, campaign_id)
            rows = db.execute(
                "SELECT wave, state, count(*) FROM tasks WHERE campaign_id = ?"
                " GROUP BY wave, state",
                (campaign_id,),
            ).fetchall()
        if wave is not None:
            if not 0 <= wave < len(campaign.waves):
                raise ValueError(f"{campaign_id} has no wave {wave}")
            rows = [row for row in rows if row[0] == wave]
            per_wave = [dict.fromkeys(sorted(TASK_STATES), 0)]
            for _, state, n in rows:
                per_wave[0][state] += n
            return per_wave
        result = [dict.fromkeys(sorted(TASK_STATES), 0) for _ in range(len(campaign.waves) + 1)]
        for index, state, n in rows:
            result[index][state] += n
            result[-1][state] += n
        return result

    @staticmethod
    def _task(db: sqlite3.Connection, campaign_id: str, ap_id: str) -> Task:
        row = db.execute(
            f"SELECT {_TASK_COLS} FROM tasks WHERE campaign_id = ? AND ap_id = ?",  # noqa: S608
            (campaign_id, ap_id),
        ).fetchone()
        if row is None:
            raise KeyError(f"no task for AP {ap_id!r} in campaign {campaign_id!r}")
        return _task_of(row)

    # --- AP claims -------------------------------------------------------------------------

    def claim(
        self, campaign_id: str, ap_ids: Iterable[str], *, all_or_none: bool = False
    ) -> builtins.list[str]:
        """Claim ``ap_ids`` for the campaign, in one transaction; returns the conflicts.

        An AP held by another campaign that has not ended is a conflict and is not claimed;
        the others are (with ``all_or_none``, nothing is claimed when any conflicts). Claiming
        an AP the campaign already holds is a no-op. The APs must be the campaign's own.
        """
        wanted = builtins.list(dict.fromkeys(ap_ids))
        with self._write() as db:
            campaign = self._campaign(db, campaign_id)
            if campaign.state not in CLAIMING:
                raise ValueError(
                    f"{campaign_id} is {campaign.state}: APs are claimed from approval until"
                    " the campaign ends"
                )
            foreign = sorted(set(wanted) - set(campaign.ap_ids))
            if foreign:
                raise ValueError(f"{campaign_id} does not change AP(s) {foreign}")
            holders = self._holders(db, wanted)
            conflicts = [ap for ap in wanted if holders.get(ap, campaign_id) != campaign_id]
            if conflicts and all_or_none:
                return conflicts
            now = self._clock()
            db.executemany(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?)",
                [(ap, campaign_id, now) for ap in wanted if ap not in holders],
            )
            return conflicts

    def release(self, campaign_id: str) -> int:
        """Drop every claim of the campaign; returns how many there were."""
        with self._write() as db:
            self._campaign(db, campaign_id)
            cursor = db.execute("DELETE FROM claims WHERE campaign_id = ?", (campaign_id,))
            return cursor.rowcount

    def holders(self, ap_ids: Iterable[str]) -> dict[str, str]:
        """AP id -> the campaign holding it, for those held by a campaign that has not ended."""
        with self._read() as db:
            return self._holders(db, builtins.list(ap_ids))

    def claimed(self, campaign_id: str) -> builtins.list[str]:
        """The APs the campaign holds."""
        with self._read() as db:
            rows = db.execute(
                "SELECT ap_id FROM claims WHERE campaign_id = ? ORDER BY ap_id", (campaign_id,)
            ).fetchall()
        return [row[0] for row in rows]

    @staticmethod
    def _holders(db: sqlite3.Connection, ap_ids: Sequence[str]) -> dict[str, str]:
        held: dict[str, str] = {}
        for start in range(0, len(ap_ids), 500):
            chunk = ap_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                "SELECT claims.ap_id, claims.campaign_id FROM claims JOIN campaigns"  # noqa: S608
                f" ON campaigns.id = claims.campaign_id WHERE claims.ap_id IN ({marks})"
                f" AND campaigns.state NOT IN ('{COMPLETED}', '{ROLLED_BACK}')",
                chunk,
            ).fetchall()
            held.update((ap, campaign) for ap, campaign in rows)
        return held

    # --- the runner lease ------------------------------------------------------------------

    def acquire_runner(self, campaign_id: str, pid: int, host: str, *, force: bool = False) -> bool:
        """Take the lease "``pid`` on ``host`` applies this campaign"; False when another live
        runner holds it. A dead runner's lease (its pid gone from this host: ``kill -9``, a
        reboot) is taken over: that is how ``resume`` continues a crashed run. A lease from
        another host cannot be checked and is taken over only with ``force``. Taking a lease
        one already holds is fine.
        """
        if pid <= 0:
            raise ValueError(f"a runner is a process id > 0, not {pid}")
        with self._write() as db:
            campaign = self._campaign(db, campaign_id)
            if campaign.state in ENDED:
                raise ValueError(f"{campaign_id} is {campaign.state}: there is nothing to run")
            row = db.execute(
                "SELECT pid, host, identity FROM runners WHERE campaign_id = ?", (campaign_id,)
            ).fetchone()
            if row is not None and (row[0], row[1]) != (pid, host):
                live = runner_is_live(row[0], row[1], row[2], this_host=self._host)
                if live and not (force and row[1] != self._host):
                    return False
            identity = _process_identity(pid) if host == self._host else None
            db.execute(
                "INSERT OR REPLACE INTO runners VALUES (?, ?, ?, ?, ?)",
                (campaign_id, pid, host, identity, self._clock()),
            )
            return True

    def release_runner(self, campaign_id: str, pid: int, host: str) -> bool:
        """Give the lease back; False (and nothing changes) if ``pid``/``host`` do not hold it."""
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM runners WHERE campaign_id = ? AND pid = ? AND host = ?",
                (campaign_id, pid, host),
            )
            return cursor.rowcount > 0

    def runner(self, campaign_id: str) -> Runner | None:
        """Who holds the lease, and whether it looks live now."""
        with self._read() as db:
            row = db.execute(
                "SELECT pid, host, identity, acquired_at FROM runners WHERE campaign_id = ?",
                (campaign_id,),
            ).fetchone()
        if row is None:
            return None
        live = runner_is_live(row[0], row[1], row[2], this_host=self._host)
        return Runner(campaign_id, row[0], row[1], row[3], live)


def _actor(actor: str, what: str) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError(f"{what}: an actor such as 'os:alice' or 'web:bob', not {actor!r}")


def _campaign_of(row: Sequence[Any]) -> Campaign:
    names = _CAMPAIGN_COLS.replace(" ", "").split(",")
    fields: dict[str, Any] = dict(zip(names, row, strict=True))
    fields["waves"] = tuple(tuple(wave) for wave in json.loads(fields["waves"]))
    fields["plan"] = json.loads(fields["plan"])
    return Campaign(**fields)


def _task_of(row: Sequence[Any]) -> Task:
    error = None if row[5] is None else TaskError(row[5], row[6] or "")
    return Task(
        campaign_id=row[0],
        ap_id=row[1],
        wave=row[2],
        state=row[3],
        attempts=row[4],
        error=error,
        has_snapshot=bool(row[7]),
        times=json.loads(row[8]),
        updated_at=row[9],
    )


def _private_dir(path: Path) -> None:
    """Create ``path`` 0700 (configs and who-did-what are not for other local users)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _private_file(path: Path) -> None:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
