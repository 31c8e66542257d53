"""Numbers and times as people read them: Korean style in Korean (억 원, 만), dates in KST.

Korean groups large numbers by 10^4 (만) and 10^8 (억): 207,200,172,340 won reads
"2,072억 원"; English keeps thousands separators ("207.2 bn KRW"). Bytes are decimal units
(1 TB = 10^12 bytes), as in the reports.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

KST = dt.timezone(dt.timedelta(hours=9), "KST")


def krw(amount: int, lang: str) -> str:
    """A KRW amount for a headline: 억/만 원 in Korean, bn/M KRW in English."""
    if lang == "ko":
        if abs(amount) >= 10**8:
            return f"{amount / 10**8:,.1f}억 원"
        if abs(amount) >= 10**4:
            return f"{amount / 10**4:,.0f}만 원"
        return f"{amount:,}원"
    if abs(amount) >= 10**9:
        return f"{amount / 10**9:,.2f} bn KRW"
    if abs(amount) >= 10**6:
        return f"{amount / 10**6:,.1f} M KRW"
    return f"{amount:,} KRW"


def krw_exact(amount: int, lang: str) -> str:
    """Every won, with separators (tables)."""
    return f"{amount:,}원" if lang == "ko" else f"{amount:,}"


def count(value: int, lang: str) -> str:
    """A count: 만 above 100,000 in Korean (1,278만), separators otherwise."""
    if lang == "ko" and abs(value) >= 10**5:
        return f"{value / 10**4:,.0f}만"
    return f"{value:,}"


def data(nbytes: int) -> str:
    """Bytes in the largest decimal unit that keeps the number readable."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:,.2f} {unit}"
    return f"{nbytes:,} B"


def percent(value: Decimal | float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


def kst(ts: float | None, with_seconds: bool = False) -> str:
    """``2026-12-07 19:05 KST``."""
    if ts is None:
        return "—"
    moment = dt.datetime.fromtimestamp(ts, KST)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M") + " KST"


def ago(seconds: float | None, lang: str) -> str:
    if seconds is None:
        return "—"
    s = int(max(0, seconds))
    if lang == "ko":
        return f"{s}초 전" if s < 120 else f"{s // 60}분 전" if s < 7200 else f"{s // 3600}시간 전"
    return f"{s} s ago" if s < 120 else f"{s // 60} min ago" if s < 7200 else f"{s // 3600} h ago"
