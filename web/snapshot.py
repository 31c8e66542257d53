"""What the pages show about the whole fleet, made in the background from the ledger.

Pages never query the fleet at request time: a :class:`Refresher` thread rebuilds a
:class:`Snapshot` every ``interval_s`` from the inventory and the ledger (the local copy for
whole days, InfluxDB's ``ap_usage_hourly`` for today's hours; never the raw polls), and the
collector's own ``/metrics`` every ``health_s``. A page reads the latest snapshot, which is
immutable, so requests cost a dictionary lookup and a template.

AP state is from the last hour the roll-up closed: ``up`` if the AP answered a poll in it,
``down`` if it was polled and never answered, ``unknown`` if it was not polled (or the ledger
has no such hour yet).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from collector.districts import SEOUL_DISTRICTS
from collector.errors import InputError
from collector.influx.query import QueryError
from collector.influx.schema import AP_USAGE_HOURLY
from collector.inventory.model import AccessPoint, Site
from collector.ledger.due import load_last_hour
from collector.ledger.mirror import LedgerMirror
from collector.ledger.polls import QueryClient
from collector.reports.build import read_daily
from collector.savings.compute import (
    ApPeriod,
    Piece,
    group_figures,
    kst_day,
    kst_midnight,
    piece_sums,
    read_ap_periods,
)
from collector.savings.figures import Figures
from collector.savings.tariff import TariffBook
from web.charts import fleet_map

log = logging.getLogger("pubwifi.web")
HOUR_S = 3600
STATES = ("up", "down", "unknown")


@dataclass(frozen=True, slots=True)
class Health:
    """The collector's own metrics (``pubwifi_*`` from its ``/metrics``)."""

    fetched_at: float
    reachable: bool
    last_cycle: float | None = None  # pubwifi_last_successful_cycle_timestamp_seconds
    spool_lines: int | None = None
    aps_by_state: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SiteFigures:
    site: Site
    aps: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class Area:
    """A district (or the city): this month's, today's and the states of its APs."""

    code: str
    month: Figures
    today: Figures
    states: Mapping[str, int]
    days: tuple[tuple[dt.date, int, int], ...]  # (KST day, bytes, sessions) this month


@dataclass(frozen=True, slots=True)
class Snapshot:
    made_at: float
    build_s: float
    ledger_end: int | None  # end of the last hour the roll-up closed (None: no ledger yet)
    month: str  # KST YYYY-MM of ledger_end
    state: Mapping[str, str]  # AP id -> up / down / unknown
    periods: Mapping[str, ApPeriod]  # AP id -> this month to date
    city: Area
    districts: Mapping[str, Area]
    year: Figures  # the city, year to date
    sites: Mapping[str, tuple[SiteFigures, ...]]  # district -> its sites, most bytes first
    map_svg: str
    months: MonthlySavings = field(default_factory=lambda: MonthlySavings((), {}))
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MonthlySavings:
    """The last 12 KST months (the current one to date): the city's and each district's."""

    city: tuple[tuple[str, Figures], ...]
    by_district: Mapping[str, tuple[tuple[str, Figures], ...]]  # month -> (code, figures)


def _empty_figures(aps: int) -> Figures:
    return Figures(0, 0, 0, 0, Decimal(0), 0, 0, aps, aps, 0, 0)


def _combined(*parts: Mapping[tuple[str, str], ApPeriod]) -> dict[str, ApPeriod]:
    out: dict[str, ApPeriod] = {}
    for periods in parts:
        for (ap_id, _), p in periods.items():
            have = out.get(ap_id)
            if have is None:
                out[ap_id] = dataclasses.replace(p)
                continue
            have.period_s += p.period_s
            have.rx_bytes += p.rx_bytes
            have.tx_bytes += p.tx_bytes
            have.sessions += p.sessions
            have.covered_s += p.covered_s
            have.polls += p.polls
            have.polls_up += p.polls_up
            have.krw += p.krw
    return out


def _periods(
    query: QueryClient,
    start: int,
    end: int,
    book: TariffBook,
    inventory: Sequence[AccessPoint],
    mirror: LedgerMirror | None,
) -> dict[tuple[str, str], ApPeriod]:
    if end <= start:
        return {}
    periods, _ = read_ap_periods(query, start, end, book, inventory=inventory, mirror=mirror)
    return periods


def last_hour_states(
    query: QueryClient, book: TariffBook, inventory: Sequence[AccessPoint], hour: int
) -> dict[str, str]:
    """AP id -> state in the ledger hour starting at ``hour``."""
    state = {ap.id: "unknown" for ap in inventory}
    tariff = book.in_force(kst_day(hour))
    piece = Piece(AP_USAGE_HOURLY.name, hour, hour + HOUR_S, tariff, "")
    for ap_id, _, values in piece_sums(query, piece, {}, None):
        polls, polls_up = values[4], values[5]
        if ap_id in state and polls:
            state[ap_id] = "up" if polls_up else "down"
    return state


def _grouped(
    keyed: Mapping[str, list[ApPeriod]],
) -> dict[str, Figures]:
    rows, _ = group_figures(sorted(keyed.items()))
    return dict(rows)


def build_snapshot(
    query: QueryClient,
    book: TariffBook,
    inventory: Sequence[AccessPoint],
    *,
    ledger_dir: Path,
    mirror: LedgerMirror | None,
    now: float | None = None,
) -> Snapshot:
    """The fleet's figures from the ledger as the roll-up left it in ``ledger_dir``."""
    began = time.perf_counter()
    now = time.time() if now is None else now
    last_hour = load_last_hour(ledger_dir)
    polled = [ap for ap in inventory if ap.status.is_polled]
    districts = {d.code for d in SEOUL_DISTRICTS}
    if last_hour is None:
        return _no_ledger(inventory, now, time.perf_counter() - began)
    end = last_hour + HOUR_S
    today = kst_day(end - 1)
    today_start = kst_midnight(today)
    month_start = kst_midnight(today.replace(day=1))
    before_today = _periods(query, month_start, today_start, book, inventory, mirror)
    today_periods = _periods(query, today_start, end, book, inventory, mirror)
    month = _combined(before_today, today_periods)
    history = _history(query, book, inventory, mirror, today)  # the 11 months before
    this_year = {k: p for k, p in history.items() if k[1].startswith(f"{today.year:04d}-")}
    year = _combined(this_year, before_today, today_periods)
    today_by_ap = _combined(today_periods)
    state = last_hour_states(query, book, inventory, last_hour)
    known = {ap.id: ap for ap in inventory}

    def district_of(p: ApPeriod) -> str:
        ap = known.get(p.ap)
        return ap.district.code if ap else p.district

    by_district: dict[str, list[ApPeriod]] = {}
    today_district: dict[str, list[ApPeriod]] = {}
    for p in month.values():
        by_district.setdefault(district_of(p), []).append(p)
    for p in today_by_ap.values():
        today_district.setdefault(district_of(p), []).append(p)
    month_fig = _grouped(by_district)
    today_fig = _grouped(today_district)
    _, city_month = group_figures([("city", month.values())])
    _, city_today = group_figures([("city", today_by_ap.values())])
    _, city_year = group_figures([("city", year.values())])

    states: dict[str, dict[str, int]] = {code: dict.fromkeys(STATES, 0) for code in districts}
    city_states = dict.fromkeys(STATES, 0)
    for ap in polled:
        s = state.get(ap.id, "unknown")
        states.setdefault(ap.district.code, dict.fromkeys(STATES, 0))[s] += 1
        city_states[s] += 1

    days = _days(query, book, mirror, month_start, today_start)
    for p in today_by_ap.values():
        bucket = days.setdefault(district_of(p), {})
        old = bucket.get(today, (0, 0))
        bucket[today] = (old[0] + p.rx_bytes + p.tx_bytes, old[1] + p.sessions)
    city_days: dict[dt.date, tuple[int, int]] = {}
    for per_day in days.values():
        for day, (nbytes, sessions) in per_day.items():
            old = city_days.get(day, (0, 0))
            city_days[day] = (old[0] + nbytes, old[1] + sessions)

    def area(
        code: str,
        m: Figures,
        t: Figures,
        st: Mapping[str, int],
        d: Mapping[dt.date, tuple[int, int]],
    ) -> Area:
        return Area(code, m, t, st, tuple((k, v[0], v[1]) for k, v in sorted(d.items())))

    district_areas = {
        code: area(
            code,
            month_fig.get(code) or _empty_figures(sum(states[code].values())),
            today_fig.get(code) or _empty_figures(sum(states[code].values())),
            states[code],
            days.get(code, {}),
        )
        for code in sorted(districts)
    }
    return Snapshot(
        made_at=now,
        build_s=time.perf_counter() - began,
        ledger_end=end,
        month=f"{today.year:04d}-{today.month:02d}",
        state=state,
        periods=month,
        city=area("11000", city_month, city_today, city_states, city_days),
        districts=district_areas,
        year=city_year,
        sites=_sites(inventory, month),
        map_svg=fleet_map(inventory, state),
        months=_months(history, month, today, district_of),
    )


def _history(
    query: QueryClient,
    book: TariffBook,
    inventory: Sequence[AccessPoint],
    mirror: LedgerMirror | None,
    today: dt.date,
) -> dict[tuple[str, str], ApPeriod]:
    """(AP, KST month) -> sums for the 11 whole months before ``today``'s."""
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    low, high = kst_midnight(first), kst_midnight(today.replace(day=1))
    try:
        periods, _ = read_ap_periods(
            query, low, high, book, inventory=inventory, by_month=True, mirror=mirror
        )
    except InputError:  # no tariff in force then
        return {}
    return periods


def _months(
    history: Mapping[tuple[str, str], ApPeriod],
    current: Mapping[str, ApPeriod],
    today: dt.date,
    district_of: Callable[[ApPeriod], str],
) -> MonthlySavings:
    per_month: dict[str, list[ApPeriod]] = {}
    for (_, month), p in history.items():
        per_month.setdefault(month, []).append(p)
    per_month[f"{today.year:04d}-{today.month:02d}"] = list(current.values())
    city = []
    by_district = {}
    for month in sorted(per_month):
        if not any(p.rx_bytes or p.tx_bytes or p.covered_s for p in per_month[month]):
            continue
        groups: dict[str, list[ApPeriod]] = {}
        for p in per_month[month]:
            groups.setdefault(district_of(p), []).append(p)
        rows, total = group_figures(sorted(groups.items()))
        city.append((month, total))
        by_district[month] = tuple(rows)
    return MonthlySavings(tuple(city), by_district)


def _days(
    query: QueryClient, book: TariffBook, mirror: LedgerMirror | None, low: int, high: int
) -> dict[str, dict[dt.date, tuple[int, int]]]:
    """district -> KST day -> (bytes, sessions) for the whole days ``[low, high)``: the
    report's daily read (the local copy, else InfluxDB)."""
    if high <= low:
        return {}
    return {
        district: {day: (v[0] + v[1], v[2]) for day, v in per_day.items()}
        for district, per_day in read_daily(query, low, high, book, mirror).items()
    }


def _sites(
    inventory: Sequence[AccessPoint], month: Mapping[str, ApPeriod]
) -> dict[str, tuple[SiteFigures, ...]]:
    members: dict[str, list[ApPeriod]] = {}
    sites: dict[str, Site] = {}
    counts: dict[str, int] = {}
    for ap in inventory:
        sites[ap.site.id] = ap.site
        counts[ap.site.id] = counts.get(ap.site.id, 0) + 1
        p = month.get(ap.id)
        if p is not None:
            members.setdefault(ap.site.id, []).append(p)
    figures = _grouped(members) if members else {}
    out: dict[str, list[SiteFigures]] = {}
    for site_id, site in sites.items():
        f = figures.get(site_id) or _empty_figures(counts[site_id])
        out.setdefault(site.district.code, []).append(SiteFigures(site, counts[site_id], f))
    return {
        code: tuple(sorted(rows, key=lambda r: (-r.figures.total_bytes, r.site.id)))
        for code, rows in out.items()
    }


def _no_ledger(inventory: Sequence[AccessPoint], now: float, took: float) -> Snapshot:
    polled = [ap for ap in inventory if ap.status.is_polled]
    states = {ap.id: "unknown" for ap in inventory}
    blank = _empty_figures(len(polled))
    city_states = {"up": 0, "down": 0, "unknown": len(polled)}
    district_states: dict[str, dict[str, int]] = {}
    for ap in polled:
        district_states.setdefault(ap.district.code, {"up": 0, "down": 0, "unknown": 0})
        district_states[ap.district.code]["unknown"] += 1
    day = kst_day(int(now))
    return Snapshot(
        made_at=now,
        build_s=took,
        ledger_end=None,
        month=f"{day.year:04d}-{day.month:02d}",
        state=states,
        periods={},
        city=Area("11000", blank, blank, city_states, ()),
        districts={
            d.code: Area(
                d.code,
                _empty_figures(0),
                _empty_figures(0),
                district_states.get(d.code, {"up": 0, "down": 0, "unknown": 0}),
                (),
            )
            for d in SEOUL_DISTRICTS
        },
        year=blank,
        sites=_sites(inventory, {}),
        map_svg=fleet_map(inventory, states),
        error="the ledger has no closed hour yet (is the collector running?)",
    )


def fetch_health(url: str, timeout_s: float = 1.0) -> Health:
    """The collector's metrics at ``url`` (its ``/metrics``); unreachable is a state, not an
    error."""
    now = time.time()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 (our URL)
            text = answer.read().decode("utf-8", "replace")
    except (OSError, ValueError) as error:
        return Health(now, False, error=str(error))
    last_cycle: float | None = None
    spool: int | None = None
    by_state: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "pubwifi_last_successful_cycle_timestamp_seconds":
                last_cycle = sample.value or None
            elif sample.name == "pubwifi_spool_lines":
                spool = int(sample.value)
            elif sample.name == "pubwifi_aps":
                by_state[sample.labels.get("state", "")] = int(sample.value)
    return Health(now, True, last_cycle, spool, by_state)


class Refresher:
    """Rebuilds the snapshot every ``interval_s`` and the health every ``health_s`` (a daemon
    thread); :meth:`snapshot` is the latest (None before the first is made)."""

    def __init__(
        self,
        build: Callable[[], Snapshot],
        health: Callable[[], Health],
        *,
        interval_s: float = 60.0,
        health_s: float = 15.0,
    ) -> None:
        self._build = build
        self._health_fn = health
        self.interval_s = interval_s
        self.health_s = health_s
        self._snapshot: Snapshot | None = None
        self._health: Health | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0  # snapshot builds that failed (the previous one is kept)
        self.last_error: str | None = None

    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    def health(self) -> Health | None:
        return self._health

    def refresh_now(self) -> None:
        """Build the snapshot in this thread (tests, and the first one in a benchmark)."""
        self._health = self._health_fn()
        self._refresh()

    def _refresh(self) -> None:
        try:
            self._snapshot = self._build()
            self.last_error = None
        except (QueryError, InputError, OSError) as error:  # the last good one stays
            self.failures += 1
            self.last_error = str(error)
            log.warning("web: snapshot not rebuilt: %s", error)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pubwifi-web-refresh", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        next_build = 0.0
        while not self._stop.is_set():
            self._health = self._health_fn()
            if time.monotonic() >= next_build or self._wake.is_set():
                self._wake.clear()
                self._refresh()
                next_build = time.monotonic() + self.interval_s
            self._wake.wait(min(self.health_s, max(0.0, next_build - time.monotonic())) or 0.1)
