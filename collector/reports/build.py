"""Assemble the monthly report's one table from the ledger, the inventory and the tariff book.

Reads, for the month (KST; month to date up to the last whole hour when it is the current
month): per-AP sums priced per tariff period (:func:`collector.savings.compute.read_ap_periods`),
per-district daily sums for the charts (one statement per ledger piece, ``GROUP BY
time(1d, 15h)``: buckets start at KST midnight), and per-district totals of the previous month
and of the same month a year earlier. Everything else (districts, sites, mount types) is
grouping of the per-AP sums through the inventory. Won are fitted so that every table adds up
to the figure it breaks down, to the won (:func:`fit_won`).

The Wi-Fi 6 rollout section is the programme's status as of the report's end (the month's end,
or the as-of hour of a month to date), from the inventory's plan, the rollout store beside the
ledger copy and the copy's days (:mod:`collector.reports.rollout` says what that can and cannot
show for an old month).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from collector.districts import SEOUL_DISTRICTS
from collector.errors import InputError
from collector.influx.query import quote_ident
from collector.influx.schema import AP_USAGE_HOURLY
from collector.inventory.model import AccessPoint, Mount
from collector.ledger.mirror import LedgerMirror
from collector.ledger.polls import QueryClient
from collector.ledger.rollup import HOUR_S
from collector.profiles import Profile
from collector.reports.rollout import build_rollout
from collector.reports.table import (
    AreaReport,
    Comparison,
    DayRow,
    Figures,
    MonthlyReport,
    MountRow,
    SiteRow,
    TariffUse,
)
from collector.rollout.store import RolloutStore
from collector.savings.compute import (
    ESTIMATE_METHOD,
    ApPeriod,
    GroupSums,
    Piece,
    figures_of,
    group_figures,
    kst_day,
    kst_midnight,
    merge_groups,
    merged,
    piece_sums,
    pieces,
    read_ap_periods,
    sum_groups,
    tariff_spans,
    top_figures,
)
from collector.savings.money import ROUNDING_RULE, billable_bytes, krw_exact, to_won, won_parts
from collector.savings.tariff import TariffBook

CITY_CODE = "11000"
SEOUL_CODES = frozenset(d.code for d in SEOUL_DISTRICTS)
CITY_EN, CITY_KO = "Seoul", "서울특별시"
TOP_SITES = 10
MIN_COMPARED_COVERAGE = Decimal("0.95")  # of the month compared with, else no change shown
MOUNT_ORDER = [m.value for m in Mount]  # smart poles first, as the inventory declares them


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pubwifi")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def parse_month(text: str) -> tuple[int, int]:
    try:
        moment = dt.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise InputError.at("--month", 0, f"{text!r}: expected YYYY-MM, e.g. 2026-11") from None
    return moment.year, moment.month


def month_window(year: int, month: int) -> tuple[int, int]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return kst_midnight(first), kst_midnight(nxt)


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def fit_won(exact: Sequence[Decimal], target: int) -> list[int]:
    """Whole won per part, adding up to ``target`` (the figure they break down).

    The parts are rounded on their running total (:func:`collector.savings.money.won_parts`);
    if that sum differs from ``target`` (the breakdown's total was itself one part of a larger
    table), the difference, at most a won or two, goes to the largest part.
    """
    parts = won_parts(exact)
    if parts:
        diff = target - sum(parts)
        if diff:
            largest = max(range(len(parts)), key=lambda i: exact[i])
            parts[largest] += diff
    return parts


def _refit(rows: list[tuple[str, Figures]], target: Figures) -> list[tuple[str, Figures]]:
    krw = fit_won([f.krw_exact for _, f in rows], target.krw)
    est = fit_won([Decimal(f.est_krw) for _, f in rows], target.est_krw)
    return [
        (key, dataclasses.replace(f, krw=krw[i], est_krw=est[i])) for i, (key, f) in enumerate(rows)
    ]


def _group_sums(
    members: Iterable[tuple[ApPeriod, AccessPoint | None]],
    key: Callable[[ApPeriod, AccessPoint | None], str],
) -> list[tuple[str, GroupSums]]:
    groups: dict[str, list[ApPeriod]] = {}
    for period, ap in members:
        groups.setdefault(key(period, ap), []).append(period)
    return sum_groups(sorted(groups.items()))


def _site_key(period: ApPeriod, ap: AccessPoint | None) -> str:
    return ap.site.id if ap else ""


def _mount_key(period: ApPeriod, ap: AccessPoint | None) -> str:
    return str(ap.site.mount) if ap else "other"


def daily_statement(measurement: str, low: int, high: int) -> str:
    sums = ",".join(
        f'sum("{f}") AS "{f}"' for f in ("rx_bytes", "tx_bytes", "sessions", "covered_s")
    )
    return (
        f"SELECT {sums} FROM {quote_ident(measurement)} "  # noqa: S608
        f"WHERE time >= {low}s AND time < {high}s "
        'GROUP BY time(1d, 15h),"district" fill(none)'
    )


def _piece_days(
    query: QueryClient, piece: Piece, mirror: LedgerMirror | None
) -> Iterator[tuple[str, int, tuple[int, int, int, int]]]:
    """(district, time, (rx, tx, sessions, covered_s)) per district and KST day of a piece."""
    if mirror is not None and piece.measurement != AP_USAGE_HOURLY.name:
        held = mirror.district_days(piece.low, piece.high)
        if held is not None:
            for district, days in held.items():
                for day, values in days.items():
                    rx, tx, sessions, covered = values[:4]
                    yield district, day, (rx, tx, sessions, covered)
            return
    for series in query.series(daily_statement(piece.measurement, piece.low, piece.high)):
        district = series.tags.get("district", "")
        for row in series.rows():
            rx, tx = int(row["rx_bytes"] or 0), int(row["tx_bytes"] or 0)
            sessions, covered = int(row["sessions"] or 0), int(row["covered_s"] or 0)
            yield district, int(row["time"]), (rx, tx, sessions, covered)


def read_daily(
    query: QueryClient,
    start: int,
    end: int,
    book: TariffBook,
    mirror: LedgerMirror | None = None,
) -> dict[str, dict[dt.date, tuple[int, int, int, int, Decimal]]]:
    """district -> KST day -> (rx, tx, sessions, covered_s, exact KRW)."""
    out: dict[str, dict[dt.date, tuple[int, int, int, int, Decimal]]] = {}
    for piece in pieces(start, end, book):
        for district, stamp, (rx, tx, sessions, covered) in _piece_days(query, piece, mirror):
            days = out.setdefault(district, {})
            day = kst_day(max(stamp, piece.low))
            krw = krw_exact(billable_bytes(rx, tx, piece.tariff), piece.tariff)
            old = days.get(day, (0, 0, 0, 0, Decimal(0)))
            days[day] = (
                old[0] + rx,
                old[1] + tx,
                old[2] + sessions,
                old[3] + covered,
                old[4] + krw,
            )
    return out


def _comparison(
    query: QueryClient,
    book: TariffBook,
    inventory: Sequence[AccessPoint],
    year: int,
    month: int,
    elapsed_s: int | None = None,
    mirror: LedgerMirror | None = None,
) -> dict[str, Comparison] | None:
    """Per-district (and city) totals of another month, like with like, or None.

    ``elapsed_s``: for a month-to-date report, only as many seconds from that month's 1st (the
    same days). None when the ledger covers less than :data:`MIN_COMPARED_COVERAGE` of it: a
    change against a month the collector mostly missed would be a change in coverage.
    """
    start, end = month_window(year, month)
    if elapsed_s is not None:
        end = min(end, start + elapsed_s)
    try:
        cut = pieces(start, end, book)
    except InputError:  # no tariff in force then: nothing to compare with
        return None
    span = sum(piece.high - piece.low for piece in cut)
    known = {ap.id: ap.district.code for ap in inventory}
    # Lean sums (only what a comparison shows), the same figures group_figures would give:
    # per AP bytes, sessions and covered seconds (capped at the span) over the pieces, and
    # per district and piece the billable bytes, priced once (money is linear and exact).
    per_ap: dict[str, list[Any]] = {
        ap.id: [ap.district.code, 0, 0, 0] for ap in inventory if ap.status.is_polled
    }
    priced: dict[str, Decimal] = {}
    seen = False
    for piece in merged(cut):
        billable: dict[str, int] = {}
        for ap_id, ap_district, values in piece_sums(query, piece, {}, mirror):
            rx, tx, sessions, covered = values[0], values[1], values[2], values[3]
            entry = per_ap.get(ap_id)
            if entry is None:
                entry = per_ap[ap_id] = [known.get(ap_id, ap_district), 0, 0, 0]
            entry[1] += rx + tx
            entry[2] += sessions
            entry[3] += covered
            seen = seen or bool(covered or rx or tx)
            billable[entry[0]] = billable.get(entry[0], 0) + billable_bytes(rx, tx, piece.tariff)
        for code, count in billable.items():
            priced[code] = priced.get(code, Decimal(0)) + krw_exact(count, piece.tariff)
    if not seen:
        return None
    label = f"{year:04d}-{month:02d}"
    sums: dict[str, list[Any]] = {}
    for code, total_bytes, sessions, covered in per_ap.values():
        row = sums.setdefault(code, [0, 0, Decimal(0), 0, 0])
        row[0] += total_bytes
        row[1] += sessions
        row[3] += min(covered, span)
        row[4] += span
    for code, krw in priced.items():
        sums[code][2] += krw
    keys = sorted(sums)
    total = [sum(sums[k][i] for k in keys) for i in range(5)]
    if not total[4] or Decimal(total[3]) / Decimal(total[4]) < MIN_COMPARED_COVERAGE:
        return None
    won = won_parts([sums[k][2] for k in keys])

    def compare(row: list[Any], krw: int) -> Comparison:
        coverage = Decimal(row[3]) / Decimal(row[4]) if row[4] else None
        return Comparison(label, row[0], row[1], krw, coverage)

    out = {k: compare(sums[k], won[i]) for i, k in enumerate(keys)}
    out[CITY_CODE] = compare(total, to_won(Decimal(total[2])))
    return out


def _by_district(
    periods: Iterable[ApPeriod], known: dict[str, AccessPoint]
) -> dict[str, list[ApPeriod]]:
    groups: dict[str, list[ApPeriod]] = {}
    for p in periods:
        ap = known.get(p.ap)
        groups.setdefault(ap.district.code if ap else p.district, []).append(p)
    return groups


def _compare(label: str, f: Figures) -> Comparison:
    return Comparison(label, f.total_bytes, f.sessions, f.krw, f.coverage)


def build_monthly(
    query: QueryClient,
    book: TariffBook,
    inventory: Sequence[AccessPoint],
    month: str,
    *,
    now: float | None = None,
    mirror: LedgerMirror | None = None,
    rollout_store: RolloutStore | None = None,
    profiles: Mapping[str, Profile] | None = None,
) -> MonthlyReport:
    """The report for ``month`` (``YYYY-MM``, KST). Future or empty months are InputError.

    ``rollout_store``: the Wi-Fi 6 rollout's observations (default: the store beside
    ``mirror`` in its data directory, if any); ``profiles``: for the models' Wi-Fi standards
    (default: :func:`collector.profiles.load_profiles`).
    """
    now = time.time() if now is None else now
    year, mon = parse_month(month)
    start, end = month_window(year, mon)
    if start > now:
        raise InputError.at("--month", 0, f"{month} is in the future (Seoul time)")
    month_to_date = end > now
    if month_to_date:
        end = int(now) // HOUR_S * HOUR_S
        if end <= start:
            raise InputError.at("--month", 0, f"{month} has not had a whole hour yet")
    periods, cut = read_ap_periods(query, start, end, book, inventory=inventory, mirror=mirror)
    if not any(p.covered_s or p.rx_bytes or p.tx_bytes or p.sessions for p in periods.values()):
        raise InputError.at(
            "--month", 0, f"the ledger has no data for {month} (is the collector running?)"
        )
    known = {ap.id: ap for ap in inventory}
    members = [(p, known.get(p.ap)) for p in periods.values()]
    district_rows, city = group_figures(sorted(_by_district(periods.values(), known).items()))
    district_figures = dict(district_rows)
    daily = read_daily(query, start, end, book, mirror)
    days = _days(start, end)
    elapsed = end - start if month_to_date else None
    before = _comparison(
        query, book, inventory, *shift_month(year, mon, -1), elapsed, mirror=mirror
    )
    year_ago = _comparison(query, book, inventory, year - 1, mon, elapsed, mirror=mirror)

    site_names = {ap.site.id: ap.site for ap in inventory}

    def area(
        code: str,
        en: str,
        ko: str,
        figures: Figures,
        aps: int,
        site_sums: list[tuple[str, GroupSums]],
        mount_sums: list[tuple[str, GroupSums]],
        day_sums: dict[dt.date, tuple[int, int, int, int, Decimal]],
    ) -> AreaReport:
        top = top_figures(site_sums, TOP_SITES)
        mounts = _refit(figures_of(mount_sums)[0], figures)
        mounts.sort(key=lambda r: MOUNT_ORDER.index(r[0]) if r[0] in MOUNT_ORDER else 99)
        return AreaReport(
            code=code,
            name_en=en,
            name_ko=ko,
            figures=figures,
            previous_month=before.get(code) if before else None,
            previous_year=year_ago.get(code) if year_ago else None,
            top_sites=tuple(
                SiteRow(
                    key,
                    site_names[key].name if key in site_names else key,
                    str(site_names[key].mount) if key in site_names else "other",
                    f,
                )
                for key, f in top
            ),
            by_mount=tuple(MountRow(key, f) for key, f in mounts),
            daily=_day_rows(days, day_sums, figures, aps),
        )

    by_code: dict[str, list[tuple[ApPeriod, AccessPoint | None]]] = {}
    for p, ap in members:
        by_code.setdefault(ap.district.code if ap else p.district, []).append((p, ap))
    districts = []
    all_sites: list[tuple[str, GroupSums]] = []
    all_mounts: list[tuple[str, GroupSums]] = []
    for d in SEOUL_DISTRICTS:
        mine = by_code.get(d.code, [])
        figures = district_figures.get(d.code) or _empty(end - start, 0)
        site_sums, mount_sums = _group_sums(mine, _site_key), _group_sums(mine, _mount_key)
        all_sites += site_sums
        all_mounts += mount_sums
        districts.append(
            area(
                d.code,
                d.name_en,
                d.name_ko,
                figures,
                len(mine),
                site_sums,
                mount_sums,
                daily.get(d.code, {}),
            )
        )
    for code, mine in by_code.items():  # APs of no Seoul district: in the city's figures only
        if code not in SEOUL_CODES:
            all_sites += _group_sums(mine, _site_key)
            all_mounts += _group_sums(mine, _mount_key)
    city_days: dict[dt.date, tuple[int, int, int, int, Decimal]] = {}
    for day_sums in daily.values():
        for day, v in day_sums.items():
            old = city_days.get(day, (0, 0, 0, 0, Decimal(0)))
            city_days[day] = (
                old[0] + v[0],
                old[1] + v[1],
                old[2] + v[2],
                old[3] + v[3],
                old[4] + v[4],
            )
    city_area = area(
        CITY_CODE,
        CITY_EN,
        CITY_KO,
        city,
        len(members),
        merge_groups(all_sites),
        merge_groups(all_mounts),
        city_days,
    )
    return MonthlyReport(
        month=month,
        start=start,
        end=end,
        month_to_date=month_to_date,
        generated_at=dt.datetime.fromtimestamp(now, dt.UTC).astimezone(
            dt.timezone(dt.timedelta(hours=9), "KST")
        ),
        software_version=software_version(),
        tariffs=tuple(
            TariffUse(
                s.tariff.id,
                s.tariff.krw_per_gb,
                s.tariff.counts,
                s.first_day,
                s.last_day,
                s.tariff.source,
                s.tariff.method,
            )
            for s in tariff_spans(cut)
        ),
        rounding=ROUNDING_RULE,
        estimate_method=ESTIMATE_METHOD,
        city=city_area,
        districts=tuple(districts),
        rollout=build_rollout(
            inventory, start, end, mirror=mirror, store=rollout_store, profiles=profiles
        ),
    )


def _days(start: int, end: int) -> list[tuple[dt.date, int]]:
    """Each KST day of the window with its seconds inside the window."""
    out = []
    day = kst_day(start)
    while kst_midnight(day) < end:
        low = max(start, kst_midnight(day))
        nxt = day + dt.timedelta(days=1)
        out.append((day, min(end, kst_midnight(nxt)) - low))
        day = nxt
    return out


def _day_rows(
    days: list[tuple[dt.date, int]],
    sums: dict[dt.date, tuple[int, int, int, int, Decimal]],
    month: Figures,
    aps: int,
) -> tuple[DayRow, ...]:
    """Measured figures per day (no estimate: that is made per AP over the month)."""
    zero = (0, 0, 0, 0, Decimal(0))
    exact = [sums.get(day, zero)[4] for day, _ in days]
    won = fit_won(exact, month.krw)
    rows = []
    for i, (day, seconds) in enumerate(days):
        rx, tx, sessions, covered, krw = sums.get(day, zero)
        rows.append(
            DayRow(
                day,
                Figures(
                    rx_bytes=rx,
                    tx_bytes=tx,
                    sessions=sessions,
                    krw=won[i],
                    krw_exact=krw,
                    est_bytes=0,
                    est_krw=0,
                    aps=aps,
                    aps_with_gaps=0,
                    covered_ap_s=covered,
                    expected_ap_s=aps * seconds,
                ),
            )
        )
    return tuple(rows)


def _empty(seconds: int, aps: int) -> Figures:
    return Figures(0, 0, 0, 0, Decimal(0), 0, 0, aps, aps, 0, aps * seconds)
