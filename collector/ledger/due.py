"""Which hours are due for the ledger, and a runner that rolls them up and remembers.

State is one tiny file, ``rollup.json`` in the data directory: the last UTC hour rolled up,
replaced atomically (write, fsync, rename, fsync the directory). Without it, rolling starts at
the hour holding the earliest stored delta's span.

An hour H is due once every delta touching it should be stored: the poll that ends the hour's
last span comes up to one poll interval after H + 1 h, so H is due when
``now >= H + 1 h + poll_interval_s + grace_s``. Data stored later than that (a spool replaying
after an InfluxDB outage, a collector restarted after minutes) is picked up by ``redo_hours``
(the last hours are rolled again on each run; rolling up is idempotent) and by the day's last
hour, which recomputes the whole day. Anything older can be redone by calling
:func:`collector.ledger.rollup.roll_up` for those hours.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from collector.errors import InputError
from collector.influx.query import quote_ident
from collector.influx.schema import RADIO_POLL
from collector.inventory.model import AccessPoint
from collector.ledger.polls import QueryClient
from collector.ledger.rollup import (
    DEFAULT_LOOKBACK_S,
    HOUR_S,
    DaySink,
    RollupResult,
    Sink,
    kst_day_start,
    roll_up,
)

STATE_FILE = "rollup.json"
DEFAULT_GRACE_S = 120


def load_last_hour(data_dir: Path) -> int | None:
    """The last hour rolled up, or ``None`` when there is no state yet."""
    path = data_dir / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError.at(str(path), 0, f"cannot read: {error.strerror}") from None
    try:
        value = json.loads(text)["last_hour"]
    except (ValueError, KeyError, TypeError):
        raise InputError.at(str(path), 1, 'not a roll-up state (want {"last_hour": N})') from None
    if type(value) is not int or value % HOUR_S:
        raise InputError.at(str(path), 1, f"last_hour must be a whole UTC hour, got {value!r}")
    return value


def save_last_hour(data_dir: Path, hour: int) -> None:
    """Replace the state atomically."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / STATE_FILE
    tmp = path.with_name(STATE_FILE + ".tmp")
    with tmp.open("w", encoding="utf-8") as file:
        json.dump({"last_hour": hour}, file)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    tmp.replace(path)
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def first_hour(query: QueryClient, lookback_s: int = DEFAULT_LOOKBACK_S) -> int | None:
    """The hour holding the earliest span start among the first ``lookback_s`` of data."""
    name = quote_ident(RADIO_POLL.name)
    first = f'SELECT first("interval_s") FROM {name}'  # noqa: S608 - quoted identifier
    rows = [r for s in query.series(first) for r in s.rows()]
    if not rows:
        return None
    earliest = int(rows[0]["time"])
    text = (
        f'SELECT max("interval_s") FROM {name} '  # noqa: S608
        f"WHERE time >= {earliest}s AND time <= {earliest + lookback_s}s"
    )
    longest = [r for s in query.series(text) for r in s.rows()]
    reach = min(lookback_s, max(0, int(longest[0]["max"] or 0))) if longest else 0
    start = earliest - reach
    return start - start % HOUR_S


def last_due_hour(now: float, poll_interval_s: int, grace_s: int = DEFAULT_GRACE_S) -> int:
    """The latest hour H with ``H + 1 h + poll_interval_s + grace_s <= now``."""
    settled = int(now) - poll_interval_s - grace_s
    return settled - settled % HOUR_S - HOUR_S


def due_hours(
    query: QueryClient,
    data_dir: Path,
    now: float,
    poll_interval_s: int,
    *,
    grace_s: int = DEFAULT_GRACE_S,
    redo_hours: int = 3,
    lookback_s: int = DEFAULT_LOOKBACK_S,
) -> range:
    """Hours to roll up now: after the last one rolled (less ``redo_hours``), up to the due one."""
    last = load_last_hour(data_dir)
    start = first_hour(query, lookback_s) if last is None else last + HOUR_S - redo_hours * HOUR_S
    end = last_due_hour(now, poll_interval_s, grace_s)
    if start is None or start > end:
        return range(0)
    return range(start, end + HOUR_S, HOUR_S)


def run_due(
    query: QueryClient,
    sink: Sink,
    inventory: Iterable[AccessPoint],
    data_dir: Path,
    now: float,
    poll_interval_s: int,
    *,
    grace_s: int = DEFAULT_GRACE_S,
    redo_hours: int = 3,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    on_day: DaySink | None = None,
) -> RollupResult:
    """Roll up the due hours one KST day at a time, saving the state after each day.

    ``on_day`` gets each closed day (the ledger's local copy, :mod:`collector.ledger.mirror`).
    """
    aps = list(inventory)
    total = RollupResult()
    hours = due_hours(
        query,
        data_dir,
        now,
        poll_interval_s,
        grace_s=grace_s,
        redo_hours=redo_hours,
        lookback_s=lookback_s,
    )
    batch: list[int] = []
    for hour in hours:
        batch.append(hour)
        if hour == hours[-1] or kst_day_start(hour + HOUR_S) != kst_day_start(batch[0]):
            total.merge(roll_up(query, sink, aps, batch, lookback_s, on_day=on_day))
            save_last_hour(data_dir, batch[-1])
            batch = []
    return total
