"""A Wi-Fi 6 rollout programme for a generated fleet: ``inventory generate --program 2025``.

The plan matches the city's press release of 2025-02-18 (FACTS.md): of about 34,000 APs, 450
are replaced by Wi-Fi 6 or later and 280 new ones are installed, "at high-footfall places and
facilities used by digitally vulnerable people"; 24 new smart poles (스마트폴) go up around school
zones in 8 districts. For a fleet of 34,000 APs or more the counts are exactly 450 and 280; a
smaller fleet gets them scaled by its size (unless given), so a 360-AP demo has a plan too.

How the plan is spread (our documented choices, not the city's):

- **Districts:** replacements and new APs are apportioned by district weight (largest remainder,
  exact totals), the weights the generator uses for the fleet itself.
- **Quarters:** procurement takes the first quarter, so 15 % / 25 % / 30 % / 30 % of each
  kind go to Q1..Q4 (largest remainder), dealt out in a seeded shuffle.
- **Which APs are replaced:** legacy (Wi-Fi 4/5) APs whose platform has a Wi-Fi 6 model, the
  busiest sites first (footfall very high, high, medium, low; seeded ties). The replacement is
  the platform's Wi-Fi 6 model.
- **New APs:** the smart poles take ``round(24 * new / 280)`` of them, one AP per pole, in up to
  8 seeded districts; half of the rest go to facilities for the digitally vulnerable (senior and
  disability welfare centres, community centres, libraries: indoor, 2 APs each), half to
  high-footfall places (traditional markets, subway exits: 1 AP each). A new AP is the
  platform's Wi-Fi 6 model, ``status: planned`` with ``new_in: <quarter>``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from collector.inventory.model import Footfall, WifiStandard

REPLACEMENTS_2025 = 450
NEW_APS_2025 = 280
SMART_POLES_2025 = 24
SMART_POLE_DISTRICTS = 8
PRESS_RELEASE_FLEET = 34_000
QUARTER_SHARES = (15, 25, 30, 30)

_FOOTFALL_RANK = {Footfall.VERY_HIGH: 0, Footfall.HIGH: 1, Footfall.MEDIUM: 2, Footfall.LOW: 3}

# (kind, Korean name, mount, footfall, APs per site)
FACILITIES: tuple[tuple[str, str, str, str, int], ...] = (
    ("senior_centre", "노인복지관", "indoor", "high", 2),
    ("disability_centre", "장애인복지관", "indoor", "high", 2),
    ("community_centre", "주민센터", "indoor", "high", 2),
    ("library", "구립도서관", "indoor", "high", 2),
)
PLACES: tuple[tuple[str, str, str, str, int], ...] = (
    ("market", "전통시장", "other", "very_high", 1),
    ("subway_exit", "지하철역 출구", "streetlight_pole", "very_high", 1),
)


@dataclass(frozen=True, slots=True)
class ProgramCounts:
    replacements: int
    new: int
    smart_poles: int


def counts_for(aps: int, replacements: int | None, new: int | None) -> ProgramCounts:
    """The programme's size for a fleet of ``aps`` (module doc)."""
    scale = min(1.0, aps / PRESS_RELEASE_FLEET)
    r = replacements if replacements is not None else round(REPLACEMENTS_2025 * scale)
    n = new if new is not None else round(NEW_APS_2025 * scale)
    poles = min(n, round(SMART_POLES_2025 * n / NEW_APS_2025))
    return ProgramCounts(r, n, poles)


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder split of ``total`` by ``weights`` (exact sum, stable ties)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def quarters(year: int, total: int, rng: random.Random) -> list[str]:
    """``total`` quarter labels of ``year`` in the programme's shares, shuffled."""
    labels = [
        f"{year}Q{q}"
        for q, count in enumerate(apportion(total, QUARTER_SHARES), start=1)
        for _ in range(count)
    ]
    rng.shuffle(labels)
    return labels


@dataclass(frozen=True, slots=True)
class LegacyAp:
    """What the choice of replacements needs of a generated AP."""

    position: int  # index in the generator's AP list
    district: str
    footfall: Footfall
    standard: WifiStandard
    has_wifi6: bool


def pick_replacements(
    aps: Sequence[LegacyAp], per_district: dict[str, int], rng: random.Random
) -> list[int]:
    """Positions of the APs to replace: per district its count, busiest sites first."""
    chosen: list[int] = []
    for district, count in per_district.items():
        pool = [
            a
            for a in aps
            if a.district == district and a.has_wifi6 and not a.standard.is_wifi6_or_later
        ]
        ties = {a.position: rng.random() for a in pool}
        pool.sort(key=lambda a: (_FOOTFALL_RANK[a.footfall], ties[a.position]))
        chosen.extend(a.position for a in pool[:count])
    return sorted(chosen)
