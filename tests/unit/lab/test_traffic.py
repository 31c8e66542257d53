"""The traffic model: exact cumulative integers, curves, splits and the Seoul 2024 calibration."""

from __future__ import annotations

import datetime as dt

import pytest
from _lab_helpers import generated
from hypothesis import given
from hypothesis import strategies as st

from collector.lab.shapes import week_shape
from collector.lab.traffic import (
    SPLIT_UNITS,
    YEAR_BYTES,
    YEAR_SESSIONS,
    TrafficProfile,
    profile_for,
    split_for,
)

KST = dt.timezone(dt.timedelta(hours=9))
YEAR_START = dt.datetime(2024, 1, 1, tzinfo=KST).timestamp()
YEAR_END = dt.datetime(2025, 1, 1, tzinfo=KST).timestamp()
times = st.integers(min_value=1_600_000_000, max_value=1_900_000_000)


def _profile() -> TrafficProfile:
    return TrafficProfile("AP-X", week_shape("commute"), 2_000_000_003, 353_000_017, 777_777, 420)


@given(times, times, times)
def test_truth_is_additive_and_monotone(a: int, b: int, c: int) -> None:
    t1, t2, t3 = sorted((a, b, c))
    profile = _profile()
    q1, q2, q3 = (profile.totals(t) for t in (t1, t2, t3))
    for i in range(3):
        assert q1[i] <= q2[i] <= q3[i]
        assert (q2[i] - q1[i]) + (q3[i] - q2[i]) == q3[i] - q1[i]


@given(times)
def test_one_week_carries_exactly_the_weekly_rate(t: int) -> None:
    profile = _profile()
    start, end = profile.totals(t), profile.totals(t + 7 * 86_400)
    assert end[0] - start[0] in (profile.tx_per_week, profile.tx_per_week + 1)
    assert end[1] - start[1] in (profile.rx_per_week, profile.rx_per_week + 1)


def test_fractional_times_count_whole_seconds() -> None:
    profile = _profile()
    assert profile.totals(1_700_000_000.99) == profile.totals(1_700_000_000)


def test_commute_peaks_beat_the_night() -> None:
    shape = week_shape("commute")
    monday_8, monday_4 = shape.weights[8], shape.weights[4]
    assert monday_8 > 10 * monday_4
    saturday_8 = shape.weights[5 * 24 + 8]
    assert monday_8 > saturday_8  # weekday commute peak is sharper than the weekend


def _shares(weights: list[int]) -> tuple[int, ...]:
    from collector.lab.device import shares

    return shares(weights)


@given(
    st.lists(st.integers(1, 9), min_size=1, max_size=4),
    st.integers(0, 10**15),
    st.integers(0, 10**6),
)
def test_split_is_exact_and_monotone(weights: list[int], quantity: int, more: int) -> None:
    counts = _shares(weights)
    assert sum(counts) == SPLIT_UNITS
    split = split_for(counts)
    parts = [split.part(quantity, i) for i in range(len(counts))]
    assert sum(parts) == quantity
    later = [split.part(quantity + more, i) for i in range(len(counts))]
    assert all(b >= a for a, b in zip(parts, later, strict=True))
    for i, count in enumerate(counts):
        assert abs(parts[i] - quantity * count / SPLIT_UNITS) <= SPLIT_UNITS


def test_split_rejects_bad_shares() -> None:
    with pytest.raises(ValueError, match="sum to 20"):
        split_for((10, 5))


def test_profile_is_deterministic_per_seed() -> None:
    ap = generated(200).aps[0]
    assert profile_for(ap, 1) == profile_for(ap, 1)
    assert profile_for(ap, 1).tx_per_week != profile_for(ap, 2).tx_per_week


def test_a_generated_34280_ap_fleet_carries_seouls_2024_within_5_percent() -> None:
    inventory = generated(34_280)
    total_bytes = total_sessions = 0
    for ap in inventory:
        profile = profile_for(ap, 1)
        tx1, rx1, s1 = profile.totals(YEAR_START)
        tx2, rx2, s2 = profile.totals(YEAR_END)
        total_bytes += (tx2 - tx1) + (rx2 - rx1)
        total_sessions += s2 - s1
    assert abs(total_bytes / YEAR_BYTES - 1) < 0.05, total_bytes / 10**12
    assert abs(total_sessions / YEAR_SESSIONS - 1) < 0.05, total_sessions / 10**6
    assert 25e6 < total_bytes / total_sessions < 32e6  # ~28.3 MB per connection


def test_scale_is_heavy_tailed() -> None:
    weekly = sorted(
        profile_for(ap, 1).tx_per_week
        for ap in generated(2000)
        if profile_for(ap, 1).tx_per_week > 0
    )
    median, top = weekly[len(weekly) // 2], weekly[int(len(weekly) * 0.99)]
    assert top > 8 * median
