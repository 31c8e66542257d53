"""Calendar quarters in Seoul time: ``2025Q3`` is [2025-07-01 00:00 KST, 2025-10-01 00:00 KST)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

KST = dt.timezone(dt.timedelta(hours=9), "KST")
DAY_S = 86_400
_LABEL = re.compile(r"^(20[0-9]{2})Q([1-4])$")


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, label: str) -> Quarter:
        match = _LABEL.match(label)
        if match is None:
            raise ValueError(f"{label!r} is not a quarter like 2025Q3")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> int:
        """Epoch seconds of the quarter's first instant (KST)."""
        return int(dt.datetime(self.year, 3 * self.number - 2, 1, tzinfo=KST).timestamp())

    @property
    def end(self) -> int:
        """Epoch seconds just after the quarter (the next quarter's start)."""
        year, number = (self.year + 1, 1) if self.number == 4 else (self.year, self.number + 1)
        return Quarter(year, number).start

    def __str__(self) -> str:
        return self.label


def kst_day(ts: float) -> int:
    """The start (epoch seconds) of the KST day holding ``ts``."""
    day = dt.datetime.fromtimestamp(ts, KST).date()
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=KST).timestamp())


def kst_date(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, KST).date().isoformat()
