"""Web users: names, roles and argon2id password hashes in SQLite (``DATA_DIR/web/users.sqlite``).

Roles are ordered: ``viewer`` reads; ``engineer`` also produces reports (and later plans
changes); ``admin`` also manages users (and later approves changes). A password is never
stored, logged or passed in argv: only its argon2id hash (argon2-cffi's defaults). A user made
with a one-time password (the demo's first admin) must choose a new one at the first login.
"""

from __future__ import annotations

import enum
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from collector.errors import InputError


class Role(enum.IntEnum):
    VIEWER = 1
    ENGINEER = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.upper()]
        except KeyError:
            raise InputError.at(
                "--role", 0, f"{text!r}: expected viewer, engineer or admin"
            ) from None

    @property
    def label(self) -> str:
        return self.name.lower()


NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_dummy: list[str] = []  # a hash to verify against when the name is unknown (made once)


def _dummy_hash() -> str:
    """So that a wrong name costs as much as a wrong password."""
    if not _dummy:
        _dummy.append(_HASHER.hash("not a password of anyone"))
    return _dummy[0]


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    must_change: bool  # made with a one-time password


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InputError.at("NAME", 0, f"{name!r}: 2-32 of a-z 0-9 . _ -, starting with a letter")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError.at("password", 0, f"at least {MIN_PASSWORD} characters")
    return password


class UserStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role INTEGER NOT NULL, "
            "hash TEXT NOT NULL, must_change INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL)"
        )
        path.chmod(0o600)

    @classmethod
    def in_dir(cls, data_dir: Path) -> UserStore:
        return cls(data_dir / "web" / "users.sqlite")

    def add(self, name: str, role: Role, password: str, *, must_change: bool = False) -> User:
        check_name(name)
        check_password(password)
        digest = _HASHER.hash(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                    (name, int(role), digest, int(must_change), time.time()),
                )
            except sqlite3.IntegrityError:
                raise InputError.at("NAME", 0, f"user {name!r} exists already") from None
        return User(name, role, must_change)

    def get(self, name: str) -> User | None:
        with self._lock:
            row = self._db.execute(
                "SELECT role, must_change FROM users WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else User(name, Role(row[0]), bool(row[1]))

    def all(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT name, role, must_change FROM users ORDER BY name")
            return [User(n, Role(r), bool(m)) for n, r, m in rows.fetchall()]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM users").fetchone()[0])

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same cost either way)."""
        with self._lock:
            row = self._db.execute("SELECT hash FROM users WHERE name = ?", (name,)).fetchone()
        try:
            _HASHER.verify(row[0] if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        return self.get(name) if row else None

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        with self._lock:
            self._db.execute(
                "UPDATE users SET hash = ?, must_change = 0 WHERE name = ?",
                (_HASHER.hash(password), name),
            )

    def set_role(self, name: str, role: Role) -> None:
        with self._lock:
            self._db.execute("UPDATE users SET role = ? WHERE name = ?", (int(role), name))

    def remove(self, name: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM users WHERE name = ?", (name,))


class LoginThrottle:
    """Failed logins per (name, client address): after ``limit`` failures within ``window_s``
    further tries are refused until the window has passed. In memory, per process."""

    def __init__(self, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()
        self.refused = 0  # tries refused for being over the limit

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def blocked(self, name: str, address: str, now: float | None = None) -> float:
        """Seconds left to wait (0: may try)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent((name, address), now)
            if len(recent) < self.limit:
                return 0.0
            self.refused += 1
            return self.window_s - (now - recent[0])

    def failed(self, name: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent((name, address), now)
            self._failures.setdefault((name, address), []).append(now)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name, address), None)
