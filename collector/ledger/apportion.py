"""Hourly, daily and monthly per-AP rollups of counter deltas (pure, no I/O).

Each delta covers a span [start, end) of wall-clock time. It is shared among the UTC hours the
span touches in proportion to the time it spends in each, with integer arithmetic that keeps
every total exact: traffic is taken to flow evenly over the span, and an hour receives
``floor(total * t_out / T) - floor(total * t_in / T)``, where ``t_in`` and ``t_out`` are the
milliseconds of the span elapsed when it enters and leaves the hour and ``T`` its length. The
parts telescope to exactly ``total``, each is within one unit of its proportional share, and the
result depends only on the inputs (the remainder falls where the running floor steps). A span
of zero length goes wholly to the hour holding its start. Each hour also records the exact
milliseconds it was covered, so gaps are auditable.

Days are Asia/Seoul calendar days (KST, UTC+9, no DST since 1988), built by summing whole UTC
hours: every UTC hour lies inside one KST day, so days, and months made of days, add up to
exactly the sum of the deltas that fed them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Usage:
    """Amounts in one bucket: bytes each way, new sessions, and milliseconds covered."""

    rx_bytes: int = 0
    tx_bytes: int = 0
    sessions: int = 0
    covered_ms: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.rx_bytes + other.rx_bytes,
            self.tx_bytes + other.tx_bytes,
            self.sessions + other.sessions,
            self.covered_ms + other.covered_ms,
        )


HourKey = tuple[str, int]  # (ap, UTC hour start in epoch seconds)
DayKey = tuple[str, date]  # (ap, KST calendar day)
MonthKey = tuple[str, int, int]  # (ap, year, month) in KST


def to_ms(ts: float) -> int:
    """Epoch seconds (int or float) to integer milliseconds, rounded to nearest."""
    return round(ts * 1000)


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` by non-negative integer ``weights``; the parts sum exactly to ``total``."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("apportion needs a positive total weight")
    parts: list[int] = []
    done = 0
    given = 0
    for weight in weights:
        done += weight
        upto = total * done // whole
        parts.append(upto - given)
        given = upto
    return parts


def split_hourly(
    ap: str, start_ts: float, end_ts: float, rx_bytes: int, tx_bytes: int, sessions: int
) -> dict[HourKey, Usage]:
    """Share one delta among the UTC hours of [start_ts, end_ts) (see module doc)."""
    if min(rx_bytes, tx_bytes, sessions) < 0:
        raise ValueError(f"{ap}: negative delta ({rx_bytes}, {tx_bytes}, {sessions})")
    start, end = to_ms(start_ts), to_ms(end_ts)
    if end < start:
        raise ValueError(f"{ap}: span ends before it starts ({start_ts} > {end_ts})")
    first_hour = start - start % HOUR_MS
    if end == start:
        return {(ap, first_hour // 1000): Usage(rx_bytes, tx_bytes, sessions, 0)}
    hours: list[int] = []
    weights: list[int] = []
    hour = first_hour
    while hour < end:
        weights.append(min(end, hour + HOUR_MS) - max(start, hour))
        hours.append(hour // 1000)
        hour += HOUR_MS
    parts = zip(
        apportion(rx_bytes, weights),
        apportion(tx_bytes, weights),
        apportion(sessions, weights),
        weights,
        strict=True,
    )
    return {(ap, h): Usage(*p) for h, p in zip(hours, parts, strict=True)}


@lru_cache(maxsize=65_536)
def seoul_day(hour_start: int) -> date:
    """The KST day holding the UTC hour starting at ``hour_start`` (epoch seconds)."""
    first = datetime.fromtimestamp(hour_start, SEOUL).date()
    last = datetime.fromtimestamp(hour_start + 3599, SEOUL).date()
    if first != last:
        raise ValueError(f"UTC hour {hour_start} straddles two Asia/Seoul days")
    return first


def add_into(target: dict[HourKey, Usage], shares: Mapping[HourKey, Usage]) -> None:
    """Accumulate hourly shares into ``target``."""
    for key, usage in shares.items():
        old = target.get(key)
        target[key] = usage if old is None else old + usage


def daily(hourly: Mapping[HourKey, Usage]) -> dict[DayKey, Usage]:
    """Per-AP KST days, each the exact sum of its UTC hours."""
    days: dict[DayKey, Usage] = {}
    for (ap, hour), usage in hourly.items():
        key = (ap, seoul_day(hour))
        old = days.get(key)
        days[key] = usage if old is None else old + usage
    return days


def monthly(days: Mapping[DayKey, Usage]) -> dict[MonthKey, Usage]:
    """Per-AP KST months, each the exact sum of its days."""
    months: dict[MonthKey, Usage] = {}
    for (ap, day), usage in days.items():
        key = (ap, day.year, day.month)
        old = months.get(key)
        months[key] = usage if old is None else old + usage
    return months


class Ledger:
    """An in-memory ledger: add deltas, read hours, days and months."""

    def __init__(self) -> None:
        self._hours: dict[HourKey, Usage] = {}

    def add(
        self,
        ap: str,
        start_ts: float,
        end_ts: float,
        rx_bytes: int,
        tx_bytes: int,
        sessions: int,
    ) -> None:
        add_into(self._hours, split_hourly(ap, start_ts, end_ts, rx_bytes, tx_bytes, sessions))

    def add_many(self, rows: Iterable[tuple[str, float, float, int, int, int]]) -> None:
        for row in rows:
            self.add(*row)

    def hourly(self) -> dict[HourKey, Usage]:
        return dict(self._hours)

    def daily(self) -> dict[DayKey, Usage]:
        return daily(self._hours)

    def monthly(self) -> dict[MonthKey, Usage]:
        return monthly(daily(self._hours))
