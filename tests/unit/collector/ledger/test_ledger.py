"""ledger.apportion: exact hourly apportioning and KST days/months that add up to the deltas."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.ledger.apportion import (
    HOUR_MS,
    SEOUL,
    Ledger,
    Usage,
    apportion,
    seoul_day,
    split_hourly,
    to_ms,
)

H = 3600
T = 1_735_689_600  # 2025-01-01 00:00 UTC (09:00 KST)


def test_apportion_places_the_remainder_where_the_running_floor_steps():
    assert apportion(10, [1, 1, 1]) == [3, 3, 4]
    assert apportion(2, [1, 1, 1]) == [0, 1, 1]
    assert apportion(0, [5, 7]) == [0, 0]
    assert apportion(7, [0, 3, 0]) == [0, 7, 0]


def test_apportion_needs_weight():
    with pytest.raises(ValueError, match="positive total weight"):
        apportion(5, [0, 0])


def test_span_across_an_hour_boundary_is_split_by_time():
    shares = split_hourly("ap1", T + H - 60, T + H + 60, 120, 1_001, 3)
    assert shares == {
        ("ap1", T): Usage(60, 500, 1, 60_000),
        ("ap1", T + H): Usage(60, 501, 2, 60_000),
    }


def test_span_over_three_hours_gives_the_middle_hour_its_whole_share():
    shares = split_hourly("ap1", T + H // 2, T + 2 * H + H // 2, 4_000, 0, 0)
    assert [u.rx_bytes for u in shares.values()] == [1_000, 2_000, 1_000]
    assert [u.covered_ms for u in shares.values()] == [1_800_000, 3_600_000, 1_800_000]


def test_zero_length_span_goes_to_the_hour_of_its_start():
    assert split_hourly("ap1", T + 10, T + 10, 5, 6, 7) == {("ap1", T): Usage(5, 6, 7, 0)}


def test_span_ending_on_the_hour_does_not_touch_the_next_hour():
    assert list(split_hourly("ap1", T, T + H, 5, 0, 0)) == [("ap1", T)]


@pytest.mark.parametrize(
    ("start", "end", "amounts", "message"),
    [
        (T, T + 10, (-1, 0, 0), "negative delta"),
        (T + 10, T, (1, 0, 0), "ends before it starts"),
    ],
)
def test_bad_spans_are_refused(start, end, amounts, message):
    with pytest.raises(ValueError, match=message):
        split_hourly("ap1", start, end, *amounts)


def test_seoul_days_start_at_15_utc():
    assert seoul_day(T + 14 * H) == date(2025, 1, 1)  # 23:00 KST
    assert seoul_day(T + 15 * H) == date(2025, 1, 2)  # 00:00 KST


def test_days_and_months_follow_kst_not_utc():
    ledger = Ledger()
    jan31_kst_2330 = datetime(2025, 1, 31, 23, 30, tzinfo=SEOUL).timestamp()
    ledger.add("ap1", jan31_kst_2330, jan31_kst_2330 + H, 3_600, 0, 0)  # 30 min each side
    assert ledger.daily() == {
        ("ap1", date(2025, 1, 31)): Usage(1_800, 0, 0, 1_800_000),
        ("ap1", date(2025, 2, 1)): Usage(1_800, 0, 0, 1_800_000),
    }
    assert ledger.monthly() == {
        ("ap1", 2025, 1): Usage(1_800, 0, 0, 1_800_000),
        ("ap1", 2025, 2): Usage(1_800, 0, 0, 1_800_000),
    }


def test_hourly_keeps_aps_apart():
    ledger = Ledger()
    ledger.add_many(
        [("a", T, T + 60, 1, 2, 3), ("b", T, T + 60, 4, 5, 6), ("a", T + 60, T + 120, 1, 1, 1)]
    )
    assert ledger.hourly() == {("a", T): Usage(2, 3, 4, 120_000), ("b", T): Usage(4, 5, 6, 60_000)}


amounts = st.integers(0, 2**50)


@settings(max_examples=300, deadline=None)
@given(
    start_ms=st.integers(0, 30 * 86_400_000),
    length_ms=st.one_of(st.integers(0, 2 * HOUR_MS), st.integers(0, 40 * 86_400_000)),
    rx=amounts,
    tx=amounts,
    sessions=st.integers(0, 10**6),
)
def test_hourly_parts_sum_exactly_and_follow_time(start_ms, length_ms, rx, tx, sessions):
    start = T + start_ms / 1000
    end = start + length_ms / 1000
    shares = split_hourly("ap", start, end, rx, tx, sessions)
    total = Usage()
    for usage in shares.values():
        total = total + usage
    assert total == Usage(rx, tx, sessions, to_ms(end) - to_ms(start))
    hours = [hour for _, hour in shares]
    assert all(h % H == 0 for h in hours)
    assert hours == sorted(hours) and len(set(hours)) == len(hours)
    span = to_ms(end) - to_ms(start)
    for usage in shares.values():  # each part within one unit of its proportional share
        if span:
            assert abs(usage.rx_bytes * span - rx * usage.covered_ms) < span
            assert abs(usage.sessions * span - sessions * usage.covered_ms) < span


@st.composite
def timelines(draw):
    """Contiguous sample times over ~3 months that include every KST midnight in range."""
    first = draw(st.integers(0, 365 * 86_400_000)) + T * 1000
    length = draw(st.integers(HOUR_MS, 100 * 86_400_000))
    points = set(draw(st.lists(st.integers(first, first + length), max_size=60)))
    points |= {first, first + length}
    day = datetime.fromtimestamp(first / 1000, SEOUL).date()
    while (midnight := _kst_midnight_ms(day)) <= first + length:
        if midnight >= first:
            points.add(midnight)
        day += timedelta(days=1)
    times = sorted(points)
    deltas = draw(st.lists(amounts, min_size=len(times) - 1, max_size=len(times) - 1))
    return times, deltas


def _kst_midnight_ms(day: date) -> int:
    return round(datetime(day.year, day.month, day.day, tzinfo=SEOUL).timestamp() * 1000)


@settings(max_examples=100, deadline=None)
@given(timelines(), st.randoms(use_true_random=False))
def test_each_kst_day_and_month_equals_the_sum_of_its_deltas(timeline, rnd: random.Random):
    times, deltas = timeline
    rows = [
        ("ap", a / 1000, b / 1000, d, d // 3, d % 1000)
        for a, b, d in zip(times, times[1:], deltas, strict=False)
    ]
    rnd.shuffle(rows)  # order of arrival does not matter
    ledger = Ledger()
    ledger.add_many(rows)
    by_day: dict[date, int] = {}
    by_month: dict[tuple[int, int], int] = {}
    for _, start, _end, rx, _tx, _s in rows:
        day = datetime.fromtimestamp(start, SEOUL).date()  # each span lies inside one KST day
        by_day[day] = by_day.get(day, 0) + rx
        by_month[(day.year, day.month)] = by_month.get((day.year, day.month), 0) + rx
    assert {day: u.rx_bytes for (_, day), u in ledger.daily().items()} == by_day
    assert {(y, m): u.rx_bytes for (_, y, m), u in ledger.monthly().items()} == by_month
    months = ledger.monthly().values()
    assert sum(u.rx_bytes for u in months) == sum(deltas)
    assert sum(u.tx_bytes for u in months) == sum(d // 3 for d in deltas)
    assert sum(u.covered_ms for u in months) == times[-1] - times[0]
