"""The one opener of the collector's SQLite files, as each of its three stores uses it."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from collector.ledger.mirror import LedgerMirror
from collector.rollout.store import RolloutStore
from collector.sqlitedb import open_db
from collector.ssh.factstore import FactStore

TABLE = "CREATE TABLE IF NOT EXISTS t (x INTEGER);"


def test_read_write_makes_the_folder_and_a_wal_file_of_the_schema(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a" / "x.sqlite", TABLE, schema_version=3)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    assert db.isolation_level is None
    db.close()


def test_read_only_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        open_db(tmp_path / "missing.sqlite", TABLE, readonly=True)
    assert not (tmp_path / "missing.sqlite").exists()


@pytest.mark.parametrize(
    ("open_store", "words"),
    [
        (lambda p: RolloutStore(p), "rollout store"),
        (lambda p: RolloutStore(p, readonly=True), "rollout store"),
        (lambda p: LedgerMirror(p), "ledger copy"),
    ],
)
def test_a_newer_schema_is_refused_in_the_stores_words(
    tmp_path: Path, open_store: object, words: str
) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=2")
    with pytest.raises(RuntimeError) as raised:
        open_store(path)  # type: ignore[operator]
    assert str(raised.value) == f"{path}: {words} schema 2, this pubwifi knows 1"


def test_the_facts_store_is_private_and_keeps_sqlites_transactions(tmp_path: Path) -> None:
    store = FactStore.in_data_dir(tmp_path)
    path = tmp_path / "ssh" / "facts.sqlite"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store._db.isolation_level == ""  # implicit transactions, ended by commit()
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == 0  # no version kept
    store.close()
