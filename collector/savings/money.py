"""Exact money: integer bytes times a decimal tariff, rounded once, half to even, to whole won.

Nothing here uses floats. :func:`krw_exact` is exact (a local decimal context wide enough that
no digit is lost), so sums of exact amounts are exact and additive; :func:`to_won` is the one
rounding; :func:`won_parts` rounds the rows of a table on their running total, so they add up
to the table's rounded total to the won.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

from collector.savings.tariff import Tariff

BYTES_PER_GB = 10**9
BYTES_PER_TB = 10**12
#: Wide enough for any realistic amount; a lost digit raises instead of rounding silently.
_EXACT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.Inexact])
ROUNDING_RULE = (
    "Money is computed exactly (decimal, per AP and tariff period) and rounded once, half to "
    "even, to whole won at the end; the rows of a table are rounded on their running total, so "
    "they add up to the table's total to the won and each is within 1 won of its exact value."
)
ROUNDING_RULE_KO = (
    "금액은 AP·요금 기간별로 소수 오차 없이 정확히 계산한 뒤 마지막에 한 번만 원 단위로 "
    "반올림합니다(오사오입, round half to even). 표의 각 행은 누계를 기준으로 반올림하므로 "
    "행의 합계가 표의 합계와 원 단위까지 일치하며, 각 행은 정확한 값과 1원 이내로 다릅니다."
)


def billable_bytes(rx_bytes: int, tx_bytes: int, tariff: Tariff) -> int:
    """The bytes the tariff prices (``counts``: rx, tx or both)."""
    return (rx_bytes if "rx" in tariff.counts else 0) + (tx_bytes if "tx" in tariff.counts else 0)


def krw_exact(billable: int, tariff: Tariff) -> Decimal:
    """``billable * krw_per_gb / 10^9`` exactly (raises if a digit would be lost)."""
    return _EXACT.divide(_EXACT.multiply(Decimal(billable), tariff.krw_per_gb), BYTES_PER_GB)


_ROUNDING = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)  # flags only, no traps
_ONE = Decimal(1)


def to_won(amount: Decimal) -> int:
    """Whole KRW, half to even: the one rounding."""
    return int(amount.quantize(_ONE, context=_ROUNDING))


def won_parts(exact: Sequence[Decimal]) -> list[int]:
    """Whole won per part, rounding the running total: they add up to ``to_won(sum(exact))``."""
    parts: list[int] = []
    running = Decimal(0)
    previous = 0
    for amount in exact:
        running = _EXACT.add(running, amount)
        current = to_won(running)
        parts.append(current - previous)
        previous = current
    return parts
