"""Ground truth: the exact bytes and sessions the traffic model carried per AP in [T1, T2).

``bytes_in`` is what the AP's radios received from clients (radio ifInOctets), ``bytes_out`` what
they sent to clients (radio ifOutOctets). Both are differences of the exact cumulative functions
in :mod:`collector.lab.traffic`, so they equal what SNMP counters advance by between two reads
at T1 and T2 (modulo wrap and restarts). Times are floored to whole seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from collector.errors import InputError
from collector.inventory.model import AccessPoint
from collector.lab.traffic import profile_for

SEOUL = dt.timezone(dt.timedelta(hours=9), "KST")


@dataclass(frozen=True, slots=True)
class ApTruth:
    ap: str
    bytes_in: int
    bytes_out: int
    sessions: int

    def as_dict(self) -> dict[str, int | str]:
        return asdict(self)


def ap_truth(ap: AccessPoint, seed: int, start: float, end: float) -> ApTruth:
    profile = profile_for(ap, seed)
    tx1, rx1, s1 = profile.totals(start)
    tx2, rx2, s2 = profile.totals(end)
    return ApTruth(ap.id, bytes_in=rx2 - rx1, bytes_out=tx2 - tx1, sessions=s2 - s1)


def fleet_truth(aps: Iterable[AccessPoint], seed: int, start: float, end: float) -> list[ApTruth]:
    return [ap_truth(ap, seed, start, end) for ap in aps]


def parse_time(text: str, option: str) -> float:
    """Epoch seconds, or ISO 8601 (a time without zone is Seoul time, KST)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError.at(
            option,
            0,
            f"{text!r} is neither epoch seconds nor an ISO 8601 "
            "time (e.g. 2024-01-01T00:00:00+09:00)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SEOUL)
    return moment.timestamp()
