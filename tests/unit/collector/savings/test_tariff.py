"""The tariff book: the packaged default, periods split by day, strict loading with FILE:LINE."""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.errors import InputError
from collector.savings.tariff import DEFAULT_TARIFFS, Tariff, TariffBook, load_tariffs

D = dt.date


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tariffs.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def messages(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_tariffs(path)
    return [str(p) for p in caught.value.problems]


ENTRY = """\
  - id: {id}
    effective_from: {first}
    effective_to: {last}
    krw_per_gb: "{rate}"
    source: s
    method: m
"""


def book_text(*entries: tuple[str, str, str, str]) -> str:
    body = "".join(
        ENTRY.format(id=i, first=first, last=last, rate=rate) for i, first, last, rate in entries
    )
    return "tariffs:\n" + body


TWO = book_text(
    ("old", "2024-01-01", "2024-03-15", "5000"),
    ("new", "2024-03-16", "null", "6000.5"),
)


# --- the packaged book ---------------------------------------------------------------------


def test_default_book_is_the_seoul_2024_rate() -> None:
    book = load_tariffs()
    assert book.path == str(DEFAULT_TARIFFS)
    assert DEFAULT_TARIFFS.name == "tariffs.yaml" and DEFAULT_TARIFFS.parent.name == "savings"
    (tariff,) = book.tariffs
    assert tariff.id == "seoul-2024-implied"
    assert tariff.effective_from == D(2024, 1, 1)
    assert tariff.effective_to is None
    assert tariff.krw_per_gb == Decimal("5684.66")
    assert isinstance(tariff.krw_per_gb, Decimal)
    assert tariff.counts == ("rx", "tx")
    assert "36,449 TB" in tariff.source and "207.2 billion" in tariff.source
    assert "5,684.66" in tariff.method
    assert tariff.line == 7
    assert book.get("seoul-2024-implied") is tariff
    assert book.in_force(D(2030, 6, 1)) is tariff
    assert load_tariffs(None) == book
    assert load_tariffs(DEFAULT_TARIFFS) == book


def test_default_rate_reproduces_its_method() -> None:
    # 207.2 billion KRW / 36,449,000 GB, to 0.01 KRW
    rate = (Decimal(207_200_000_000) / Decimal(36_449_000)).quantize(Decimal("0.01"))
    assert rate == load_tariffs().get("seoul-2024-implied").krw_per_gb


def test_default_book_is_before_2024_uncovered() -> None:
    with pytest.raises(InputError) as caught:
        load_tariffs().in_force(D(2023, 12, 31))
    assert str(caught.value) == (
        f"{DEFAULT_TARIFFS}:0: no tariff in force on 2023-12-31 "
        "(tariffs: seoul-2024-implied 2024-01-01..open-ended)"
    )


# --- lookups and periods -------------------------------------------------------------------


def test_in_force_edges_are_inclusive(tmp_path: Path) -> None:
    book = load_tariffs(write(tmp_path, TWO))
    assert [t.id for t in book.tariffs] == ["old", "new"]
    assert book.in_force(D(2024, 1, 1)).id == "old"
    assert book.in_force(D(2024, 3, 15)).id == "old"
    assert book.in_force(D(2024, 3, 16)).id == "new"
    assert book.get("new").krw_per_gb == Decimal("6000.5")
    assert book.get("old").in_force(D(2024, 3, 15))
    assert not book.get("old").in_force(D(2024, 3, 16))
    assert not book.get("new").in_force(D(2024, 3, 15))


def test_book_is_sorted_by_effective_from(tmp_path: Path) -> None:
    text = book_text(
        ("new", "2024-03-16", "null", "6000"),
        ("old", "2024-01-01", "2024-03-15", "5000"),
    )
    book = load_tariffs(write(tmp_path, text))
    assert [(t.id, t.line) for t in book.tariffs] == [("old", 8), ("new", 2)]


def test_a_month_spanning_two_tariffs_is_split_by_day(tmp_path: Path) -> None:
    book = load_tariffs(write(tmp_path, TWO))
    old, new = book.get("old"), book.get("new")
    assert book.periods(D(2024, 3, 1), D(2024, 4, 1)) == [
        (D(2024, 3, 1), D(2024, 3, 16), old),
        (D(2024, 3, 16), D(2024, 4, 1), new),
    ]
    # one day on each side of the boundary
    assert book.periods(D(2024, 3, 15), D(2024, 3, 17)) == [
        (D(2024, 3, 15), D(2024, 3, 16), old),
        (D(2024, 3, 16), D(2024, 3, 17), new),
    ]
    # wholly inside one period: one piece
    assert book.periods(D(2024, 2, 1), D(2024, 3, 1)) == [(D(2024, 2, 1), D(2024, 3, 1), old)]
    # ending exactly at the boundary: the next tariff is not touched
    assert book.periods(D(2024, 3, 1), D(2024, 3, 16)) == [(D(2024, 3, 1), D(2024, 3, 16), old)]
    assert book.periods(D(2024, 3, 1), D(2024, 3, 1)) == []


def test_periods_refuse_a_day_without_tariff(tmp_path: Path) -> None:
    text = book_text(
        ("a", "2024-01-01", "2024-01-31", "1"),
        ("b", "2024-02-02", "null", "2"),
    )
    path = write(tmp_path, text)
    book = load_tariffs(path)
    assert book.periods(D(2024, 1, 30), D(2024, 2, 1)) == [
        (D(2024, 1, 30), D(2024, 2, 1), book.get("a"))
    ]
    with pytest.raises(InputError) as caught:
        book.periods(D(2024, 1, 30), D(2024, 2, 3))
    assert str(caught.value) == (
        f"{path}:0: no tariff in force on 2024-02-01 "
        "(tariffs: a 2024-01-01..2024-01-31, b 2024-02-02..open-ended)"
    )
    with pytest.raises(InputError, match="no tariff in force on 2023-12-31"):
        book.periods(D(2023, 12, 31), D(2024, 1, 2))


def test_unknown_tariff_id() -> None:
    with pytest.raises(InputError) as caught:
        load_tariffs().get("nope")
    assert str(caught.value) == "--tariff:0: unknown tariff id 'nope' (known: seoul-2024-implied)"


def test_unknown_tariff_id_lists_all_known(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_tariffs(write(tmp_path, TWO)).get("x")
    assert str(caught.value) == "--tariff:0: unknown tariff id 'x' (known: new, old)"


@st.composite
def books_and_ranges(draw: st.DrawFn) -> tuple[TariffBook, dt.date, dt.date]:
    """A gapless book of 1-5 tariffs (the last open-ended) and a day range inside it."""
    start = D(2024, 1, 1)
    lengths = draw(st.lists(st.integers(1, 60), min_size=0, max_size=4))
    tariffs = []
    first = start
    for n, length in enumerate([*lengths, None]):
        last = None if length is None else first + dt.timedelta(days=length - 1)
        tariffs.append(Tariff(f"t{n}", first, last, Decimal(n + 1), ("rx", "tx"), "s", "m"))
        if last is not None:
            first = last + dt.timedelta(days=1)
    low = start + dt.timedelta(days=draw(st.integers(0, 300)))
    high = low + dt.timedelta(days=draw(st.integers(0, 300)))
    return TariffBook("book.yaml", tuple(tariffs)), low, high


@given(books_and_ranges())
def test_periods_cover_the_range_exactly(case: tuple[TariffBook, dt.date, dt.date]) -> None:
    book, low, high = case
    pieces = book.periods(low, high)
    if low == high:
        assert pieces == []
        return
    assert pieces[0][0] == low and pieces[-1][1] == high
    for (_, end, _), (first, _, _) in itertools.pairwise(pieces):
        assert end == first  # contiguous: no gap, no overlap
    days = 0
    for first, end, tariff in pieces:
        assert first < end
        days += (end - first).days
        day = first
        while day < end:  # every day priced by the tariff in force that day
            assert tariff.in_force(day) and book.in_force(day) is tariff
            day += dt.timedelta(days=1)
    assert days == (high - low).days
    for (_, _, a), (_, _, b) in itertools.pairwise(pieces):
        assert a is not b  # split only where the tariff changes


# --- strict loading ------------------------------------------------------------------------


def test_a_float_rate_is_read_via_str(tmp_path: Path) -> None:
    path = write(tmp_path, TWO.replace('"5000"', "5684.66").replace('"6000.5"', "7"))
    book = load_tariffs(path)
    assert book.get("old").krw_per_gb == Decimal("5684.66")
    assert book.get("new").krw_per_gb == Decimal(7)


def test_counts_default_and_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        tariffs:
          - id: both
            effective_from: 2024-01-01
            effective_to: 2024-01-31
            krw_per_gb: "1"
            source: s
            method: m
          - id: tx-only
            effective_from: 2024-02-01
            effective_to: 2024-02-29
            krw_per_gb: "1"
            counts: [tx]
            source: s
            method: m
          - id: reordered
            effective_from: 2024-03-01
            effective_to: null
            krw_per_gb: "1"
            counts: [tx, rx]
            source: s
            method: m
        """,
    )
    book = load_tariffs(path)
    assert [t.counts for t in book.tariffs] == [("rx", "tx"), ("tx",), ("rx", "tx")]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    assert messages(path) == [f"{path}:0: cannot read: No such file or directory"]


def test_unknown_missing_and_wrong_type_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        tariffs:
          - id: a
            effective_from: "2024-01-01"
            effective_to: null
            krw_per_gb: "1"
            colour: red
            source: s
          - id: 7
            effective_from: 2024-02-01
            effective_to: 2024-02-30x
            krw_per_gb: true
            source: s
            method: m
        extra: 1
        """,
    )
    assert messages(path) == [
        f"{path}:3: tariffs[0].effective_from: Input should be a valid date",
        f"{path}:2: tariffs[0].method: required key is missing",
        f"{path}:6: tariffs[0].colour: unknown key",
        f"{path}:8: tariffs[1].id: Input should be a valid string",
        f"{path}:10: tariffs[1].effective_to: Input should be a valid date",
        f"{path}:11: tariffs[1].krw_per_gb: Input should be a valid string",
        f"{path}:11: tariffs[1].krw_per_gb: Input should be a valid number",
        f"{path}:11: tariffs[1].krw_per_gb: Input should be a valid integer",
        f"{path}:14: extra: unknown key",
    ]


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ('"0"', "must be positive, got 0"),
        ('"0.00"', "must be positive, got 0.00"),
        ('"-5"', "must be positive, got -5"),
        ("-5.5", "must be positive, got -5.5"),
        ("0", "must be positive, got 0"),
        ('"abc"', "'abc' is not a decimal number (write digits and a point, e.g. \"5684.66\")"),
        ('"1_000"', "'1_000' is not a decimal number (write digits and a point, e.g. \"5684.66\")"),
        (
            '"5,684.66"',
            "'5,684.66' is not a decimal number (write digits and a point, e.g. \"5684.66\")",
        ),
        ('"1e3"', "'1e3' is not a decimal number (write digits and a point, e.g. \"5684.66\")"),
        ('" 5"', "' 5' is not a decimal number (write digits and a point, e.g. \"5684.66\")"),
        ('""', "'' is not a decimal number (write digits and a point, e.g. \"5684.66\")"),
        (".nan", "must be a finite number, got nan"),
        ('"1.0000001"', "1.0000001 has more than 6 decimal places"),
        ('"1000000000000000"', "1000000000000000 is implausibly large"),
    ],
)
def test_bad_rates(tmp_path: Path, rate: str, message: str) -> None:
    path = write(tmp_path, book_text(("a", "2024-01-01", "null", "R")).replace('"R"', rate))
    assert messages(path) == [f"{path}:5: tariffs[0].krw_per_gb: {message}"]


def test_rate_with_six_decimals_and_trailing_zeros_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, book_text(("a", "2024-01-01", "null", "1.123456000")))
    assert load_tariffs(path).get("a").krw_per_gb == Decimal("1.123456")


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ("[]", "must name at least one of rx, tx"),
        ("[rx, rx]", "'rx' is listed more than once"),
        ("[rx, both]", "'both' is not rx or tx"),
        ("[RX]", "'RX' is not rx or tx"),
    ],
)
def test_bad_counts(tmp_path: Path, counts: str, message: str) -> None:
    text = book_text(("a", "2024-01-01", "null", "1")) + f"    counts: {counts}\n"
    path = write(tmp_path, text)
    assert messages(path) == [f"{path}:8: tariffs[0].counts: {message}"]


def test_counts_must_be_a_list_of_text(tmp_path: Path) -> None:
    text = book_text(("a", "2024-01-01", "null", "1")) + "    counts: [rx, 1]\n"
    path = write(tmp_path, text)
    assert messages(path) == [f"{path}:8: tariffs[0].counts[1]: Input should be a valid string"]


def test_empty_and_bad_ids_and_texts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        tariffs:
          - id: ""
            effective_from: 2024-01-01
            effective_to: 2024-01-31
            krw_per_gb: "1"
            source: "  "
            method: m
          - id: "has space"
            effective_from: 2024-02-01
            effective_to: null
            krw_per_gb: "1"
            source: s
            method: ""
        """,
    )
    assert messages(path) == [
        f"{path}:2: tariffs[0].id: must not be empty",
        f"{path}:6: tariffs[0].source: must not be empty",
        f"{path}:8: tariffs[1].id: 'has space' is not a valid id (letters, digits, _ . -; "
        "at most 64; starting with a letter or digit)",
        f"{path}:13: tariffs[1].method: must not be empty",
    ]


def test_duplicate_ids_and_reversed_period_are_reported_together(tmp_path: Path) -> None:
    text = book_text(
        ("a", "2024-01-01", "2024-01-31", "1"),
        ("b", "2024-03-01", "2024-02-01", "1"),
        ("a", "2024-04-01", "null", "1"),
    )
    path = write(tmp_path, text)
    assert messages(path) == [
        f"{path}:10: tariffs[1].effective_to: 2024-02-01 is before effective_from 2024-03-01",
        f"{path}:14: tariffs[2].id: duplicate tariff id 'a' (first at line 2)",
    ]


def test_a_one_day_period_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, book_text(("a", "2024-01-01", "2024-01-01", "1")))
    book = load_tariffs(path)
    assert book.periods(D(2024, 1, 1), D(2024, 1, 2)) == [
        (D(2024, 1, 1), D(2024, 1, 2), book.get("a"))
    ]


@pytest.mark.parametrize(
    ("first", "second", "b_period"),
    [
        (("2024-01-01", "2024-03-15"), ("2024-03-15", "null"), "2024-03-15..open-ended"),
        (("2024-01-01", "null"), ("2025-01-01", "2025-12-31"), "2025-01-01..2025-12-31"),
        (("2024-06-01", "2024-06-30"), ("2024-01-01", "2024-12-31"), "2024-01-01..2024-12-31"),
        (("2024-01-01", "2024-12-31"), ("2024-01-01", "2024-12-31"), "2024-01-01..2024-12-31"),
    ],
)
def test_overlapping_periods_name_both_lines(
    tmp_path: Path, first: tuple[str, str], second: tuple[str, str], b_period: str
) -> None:
    text = book_text(("a", *first, "1"), ("b", *second, "2"))
    path = write(tmp_path, text)
    a_period = f"{first[0]}..{'open-ended' if first[1] == 'null' else first[1]}"
    assert messages(path) == [
        f"{path}:8: tariffs[1]: b ({b_period}, line 8) overlaps a ({a_period}, line 2) "
        "at tariffs[0]: periods in force must not overlap"
    ]


def test_every_overlap_is_reported(tmp_path: Path) -> None:
    text = book_text(
        ("a", "2024-01-01", "null", "1"),
        ("b", "2025-01-01", "null", "1"),
        ("c", "2026-01-01", "null", "1"),
    )
    problems = messages(write(tmp_path, text))
    assert [p.split(": ", 2)[1] for p in problems] == ["tariffs[1]", "tariffs[2]", "tariffs[2]"]
    assert "overlaps a (2024-01-01..open-ended, line 2)" in problems[1]
    assert "overlaps b (2025-01-01..open-ended, line 8)" in problems[2]


def test_empty_book_and_wrong_shapes(tmp_path: Path) -> None:
    path = write(tmp_path, "tariffs: []\n")
    assert messages(path) == [f"{path}:1: tariffs: at least one tariff is required"]
    path.write_text("", encoding="utf-8")
    assert messages(path) == [
        f"{path}:1: (top level): Input should be a valid dictionary or instance of TariffBookFile"
    ]
    path.write_text("tariffs:\n  id: a\n", encoding="utf-8")
    assert messages(path) == [f"{path}:1: tariffs: Input should be a valid list"]


def test_yaml_traps_are_refused(tmp_path: Path) -> None:
    text = book_text(("a", "2024-01-01", "null", "1")).replace("source: s", "source: yes")
    path = write(tmp_path, text)
    assert messages(path) == [
        f"{path}:6: tariffs[0].source: 'yes' is read as a boolean by YAML 1.1 tools: quote it "
        '("yes") if it is text, or write true/false'
    ]


def test_nothing_is_cached(tmp_path: Path) -> None:
    path = write(tmp_path, book_text(("a", "2024-01-01", "null", "1")))
    assert load_tariffs(path).get("a").krw_per_gb == Decimal(1)
    path.write_text(book_text(("a", "2024-01-01", "null", "2")), encoding="utf-8")
    assert load_tariffs(path).get("a").krw_per_gb == Decimal(2)
