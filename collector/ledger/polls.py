"""Reading ``radio_poll`` deltas back from InfluxDB: InfluxQL text and row decoding.

Shared by the ledger rollup (:mod:`collector.ledger.rollup`) and ``pubwifi usage``
(:mod:`collector.ledger.usage`). A stored delta covers the span ``[time - interval_s, time)`` (whole
seconds). Statements are built here only, so the fake client in the unit tests and the real
InfluxDB see the same text. Times are epoch-second literals (``1735657200s``), which InfluxDB
1.x, 2.x (v1 compatibility) and 3.x all accept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from collector.influx.query import Series, quote_ident, quote_literal
from collector.influx.schema import AP_TAGS, RADIO_POLL, RADIO_TAGS

DELTA_FIELDS = ("rx_bytes", "tx_bytes", "sessions", "interval_s")
SUM_ALIASES = {"rx_bytes": "rx_sum", "tx_bytes": "tx_sum", "sessions": "sessions_sum"}
COVERED_SUM = "interval_sum"


class QueryClient(Protocol):
    """What is needed of :class:`collector.influx.query.InfluxQL`."""

    def series(self, query: str, *, method: str = "GET") -> list[Series]: ...


@dataclass(frozen=True, slots=True)
class TimeRange:
    """``start`` / ``end`` epoch seconds; ``*_open`` says the bound itself is excluded."""

    start: int
    end: int
    start_open: bool = False
    end_open: bool = True

    def where(self) -> str:
        low = ">" if self.start_open else ">="
        high = "<" if self.end_open else "<="
        return f"time {low} {self.start}s AND time {high} {self.end}s"


def tag_filter(tags: Mapping[str, str]) -> str:
    """`` AND "k" = 'v'`` for each tag (empty when there are none)."""
    return "".join(f" AND {quote_ident(k)} = {quote_literal(v)}" for k, v in sorted(tags.items()))


def interval_filter(op: str, seconds: int | None) -> str:
    """`` AND "interval_s" <op> N`` (or nothing)."""
    if seconds is None:
        return ""
    if op not in ("<=", ">"):
        raise ValueError(f"unsupported interval comparison {op!r}")
    return f' AND "interval_s" {op} {seconds}'


_GROUP_BY = " GROUP BY " + ",".join(quote_ident(t) for t in RADIO_TAGS)


def raw_statement(
    span: TimeRange, tags: Mapping[str, str], op: str = "", seconds: int | None = None
) -> str:
    """Every stored delta (the four fields) in ``span``, one series per radio."""
    fields = ",".join(quote_ident(f) for f in DELTA_FIELDS)
    return (
        f"SELECT {fields} FROM {quote_ident(RADIO_POLL.name)} WHERE {span.where()}"  # noqa: S608
        f"{interval_filter(op, seconds)}{tag_filter(tags)}{_GROUP_BY}"
    )


def sum_statement(span: TimeRange, tags: Mapping[str, str], max_interval_s: int) -> str:
    """Per radio, sums of the deltas (and of ``interval_s``) with ``interval_s <= max``."""
    sums = [f"sum({quote_ident(f)}) AS {quote_ident(a)}" for f, a in SUM_ALIASES.items()]
    sums.append(f'sum("interval_s") AS {quote_ident(COVERED_SUM)}')
    return (
        f"SELECT {','.join(sums)} FROM {quote_ident(RADIO_POLL.name)} WHERE {span.where()}"  # noqa: S608
        f"{interval_filter('<=', max_interval_s)}{tag_filter(tags)}{_GROUP_BY}"
    )


def district_values(client: QueryClient) -> list[str]:
    """The ``district`` tag values stored in ``radio_poll`` (the chunks queries go by)."""
    query = f'SHOW TAG VALUES FROM {quote_ident(RADIO_POLL.name)} WITH KEY = "district"'
    return sorted({str(row["value"]) for s in client.series(query) for row in s.rows()})


@dataclass(frozen=True, slots=True)
class Delta:
    """One stored delta of one radio: ``[end - interval_s, end)``; missing fields are 0.

    A row with ``interval_s`` holds a delta for every counter its radio reports (the
    accountant writes ``interval_s`` only then), so a missing field is a counter the radio
    does not have. Rows with deltas but no ``interval_s`` are not decoded into a Delta at all.
    """

    ap: str
    band: str
    end: int
    interval_s: int
    rx_bytes: int
    tx_bytes: int
    sessions: int

    @property
    def start(self) -> int:
        return self.end - self.interval_s


@dataclass(frozen=True, slots=True)
class RadioSum:
    """Server-side sums of one radio's deltas (``covered_s``: the sum of their intervals)."""

    ap: str
    band: str
    rx_bytes: int
    tx_bytes: int
    sessions: int
    covered_s: int


@dataclass(slots=True)
class Decoded:
    """Rows of one request, sorted by kind; ``stored_tags`` are the AP tags seen per AP."""

    deltas: list[Delta]
    sums: list[RadioSum]
    without_interval: int  # rows with a delta but no interval_s (a poll not wholly counted)
    stored_tags: dict[str, dict[str, str]]


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def decode(series: Sequence[Series]) -> Decoded:
    """Turn the series of raw and sum statements into :class:`Delta` / :class:`RadioSum`."""
    out = Decoded([], [], 0, {})
    for s in series:
        ap, band = s.tags.get("ap", ""), s.tags.get("band", "")
        if ap not in out.stored_tags:
            out.stored_tags[ap] = {t: s.tags.get(t, "") for t in AP_TAGS}
        index = {name: i for i, name in enumerate(s.columns)}
        if COVERED_SUM in index:
            for v in s.values:
                out.sums.append(
                    RadioSum(
                        ap,
                        band,
                        _int(v[index["rx_sum"]]),
                        _int(v[index["tx_sum"]]),
                        _int(v[index["sessions_sum"]]),
                        _int(v[index[COVERED_SUM]]),
                    )
                )
            continue
        t, rx, tx, ss, iv = (index[c] for c in ("time", *DELTA_FIELDS))
        for v in s.values:
            if v[iv] is None:
                if v[rx] is not None or v[tx] is not None or v[ss] is not None:
                    out.without_interval += 1
                continue
            delta = Delta(ap, band, int(v[t]), int(v[iv]), _int(v[rx]), _int(v[tx]), _int(v[ss]))
            out.deltas.append(delta)
    return out
