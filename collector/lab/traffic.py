"""The lab's traffic model: exact, deterministic cumulative bytes and sessions per AP.

For an AP, every cumulative quantity ``Q`` (bytes sent to clients, bytes received from clients,
sessions) is an exact integer function of whole seconds ``t``::

    W(t) = weight-seconds since a Monday 00:00 KST   (integer, see :mod:`collector.lab.shapes`)
    Q(t) = rate_per_week * W(t) // week_total

so traffic within an hour grows linearly at that hour-of-week's weight and a week carries
exactly ``rate_per_week``. Evaluating ``Q(t)`` is O(1). A fractional time is floored to its
second: counters tick once a second. Ground truth over ``[T1, T2)`` is ``Q(T2) - Q(T1)`` and an
SNMP counter read at ``t`` is ``Q(t) - Q(counter_epoch)`` (mod 2^32 or 2^64): they agree exactly.

Direction, from the AP's radio interfaces' point of view (what IF-MIB counts there):
``tx`` = ifOutOctets = bytes sent to clients (downloads, ~85 %); ``rx`` = ifInOctets = bytes
received from clients (uploads). The wired uplink sees the mirror image.

Per-AP scale: ``footfall factor x mount factor x lognormal``, all seeded by (seed, AP id). The
calibration constants are chosen so that the *expected* per-AP mean over the mix that
``pubwifi inventory generate`` draws (:mod:`collector.inventory.seoul`) equals Seoul's 2024
per-AP figures: a generated 34,280-AP fleet carries 36,449 TB and 1,286.93 million sessions over
2024 (tested within 5 %; ``benchmarks/lab_year_totals.py`` prints the full-fleet totals).
Only APs whose status carries traffic (:data:`CARRYING`) count, and the calibration divides by
their expected share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

from collector.inventory.model import AccessPoint, Footfall, Lifecycle, Mount
from collector.inventory.seoul import FOOTFALL_MIX, MOUNT_MIX
from collector.lab.shapes import DWELL_SECONDS, FAMILY_OF_MOUNT, HOUR, WeekShape, week_shape

# Seoul 2024 (FACTS.md): 36,449 TB (decimal) and 1,286.93 million connections, 34,280 APs.
YEAR_BYTES = 36_449 * 10**12
YEAR_SESSIONS = 1_286_930_000
FLEET_APS = 34_280
YEAR_DAYS = 366  # 2024 is a leap year
TX_SHARE_PERCENT = 85  # downlink share of the bytes

#: Statuses whose APs carry user traffic. Staged APs answer but carry none; offline/failed none.
CARRYING = frozenset({Lifecycle.ACTIVE, Lifecycle.DECOMMISSIONING})
#: Share of generated APs that carry traffic (generate.py draws active 985 : other 15).
CARRYING_SHARE = 0.985

FOOTFALL_FACTOR: dict[Footfall, float] = {
    Footfall.LOW: 0.35,
    Footfall.MEDIUM: 0.9,
    Footfall.HIGH: 1.9,
    Footfall.VERY_HIGH: 3.6,
}
MOUNT_FACTOR: dict[Mount, float] = {
    Mount.SMART_POLE: 1.3,
    Mount.STREETLIGHT_POLE: 0.85,
    Mount.TRAFFIC_LIGHT_POLE: 1.0,
    Mount.CCTV_POLE: 0.75,
    Mount.INDOOR: 1.25,
    Mount.BUS_STOP: 1.45,
    Mount.PARK: 0.95,
    Mount.OTHER: 0.7,
}
SESSION_SIGMA = 0.6  # lognormal spread of sessions between APs of the same kind of site
BYTES_PER_SESSION_SIGMA = 0.5  # lognormal spread of bytes per session between APs

KST_OFFSET = 9 * HOUR
_MONDAY = 4 * 24 * HOUR  # 1970-01-05 was a Monday
_WEEK = 168 * HOUR


def expected_site_factor() -> float:
    """E[footfall x mount] per AP over the generator's mix (mounts weighted by APs per site)."""
    footfall_weight = sum(w for _, w in FOOTFALL_MIX)
    e_footfall = sum(FOOTFALL_FACTOR[f] * w for f, w in FOOTFALL_MIX) / footfall_weight
    ap_weights = [(m, share * (low + high) / 2) for m, share, _, (low, high) in MOUNT_MIX]
    total = sum(w for _, w in ap_weights)
    e_mount = sum(MOUNT_FACTOR[m] * w for m, w in ap_weights) / total
    return e_footfall * e_mount


def _per_week(year_total: int) -> float:
    return year_total / (FLEET_APS * CARRYING_SHARE) / (YEAR_DAYS / 7)


MEAN_BYTES_PER_WEEK = _per_week(YEAR_BYTES)  # per carrying AP
MEAN_SESSIONS_PER_WEEK = _per_week(YEAR_SESSIONS)
SESSION_SCALE = 1000  # sessions are computed in thousandths, then floored


def unit_hash(seed: int, ap_id: str, purpose: str) -> float:
    """A uniform number in (0, 1) fixed by (seed, AP id, purpose)."""
    digest = hashlib.blake2b(f"{seed}\x00{ap_id}\x00{purpose}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2.0**64


_NORMAL = NormalDist()


def lognormal(seed: int, ap_id: str, purpose: str, sigma: float) -> float:
    """A mean-1 lognormal draw fixed by (seed, AP id, purpose)."""
    z = _NORMAL.inv_cdf(unit_hash(seed, ap_id, purpose))
    return float(2.718281828459045 ** (sigma * z - sigma * sigma / 2))


@dataclass(frozen=True, slots=True)
class TrafficProfile:
    """One AP's exact rates: integers per week, shaped by ``shape``."""

    ap_id: str
    shape: WeekShape
    tx_per_week: int  # bytes to clients
    rx_per_week: int  # bytes from clients
    milli_sessions_per_week: int
    dwell_seconds: int

    def weight_seconds(self, t: int) -> int:
        """Weight-seconds from the model origin (a Monday 00:00 KST) to second ``t``."""
        weeks, rest = divmod(t + KST_OFFSET - _MONDAY, _WEEK)
        hour, second = divmod(rest, HOUR)
        shape = self.shape
        return weeks * shape.prefix[168] + shape.prefix[hour] + shape.weights[hour] * second

    def totals(self, t: float) -> tuple[int, int, int]:
        """Cumulative (tx bytes, rx bytes, sessions) from the model origin to ``t``."""
        w = self.weight_seconds(int(t // 1))
        total = self.shape.prefix[168]
        return (
            self.tx_per_week * w // total,
            self.rx_per_week * w // total,
            self.milli_sessions_per_week * w // (total * SESSION_SCALE),
        )

    def session_rate(self, t: float) -> float:
        """New sessions per second at ``t`` (the hour's rate)."""
        rest = (int(t // 1) + KST_OFFSET - _MONDAY) % _WEEK
        weight = self.shape.weights[rest // HOUR]
        return self.milli_sessions_per_week * weight / (self.shape.prefix[168] * SESSION_SCALE)

    def clients(self, t: float, seed: int = 0) -> int:
        """Associated clients at ``t``: rate x dwell, with +-30 % noise per 5-minute slot."""
        mean = self.session_rate(t) * self.dwell_seconds
        slot = int(t // 300)
        noise = 0.7 + 0.6 * unit_hash(seed, self.ap_id, f"clients{slot}")
        return int(mean * noise + 0.5)


def profile_for(ap: AccessPoint, seed: int) -> TrafficProfile:
    """The deterministic traffic profile of ``ap`` (zero rates if its status carries none)."""
    family = FAMILY_OF_MOUNT[ap.site.mount]
    shape = week_shape(family)
    if ap.status not in CARRYING:
        return TrafficProfile(ap.id, shape, 0, 0, 0, DWELL_SECONDS[family])
    site = FOOTFALL_FACTOR[ap.site.footfall] * MOUNT_FACTOR[ap.site.mount] / _site_norm()
    sessions_scale = site * lognormal(seed, ap.id, "sessions", SESSION_SIGMA)
    bytes_scale = sessions_scale * lognormal(seed, ap.id, "bytes", BYTES_PER_SESSION_SIGMA)
    week_bytes = round(MEAN_BYTES_PER_WEEK * bytes_scale)
    tx = week_bytes * TX_SHARE_PERCENT // 100
    return TrafficProfile(
        ap_id=ap.id,
        shape=shape,
        tx_per_week=tx,
        rx_per_week=week_bytes - tx,
        milli_sessions_per_week=round(MEAN_SESSIONS_PER_WEEK * sessions_scale * SESSION_SCALE),
        dwell_seconds=DWELL_SECONDS[family],
    )


@cache
def _site_norm() -> float:
    return expected_site_factor()


# --- splitting an AP's cumulative totals over its radios, exactly --------------------------

SPLIT_UNITS = 20  # shares are in twentieths (5 %)


@dataclass(frozen=True, slots=True)
class Split:
    """Deal an AP's units out to radios in a fixed repeating pattern of 20.

    ``part(Q, i)`` is monotone in ``Q`` and the parts always sum to ``Q`` exactly, so every
    radio's counter only ever goes up and the radios add up to the AP's truth.
    """

    counts: tuple[int, ...]  # per radio, summing to SPLIT_UNITS
    prefix: tuple[tuple[int, ...], ...]  # prefix[i][r]: radio i's units among the first r

    def part(self, quantity: int, index: int) -> int:
        cycles, rest = divmod(quantity, SPLIT_UNITS)
        return cycles * self.counts[index] + self.prefix[index][rest]


@cache
def split_for(counts: tuple[int, ...]) -> Split:
    """The interleaved pattern for ``counts`` (largest deficit first: smooth, deterministic)."""
    if sum(counts) != SPLIT_UNITS or any(c < 0 for c in counts):
        raise ValueError(f"shares must be non-negative and sum to {SPLIT_UNITS}: {counts}")
    dealt = [0] * len(counts)
    prefix = [[0] for _ in counts]
    for step in range(1, SPLIT_UNITS + 1):
        deficits = [counts[i] * step - dealt[i] * SPLIT_UNITS for i in range(len(counts))]
        pick = max(range(len(counts)), key=lambda i: (deficits[i], -i))
        dealt[pick] += 1
        for i in range(len(counts)):
            prefix[i].append(dealt[i])
    return Split(counts, tuple(tuple(p) for p in prefix))
