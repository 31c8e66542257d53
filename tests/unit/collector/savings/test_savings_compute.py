"""collector.savings.compute: pieces by tariff and month, exact grouping, the 2024 reproduction."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.lab.traffic import YEAR_BYTES, YEAR_SESSIONS, profile_for
from collector.savings.compute import (
    ApPeriod,
    group_figures,
    kst_midnight,
    pieces,
)
from collector.savings.money import billable_bytes, krw_exact
from collector.savings.tariff import load_tariffs

TWO_TARIFFS = """\
tariffs:
  - id: old
    effective_from: 2024-01-01
    effective_to: 2026-11-14
    krw_per_gb: "5684.66"
    source: s
    method: m
  - id: new
    effective_from: 2026-11-15
    effective_to: null
    krw_per_gb: "6000"
    source: s
    method: m
"""


def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "tariffs.yaml"
    path.write_text(TWO_TARIFFS)
    return load_tariffs(path)


def test_a_month_spanning_two_tariffs_is_priced_by_day(tmp_path: Path) -> None:
    start, end = kst_midnight(dt.date(2026, 11, 1)), kst_midnight(dt.date(2026, 12, 1))
    cut = pieces(start, end, book(tmp_path))
    assert [(p.tariff.id, p.low, p.high) for p in cut] == [
        ("old", start, kst_midnight(dt.date(2026, 11, 15))),
        ("new", kst_midnight(dt.date(2026, 11, 15)), end),
    ]
    assert {p.measurement for p in cut} == {"ap_usage_daily"}


def test_partial_days_use_hourly_points_and_months_are_cut(tmp_path: Path) -> None:
    start = kst_midnight(dt.date(2026, 10, 31)) + 3 * 3600
    end = kst_midnight(dt.date(2026, 11, 2)) + 5 * 3600
    cut = pieces(start, end, book(tmp_path))
    assert [(p.measurement, p.month, p.high - p.low) for p in cut] == [
        ("ap_usage_hourly", "2026-10", 21 * 3600),
        ("ap_usage_daily", "2026-11", 86_400),
        ("ap_usage_hourly", "2026-11", 5 * 3600),
    ]
    assert sum(p.high - p.low for p in cut) == end - start


def test_the_estimate_is_the_aps_own_rate_and_kept_apart() -> None:
    p = ApPeriod("a", "11680", period_s=100, rx_bytes=300, tx_bytes=700, covered_s=50,
                 krw=Decimal("5.5"))  # fmt: skip
    assert p.estimate() == (1000, Decimal("5.5"))
    _, total = group_figures([("11680", [p])])
    assert total.total_bytes == 1000 and total.est_bytes == 1000  # never added together
    assert total.krw == 6 and total.est_krw == 6 and total.coverage == Decimal("0.5")
    assert ApPeriod("b", "x", period_s=100).estimate() == (0, Decimal(0))  # nothing covered


@given(
    st.lists(
        st.tuples(st.sampled_from("abcde"), st.integers(0, 10**13), st.integers(0, 10**13)),
        min_size=1, max_size=40,
    )
)  # fmt: skip
def test_groups_add_up_to_the_total_to_the_won(rows: list[tuple[str, int, int]]) -> None:
    tariff = load_tariffs().tariffs[0]
    periods = [
        ApPeriod(f"ap{i}", key, 60, rx, tx, 0, 60, 0, 0, krw_exact(rx + tx, tariff))
        for i, (key, rx, tx) in enumerate(rows)
    ]
    groups: dict[str, list[ApPeriod]] = {}
    for p in periods:
        groups.setdefault(p.district, []).append(p)
    grouped, total = group_figures(sorted(groups.items()))
    assert sum(f.krw for _, f in grouped) == total.krw
    assert sum(f.total_bytes for _, f in grouped) == total.total_bytes
    exact = krw_exact(sum(rx + tx for _, rx, tx in rows), tariff)
    assert total.krw_exact == exact
    for _, f in grouped:
        assert abs(f.krw - f.krw_exact) <= 1


def test_a_lab_year_of_34280_aps_is_within_one_percent_of_seoul() -> None:
    """The lab's 2024 priced with the default tariff: 36,449 TB and 207.2 bn KRW, within 1 %."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(generate(GenerateOptions(aps=34_280, seed=2025)))
        inventory = load_inventory(path)
    tariff = load_tariffs().in_force(dt.date(2024, 6, 1))
    start = kst_midnight(dt.date(2024, 1, 1))
    end = kst_midnight(dt.date(2025, 1, 1))
    periods = []
    for ap in inventory.aps:
        profile = profile_for(ap, 1)
        tx1, rx1, s1 = profile.totals(start)
        tx2, rx2, s2 = profile.totals(end)
        rx, tx = rx2 - rx1, tx2 - tx1
        krw = krw_exact(billable_bytes(rx, tx, tariff), tariff)
        periods.append(
            ApPeriod(ap.id, ap.district.code, end - start, rx, tx, s2 - s1, end - start, 0, 0, krw)
        )
    _, total = group_figures([("city", periods)])
    assert abs(total.total_bytes / YEAR_BYTES - 1) < 0.01
    assert abs(total.sessions / YEAR_SESSIONS - 1) < 0.01
    assert abs(total.krw / 207_200_000_000 - 1) < 0.01
    assert total.coverage == 1
