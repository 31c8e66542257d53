"""The ledger's local copy: what goes in comes out, summed by month and district, or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.ledger.mirror import LedgerMirror, kst_day_start, month_start, next_month

KST = dt.timezone(dt.timedelta(hours=9))


def day(y: int, m: int, d: int) -> int:
    return int(dt.datetime(y, m, d, tzinfo=KST).timestamp())


def row(ap: str, district: str, n: int) -> tuple[str, str, list[int]]:
    return ap, district, [n, 2 * n, 3, 86_400, 288, 287]


def test_a_day_comes_back_per_ap_and_per_district(tmp_path: Path) -> None:
    mirror = LedgerMirror(tmp_path / "l.sqlite")
    mirror.put_day(
        day(2026, 11, 3), [row("A", "11680", 10), row("B", "11680", 5), row("C", "11110", 1)]
    )
    sums = mirror.ap_sums(day(2026, 11, 3), day(2026, 11, 4))
    assert sums == {
        "A": ("11680", [10, 20, 3, 86_400, 288, 287]),
        "B": ("11680", [5, 10, 3, 86_400, 288, 287]),
        "C": ("11110", [1, 2, 3, 86_400, 288, 287]),
    }
    assert mirror.ap_sums(day(2026, 11, 3), day(2026, 11, 4), "11110") == {
        "C": ("11110", [1, 2, 3, 86_400, 288, 287])
    }
    assert mirror.district_days(day(2026, 11, 3), day(2026, 11, 4)) == {
        "11680": {day(2026, 11, 3): [15, 30, 6, 172_800, 576, 574]},
        "11110": {day(2026, 11, 3): [1, 2, 3, 86_400, 288, 287]},
    }


def test_no_answer_unless_every_day_is_held(tmp_path: Path) -> None:
    mirror = LedgerMirror(tmp_path / "l.sqlite")
    mirror.put_day(day(2026, 11, 1), [row("A", "11680", 1)])
    mirror.put_day(day(2026, 11, 3), [row("A", "11680", 1)])
    assert mirror.ap_sums(day(2026, 11, 1), day(2026, 11, 4)) is None  # the 2nd is missing
    assert mirror.district_days(day(2026, 11, 1), day(2026, 11, 4)) is None
    assert mirror.holds(day(2026, 11, 3), day(2026, 11, 4))
    mirror.put_day(day(2026, 11, 2), [])  # a day closed with no AP is still a day held
    assert mirror.ap_sums(day(2026, 11, 1), day(2026, 11, 4)) == {
        "A": ("11680", [2, 4, 6, 172_800, 576, 574])
    }


def test_whole_months_and_the_days_around_them_add_up(tmp_path: Path) -> None:
    mirror = LedgerMirror(tmp_path / "l.sqlite")
    first, end = day(2026, 10, 30), day(2026, 12, 2)
    cursor, n = first, 0
    while cursor < end:
        n += 1
        mirror.put_day(cursor, [row("A", "11680", n)])
        cursor = kst_day_start(cursor + 90_000)
    sums = mirror.ap_sums(first, end)
    assert sums is not None
    assert sums["A"][1][0] == sum(range(1, n + 1))  # Oct 30-31 daily, November monthly, Dec 1
    assert sums["A"][1][3] == 86_400 * n


def test_rewriting_a_day_replaces_it_and_an_ap_gone_from_the_month_goes(tmp_path: Path) -> None:
    mirror = LedgerMirror(tmp_path / "l.sqlite")
    nov = (day(2026, 11, 1), day(2026, 12, 1))
    for d in range(1, 31):
        mirror.put_day(day(2026, 11, d), [row("A", "11680", d)])
    mirror.put_day(day(2026, 11, 2), [row("A", "11680", 100), row("B", "11110", 7)])
    sums = mirror.ap_sums(*nov)
    assert sums is not None
    assert sums["A"][1][0] == sum(range(1, 31)) - 2 + 100
    assert sums["B"] == ("11110", [7, 14, 3, 86_400, 288, 287])
    mirror.put_day(day(2026, 11, 2), [row("A", "11680", 2)])  # B was a mistake
    assert set(mirror.ap_sums(*nov) or {}) == {"A"}


def test_a_row_with_the_wrong_width_or_a_day_not_at_kst_midnight_is_refused(
    tmp_path: Path,
) -> None:
    mirror = LedgerMirror(tmp_path / "l.sqlite")
    with pytest.raises(ValueError, match="6 values"):
        mirror.put_day(day(2026, 11, 1), [("A", "11680", [1, 2, 3])])
    with pytest.raises(ValueError, match="not the start of a KST day"):
        mirror.put_day(day(2026, 11, 1) + 3600, [row("A", "11680", 1)])
    assert not mirror.holds(day(2026, 11, 1), day(2026, 11, 2))  # nothing half-written


def test_readers_never_create_the_file(tmp_path: Path) -> None:
    assert LedgerMirror.existing(tmp_path) is None
    assert not (tmp_path / "ledger").exists()
    LedgerMirror.in_dir(tmp_path).put_day(day(2026, 11, 1), [])
    assert LedgerMirror.existing(tmp_path) is not None


def test_month_helpers() -> None:
    assert month_start(day(2026, 12, 31)) == day(2026, 12, 1)
    assert next_month(day(2026, 12, 1)) == day(2027, 1, 1)


_days = st.integers(min_value=0, max_value=61)  # 2026-10-01 .. 2026-12-01
_writes = st.lists(
    st.tuples(_days, st.dictionaries(st.sampled_from("ABC"), st.integers(0, 10**15), max_size=3)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(_writes, _days, _days)
def test_any_window_equals_the_sum_of_the_last_write_of_each_day(
    tmp_path_factory: pytest.TempPathFactory,
    writes: list[tuple[int, dict[str, int]]],
    a: int,
    b: int,
) -> None:
    mirror = LedgerMirror(tmp_path_factory.mktemp("m") / "l.sqlite")
    base = day(2026, 10, 1)
    last: dict[int, dict[str, int]] = {}
    for offset, values in writes:
        start = kst_day_start(base + offset * 86_400)
        mirror.put_day(start, [row(ap, "11680", n) for ap, n in values.items()])
        last[start] = values
    low, high = sorted((kst_day_start(base + a * 86_400), kst_day_start(base + b * 86_400)))
    sums = mirror.ap_sums(low, high + 86_400)
    wanted = [d for d in last if low <= d <= high]
    if len(wanted) != (high - low) // 86_400 + 1:
        assert sums is None
        return
    expected: dict[str, int] = {}
    for d in wanted:
        for ap, n in last[d].items():
            expected[ap] = expected.get(ap, 0) + n
    assert sums is not None
    assert {ap: v[1][0] for ap, v in sums.items()} == expected
