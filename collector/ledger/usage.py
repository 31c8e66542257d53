"""Per-AP usage read back from InfluxDB, with the coverage that makes each total auditable.

:func:`usage_from_polls` counts the stored ``radio_poll`` deltas whose whole span
``[time - interval_s, time)`` lies inside ``[start, end)`` (a zero-length delta counts when its
time is inside). Deltas that straddle ``start`` or ``end`` are left out and their time shows as
gap (those ending inside the window are counted in ``deltas_left_out``). Per AP: bytes each
way and sessions summed over its radios, ``first_sample`` (start of the earliest counted span),
``last_sample`` (end of the latest), ``covered_s`` (the seconds covered by a counted span on
every radio with covered time in the window: an AP total is exact only where all its radios
are counted; rows without ``interval_s``, written when not every counter of a poll counted,
are counted in ``rows_without_interval`` and cover nothing) and ``gap_s = end - start -
covered_s``. With the same deltas the
totals are exact to the byte. Reads go in time slices (and by district for the whole fleet), so
memory stays bounded; for months of the whole fleet use :func:`usage_from_ledger`.

:func:`usage_from_ledger` sums the ledger instead (``ap_usage_daily`` for whole KST days,
``ap_usage_hourly`` for the hours around them); the window must start and end on whole hours.
There ``covered_s`` is the ledger's (per hour, the least-covered radio: the same rule), the
sample times are not known, and ``missing_buckets`` says how many hours/days had no ledger
point (not rolled up).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from collector.errors import InputError
from collector.influx.query import quote_ident
from collector.influx.schema import AP_USAGE_DAILY, AP_USAGE_HOURLY
from collector.inventory.model import AccessPoint
from collector.ledger.polls import (
    QueryClient,
    TimeRange,
    decode,
    district_values,
    raw_statement,
    tag_filter,
)
from collector.ledger.rollup import DAY_S, HOUR_S, kst_day_start

DEFAULT_SLICE_S = 6 * HOUR_S


@dataclass(slots=True)
class ApUsage:
    ap: str
    district: str
    rx_bytes: int = 0
    tx_bytes: int = 0
    sessions: int = 0
    first_sample: int | None = None
    last_sample: int | None = None
    covered_s: int = 0
    gap_s: int = 0
    missing_buckets: int | None = None  # ledger only
    _spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["_spans"]
        if self.missing_buckets is None:
            del out["missing_buckets"]
        return out


@dataclass(slots=True)
class UsageReport:
    start: int
    end: int
    source: str  # "radio_poll" or "ledger"
    aps: list[ApUsage]
    left_out: int = 0  # deltas ending inside the window that began before it (time: gap)
    without_interval: int = 0  # stored rows with deltas but no interval_s: unusable

    def total(self) -> dict[str, int]:
        return {
            "aps": len(self.aps),
            "rx_bytes": sum(a.rx_bytes for a in self.aps),
            "tx_bytes": sum(a.tx_bytes for a in self.aps),
            "sessions": sum(a.sessions for a in self.aps),
            "covered_s": sum(a.covered_s for a in self.aps),
            "gap_s": sum(a.gap_s for a in self.aps),
            "aps_with_gaps": sum(1 for a in self.aps if a.gap_s > 0),
            "deltas_left_out": self.left_out,
            "rows_without_interval": self.without_interval,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start,
            "to": self.end,
            "source": self.source,
            "aps": [a.as_dict() for a in self.aps],
            "total": self.total(),
        }


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of half-open spans, as sorted disjoint spans (empty spans dropped)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect_all(span_lists: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Where every list of sorted disjoint spans covers (empty input: nothing)."""
    if not span_lists:
        return []
    common = span_lists[0]
    for spans in span_lists[1:]:
        out: list[tuple[int, int]] = []
        i = j = 0
        while i < len(common) and j < len(spans):
            low, high = max(common[i][0], spans[j][0]), min(common[i][1], spans[j][1])
            if low < high:
                out.append((low, high))
            if common[i][1] < spans[j][1]:
                i += 1
            else:
                j += 1
        common = out
    return common


def _filters(ap: str | None, district: str | None) -> dict[str, str]:
    tags = {}
    if ap is not None:
        tags["ap"] = ap
    if district is not None:
        tags["district"] = district
    return tags


def _seed(
    inventory: Iterable[AccessPoint] | None, ap: str | None, district: str | None
) -> dict[str, ApUsage]:
    """Inventory APs matching the filters, listed even without data (all gap)."""
    out: dict[str, ApUsage] = {}
    for known in inventory or ():
        if (ap is None or known.id == ap) and (district is None or known.district.code == district):
            out[known.id] = ApUsage(known.id, known.district.code)
    return out


def _check_window(start: int, end: int) -> None:
    if end <= start:
        raise InputError.at("--to", 0, f"must be after --from ({end} <= {start})")


def usage_from_polls(
    query: QueryClient,
    start: int,
    end: int,
    *,
    ap: str | None = None,
    district: str | None = None,
    inventory: Iterable[AccessPoint] | None = None,
    slice_s: int = DEFAULT_SLICE_S,
) -> UsageReport:
    """Usage in ``[start, end)`` from the per-poll deltas (module doc)."""
    _check_window(start, end)
    filters = _filters(ap, district)
    aps = _seed(inventory, ap, district)
    report = UsageReport(start, end, "radio_poll", [])
    chunks: list[dict[str, str]] = [filters]
    if not filters:
        chunks = [{"district": d} for d in district_values(query)]
    for low in range(start, end + 1, slice_s):
        span = TimeRange(low, min(low + slice_s, end), end_open=low + slice_s <= end)
        for chunk in chunks:
            rows = decode(query.series(raw_statement(span, chunk)))
            report.without_interval += rows.without_interval
            for d in rows.deltas:
                inside = start <= d.start and (d.end <= end if d.interval_s > 0 else d.end < end)
                if d.interval_s < 0 or not inside:
                    report.left_out += 1
                    continue
                usage = aps.get(d.ap)
                if usage is None:
                    stored = rows.stored_tags.get(d.ap, {}).get("district", "")
                    usage = aps[d.ap] = ApUsage(d.ap, stored)
                usage.rx_bytes += d.rx_bytes
                usage.tx_bytes += d.tx_bytes
                usage.sessions += d.sessions
                first, last = usage.first_sample, usage.last_sample
                usage.first_sample = d.start if first is None else min(first, d.start)
                usage.last_sample = d.end if last is None else max(last, d.end)
                usage._spans.setdefault(d.band, []).append((d.start, d.end))
        for usage in aps.values():  # keep the span lists short: merge after every slice
            usage._spans = {band: merge_spans(s) for band, s in usage._spans.items()}
    for usage in aps.values():  # radios with only zero-length spans (no baseline) do not count
        covered = intersect_all([spans for spans in usage._spans.values() if spans])
        usage.covered_s = sum(e - s for s, e in covered)
        usage.gap_s = end - start - usage.covered_s
    report.aps = sorted(aps.values(), key=lambda a: a.ap)
    return report


def ledger_buckets(start: int, end: int) -> list[tuple[str, int, int, int]]:
    """``(measurement, from, to, buckets)``: daily points for whole KST days, hourly around."""
    if start % HOUR_S or end % HOUR_S:
        raise InputError.at("--from", 0, "the ledger needs --from and --to on whole hours")
    first_day = kst_day_start(start + DAY_S - 1)
    last_day = kst_day_start(end)
    if first_day >= last_day:
        return [(AP_USAGE_HOURLY.name, start, end, (end - start) // HOUR_S)]
    parts = [
        (AP_USAGE_HOURLY.name, start, first_day, (first_day - start) // HOUR_S),
        (AP_USAGE_DAILY.name, first_day, last_day, (last_day - first_day) // DAY_S),
        (AP_USAGE_HOURLY.name, last_day, end, (end - last_day) // HOUR_S),
    ]
    return [p for p in parts if p[3] > 0]


def usage_from_ledger(
    query: QueryClient,
    start: int,
    end: int,
    *,
    ap: str | None = None,
    district: str | None = None,
    inventory: Iterable[AccessPoint] | None = None,
) -> UsageReport:
    """Usage in ``[start, end)`` from ``ap_usage_daily`` / ``ap_usage_hourly`` (module doc)."""
    _check_window(start, end)
    aps = _seed(inventory, ap, district)
    parts = ledger_buckets(start, end)
    sums = ",".join(
        f'sum("{f}") AS "{f}"' for f in ("rx_bytes", "tx_bytes", "sessions", "covered_s")
    )
    statements = [
        f'SELECT {sums},count("covered_s") AS "points" FROM {quote_ident(name)} '  # noqa: S608
        f"WHERE time >= {low}s AND time < {high}s{tag_filter(_filters(ap, district))} "
        'GROUP BY "ap","district"'
        for name, low, high, _ in parts
    ]
    expected = sum(p[3] for p in parts)
    found: dict[str, int] = {}
    for s in query.series(";".join(statements)):
        ap_id = s.tags.get("ap", "")
        usage = aps.setdefault(ap_id, ApUsage(ap_id, s.tags.get("district", "")))
        for row in s.rows():
            usage.rx_bytes += int(row["rx_bytes"] or 0)
            usage.tx_bytes += int(row["tx_bytes"] or 0)
            usage.sessions += int(row["sessions"] or 0)
            usage.covered_s += int(row["covered_s"] or 0)
            found[ap_id] = found.get(ap_id, 0) + int(row["points"] or 0)
    for ap_id, usage in aps.items():
        usage.gap_s = end - start - usage.covered_s
        usage.missing_buckets = expected - found.get(ap_id, 0)
    return UsageReport(start, end, "ledger", sorted(aps.values(), key=lambda a: a.ap))
