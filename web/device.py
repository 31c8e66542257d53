"""One AP's story for its page, read at request time from InfluxDB (one series at a time).

Identity the AP reports (``ap_info``: model, firmware, sysName), its radios now (the last
``radio_poll`` per band in the last hour), its ledger (``ap_usage_hourly`` for 48 hours,
``ap_usage_daily`` for a year: charts by hour, day and month), and counter events: reboots
(``uptime_s`` going down between polls, the last 7 days) and hours the ledger does not wholly
cover (gaps). Every string here came from the device: the templates render it as text.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from collector.influx.query import quote_ident
from collector.influx.schema import AP_INFO, AP_POLL, AP_USAGE_DAILY, AP_USAGE_HOURLY, RADIO_POLL
from collector.ledger.polls import QueryClient, tag_filter
from collector.savings.compute import kst_day

HOUR_S, DAY_S = 3600, 86_400


@dataclass(frozen=True, slots=True)
class Radio:
    band: str
    clients: int | None
    channel: int | None
    tx_power_dbm: float | None
    seen: int | None


@dataclass(frozen=True, slots=True)
class Usage:
    stamp: int
    bytes: int
    sessions: int
    covered_s: int
    polls: int
    polls_up: int


@dataclass(frozen=True, slots=True)
class DeviceStory:
    reported: dict[str, str] = field(default_factory=dict)  # model, firmware, sys_name
    reported_at: int | None = None
    radios: tuple[Radio, ...] = ()
    hours: tuple[Usage, ...] = ()
    days: tuple[Usage, ...] = ()
    months: tuple[tuple[str, int, int], ...] = ()  # (YYYY-MM, bytes, sessions)
    reboots: tuple[int, ...] = ()  # when the uptime went down
    counter_events: tuple[tuple[int, str, str, int], ...] = ()  # (time, band, wrap|reset, n)
    gap_hours: tuple[tuple[int, int], ...] = ()  # (hour, seconds not covered)
    error: str | None = None


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


def _usage(query: QueryClient, measurement: str, tags: str, low: int, high: int) -> list[Usage]:
    fields = ",".join(
        quote_ident(f)
        for f in ("rx_bytes", "tx_bytes", "sessions", "covered_s", "polls", "polls_up")
    )
    text = (
        f"SELECT {fields} FROM {quote_ident(measurement)} "  # noqa: S608
        f"WHERE time >= {low}s AND time < {high}s{tags}"
    )
    out = []
    for series in query.series(text):
        for row in series.rows():
            out.append(
                Usage(
                    int(row["time"]),
                    _int(row.get("rx_bytes")) + _int(row.get("tx_bytes")),
                    _int(row.get("sessions")),
                    _int(row.get("covered_s")),
                    _int(row.get("polls")),
                    _int(row.get("polls_up")),
                )
            )
    return sorted(out, key=lambda u: u.stamp)


def device_story(query: QueryClient, ap_id: str, ledger_end: int | None, now: float) -> DeviceStory:
    tags = tag_filter({"ap": ap_id})
    end = ledger_end if ledger_end is not None else int(now) // HOUR_S * HOUR_S
    reported: dict[str, str] = {}
    reported_at = None
    latest: dict[str, Any] = {}
    for series in query.series(  # one series per tag set (a swapped model is a new one)
        f"SELECT * FROM {quote_ident(AP_INFO.name)} WHERE time > {int(now) - 400 * DAY_S}s"  # noqa: S608
        f"{tags} ORDER BY time DESC LIMIT 1"
    ):
        for row in series.rows():
            if not latest or int(row["time"]) > int(latest["time"]):
                latest = row
    if latest:
        reported_at = int(latest["time"])
        for key in ("model", "firmware", "sys_name", "reported_standard"):
            if latest.get(key) is not None:
                reported[key] = str(latest[key])
    radios = []
    for series in query.series(
        f'SELECT last("clients") AS "clients", last("channel") AS "channel", '  # noqa: S608
        f'last("tx_power_dbm") AS "tx_power_dbm" FROM {quote_ident(RADIO_POLL.name)} '
        f'WHERE time > {int(now) - HOUR_S}s{tags} GROUP BY "band"'
    ):
        for row in series.rows():
            radios.append(
                Radio(
                    series.tags.get("band", ""),
                    None if row.get("clients") is None else int(row["clients"]),
                    None if row.get("channel") is None else int(row["channel"]),
                    None if row.get("tx_power_dbm") is None else float(row["tx_power_dbm"]),
                    int(row["time"]) if row.get("time") is not None else None,
                )
            )
    hours = _usage(query, AP_USAGE_HOURLY.name, tags, end - 48 * HOUR_S, end)
    days = _usage(query, AP_USAGE_DAILY.name, tags, end - 400 * DAY_S, end)
    months: dict[str, list[int]] = {}
    for u in days:
        day = kst_day(u.stamp)
        m = months.setdefault(f"{day.year:04d}-{day.month:02d}", [0, 0])
        m[0] += u.bytes
        m[1] += u.sessions
    uptimes: list[tuple[int, int]] = []
    for series in query.series(
        f'SELECT "uptime_s" FROM {quote_ident(AP_POLL.name)} '  # noqa: S608
        f'WHERE time > {int(now) - 7 * DAY_S}s{tags} AND "up" = 1'
    ):
        uptimes += [
            (int(r["time"]), int(r["uptime_s"]))
            for r in series.rows()
            if r.get("uptime_s") is not None
        ]
    uptimes.sort()
    reboots = tuple(t for (_, a), (t, b) in itertools.pairwise(uptimes) if b < a)
    gaps = tuple((u.stamp, HOUR_S - u.covered_s) for u in hours if u.covered_s < HOUR_S)
    events: list[tuple[int, str, str, int]] = []
    for series in query.series(
        f'SELECT "counter_wraps", "counter_resets" FROM {quote_ident(RADIO_POLL.name)} '  # noqa: S608
        f"WHERE time > {int(now) - 7 * DAY_S}s{tags} "
        'AND ("counter_wraps" > 0 OR "counter_resets" > 0) GROUP BY "band"'
    ):
        band = series.tags.get("band", "")
        for r in series.rows():
            for key, kind in (("counter_wraps", "wrap"), ("counter_resets", "reset")):
                if r.get(key):
                    events.append((int(r["time"]), band, kind, int(r[key])))
    return DeviceStory(
        reported=reported,
        reported_at=reported_at,
        radios=tuple(sorted(radios, key=lambda r: r.band)),
        hours=tuple(hours),
        days=tuple(u for u in days if u.stamp >= end - 31 * DAY_S),
        months=tuple((k, v[0], v[1]) for k, v in sorted(months.items())[-13:]),
        reboots=reboots,
        counter_events=tuple(sorted(events)[-20:]),
        gap_hours=gaps,
    )


def hour_label(stamp: int) -> str:
    moment = dt.datetime.fromtimestamp(stamp, dt.timezone(dt.timedelta(hours=9)))
    return f"{moment.hour:02d}"
