"""The ledger, derived from what is stored: ``radio_poll`` deltas -> ``ap_usage_hourly/daily``.

For each UTC hour H, every stored delta whose span ``[time - interval_s, time)`` meets ``[H, H +
1 h)`` is shared out with :func:`collector.ledger.apportion.split_hourly` (the one apportioning
rule), and its part for H is summed per AP over the AP's radios. Because that rule telescopes, a
KST day's 24 hourly parts add up to exactly what its deltas carried, and so do months. The daily
point is the exact sum of the day's 24 hourly points: those computed in the same call, plus the
stored ones of its other hours (:mod:`collector.ledger.stored`); if any of those is missing,
they are recomputed from ``radio_poll`` and written again.

Fields: ``rx_bytes``, ``tx_bytes``, ``sessions`` as above; ``covered_s`` is the least any
radio of the AP that has covered time in the hour had covered: the seconds where every radio is
counted, the same rule as ``pubwifi usage`` (:func:`collector.ledger.usage.usage_from_polls`, the
intersection of the radios' spans; a radio with no covered time in the hour does not lower it).
The accountant writes ``interval_s`` on all radio rows of a poll or on none, with one span
(:mod:`collector.collect.accounting`), so within an hour one radio's covered spans lie inside
another's and the least sum is exactly that intersection; it is larger only if two different
radios each went missing from a poll in the same hour. Daily ``covered_s`` is the sum of the
hours'. Every AP in the inventory gets a point each hour (zeros with ``covered_s=0`` when
nothing was stored), so "no data" is visible; APs with stored data that are not in the
inventory are rolled up with their stored tags and counted.

``polls`` / ``polls_up`` (availability): the AP's ``ap_poll`` points stamped in ``[H, H + 1 h)``
(the poll time: a poll belongs to the hour holding its timestamp) and, of those, the ones with
``up=1``. The accountant writes one ``ap_poll`` point per poll of an AP, ``up=0`` when it did
not answer, so ``polls_up / polls`` is the share of polls answered. Counted by InfluxDB, one
statement per hour and district in the same request as the deltas (:func:`polls_statement`);
an inventory AP without ``ap_poll`` points in the hour gets ``polls=0, polls_up=0``. Daily
values are the sums of the hours', like the other fields. The districts queried by default
are those stored in ``radio_poll`` or ``ap_poll`` (a district whose APs never answered has
polls but no deltas).

Reading is one request per hour and district (the stored ``district`` tag): deltas wholly inside
the hour away from its edges are summed by InfluxDB (one row per radio); only deltas near the
edges, long ones, and the ones ending up to ``lookback_s`` after the hour come back raw.

**Limit:** a delta covering more than ``lookback_s`` (default 48 h: an AP unreachable for two
days) is not put in the ledger at all, in any hour; each such delta is counted once, in the hour
its span ends (:attr:`RollupResult.too_long` and its bytes), so reports can show it. Points are
written again with the same tags and timestamp on a rerun, which InfluxDB stores as an
overwrite: rolling up is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from collector.influx.lineproto import BadPoint
from collector.influx.query import Series, quote_ident
from collector.influx.schema import (
    AP_POLL,
    AP_TAGS,
    AP_USAGE_DAILY,
    AP_USAGE_HOURLY,
    RADIO_POLL,
    ap_tags,
)
from collector.inventory.model import AccessPoint
from collector.ledger.apportion import seoul_day, split_hourly
from collector.ledger.polls import (
    Decoded,
    QueryClient,
    TimeRange,
    decode,
    raw_statement,
    sum_statement,
    tag_filter,
)
from collector.ledger.stored import FIELDS, stored_hours

HOUR_S = 3600
DAY_S = 86_400
KST_OFFSET_S = 9 * HOUR_S
DEFAULT_LOOKBACK_S = 48 * HOUR_S
DEFAULT_EDGE_S = 600

Sink = Callable[[list[str]], object]
#: Told each closed KST day: its start and per AP ``(ap, district, values in FIELDS order)``,
#: exactly the ``ap_usage_daily`` points written (:class:`collector.ledger.mirror.LedgerMirror`).
DaySink = Callable[[int, list[tuple[str, str, Sequence[int]]]], object]


@dataclass(slots=True)
class ApHour:
    """One AP's sums in one hour; ``covered_ms`` per band (radio); its ``ap_poll`` counts."""

    rx_bytes: int = 0
    tx_bytes: int = 0
    sessions: int = 0
    covered_ms: dict[str, int] = field(default_factory=dict)
    polls: int = 0
    polls_up: int = 0

    def add(self, band: str, rx: int, tx: int, sessions: int, covered_ms: int) -> None:
        self.rx_bytes += rx
        self.tx_bytes += tx
        self.sessions += sessions
        self.covered_ms[band] = self.covered_ms.get(band, 0) + covered_ms

    @property
    def covered_s(self) -> int:
        """Seconds every radio with covered time in the hour was counted (module doc)."""
        covered = [ms for ms in self.covered_ms.values() if ms > 0]
        return min(HOUR_S, min(covered, default=0) // 1000)

    def values(self) -> tuple[int, ...]:
        """The point's fields, in the order of :data:`collector.ledger.stored.FIELDS`."""
        return (
            self.rx_bytes,
            self.tx_bytes,
            self.sessions,
            self.covered_s,
            self.polls,
            self.polls_up,
        )


@dataclass(slots=True)
class RollupResult:
    """What a roll-up did, and every delta it could not use (counted, never silent)."""

    hours: list[int] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    lines: int = 0
    rows_read: int = 0
    too_long: int = 0  # deltas over lookback_s: not in the ledger (counted at their end hour)
    too_long_rx_bytes: int = 0
    too_long_tx_bytes: int = 0
    too_long_sessions: int = 0
    without_interval: int = 0  # rows with deltas, no interval_s (of those read raw: hour starts)
    bad_deltas: int = 0  # negative values
    bad_tags: int = 0  # APs outside the inventory whose stored tags do not fit the schema
    hours_from_ledger: int = 0  # hours of completed days summed from stored hourly points
    hours_recomputed: int = 0  # ... recomputed instead (not all stored, or recompute_days)
    aps_not_in_inventory: set[str] = field(default_factory=set)

    def merge(self, other: RollupResult) -> None:
        self.hours += other.hours
        self.days += other.days
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.aps_not_in_inventory |= other.aps_not_in_inventory


_COUNTS = (
    "lines",
    "rows_read",
    "too_long",
    "too_long_rx_bytes",
    "too_long_tx_bytes",
    "too_long_sessions",
    "without_interval",
    "bad_deltas",
    "bad_tags",
    "hours_from_ledger",
    "hours_recomputed",
)


def kst_day_start(ts: int) -> int:
    """Epoch seconds of the KST midnight at or before ``ts``."""
    return ts - (ts + KST_OFFSET_S) % DAY_S


def hour_statements(hour: int, tags: dict[str, str], lookback_s: int, edge_s: int) -> list[str]:
    """The statements that find every delta meeting ``[hour, hour + 1 h)`` (module doc)."""
    edge = max(0, min(edge_s, HOUR_S - 1, lookback_s))
    end = hour + HOUR_S
    statements = [
        sum_statement(TimeRange(hour + edge, end, start_open=True), tags, edge),
        raw_statement(TimeRange(hour, hour + edge, end_open=False), tags),
        raw_statement(TimeRange(hour + edge, end, start_open=True), tags, ">", edge),
        raw_statement(TimeRange(end, end + edge, end_open=False), tags, ">", 0),
    ]
    if lookback_s > edge:
        far = TimeRange(end + edge, end + lookback_s, start_open=True, end_open=False)
        statements.append(raw_statement(far, tags, ">", edge))
    return statements


_POLL_GROUP_BY = " GROUP BY " + ",".join(quote_ident(t) for t in AP_TAGS)


def polls_statement(hour: int, tags: dict[str, str]) -> str:
    """Per AP, its ``ap_poll`` points stamped in ``[hour, hour + 1 h)`` and those with up=1.

    Grouped by every AP tag (not just ``ap``) so an AP outside the inventory has its stored
    tags; an AP whose tags changed within the hour has one series per tag set, summed.
    """
    return (
        f'SELECT count("up") AS "polls",sum("up") AS "polls_up" '  # noqa: S608
        f"FROM {quote_ident(AP_POLL.name)} WHERE time >= {hour}s AND time < {hour + HOUR_S}s"
        f"{tag_filter(tags)}{_POLL_GROUP_BY}"
    )


def _count_polls(
    series: Iterable[Series], aps: dict[str, ApHour], stored_tags: dict[str, dict[str, str]]
) -> None:
    for s in series:
        ap = s.tags.get("ap", "")
        stored_tags.setdefault(ap, {t: s.tags.get(t, "") for t in AP_TAGS})
        usage = aps.setdefault(ap, ApHour())
        for row in s.rows():
            usage.polls += int(row["polls"] or 0)
            usage.polls_up += int(row["polls_up"] or 0)


def _apportion_into(
    hour: int, rows: Decoded, lookback_s: int, aps: dict[str, ApHour], result: RollupResult
) -> None:
    end = hour + HOUR_S
    for s in rows.sums:
        aps.setdefault(s.ap, ApHour()).add(
            s.band, s.rx_bytes, s.tx_bytes, s.sessions, s.covered_s * 1000
        )
    for d in rows.deltas:
        if d.interval_s > lookback_s:
            if hour <= d.end < end:
                result.too_long += 1
                result.too_long_rx_bytes += d.rx_bytes
                result.too_long_tx_bytes += d.tx_bytes
                result.too_long_sessions += d.sessions
            continue
        if d.interval_s < 0 or min(d.rx_bytes, d.tx_bytes, d.sessions) < 0:
            result.bad_deltas += 1
            continue
        if hour <= d.start and d.end <= end and d.interval_s > 0:  # wholly inside
            aps.setdefault(d.ap, ApHour()).add(
                d.band, d.rx_bytes, d.tx_bytes, d.sessions, d.interval_s * 1000
            )
            continue
        part = split_hourly(d.ap, d.start, d.end, d.rx_bytes, d.tx_bytes, d.sessions).get(
            (d.ap, hour)
        )
        if part is not None:
            aps.setdefault(d.ap, ApHour()).add(
                d.band, part.rx_bytes, part.tx_bytes, part.sessions, part.covered_ms
            )


def roll_hour(
    query: QueryClient,
    hour: int,
    chunks: Sequence[str],
    lookback_s: int,
    edge_s: int,
    result: RollupResult,
    stored_tags: dict[str, dict[str, str]],
) -> dict[str, ApHour]:
    """Per-AP sums and poll counts for the hour starting at ``hour`` (one request per
    district chunk: :func:`hour_statements` and :func:`polls_statement`)."""
    aps: dict[str, ApHour] = {}
    for district in chunks:
        tags = {"district": district}
        statements = hour_statements(hour, tags, lookback_s, edge_s)
        text = ";".join([*statements, polls_statement(hour, tags)])
        answer = query.series(text)
        polled = [s for s in answer if s.measurement == AP_POLL.name]
        rows = decode([s for s in answer if s.measurement != AP_POLL.name])
        result.rows_read += len(rows.deltas) + len(rows.sums)
        result.without_interval += rows.without_interval
        for ap, tags in rows.stored_tags.items():
            stored_tags.setdefault(ap, tags)
        _apportion_into(hour, rows, lookback_s, aps, result)
        _count_polls(polled, aps, stored_tags)
    return aps


class _Emitter:
    """Line prefixes per AP (inventory tags first, stored tags for the rest), cached."""

    def __init__(self, inventory: Iterable[AccessPoint], result: RollupResult) -> None:
        self.inventory = {ap.id: ap for ap in inventory}
        self.result = result
        self.stored_tags: dict[str, dict[str, str]] = {}
        self._prefixes: dict[tuple[str, str], str | None] = {}

    def district(self, ap: str) -> str:
        known = self.inventory.get(ap)
        return known.district.code if known else self.stored_tags.get(ap, {}).get("district", "")

    def prefix(self, measurement: str, ap: str) -> str | None:
        key = (measurement, ap)
        if key not in self._prefixes:
            schema = AP_USAGE_HOURLY if measurement == AP_USAGE_HOURLY.name else AP_USAGE_DAILY
            known = self.inventory.get(ap)
            try:
                if known is not None:
                    self._prefixes[key] = schema.prefix(ap_tags(known))
                else:
                    self.result.aps_not_in_inventory.add(ap)
                    self._prefixes[key] = schema.prefix(self.stored_tags.get(ap, {}))
            except BadPoint:
                self.result.bad_tags += 1
                self._prefixes[key] = None
        return self._prefixes[key]


def roll_up(
    query: QueryClient,
    sink: Sink,
    inventory: Iterable[AccessPoint],
    hours: Iterable[int],
    lookback_s: int = DEFAULT_LOOKBACK_S,
    *,
    edge_s: int = DEFAULT_EDGE_S,
    chunks: Sequence[str] | None = None,
    recompute_days: bool = False,
    on_day: DaySink | None = None,
) -> RollupResult:
    """Roll up ``hours`` (UTC hour starts) and every KST day they complete; see module doc.

    ``edge_s`` only tunes how much is read raw (about the poll interval plus slack is best);
    ``chunks`` are district codes to query by (default: the ``district`` values stored in
    ``radio_poll`` or ``ap_poll``).
    A completed day's other hours are summed from their stored hourly points when all are
    there, else (or with ``recompute_days``) recomputed from ``radio_poll``. ``on_day`` gets
    each closed day's points as values (the ledger's local copy).
    """
    result = RollupResult()
    wanted = sorted({h - h % HOUR_S for h in hours})
    if not wanted:
        return result
    last = wanted[-1]
    emitter = _Emitter(inventory, result)
    by_day: dict[int, list[int]] = {}
    for hour in wanted:
        by_day.setdefault(kst_day_start(hour), []).append(hour)
    districts = list(chunks) if chunks is not None else _districts(query)
    for day_start, day_hours in by_day.items():
        day_total: dict[str, list[int]] = {}
        if day_start + DAY_S - HOUR_S <= last:  # the day is complete: close it
            others = sorted(set(range(day_start, day_start + DAY_S, HOUR_S)) - set(day_hours))
            stored = None
            if others and not recompute_days:
                stored = stored_hours(query, others, emitter.inventory)
            if stored is None:
                day_hours = sorted({*day_hours, *others})
                result.hours_recomputed += len(others)
            else:
                day_total = stored
                result.hours_from_ledger += len(others)
        for hour in day_hours:
            aps = roll_hour(query, hour, districts, lookback_s, edge_s, result, emitter.stored_tags)
            for ap_id in emitter.inventory:
                aps.setdefault(ap_id, ApHour())
            lines = []
            for ap_id, usage in sorted(aps.items()):
                values = usage.values()
                total = day_total.setdefault(ap_id, [0] * len(FIELDS))
                for i, value in enumerate(values):
                    total[i] += value
                prefix = emitter.prefix(AP_USAGE_HOURLY.name, ap_id)
                if prefix is not None:
                    lines.append(AP_USAGE_HOURLY.line(prefix, _fields(values), hour))
            sink(lines)
            result.lines += len(lines)
            result.hours.append(hour)
        if day_start + DAY_S - HOUR_S <= last:
            lines = []
            copy: list[tuple[str, str, Sequence[int]]] = []
            for ap_id, sums in sorted(day_total.items()):
                prefix = emitter.prefix(AP_USAGE_DAILY.name, ap_id)
                if prefix is not None:
                    lines.append(AP_USAGE_DAILY.line(prefix, _fields(sums), day_start))
                    copy.append((ap_id, emitter.district(ap_id), sums))
            sink(lines)
            if on_day is not None:
                on_day(day_start, copy)
            result.lines += len(lines)
            result.days.append(seoul_day(day_start))
    return result


def _districts(query: QueryClient) -> list[str]:
    """The ``district`` values stored in ``radio_poll`` or ``ap_poll`` (one request)."""
    text = ";".join(
        f'SHOW TAG VALUES FROM {quote_ident(m.name)} WITH KEY = "district"'
        for m in (RADIO_POLL, AP_POLL)
    )
    return sorted({str(row["value"]) for s in query.series(text) for row in s.rows()})


def _fields(values: Sequence[int]) -> dict[str, int | None]:
    return dict(zip(FIELDS, values, strict=True))
