"""The ledger's own hourly points read back, so a day can be closed without recomputing it.

A KST day is the sum of its 24 ``ap_usage_hourly`` points. When the roll-up that reaches a
day's last hour did not compute the day's earlier hours itself, it sums their stored points
(one InfluxQL statement per run of consecutive hours, summed by InfluxDB). Every AP in the
inventory has a point in every rolled-up hour, so a count short of the hours means some were
not stored (not rolled up yet, or still in the spool): then the caller recomputes them.

Hourly points written before ``polls`` / ``polls_up`` existed lack those fields: such an hour
counts as missing too (the points of ``covered_s`` and of ``polls`` are counted apart, the
lesser decides), so the day is recomputed from ``radio_poll`` and ``ap_poll`` and its hourly
points are written again, now with every field. APs outside the inventory are not checked
(as for missing hours): their daily sums are of what their stored points hold.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from collector.influx.query import quote_ident
from collector.influx.schema import AP_USAGE_HOURLY
from collector.ledger.polls import QueryClient

HOUR_S = 3600
#: The fields of an ``ap_usage_hourly`` / ``ap_usage_daily`` point, in this order everywhere.
FIELDS = ("rx_bytes", "tx_bytes", "sessions", "covered_s", "polls", "polls_up")


def runs(hours: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive hours as ``[start, end)`` ranges."""
    out: list[tuple[int, int]] = []
    for hour in sorted(hours):
        if out and out[-1][1] == hour:
            out[-1] = (out[-1][0], hour + HOUR_S)
        else:
            out.append((hour, hour + HOUR_S))
    return out


def stored_hours(
    query: QueryClient, hours: Sequence[int], inventory_aps: Collection[str]
) -> dict[str, list[int]] | None:
    """Per AP, the sums of the stored hourly points of ``hours``; ``None`` if any is missing."""
    sums = ",".join(f"sum({quote_ident(f)}) AS {quote_ident(f)}" for f in FIELDS)
    name = quote_ident(AP_USAGE_HOURLY.name)
    statements = [
        f'SELECT {sums},count("covered_s") AS "points",count("polls") AS "polls_points" '  # noqa: S608
        f'FROM {name} WHERE time >= {low}s AND time < {high}s GROUP BY "ap"'
        for low, high in runs(hours)
    ]
    totals: dict[str, list[int]] = {}
    counts: dict[str, int] = {}
    for series in query.series(";".join(statements)):
        ap = series.tags.get("ap", "")
        total = totals.setdefault(ap, [0] * len(FIELDS))
        for row in series.rows():
            for i, f in enumerate(FIELDS):
                total[i] += int(row[f] or 0)
            # an hour written before polls/polls_up existed counts as missing (module doc)
            points = min(int(row["points"] or 0), int(row["polls_points"] or 0))
            counts[ap] = counts.get(ap, 0) + points
    if any(counts.get(ap, 0) < len(hours) for ap in inventory_aps):
        return None
    return totals
