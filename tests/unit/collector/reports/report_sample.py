"""A realistic :class:`MonthlyReport` built by hand, for the writers' tests.

The 25 gu of :data:`collector.districts.SEOUL_DISTRICTS`, November 2026 (30 KST days, or month
to date up to 2026-11-18 15:00), 2 to 4 mount types per gu with hundreds of APs each, three top
sites per gu. The numbers hang together as the real table's do: each gu is the sum of its mount
types and of its days, the city is the sum of the gu (mounts and days too), and won are fitted
on running totals so every breakdown adds up to the figure it breaks down, to the won.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import ROUND_HALF_EVEN, Decimal

import collector.inventory  # noqa: F401  (first: importing collector.districts alone is a cycle)
from collector.districts import SEOUL_DISTRICTS
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
from collector.savings.compute import ESTIMATE_METHOD
from collector.savings.money import ROUNDING_RULE

KST = dt.timezone(dt.timedelta(hours=9), "KST")
RATE = Decimal("5684.66")
MONTH = "2026-11"
DAY_S = 86_400
MOUNTS = ("smart_pole", "streetlight_pole", "traffic_light_pole", "cctv_pole", "indoor",
          "bus_stop", "park", "other")  # fmt: skip
SOURCE = (
    "Seoul Metropolitan Government press release of 2025-02-18 (Digital City Bureau): public "
    "Wi-Fi carried 36,449 TB in 2024, equivalent to 207.2 billion KRW of phone bills"
)
METHOD = (
    "207,200,000,000 KRW / 36,449,000 GB = 5,684.66 KRW per GB (decimal GB, 10^9 bytes), "
    "rounded to 0.01 KRW; radio bytes in both directions (rx + tx) are priced"
)
#: Gu with no ledger a year earlier (their previous_year is None).
NO_PREVIOUS_YEAR = ("11545", "11740")


def exact_krw(total_bytes: int) -> Decimal:
    return Decimal(total_bytes) * RATE / Decimal(10**9)


def won(exact: Decimal) -> int:
    return int(exact.quantize(Decimal(1), ROUND_HALF_EVEN))


def fit(exacts: list[Decimal], target: int) -> list[int]:
    """Whole won per row on the running total; the difference to ``target`` to the largest."""
    parts, running, done = [], Decimal(0), 0
    for e in exacts:
        running += e
        parts.append(won(running) - done)
        done += parts[-1]
    if parts and sum(parts) != target:
        largest = max(range(len(parts)), key=lambda i: exacts[i])
        parts[largest] += target - sum(parts)
    return parts


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` in parts proportional to ``weights``, adding up exactly."""
    whole = sum(weights)
    parts = [int(total * w / whole) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def add(rows: list[Figures]) -> Figures:
    """The sum of rows (krw summed too; refit when it must be the rounding of the exact)."""
    return Figures(
        rx_bytes=sum(f.rx_bytes for f in rows),
        tx_bytes=sum(f.tx_bytes for f in rows),
        sessions=sum(f.sessions for f in rows),
        krw=sum(f.krw for f in rows),
        krw_exact=sum((f.krw_exact for f in rows), Decimal(0)),
        est_bytes=sum(f.est_bytes for f in rows),
        est_krw=sum(f.est_krw for f in rows),
        aps=sum(f.aps for f in rows),
        aps_with_gaps=sum(f.aps_with_gaps for f in rows),
        covered_ap_s=sum(f.covered_ap_s for f in rows),
        expected_ap_s=sum(f.expected_ap_s for f in rows),
        polls=sum(f.polls or 0 for f in rows),
        polls_up=sum(f.polls_up or 0 for f in rows),
    )


def refit(rows: list[Figures], total: Figures) -> list[Figures]:
    """Rows with won fitted to add up to ``total``'s."""
    krw = fit([f.krw_exact for f in rows], total.krw)
    est = fit([Decimal(f.est_krw) for f in rows], total.est_krw)
    pairs = zip(rows, krw, est, strict=True)
    return [dataclasses.replace(f, krw=k, est_krw=e) for f, k, e in pairs]


def figures(rng: random.Random, aps: int, seconds: int, tb: float) -> Figures:
    """A leaf row: ``aps`` APs over ``seconds``, about ``tb`` TB measured."""
    total = int(tb * 10**12) + rng.randrange(10**9)
    rx = int(total * rng.uniform(0.26, 0.34))
    expected = aps * seconds
    gaps = rng.randrange(0, max(1, aps // 25))
    uncovered = sum(rng.randrange(600, 3 * DAY_S) for _ in range(gaps))
    covered = expected - min(uncovered, expected)
    est = int(total * (expected - covered) / covered) if covered else 0
    polls = aps * (seconds // 60)
    exact = exact_krw(total)
    return Figures(
        rx_bytes=rx,
        tx_bytes=total - rx,
        sessions=total // rng.randrange(90_000_000, 220_000_000),
        krw=won(exact),
        krw_exact=exact,
        est_bytes=est,
        est_krw=won(exact_krw(est)),
        aps=aps,
        aps_with_gaps=gaps,
        covered_ap_s=covered,
        expected_ap_s=expected,
        polls=polls,
        polls_up=polls - rng.randrange(0, polls // 200 + 1),
    )


def day_rows(rng: random.Random, month: Figures, days: list[tuple[dt.date, int]]) -> list[Figures]:
    """``month`` split over ``days`` (date, seconds in the period): every field adds up."""
    weights = [s * (1.25 if d.weekday() >= 5 else 1.0) * rng.uniform(0.85, 1.15) for d, s in days]
    seconds = [s for _, s in days]
    rx = split(month.rx_bytes, weights)
    tx = split(month.tx_bytes, weights)
    sessions = split(month.sessions, weights)
    est = split(month.est_bytes, [float(s) for s in seconds])
    uncovered = split(month.expected_ap_s - month.covered_ap_s, [float(s) for s in seconds])
    polls = split(month.polls or 0, [float(s) for s in seconds])
    down = split((month.polls or 0) - (month.polls_up or 0), [float(s) for s in seconds])
    rows = [
        Figures(
            rx_bytes=rx[i],
            tx_bytes=tx[i],
            sessions=sessions[i],
            krw=0,
            krw_exact=exact_krw(rx[i] + tx[i]),
            est_bytes=est[i],
            est_krw=won(exact_krw(est[i])),
            aps=month.aps,
            aps_with_gaps=min(month.aps_with_gaps, 1 + i % 3) if month.aps_with_gaps else 0,
            covered_ap_s=month.aps * seconds[i] - uncovered[i],
            expected_ap_s=month.aps * seconds[i],
            polls=polls[i],
            polls_up=polls[i] - down[i],
        )
        for i in range(len(days))
    ]
    return refit(rows, month)


def comparison(rng: random.Random, month: str, now: Figures, drift: float) -> Comparison:
    total = int(now.total_bytes / (1 + drift * rng.uniform(0.3, 1.7)))
    return Comparison(month, total, int(now.sessions * total / now.total_bytes),
                      won(exact_krw(total)), Decimal("0.97"))  # fmt: skip


def sample_report(*, month_to_date: bool = False, seed: int = 20261130) -> MonthlyReport:
    rng = random.Random(seed)
    start_day = dt.date(2026, 11, 1)
    start = int(dt.datetime(2026, 11, 1, tzinfo=KST).timestamp())
    if month_to_date:
        end = int(dt.datetime(2026, 11, 18, 15, tzinfo=KST).timestamp())
        generated = dt.datetime(2026, 11, 18, 15, 20, tzinfo=KST)
    else:
        end = int(dt.datetime(2026, 12, 1, tzinfo=KST).timestamp())
        generated = dt.datetime(2026, 12, 1, 9, 5, tzinfo=KST)
    seconds = end - start
    days = [
        (start_day + dt.timedelta(days=i), min(DAY_S, seconds - i * DAY_S))
        for i in range((seconds + DAY_S - 1) // DAY_S)
    ]

    districts: list[tuple[str, str, str, Figures, list[MountRow], list[SiteRow], list[Figures]]]
    districts = []
    for d in SEOUL_DISTRICTS:
        scale = rng.uniform(0.5, 1.8)
        mounts = ["smart_pole", *rng.sample(MOUNTS[1:], rng.randrange(1, 4))]
        mounts.sort(key=MOUNTS.index)
        leaves = [
            figures(rng, rng.randrange(150, 700), seconds,
                    scale * rng.uniform(15, 60) * seconds / (30 * DAY_S))
            for _ in mounts
        ]  # fmt: skip
        total = add(leaves)
        total = dataclasses.replace(total, krw=won(total.krw_exact))
        mount_rows = [MountRow(m, f) for m, f in zip(mounts, refit(leaves, total), strict=True)]
        sites = []
        for n in range(3):
            mount = mount_rows[n % len(mount_rows)]
            base = mount.figures
            share = rng.uniform(0.01, 0.04)
            part = int(base.total_bytes * share)
            rx = int(part * 0.3)
            exact = exact_krw(part)
            site = Figures(rx, part - rx, int(base.sessions * share), won(exact), exact, 0, 0,
                           4, 0, 4 * seconds, 4 * seconds, 4 * (seconds // 60),
                           4 * (seconds // 60))  # fmt: skip
            sites.append(SiteRow(f"{d.code}-S{n + 1:03d}",
                                 f"{d.name_ko} {('역 앞 광장', '구청 앞', '근린공원')[n]} {n + 1}",
                                 mount.mount, site))  # fmt: skip
        sites.sort(key=lambda s: -s.figures.total_bytes)
        districts.append((d.code, d.name_en, d.name_ko, total, mount_rows, sites,
                          day_rows(rng, total, days)))  # fmt: skip

    city = add([t[3] for t in districts])
    city = dataclasses.replace(city, krw=won(city.krw_exact))
    fitted = refit([t[3] for t in districts], city)
    previous = {}
    areas = []
    for (code, en, ko, _, mounts_, sites, daily), fig in zip(districts, fitted, strict=True):
        # the gu's figure was refitted within the city: refit its breakdowns to it
        mount_fig = refit([m.figures for m in mounts_], fig)
        mounts_ = [MountRow(m.mount, f) for m, f in zip(mounts_, mount_fig, strict=True)]
        daily = refit(daily, fig)
        prev_m = comparison(rng, "2026-10", fig, 0.04)
        prev_y = None if code in NO_PREVIOUS_YEAR else comparison(rng, "2025-11", fig, 0.15)
        previous[code] = (prev_m, prev_y)
        areas.append(AreaReport(
            code, en, ko, fig, prev_m, prev_y, tuple(sites), tuple(mounts_),
            tuple(DayRow(day, f) for (day, _), f in zip(days, daily, strict=True)),
        ))  # fmt: skip

    city_mounts = []
    for m in MOUNTS:
        rows = [r.figures for a in areas for r in a.by_mount if r.mount == m]
        if rows:
            city_mounts.append((m, add(rows)))
    mount_fig = refit([f for _, f in city_mounts], city)
    city_days = [add([a.daily[i].figures for a in areas]) for i in range(len(days))]
    city_days = [dataclasses.replace(f, aps=city.aps, aps_with_gaps=min(f.aps_with_gaps, city.aps))
                 for f in city_days]  # fmt: skip
    top = sorted((s for a in areas for s in a.top_sites), key=lambda s: -s.figures.total_bytes)

    def city_comparison(index: int, month: str) -> Comparison:
        rows = [p[index] for p in previous.values() if p[index] is not None]
        total = sum(c.total_bytes for c in rows if c)
        return Comparison(month, total, sum(c.sessions for c in rows if c),
                          won(exact_krw(total)), Decimal("0.97"))  # fmt: skip

    city_area = AreaReport(
        "11000", "Seoul", "서울특별시", city,
        city_comparison(0, "2026-10"), city_comparison(1, "2025-11"),
        tuple(top[:10]),
        tuple(MountRow(m, f) for (m, _), f in zip(city_mounts, mount_fig, strict=True)),
        tuple(DayRow(day, f) for (day, _), f in zip(days, city_days, strict=True)),
    )  # fmt: skip
    return MonthlyReport(
        month=MONTH,
        start=start,
        end=end,
        month_to_date=month_to_date,
        generated_at=generated,
        software_version="0.1.0",
        tariffs=(
            TariffUse(
                "seoul-2024-implied", RATE, ("rx", "tx"), start_day, days[-1][0], SOURCE, METHOD
            ),
        ),
        rounding=ROUNDING_RULE,
        estimate_method=ESTIMATE_METHOD,
        city=city_area,
        districts=tuple(areas),
    )
