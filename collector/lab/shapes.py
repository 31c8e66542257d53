"""Hour-of-week load curves for Seoul street Wi-Fi, as exact integer tables.

Each curve is 168 integer weights (Monday 00:00 KST first). The lab's cumulative traffic is
``rate x weight-seconds / week_total``, so the curves need no normalisation: only their shape
matters. Curves are per *family* of mount types, because a bus stop, a park and a library are
busy at different hours:

- ``commute`` (bus stops, traffic-light poles): sharp 07-09 and 18-20 weekday peaks, lunch bump.
- ``street`` (streetlight, CCTV and smart poles, other): daytime plateau, evening peak 19-22.
- ``park``: weekday evenings, long weekend afternoons.
- ``indoor`` (public facilities, libraries): opening hours 09-18, quiet weekends.

The numbers are plausible shapes, not measurements (no per-hour Seoul data is public).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from collector.inventory.model import Mount

HOUR = 3600
WEEK_HOURS = 168

# 24 relative loads per hour of day, 00-23 KST.
_DAY_CURVES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    #            weekday                                                     weekend
    "commute": (
        (
            18,
            10,
            6,
            5,
            6,
            15,
            45,
            110,
            130,
            80,
            55,
            60,
            85,
            70,
            60,
            62,
            70,
            95,
            125,
            120,
            90,
            70,
            50,
            32,
        ),
        (
            22,
            14,
            9,
            6,
            6,
            8,
            14,
            25,
            38,
            50,
            60,
            68,
            72,
            74,
            75,
            75,
            74,
            72,
            70,
            66,
            60,
            50,
            40,
            30,
        ),
    ),
    "street": (
        (
            28,
            16,
            10,
            7,
            6,
            10,
            22,
            45,
            60,
            58,
            60,
            66,
            80,
            74,
            68,
            68,
            72,
            82,
            95,
            108,
            112,
            104,
            80,
            50,
        ),
        (
            38,
            26,
            16,
            10,
            8,
            8,
            12,
            22,
            36,
            50,
            62,
            72,
            80,
            84,
            86,
            88,
            90,
            92,
            96,
            102,
            104,
            96,
            76,
            54,
        ),
    ),
    "park": (
        (
            16,
            8,
            5,
            4,
            4,
            8,
            20,
            30,
            28,
            26,
            30,
            36,
            50,
            46,
            42,
            46,
            56,
            70,
            88,
            100,
            96,
            72,
            44,
            26,
        ),
        (
            20,
            10,
            6,
            4,
            4,
            8,
            18,
            36,
            56,
            80,
            100,
            116,
            126,
            134,
            140,
            140,
            134,
            120,
            106,
            92,
            76,
            56,
            38,
            26,
        ),
    ),
    "indoor": (
        (
            4,
            2,
            2,
            2,
            2,
            2,
            4,
            10,
            40,
            90,
            110,
            116,
            100,
            112,
            118,
            116,
            108,
            96,
            60,
            36,
            24,
            14,
            8,
            6,
        ),
        (4, 2, 2, 2, 2, 2, 3, 6, 16, 40, 60, 66, 60, 62, 62, 58, 50, 36, 18, 10, 6, 4, 4, 4),
    ),
}

FAMILY_OF_MOUNT: dict[Mount, str] = {
    Mount.BUS_STOP: "commute",
    Mount.TRAFFIC_LIGHT_POLE: "commute",
    Mount.STREETLIGHT_POLE: "street",
    Mount.CCTV_POLE: "street",
    Mount.SMART_POLE: "street",
    Mount.OTHER: "street",
    Mount.PARK: "park",
    Mount.INDOOR: "indoor",
}

#: Mean association time (seconds) per family: clients = session rate x dwell (Little's law).
DWELL_SECONDS: dict[str, int] = {
    "commute": 7 * 60,
    "street": 14 * 60,
    "park": 32 * 60,
    "indoor": 45 * 60,
}


@dataclass(frozen=True, slots=True)
class WeekShape:
    """168 hourly weights and their prefix sums in weight-seconds (all exact integers)."""

    family: str
    weights: tuple[int, ...]
    prefix: tuple[int, ...]  # prefix[h] = 3600 * sum(weights[:h]); len 169

    @property
    def week_total(self) -> int:
        """Weight-seconds in one week."""
        return self.prefix[WEEK_HOURS]

    @property
    def mean_weight(self) -> float:
        return self.week_total / (WEEK_HOURS * HOUR)


@cache
def week_shape(family: str) -> WeekShape:
    """The shape of ``family``: Monday-Friday weekday curve, Saturday-Sunday weekend curve."""
    weekday, weekend = _DAY_CURVES[family]
    weights = weekday * 5 + weekend * 2
    prefix = [0]
    for weight in weights:
        prefix.append(prefix[-1] + weight * HOUR)
    return WeekShape(family, tuple(weights), tuple(prefix))


def shape_for_mount(mount: Mount) -> WeekShape:
    return week_shape(FAMILY_OF_MOUNT[mount])
