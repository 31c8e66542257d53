"""The daily ledger's local copy (SQLite), so savings and reports answer at fleet scale.

Why: InfluxDB 1.6.7 (the one packaged here) pays per series, not per point. At 34,000 APs a
``sum() ... GROUP BY "ap"`` over one month of ``ap_usage_daily`` took 37-48 s on weekly
shards and 7-8 s on one shard even with a single point per series
(``benchmarks/bench_savings.py --influx-peer`` measures it), and savings need per-AP sums
(coverage, gaps and the estimate are per AP). SQLite sums 34,000 rows per month in
milliseconds.

What: every KST day the roll-up closes (:func:`collector.ledger.rollup.roll_up`, ``on_day``)
is stored here with exactly the values of the ``ap_usage_daily`` points written for it, in
the same call, one transaction per day:

- ``daily`` (day, ap): the day's fields (:data:`collector.ledger.stored.FIELDS`);
- ``monthly`` (month, ap): their sums per KST month, kept incrementally (a day written again
  first takes its old values out), so a month is one indexed read of 34,000 rows;
- ``days``: which days are here, with their point count and when they were written;
- ``district_days`` (day, district): the district's sums per day (the report's daily chart).

Readers ask only for whole KST days and only get an answer when *every* day asked for is
here (:meth:`LedgerMirror.ap_sums` returns ``None`` otherwise); the caller then reads InfluxDB,
which stays the ledger of record. A day rolled up again overwrites its copy exactly as InfluxDB
overwrites its points. ``pubwifi ledger mirror`` fills the copy from InfluxDB for days closed
before it existed (or after the data directory was lost).

**Limit:** the copy is written when the roll-up emits the day's points, before the spool ships
them; a point the write path then loses (counted in ``pubwifi_points_dropped_total``) is here
but not in InfluxDB until the day is rolled up again.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from collector.ledger.stored import FIELDS
from collector.sqlitedb import open_db

DAY_S = 86_400
KST = dt.timezone(dt.timedelta(hours=9), "KST")
FILE_NAME = "ledger.sqlite"
SCHEMA_VERSION = 1

_COLS = ", ".join(FIELDS)
_SUMS = ", ".join(f"sum({f})" for f in FIELDS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS daily (
    day INTEGER NOT NULL, ap TEXT NOT NULL, district TEXT NOT NULL,
    {", ".join(f"{f} INTEGER NOT NULL" for f in FIELDS)},
    PRIMARY KEY (day, ap)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS monthly (
    month INTEGER NOT NULL, ap TEXT NOT NULL, district TEXT NOT NULL,
    {", ".join(f"{f} INTEGER NOT NULL" for f in FIELDS)},
    PRIMARY KEY (month, ap)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS days (
    day INTEGER PRIMARY KEY, points INTEGER NOT NULL, written_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS district_days (
    day INTEGER NOT NULL, district TEXT NOT NULL,
    {", ".join(f"{f} INTEGER NOT NULL" for f in FIELDS)},
    PRIMARY KEY (day, district)) WITHOUT ROWID;
"""

_MARKS = ", ".join("?" * len(FIELDS))
# The statements below interpolate only the constants above (column names), never input.
_OLD_DAY = f"SELECT ap, district, {_COLS} FROM daily WHERE day = ?"
_PUT_DAY = f"INSERT INTO daily VALUES (?, ?, ?, {_MARKS})"
_ADD_MONTH = (
    f"INSERT INTO monthly VALUES (?, ?, ?, {_MARKS}) ON CONFLICT (month, ap) DO UPDATE SET "
    + ", ".join(["district = excluded.district", *(f"{f} = {f} + excluded.{f}" for f in FIELDS)])
)
_PUT_DISTRICT_DAY = f"INSERT INTO district_days VALUES (?, ?, {_MARKS})"

#: One AP's day: (ap id, district code, values in the order of ``FIELDS``).
DayRow = tuple[str, str, Sequence[int]]


def kst_day_start(ts: int) -> int:
    day = dt.datetime.fromtimestamp(ts, KST).date()
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=KST).timestamp())


def month_start(day_start: int) -> int:
    day = dt.datetime.fromtimestamp(day_start, KST).date()
    return int(dt.datetime(day.year, day.month, 1, tzinfo=KST).timestamp())


def next_month(start: int) -> int:
    day = dt.datetime.fromtimestamp(start, KST).date()
    first = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return int(dt.datetime(first.year, first.month, 1, tzinfo=KST).timestamp())


class LedgerMirror:
    """The local copy of ``ap_usage_daily`` (module doc); safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_db(path, _SCHEMA, schema_version=SCHEMA_VERSION, what="ledger copy")

    @classmethod
    def in_dir(cls, data_dir: Path) -> LedgerMirror:
        return cls(Path(data_dir) / "ledger" / FILE_NAME)

    @classmethod
    def existing(cls, data_dir: Path) -> LedgerMirror | None:
        """The copy in ``data_dir`` if there is one (readers never create it)."""
        path = Path(data_dir) / "ledger" / FILE_NAME
        return cls(path) if path.exists() else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------------

    def put_day(self, day: int, rows: Iterable[DayRow], *, now: float | None = None) -> int:
        """Store the KST day starting at ``day`` (replacing any copy of it); returns rows."""
        if day != kst_day_start(day):
            raise ValueError(f"{day} is not the start of a KST day")
        clean = [(ap, district, [int(v) for v in values]) for ap, district, values in rows]
        if any(len(values) != len(FIELDS) for _, _, values in clean):
            raise ValueError(f"a ledger day row needs {len(FIELDS)} values: {FIELDS}")
        fresh = [(day, ap, district, *values) for ap, district, values in clean]
        month = month_start(day)
        width = len(FIELDS)
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                old = db.execute(_OLD_DAY, (day,)).fetchall()
                deltas = [(month, ap, d, *(-v for v in vals)) for ap, d, *vals in old]
                deltas += [(month, ap, d, *vals) for _, ap, d, *vals in fresh]
                db.execute("DELETE FROM daily WHERE day = ?", (day,))
                db.executemany(_PUT_DAY, fresh)
                db.executemany(_ADD_MONTH, deltas)
                for ap in {r[0] for r in old} - {r[1] for r in fresh}:  # gone from the day
                    left = db.execute(
                        "SELECT 1 FROM daily WHERE ap = ? AND day >= ? AND day < ? LIMIT 1",
                        (ap, month, next_month(month)),
                    ).fetchone()
                    if left is None:
                        db.execute("DELETE FROM monthly WHERE month = ? AND ap = ?", (month, ap))
                totals: dict[str, list[int]] = {}
                for _, district, values in clean:
                    total = totals.setdefault(district, [0] * width)
                    for i, v in enumerate(values):
                        total[i] += v
                db.execute("DELETE FROM district_days WHERE day = ?", (day,))
                db.executemany(_PUT_DISTRICT_DAY, [(day, d, *vals) for d, vals in totals.items()])
                db.execute(
                    "INSERT OR REPLACE INTO days VALUES (?, ?, ?)",
                    (day, len(fresh), int(time.time() if now is None else now)),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(fresh)

    # -- reading -------------------------------------------------------------------------

    def days_held(self, low: int, high: int) -> set[int]:
        with self._lock:
            found = self._db.execute(
                "SELECT day FROM days WHERE day >= ? AND day < ?", (low, high)
            ).fetchall()
        return {d for (d,) in found}

    def holds(self, low: int, high: int) -> bool:
        """Whether every KST day in ``[low, high)`` (whole days) is here."""
        return len(self.days_held(low, high)) == len(_day_starts(low, high))

    def ap_sums(
        self, low: int, high: int, district: str | None = None
    ) -> dict[str, tuple[str, list[int]]] | None:
        """Per AP ``(district, sums of FIELDS)`` over the whole KST days ``[low, high)``.

        ``None`` unless every day is here. Whole KST months are read from ``monthly``, the
        days around them from ``daily``.
        """
        if low != kst_day_start(low) or high != kst_day_start(high):
            raise ValueError("the ledger copy holds whole KST days only")
        if not self.holds(low, high):
            return None
        where = "" if district is None else " AND district = ?"
        extra: tuple[str, ...] = () if district is None else (district,)
        out: dict[str, tuple[str, list[int]]] = {}
        with self._lock:
            for table, key, a, b in _spans(low, high):
                answer = self._db.execute(
                    f"SELECT ap, district, {_SUMS} FROM {table} "
                    f"WHERE {key} >= ? AND {key} < ?{where} GROUP BY ap",
                    (a, b, *extra),
                )
                for ap, ap_district, *values in answer:
                    entry = out.get(ap)
                    if entry is None:
                        out[ap] = (ap_district, list(values))
                    else:
                        for i, v in enumerate(values):
                            entry[1][i] += v
        return out

    def ap_days(self, ap: str, days: Sequence[int]) -> dict[int, list[int]]:
        """The AP's stored days among ``days`` (KST day starts): day -> values of FIELDS."""
        if not days:
            return {}
        marks = ",".join("?" * len(days))
        with self._lock:
            answer = self._db.execute(
                f"SELECT day, {_COLS} FROM daily WHERE day IN ({marks}) AND ap = ?",
                (*days, ap),
            ).fetchall()
        return {day: list(values) for day, *values in answer}

    def district_days(self, low: int, high: int) -> dict[str, dict[int, list[int]]] | None:
        """district -> KST day start -> sums of FIELDS over ``[low, high)``; ``None`` unless
        every day is here."""
        if not self.holds(low, high):
            return None
        with self._lock:
            answer = self._db.execute(
                f"SELECT district, day, {_COLS} FROM district_days WHERE day >= ? AND day < ?",
                (low, high),
            ).fetchall()
        out: dict[str, dict[int, list[int]]] = {}
        for district, day, *values in answer:
            out.setdefault(district, {})[day] = list(values)
        return out


def _day_starts(low: int, high: int) -> list[int]:
    out, day = [], kst_day_start(low)
    while day < high:
        if day >= low:
            out.append(day)
        day = kst_day_start(day + DAY_S + 3600)  # KST has no DST; +1 h is only a guard
    return out


def _spans(low: int, high: int) -> list[tuple[str, str, int, int]]:
    """``[low, high)`` as (table, key column, from, to): whole months monthly, the rest daily."""
    out: list[tuple[str, str, int, int]] = []
    cursor = low
    while cursor < high:
        start = month_start(cursor)
        end = next_month(start)
        if cursor == start and end <= high:
            if out and out[-1][0] == "monthly" and next_month(out[-1][3] - 1) == start:
                out[-1] = ("monthly", "month", out[-1][2], start + 1)  # one read for them all
            else:
                out.append(("monthly", "month", start, start + 1))
        else:
            out.append(("daily", "day", cursor, min(end, high)))
        cursor = min(end, high)
    return out
