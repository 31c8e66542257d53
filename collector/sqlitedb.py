"""Opening the collector's local SQLite files the one way they share.

The rollout store (:mod:`collector.rollout.store`), the ledger copy
(:mod:`collector.ledger.mirror`) and the SSH facts store (:mod:`collector.ssh.factstore`) are
each one file that one process writes while others read it: opened read-write, the folder is
made, the file is in WAL mode (readers never wait for the writer) with ``synchronous=NORMAL``,
and its ``CREATE ... IF NOT EXISTS`` schema is run; opened read-only (``mode=ro``), the file
must exist and nothing is created. Connections may be shared between threads (each store holds
its own lock). Only the standard library is used here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: ``PRAGMA busy_timeout`` of the stores that set one: a writer's batch never fails a reader.
BUSY_TIMEOUT_MS = 30_000


def open_db(
    path: Path,
    create_sql: str,
    *,
    readonly: bool = False,
    schema_version: int | None = None,
    what: str = "database",
    busy_timeout_ms: int | None = BUSY_TIMEOUT_MS,
    autocommit: bool = True,
    private: bool = False,
) -> sqlite3.Connection:
    """The connection to ``path``, read-only or read-write (module doc).

    - ``schema_version``: the file's ``PRAGMA user_version`` must be 0 (a new file) or this,
      else :class:`RuntimeError` ``"{path}: {what} schema {found}, this pubwifi knows
      {schema_version}"``; a read-write open then sets it (after the schema). ``None``: neither
      checked nor set.
    - ``busy_timeout_ms``: ``PRAGMA busy_timeout``; ``None`` keeps :mod:`sqlite3`'s default.
    - ``autocommit``: no implicit transactions (``isolation_level=None``; the caller issues
      ``BEGIN``/``COMMIT``); ``False``: :mod:`sqlite3`'s implicit ones, ended by ``commit()``.
    - ``private``: a read-write open makes the folder ``0700`` and a new file ``0600``.
    """
    target: str | Path = f"file:{path}?mode=ro" if readonly else path
    fresh = False
    if not readonly:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
        fresh = not path.exists()
    db = sqlite3.connect(target, uri=readonly, check_same_thread=False)
    if autocommit:
        db.isolation_level = None
    try:
        if private and fresh:
            path.chmod(0o600)
        if not readonly:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        if busy_timeout_ms is not None:
            db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if schema_version is not None:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            if found not in (0, schema_version):
                raise RuntimeError(
                    f"{path}: {what} schema {found}, this pubwifi knows {schema_version}"
                )
        if not readonly:
            db.executescript(create_sql)
            if schema_version is not None:
                db.execute(f"PRAGMA user_version={int(schema_version)}")
    except BaseException:
        db.close()
        raise
    return db
