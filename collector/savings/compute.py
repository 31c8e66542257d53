"""Savings from the ledger: exact bytes, sessions and KRW per AP, site, district, month or mount.

The window ``[start, end)`` (whole hours) is cut into *pieces*: the ledger's daily points for
whole KST days and hourly points around them (:func:`collector.ledger.usage.ledger_buckets`),
each piece further cut where the tariff in force changes (a month spanning two tariff periods
is priced piecewise by day) and at KST month boundaries. For every piece one InfluxQL statement
sums the ledger per AP (all pieces in one request), so a year of 34,000 APs is a few hundred
thousand rows at most. Money is exact per AP and piece (:func:`~collector.savings.money.
krw_exact`), summed exactly, and rounded once at the end (:data:`~collector.savings.money.
ROUNDING_RULE`).

**Coverage** is the share of AP-seconds of the APs expected to carry traffic (inventory APs in a
polled lifecycle state, plus any AP found in the ledger) that the ledger covers (``covered_s``).
**The estimate** for uncovered time (:data:`ESTIMATE_METHOD`) is kept in its own fields, never
added into the measured ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from collector.errors import InputError
from collector.influx.query import quote_ident
from collector.influx.schema import AP_USAGE_HOURLY
from collector.inventory.model import AccessPoint
from collector.ledger.mirror import LedgerMirror
from collector.ledger.polls import QueryClient, tag_filter
from collector.ledger.rollup import HOUR_S
from collector.ledger.usage import ledger_buckets
from collector.savings.figures import Figures
from collector.savings.money import billable_bytes, krw_exact, to_won, won_parts
from collector.savings.tariff import Tariff, TariffBook

KST = dt.timezone(dt.timedelta(hours=9), "KST")
GROUPINGS = ("ap", "site", "district", "month", "mount")
ESTIMATE_METHOD = (
    "ap-mean-rate: for each AP, its measured bytes (and KRW) per covered second in the same "
    "period, applied to its uncovered seconds; an AP with no covered second gets no estimate"
)
ESTIMATE_METHOD_KO = (
    "AP별 평균 속도: 같은 기간 해당 AP의 수집된 1초당 이용량(및 금액)을 수집되지 않은 시간에 "
    "적용; 수집된 시간이 전혀 없는 AP는 추정하지 않음"
)
_ZERO = Decimal(0)
_FIELDS = ("rx_bytes", "tx_bytes", "sessions", "covered_s", "polls", "polls_up")


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of the window read from one measurement and priced by one tariff."""

    measurement: str
    low: int
    high: int
    tariff: Tariff
    month: str  # KST "YYYY-MM"


@dataclass(slots=True)
class ApPeriod:
    """One AP's exact sums over the pieces of one period (the whole window, or one month)."""

    ap: str
    district: str
    period_s: int = 0  # seconds of the window in this period (the AP's expected seconds)
    rx_bytes: int = 0
    tx_bytes: int = 0
    sessions: int = 0
    covered_s: int = 0
    polls: int = 0
    polls_up: int = 0
    krw: Decimal = field(default_factory=Decimal)

    @property
    def gap_s(self) -> int:
        return max(0, self.period_s - self.covered_s)

    def estimate(self) -> tuple[int, Decimal]:
        """(bytes, KRW) for the uncovered seconds at this AP's own covered-time rate."""
        if self.covered_s <= 0 or self.covered_s >= self.period_s:
            return 0, _ZERO
        total = self.rx_bytes + self.tx_bytes
        return total * self.gap_s // self.covered_s, self.krw * self.gap_s / self.covered_s


@dataclass(frozen=True, slots=True)
class SavingsRow:
    key: str  # AP id, site id, district code, "YYYY-MM" or mount type
    label: str  # site name, district name (English / 한국어), ...
    figures: Figures


@dataclass(frozen=True, slots=True)
class TariffSpan:
    tariff: Tariff
    first_day: dt.date
    last_day: dt.date  # inclusive


@dataclass(frozen=True, slots=True)
class SavingsTable:
    start: int
    end: int
    by: str
    rows: tuple[SavingsRow, ...]
    total: Figures
    tariffs: tuple[TariffSpan, ...]
    estimate_method: str = ESTIMATE_METHOD

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start,
            "to": self.end,
            "by": self.by,
            "tariffs": [
                {
                    "id": s.tariff.id,
                    "krw_per_gb": str(s.tariff.krw_per_gb),
                    "counts": list(s.tariff.counts),
                    "first_day": s.first_day.isoformat(),
                    "last_day": s.last_day.isoformat(),
                }
                for s in self.tariffs
            ],
            "estimate_method": self.estimate_method,
            "rows": [
                {"key": r.key, "label": r.label, **figures_dict(r.figures)} for r in self.rows
            ],
            "total": figures_dict(self.total),
        }


def figures_dict(f: Figures) -> dict[str, Any]:
    coverage, availability = f.coverage, f.availability
    return {
        "rx_bytes": f.rx_bytes,
        "tx_bytes": f.tx_bytes,
        "bytes": f.total_bytes,
        "tb": str(f.tb),
        "sessions": f.sessions,
        "krw": f.krw,
        "krw_exact": str(f.krw_exact),
        "est_bytes": f.est_bytes,
        "est_krw": f.est_krw,
        "aps": f.aps,
        "aps_with_gaps": f.aps_with_gaps,
        "covered_ap_s": f.covered_ap_s,
        "expected_ap_s": f.expected_ap_s,
        "coverage": None if coverage is None else float(round(coverage, 6)),
        "polls": f.polls,
        "polls_up": f.polls_up,
        "availability": None if availability is None else float(round(availability, 6)),
    }


def kst_day(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, KST).date()


def kst_midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=KST).timestamp())


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def pieces(start: int, end: int, book: TariffBook) -> list[Piece]:
    """The window cut by ledger measurement, tariff period and KST month (module doc)."""
    out: list[Piece] = []
    for measurement, low, high, _ in ledger_buckets(start, end):
        if measurement == AP_USAGE_HOURLY.name:  # inside one KST day
            day = kst_day(low)
            out.append(Piece(measurement, low, high, book.in_force(day), month_of(day)))
            continue
        first, end_day = kst_day(low), kst_day(high)
        for p_first, p_end, tariff in book.periods(first, end_day):
            day = p_first
            while day < p_end:  # split at month starts
                nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
                stop = min(nxt, p_end)
                out.append(
                    Piece(measurement, kst_midnight(day), kst_midnight(stop), tariff, month_of(day))
                )
                day = stop
    return out


def statement(piece: Piece, tags: dict[str, str]) -> str:
    sums = ",".join(f'sum("{f}") AS "{f}"' for f in _FIELDS)
    return (
        f"SELECT {sums} FROM {quote_ident(piece.measurement)} "  # noqa: S608
        f"WHERE time >= {piece.low}s AND time < {piece.high}s{tag_filter(tags)} "
        'GROUP BY "ap","district"'
    )


def read_ap_periods(
    query: QueryClient,
    start: int,
    end: int,
    book: TariffBook,
    *,
    inventory: Iterable[AccessPoint] = (),
    by_month: bool = False,
    district: str | None = None,
    mirror: LedgerMirror | None = None,
) -> tuple[dict[tuple[str, str], ApPeriod], list[Piece]]:
    """Per (AP, period) exact sums; the period is the KST month or ``"*"`` (the whole window).

    Whole days come from ``mirror`` (the ledger's local copy) when it holds every day of the
    piece, else from InfluxDB (:mod:`collector.ledger.mirror` says why).
    """
    if end <= start:
        raise InputError.at("--to", 0, f"must be after --from ({end} <= {start})")
    cut = pieces(start, end, book)
    tags = {} if district is None else {"district": district}
    periods: dict[tuple[str, str], ApPeriod] = {}
    span_s: dict[str, int] = {}
    for piece in cut:
        key = piece.month if by_month else "*"
        span_s[key] = span_s.get(key, 0) + piece.high - piece.low
    expected = [
        ap for ap in inventory if ap.status.is_polled and district in (None, ap.district.code)
    ]
    for ap in expected:
        for key, seconds in span_s.items():
            periods[(ap.id, key)] = ApPeriod(ap.id, ap.district.code, seconds)
    for piece in cut if by_month else merged(cut):  # a request per piece (module doc)
        key = piece.month if by_month else "*"
        for ap_id, ap_district, values in piece_sums(query, piece, tags, mirror):
            entry = periods.get((ap_id, key))
            if entry is None:
                entry = periods[(ap_id, key)] = ApPeriod(ap_id, ap_district, span_s[key])
            rx, tx, sessions, covered, polls, polls_up = values
            entry.rx_bytes += rx
            entry.tx_bytes += tx
            entry.sessions += sessions
            entry.covered_s += covered
            entry.polls += polls
            entry.polls_up += polls_up
            entry.krw += krw_exact(billable_bytes(rx, tx, piece.tariff), piece.tariff)
    return periods, cut


def merged(cut: Sequence[Piece]) -> list[Piece]:
    """Adjacent daily pieces priced by the same tariff as one (money is linear in bytes and
    exact per piece, so the sums are the same; a year is then one read, not twelve)."""
    out: list[Piece] = []
    for piece in cut:
        last = out[-1] if out else None
        if (
            last is not None
            and piece.measurement != AP_USAGE_HOURLY.name
            and last.measurement == piece.measurement
            and last.tariff == piece.tariff
            and last.high == piece.low
        ):
            out[-1] = Piece(last.measurement, last.low, piece.high, last.tariff, last.month)
        else:
            out.append(piece)
    return out


def piece_sums(
    query: QueryClient, piece: Piece, tags: dict[str, str], mirror: LedgerMirror | None
) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """Per AP (id, district, sums in the order of ``_FIELDS``) over one piece."""
    if mirror is not None and piece.measurement != AP_USAGE_HOURLY.name:
        held = mirror.ap_sums(piece.low, piece.high, tags.get("district"))
        if held is not None:
            for ap_id, (ap_district, values) in held.items():
                yield ap_id, ap_district, tuple(values)
            return
    for series in query.series(statement(piece, tags)):
        district = series.tags.get("district", "")
        for row in series.rows():
            yield series.tags.get("ap", ""), district, tuple(int(row.get(f) or 0) for f in _FIELDS)


@dataclass(slots=True)
class GroupSums:
    """Exact sums of one group of AP periods, before any rounding."""

    rx: int = 0
    tx: int = 0
    sessions: int = 0
    krw: Decimal = field(default_factory=Decimal)
    est_bytes: int = 0
    est_krw: Decimal = field(default_factory=Decimal)
    aps: set[str] = field(default_factory=set)
    gapped: set[str] = field(default_factory=set)
    covered: int = 0
    expected: int = 0
    polls: int = 0
    polls_up: int = 0

    def merge(self, g: GroupSums) -> None:
        self.rx += g.rx
        self.tx += g.tx
        self.sessions += g.sessions
        self.krw += g.krw
        self.est_bytes += g.est_bytes
        self.est_krw += g.est_krw
        self.aps |= g.aps
        self.gapped |= g.gapped
        self.covered += g.covered
        self.expected += g.expected
        self.polls += g.polls
        self.polls_up += g.polls_up

    def add(self, p: ApPeriod) -> None:
        self.rx += p.rx_bytes
        self.tx += p.tx_bytes
        self.sessions += p.sessions
        self.krw += p.krw
        est_bytes, est_krw = p.estimate()
        if est_bytes:
            self.est_bytes += est_bytes
        if est_krw:
            self.est_krw += est_krw
        self.aps.add(p.ap)
        covered, period = p.covered_s, p.period_s
        if covered < period:
            self.gapped.add(p.ap)
            self.covered += covered
        else:
            self.covered += period
        self.expected += p.period_s
        self.polls += p.polls
        self.polls_up += p.polls_up


def sum_groups(groups: Iterable[tuple[str, Iterable[ApPeriod]]]) -> list[tuple[str, GroupSums]]:
    """Exact sums per group (in the order given)."""
    sums: list[tuple[str, GroupSums]] = []
    for key, members in groups:
        group = GroupSums()
        for member in members:
            group.add(member)
        sums.append((key, group))
    return sums


def merge_groups(parts: Iterable[tuple[str, GroupSums]]) -> list[tuple[str, GroupSums]]:
    """Sums of the same key added together (new objects), sorted by key: the sums of groups
    split into parts (a site's APs by district, a mount type's by district) made whole."""
    merged: dict[str, GroupSums] = {}
    for key, group in parts:
        merged.setdefault(key, GroupSums()).merge(group)
    return sorted(merged.items())


def group_figures(
    groups: Sequence[tuple[str, Iterable[ApPeriod]]],
) -> tuple[list[tuple[str, Figures]], Figures]:
    """Figures per group and their total; won apportioned so the rows add up to the total."""
    return figures_of(sum_groups(groups))


def figures_of(sums: Sequence[tuple[str, GroupSums]]) -> tuple[list[tuple[str, Figures]], Figures]:
    """:func:`group_figures` from sums already made."""
    total = GroupSums()
    for _, group in sums:
        total.merge(group)
    krw = won_parts([g.krw for _, g in sums])
    est = won_parts([g.est_krw for _, g in sums])
    rows = [(key, _figures(g, krw[i], est[i])) for i, (key, g) in enumerate(sums)]
    return rows, _figures(total, to_won(total.krw), to_won(total.est_krw))


def top_figures(sums: Sequence[tuple[str, GroupSums]], n: int) -> list[tuple[str, Figures]]:
    """The ``n`` rows of :func:`figures_of` with the most bytes (ties by key), made alone:
    the won of each is still apportioned over all the rows."""
    krw = won_parts([g.krw for _, g in sums])
    est = won_parts([g.est_krw for _, g in sums])
    order = sorted(range(len(sums)), key=lambda i: (-(sums[i][1].rx + sums[i][1].tx), sums[i][0]))
    return [(sums[i][0], _figures(sums[i][1], krw[i], est[i])) for i in order[:n]]


def _figures(g: GroupSums, krw: int, est_krw: int) -> Figures:
    return Figures(
        rx_bytes=g.rx,
        tx_bytes=g.tx,
        sessions=g.sessions,
        krw=krw,
        krw_exact=g.krw,
        est_bytes=g.est_bytes,
        est_krw=est_krw,
        aps=len(g.aps),
        aps_with_gaps=len(g.gapped),
        covered_ap_s=g.covered,
        expected_ap_s=g.expected,
        polls=g.polls if g.polls else None,
        polls_up=g.polls_up if g.polls else None,
    )


def grouper(by: str, inventory: Iterable[AccessPoint]) -> Callable[[ApPeriod, str], str]:
    """The group key of an AP period (the period key is the month for ``month``)."""
    known = {ap.id: ap for ap in inventory}

    def key(p: ApPeriod, period: str) -> str:
        ap = known.get(p.ap)
        if by == "ap":
            return p.ap
        if by == "district":
            return ap.district.code if ap else p.district
        if by == "month":
            return period
        if by == "site":
            return ap.site.id if ap else "(not in inventory)"
        return str(ap.site.mount) if ap else "(not in inventory)"

    return key


def labels(by: str, inventory: Iterable[AccessPoint]) -> dict[str, str]:
    out: dict[str, str] = {}
    for ap in inventory:
        if by == "district":
            out[ap.district.code] = f"{ap.district.name_en} {ap.district.name_ko}"
        elif by == "site":
            out[ap.site.id] = ap.site.name
        elif by == "ap":
            out[ap.id] = ap.site.name
    return out


def savings(
    query: QueryClient,
    start: int,
    end: int,
    book: TariffBook,
    *,
    by: str = "district",
    inventory: Sequence[AccessPoint] = (),
    district: str | None = None,
    mirror: LedgerMirror | None = None,
) -> SavingsTable:
    """``pubwifi savings``: the window's measured and estimated savings grouped by ``by``."""
    if by not in GROUPINGS:
        raise InputError.at("--by", 0, f"{by!r}: expected one of {', '.join(GROUPINGS)}")
    if start % HOUR_S or end % HOUR_S:
        raise InputError.at("--from", 0, "savings need --from and --to on whole hours (KST)")
    periods, cut = read_ap_periods(
        query,
        start,
        end,
        book,
        inventory=inventory,
        by_month=by == "month",
        district=district,
        mirror=mirror,
    )
    key_of = grouper(by, inventory)
    members: dict[str, list[ApPeriod]] = {}
    for (_, period), entry in periods.items():
        members.setdefault(key_of(entry, period), []).append(entry)
    rows, total = group_figures(sorted(members.items()))
    names = labels(by, inventory)
    return SavingsTable(
        start,
        end,
        by,
        tuple(SavingsRow(key, names.get(key, ""), figures) for key, figures in rows),
        total,
        tariff_spans(cut),
    )


def tariff_spans(cut: Sequence[Piece]) -> tuple[TariffSpan, ...]:
    spans: list[TariffSpan] = []
    for piece in cut:
        first, last = kst_day(piece.low), kst_day(piece.high - 1)
        if spans and spans[-1].tariff.id == piece.tariff.id:
            spans[-1] = TariffSpan(piece.tariff, spans[-1].first_day, max(last, spans[-1].last_day))
        else:
            spans.append(TariffSpan(piece.tariff, first, last))
    return tuple(spans)


__all__ = ["ESTIMATE_METHOD", "GROUPINGS", "SavingsTable", "savings"]
