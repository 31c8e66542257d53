"""Which legacy APs to replace next: a documented score from what the fleet reports.

Candidates are APs on Wi-Fi 4 or 5 (the standard of the model they answer as, else the
inventory's) that the programme does not touch yet and that are polled. Over the last
:data:`WINDOW_DAYS` (28) whole KST days of the ledger copy and the rollout store:

============== ====== =================================================================
term           weight figure (each term is capped at 1)
============== ====== =================================================================
utilisation    0.25   traffic per day as an average rate over the radio's nominal
                      capacity (:data:`CAPACITY_MBPS`), saturating at 5 % (a public AP
                      that averages 5 % of its capacity is full in its busy hours)
client density 0.25   the window's highest daily peak of clients over the standard's
                      planning capacity (:data:`CLIENT_CAPACITY`)
failures       0.20   polls missed (saturating at 5 % missed) and reboots seen
                      (saturating at 4), half each
age            0.15   years since ``installed``, saturating at 10 (unknown: 0)
footfall       0.15   the site's footfall class: low 0, medium 1/3, high 2/3, very high 1
============== ====== =================================================================

score = 100 x the weighted sum (0..100); each :class:`Candidate` carries its terms and their
points (:attr:`Candidate.terms`, :attr:`Candidate.points`), so nothing that shows a score
computes it again. The capacities are planning figures for a street AP
with typical clients (our assumptions, stated so they can be argued with), not measurements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from collector.inventory.model import AccessPoint, Footfall
from collector.ledger.mirror import LedgerMirror
from collector.ledger.stored import FIELDS
from collector.rollout.plan import plan_items
from collector.rollout.quarters import DAY_S, KST, kst_day
from collector.rollout.state import observed_model
from collector.rollout.store import RolloutStore

WINDOW_DAYS = 28
LEGACY = frozenset({"wifi4", "wifi5"})
CAPACITY_MBPS = {"wifi4": 150.0, "wifi5": 400.0}
CLIENT_CAPACITY = {"wifi4": 30, "wifi5": 60}
WEIGHTS = {"utilisation": 0.25, "density": 0.25, "failures": 0.20, "age": 0.15, "footfall": 0.15}
UTILISATION_FULL = 0.05
MISSED_FULL = 0.05
REBOOTS_FULL = 4
AGE_FULL_YEARS = 10.0
FOOTFALL_TERM = {
    Footfall.LOW: 0.0,
    Footfall.MEDIUM: 1 / 3,
    Footfall.HIGH: 2 / 3,
    Footfall.VERY_HIGH: 1.0,
}


@dataclass(frozen=True, slots=True)
class Candidate:
    ap_id: str
    district: str
    site: str
    model: str
    standard: str
    score: float
    # the figures behind the score
    traffic_per_day: float  # bytes
    utilisation: float  # average rate / nominal capacity, 0..1
    peak_clients: int | None
    density: float  # peak clients / planning capacity
    poll_success: float | None
    reboots: int
    age_years: float | None
    footfall: str
    days: int  # ledger days in the window

    @property
    def terms(self) -> dict[str, float]:
        """The score's terms (0..1 each, in :data:`WEIGHTS` order), from the figures above."""
        return score_terms(
            self.utilisation,
            self.density,
            self.poll_success,
            self.reboots,
            self.age_years,
            Footfall(self.footfall),
        )

    @property
    def points(self) -> dict[str, float]:
        """Each term's points of the score (``100 x weight x term``); they add up to the score
        before its rounding to 0.1."""
        return {k: 100 * WEIGHTS[k] * v for k, v in self.terms.items()}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_terms(
    utilisation: float,
    density: float,
    poll_success: float | None,
    reboots: int,
    age_years: float | None,
    footfall: Footfall,
) -> dict[str, float]:
    """The five terms of the score (the module's table), each capped at 1, in WEIGHTS order."""
    missed = 1 - poll_success if poll_success is not None else 0.0
    return {
        "utilisation": min(1.0, utilisation / UTILISATION_FULL),
        "density": min(1.0, density),
        "failures": min(
            1.0, 0.5 * min(1.0, missed / MISSED_FULL) + 0.5 * min(1.0, reboots / REBOOTS_FULL)
        ),
        "age": min(1.0, (age_years or 0.0) / AGE_FULL_YEARS),
        "footfall": FOOTFALL_TERM[footfall],
    }


def score_of(terms: Mapping[str, float]) -> float:
    """100 x the weighted sum of the terms, rounded to 0.1."""
    return round(100 * sum(WEIGHTS[k] * v for k, v in terms.items()), 1)


def candidates(
    inventory: Iterable[AccessPoint],
    store: RolloutStore | None,
    mirror: LedgerMirror | None,
    standards: Mapping[str, str],
    now: float,
    *,
    district: str | None = None,
    top: int | None = 20,
) -> list[Candidate]:
    """The ranked candidates (highest score first; ties by AP id) among the APs of
    ``inventory`` (any iterable: read once)."""
    aps = tuple(inventory)
    high = kst_day(now)
    low = high - WINDOW_DAYS * DAY_S
    planned = {item.ap.id for item in plan_items(aps)}
    sightings = store.sightings() if store is not None else {}
    sums = _held_sums(mirror, low, high)
    peaks = store.window_totals(low, high) if store is not None else {}
    today = dt.datetime.fromtimestamp(now, KST).date()
    out: list[Candidate] = []
    for ap in aps:
        if ap.id in planned or not ap.status.is_polled:
            continue
        if district is not None and ap.district.code != district:
            continue
        seen = observed_model(sightings.get(ap.id, []))
        model = seen.model if seen is not None else ap.model
        standard = standards.get(model, ap.standard.value)
        if standard not in LEGACY:
            continue
        values, days = sums.get(ap.id, ([0] * len(FIELDS), 0))
        peak, reboots = peaks.get(ap.id, (None, 0))
        out.append(
            _scored(
                ap.id,
                ap.district.code,
                ap.site.id,
                model,
                standard,
                values,
                days,
                peak,
                reboots,
                ap.installed,
                today,
                ap.site.footfall,
            )
        )
    out.sort(key=lambda c: (-c.score, c.ap_id))
    return out if top is None else out[:top]


def _held_sums(
    mirror: LedgerMirror | None, low: int, high: int
) -> dict[str, tuple[list[int], int]]:
    """Per AP the sums over the days of the window the ledger copy holds, and how many."""
    if mirror is None:
        return {}
    whole = mirror.ap_sums(low, high)  # one read when every day is there
    if whole is not None:
        return {ap: (values, WINDOW_DAYS) for ap, (_, values) in whole.items()}
    held = sorted(mirror.days_held(low, high))
    out: dict[str, tuple[list[int], int]] = {}
    for day in held:
        sums = mirror.ap_sums(day, day + DAY_S) or {}
        for ap, (_, values) in sums.items():
            acc, n = out.get(ap, ([0] * len(FIELDS), 0))
            out[ap] = ([a + v for a, v in zip(acc, values, strict=True)], n + 1)
    return out


def _scored(
    ap_id: str,
    district: str,
    site: str,
    model: str,
    standard: str,
    values: list[int],
    days: int,
    peak: int | None,
    reboots: int,
    installed: dt.date | None,
    today: dt.date,
    footfall: Footfall,
) -> Candidate:
    f = dict(zip(FIELDS, values, strict=True))
    traffic = (f["rx_bytes"] + f["tx_bytes"]) / days if days else 0.0
    utilisation = traffic * 8 / DAY_S / (CAPACITY_MBPS[standard] * 1e6)
    density = (peak or 0) / CLIENT_CAPACITY[standard]
    success = f["polls_up"] / f["polls"] if f["polls"] else None
    age = (today - installed).days / 365.25 if installed is not None else None
    score = score_of(score_terms(utilisation, density, success, reboots, age, footfall))
    return Candidate(
        ap_id,
        district,
        site,
        model,
        standard,
        score,
        traffic,
        utilisation,
        peak,
        density,
        success,
        reboots,
        age,
        footfall.value,
        days,
    )
