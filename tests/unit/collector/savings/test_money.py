"""Exact money: the published Seoul figure, directions priced, one rounding, apportioned rows."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from collector.savings.money import (
    BYTES_PER_GB,
    BYTES_PER_TB,
    ROUNDING_RULE,
    ROUNDING_RULE_KO,
    billable_bytes,
    krw_exact,
    to_won,
    won_parts,
)
from collector.savings.tariff import Tariff, load_tariffs


def tariff(rate: str, counts: tuple[str, ...] = ("rx", "tx")) -> Tariff:
    return Tariff("t", dt.date(2024, 1, 1), None, Decimal(rate), counts, "s", "m")


def test_units() -> None:
    assert BYTES_PER_GB == 1_000_000_000
    assert BYTES_PER_TB == 1_000 * BYTES_PER_GB


def test_the_default_book_reproduces_the_published_2024_figure() -> None:
    seoul = load_tariffs().get("seoul-2024-implied")
    total = 36_449 * BYTES_PER_TB  # rx + tx, as published
    rx = 30_000 * BYTES_PER_TB + 123
    billable = billable_bytes(rx, total - rx, seoul)
    assert billable == total
    exact = krw_exact(billable, seoul)
    # 36,449,000 GB x 5,684.66 KRW/GB = 207,200,172,340 KRW (36,449 x 5,684.66 = 207,200,172.34)
    assert exact == Decimal("207200172340")
    assert to_won(exact) == 207_200_172_340
    # as published: 207.2 billion KRW (to 0.1 billion)
    billions = (Decimal(to_won(exact)) / Decimal(10**9)).quantize(Decimal("0.1"))
    assert billions == Decimal("207.2")


def test_billable_bytes_counts_only_the_named_directions() -> None:
    assert billable_bytes(7, 5, tariff("1")) == 12
    assert billable_bytes(7, 5, tariff("1", ("rx",))) == 7
    assert billable_bytes(7, 5, tariff("1", ("tx",))) == 5
    assert billable_bytes(0, 0, tariff("1")) == 0


def test_krw_exact_keeps_every_digit() -> None:
    assert krw_exact(1, tariff("5684.66")) == Decimal("0.00000568466")
    assert krw_exact(BYTES_PER_GB, tariff("5684.66")) == Decimal("5684.66")
    assert krw_exact(0, tariff("5684.66")) == 0
    assert isinstance(krw_exact(3, tariff("1")), Decimal)


def test_krw_exact_is_exact_beyond_the_default_28_digits() -> None:
    big = 10**25 + 1  # ten million TB and a byte
    exact = krw_exact(big, tariff("999999999999999.999999"))
    # rate = 999,999,999,999,999,999,999 / 10^6, so KRW = big * that / 10^15, in integers:
    numerator = big * 999_999_999_999_999_999_999
    assert exact.as_integer_ratio() == (numerator, 10**15)
    assert str(exact) == "9999999999999999999990000999999.999999999999999"
    assert to_won(exact) == 9_999_999_999_999_999_999_990_001_000_000


def test_to_won_rounds_half_to_even() -> None:
    assert to_won(Decimal("0.5")) == 0
    assert to_won(Decimal("1.5")) == 2
    assert to_won(Decimal("2.5")) == 2
    assert to_won(Decimal("2.5000000001")) == 3
    assert to_won(Decimal("2.4999999999")) == 2
    assert to_won(Decimal("-2.5")) == -2
    assert to_won(Decimal("207200172340.00")) == 207_200_172_340
    assert to_won(Decimal("12345678901234567890123456789012.5")) == (
        12345678901234567890123456789012
    )
    assert isinstance(to_won(Decimal("1.2")), int)


def test_won_parts_apportion_by_running_total() -> None:
    thirds = [Decimal(1) / Decimal(3)] * 3  # 0.333... each, 1.0 in all (to 28 digits)
    assert won_parts([Decimal("0.4"), Decimal("0.4"), Decimal("0.4")]) == [0, 1, 0]
    assert won_parts([Decimal("0.6"), Decimal("0.6"), Decimal("0.6")]) == [1, 0, 1]
    assert won_parts([Decimal("2.5"), Decimal("2.5")]) == [2, 3]
    assert sum(won_parts(thirds)) == to_won(sum(thirds, Decimal(0))) == 1
    assert won_parts([]) == []
    assert won_parts([Decimal("10.2")]) == [10]


def test_rounding_rule_is_stated_in_both_languages() -> None:
    assert "half to even" in ROUNDING_RULE and "won" in ROUNDING_RULE
    assert ROUNDING_RULE.endswith(".") and ROUNDING_RULE.count(". ") == 0
    assert "반올림" in ROUNDING_RULE_KO and "원" in ROUNDING_RULE_KO


rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("99999.999999"), places=6)
amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000000"), places=11)
byte_counts = st.integers(min_value=0, max_value=10**22)


@given(st.lists(amounts, max_size=40))
def test_won_parts_add_up_and_stay_within_a_won(exact: list[Decimal]) -> None:
    parts = won_parts(exact)
    assert len(parts) == len(exact)
    assert sum(parts) == to_won(sum(exact, Decimal(0)))
    for part, value in zip(parts, exact, strict=True):
        assert abs(Decimal(part) - value) <= 1


@given(byte_counts, byte_counts, rates)
def test_krw_exact_is_additive(a: int, b: int, rate: Decimal) -> None:
    t = tariff(str(rate))
    with decimal.localcontext(prec=100):  # the test's own sums must not round either
        assert krw_exact(a, t) + krw_exact(b, t) == krw_exact(a + b, t)
        # and exact: KRW times 10^9 is the exact product
        assert krw_exact(a, t) * BYTES_PER_GB == Decimal(a) * rate


@given(byte_counts, byte_counts, rates)
def test_pricing_rx_and_tx_apart_adds_up(rx: int, tx: int, rate: Decimal) -> None:
    both, rx_only, tx_only = (
        tariff(str(rate)),
        tariff(str(rate), ("rx",)),
        tariff(str(rate), ("tx",)),
    )
    with decimal.localcontext(prec=100):
        split = krw_exact(billable_bytes(rx, tx, rx_only), rx_only) + krw_exact(
            billable_bytes(rx, tx, tx_only), tx_only
        )
    assert split == krw_exact(billable_bytes(rx, tx, both), both)
