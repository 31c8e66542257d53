"""Exact deltas between two readings of one SNMP counter (pure functions, no I/O).

:func:`counter_delta` turns (previous sample, current sample) into the bytes (or sessions)
counted in between, or into ``None`` with a :class:`Reason`, and says which wall-clock span the
number covers. The rules, each chosen so that a reported delta is exact or absent, never guessed:

* **Clocks.** ``sysUpTime`` (centiseconds, 32-bit, wraps after ~497 days) must advance like the
  collector's wall clock, within ``CLOCK_SLACK_S + CLOCK_DRIFT * elapsed`` (poll latency and
  agent clock drift). Advance is taken modulo 2^32, so the 497-day uptime wrap is *not* a reboot.
  But where uptime passes 0 inside the interval, a reboot at that moment (within the slack)
  reads exactly the same: see **Across the uptime wrap**.
* **Reboot** (uptime did not advance with the wall clock, and the time since boot fits inside
  the interval). Counters restart from zero at boot, so the bytes since boot are exactly the new
  raw value: ``delta = value``, covering [boot, now]. The bytes between the previous sample and
  the boot are unknown: ``lost_seconds`` says how long that was. A reboot never adds 2^32.
* **Uptime inconsistent** (uptime advanced more than the wall clock, or reset further back than
  the previous sample): another device answers on the address, or a clock stepped. Counter width
  changed (AP swapped): same. Both are ``discontinuity`` with no delta.
* **ifCounterDiscontinuityTime changed** without a reboot: the interface's counters were
  re-initialised. RFC 2863 does not fix their new value, but agents re-create them at zero (as
  net-snmp does for a re-created interface, and as the lab does), so this is treated like a
  reboot of that one counter: ``delta = value`` since the discontinuity, reason
  ``discontinuity``, the time before it lost. If the discontinuity time is not after the
  previous sample, nothing is counted. A missing current value means "unknown, unchanged"; a
  missing previous value counts as 0 ("none since the agent started", RFC 2863).
* **Counter64 going down** without reboot or discontinuity: ``counter_went_down``, no delta.
* **Counter32 going down**: one ``wrap``.
* **Speed.** With ``ifHighSpeed`` known, the most the interface can carry over the span is
  ``speed * span * (1 + SPEED_TOLERANCE)`` (span widened by the clock slack). A delta above it
  is ``over_speed``. A counter of width w only gives the delta modulo 2^w: if a second candidate
  ``delta + 2^w`` also fits under that most, the delta is ``ambiguous_gap`` (for Counter32 this
  is "a long gap or a fast interface": at 300 s, any link over ~108 Mbit/s). Without a speed the
  smallest candidate is taken, the classic single-wrap assumption.
* **Right after a boot.** If the previous sample was taken within the clock slack of a boot, a
  second reboot just after it cannot be told from none by uptime alone. Then a counter that went
  down means a reboot (Counter64), or ``ambiguous_gap`` unless the wrap it would otherwise be
  exceeds the speed (Counter32); a counter that went up means no reboot (if there was one, at
  most the slack's few seconds of traffic go uncounted).
* **Across the uptime wrap.** If uptime advanced with the wall clock but passed 0 inside the
  interval, uptime alone cannot tell "no reboot" (delta ``value - prev``, or one wrap) from "a
  reboot at the wrap moment" (delta ``value`` since then, the time before lost), and the bytes
  before such a reboot are unknown. A Counter64 that went down means the reboot; otherwise the
  one the speed leaves is taken, and if the speed rules out neither (or is unknown) the answer
  is ``ambiguous_gap``, no delta: at most one interval per 497 days of uptime. A discontinuity
  time back to 0 there also means the reboot (RFC 2863: 0 = none since the agent started).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

TICKS_PER_SECOND = 100
UPTIME_MODULUS = 2**32
#: Poll latency allowed between the collector's clock and the agent's uptime, seconds.
CLOCK_SLACK_S = 2.0
#: Relative drift allowed between the collector's clock and the agent's (0.1 %).
CLOCK_DRIFT = 0.001
#: A delta may exceed the interface speed by this fraction before it is discarded.
SPEED_TOLERANCE = 0.05
_BYTES_PER_S_PER_MBPS = 125_000


class Reason(StrEnum):
    """Why a delta is what it is. Values are Prometheus label values: stable, snake_case."""

    OK = "ok"
    WRAP = "wrap"
    REBOOT = "reboot"
    DISCONTINUITY = "discontinuity"
    COUNTER_WENT_DOWN = "counter_went_down"
    OVER_SPEED = "over_speed"
    AMBIGUOUS_GAP = "ambiguous_gap"
    FIRST_SAMPLE = "first_sample"


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of a counter, with what is needed to trust the next delta."""

    value: int
    width: int  # 32 or 64
    uptime_ticks: int  # sysUpTime, centiseconds, 0 <= x < 2^32
    wall_time: float  # collector's clock, seconds since the epoch
    discontinuity_ticks: int | None = None  # ifCounterDiscontinuityTime (a sysUpTime value)
    speed_mbps: int | None = None  # ifHighSpeed; None or 0 = unknown

    def __post_init__(self) -> None:
        if self.width not in (32, 64):
            raise ValueError(f"counter width must be 32 or 64, not {self.width}")
        if not 0 <= self.value < 2**self.width:
            raise ValueError(f"counter value {self.value} outside Counter{self.width}")
        if not 0 <= self.uptime_ticks < UPTIME_MODULUS:
            raise ValueError(f"sysUpTime {self.uptime_ticks} outside 0..2^32-1")
        if not math.isfinite(self.wall_time):
            raise ValueError(f"wall time {self.wall_time} is not a finite number")


@dataclass(frozen=True, slots=True)
class Delta:
    """What happened between two samples.

    ``delta`` covers [``start``, ``end``] (``seconds`` long); ``lost_seconds`` is the time since
    the previous sample whose traffic is unknown (the whole interval when ``delta`` is None).
    """

    delta: int | None
    reason: Reason
    start: float
    end: float
    seconds: float
    lost_seconds: float


def counter_delta(
    prev: Sample | None, cur: Sample, *, clock_slack_s: float = CLOCK_SLACK_S
) -> Delta:
    """The exact delta from ``prev`` to ``cur``, or None with the reason (see module doc)."""
    if prev is None:
        return Delta(None, Reason.FIRST_SAMPLE, cur.wall_time, cur.wall_time, 0.0, 0.0)
    elapsed = cur.wall_time - prev.wall_time
    if elapsed * TICKS_PER_SECOND >= UPTIME_MODULUS:
        return _nothing(prev, cur, Reason.AMBIGUOUS_GAP)  # uptime cannot tell what happened
    if elapsed <= 0 or prev.width != cur.width:
        return _nothing(prev, cur, Reason.DISCONTINUITY)
    slack = clock_slack_s + CLOCK_DRIFT * elapsed
    advance = ((cur.uptime_ticks - prev.uptime_ticks) % UPTIME_MODULUS) / TICKS_PER_SECOND
    since_boot = cur.uptime_ticks / TICKS_PER_SECOND
    continuous = abs(advance - elapsed) <= slack
    went_down = cur.value < prev.value
    if not continuous:
        if since_boot <= elapsed + slack:
            return _since(prev, cur, since_boot, Reason.REBOOT, slack)
        return _nothing(prev, cur, Reason.DISCONTINUITY)
    uptime_wrapped = cur.uptime_ticks < prev.uptime_ticks  # passed 0: a boot there reads the same
    reset_ticks = _discontinuity_ticks_if_changed(prev, cur)
    if reset_ticks is not None:
        if uptime_wrapped and reset_ticks == 0:  # back to "none since the agent started"
            return _since(prev, cur, since_boot, Reason.REBOOT, slack)
        since_reset = ((cur.uptime_ticks - reset_ticks) % UPTIME_MODULUS) / TICKS_PER_SECOND
        if since_reset <= elapsed + slack:
            return _since(prev, cur, since_reset, Reason.DISCONTINUITY, slack)
        return _nothing(prev, cur, Reason.DISCONTINUITY)
    if uptime_wrapped:
        return _across_uptime_wrap(prev, cur, since_boot, slack)
    if went_down and prev.uptime_ticks <= slack * TICKS_PER_SECOND:
        return _just_after_boot(prev, cur, since_boot, slack)
    if not went_down:
        return _checked(prev, cur, cur.value - prev.value, Reason.OK, prev.wall_time, slack)
    if cur.width == 64:
        return _nothing(prev, cur, Reason.COUNTER_WENT_DOWN)
    wrapped = cur.value - prev.value + 2**32
    return _checked(prev, cur, wrapped, Reason.WRAP, prev.wall_time, slack)


def max_bytes(speed_mbps: int | None, seconds: float, slack: float) -> float | None:
    """The most an interface of ``speed_mbps`` can carry in ``seconds`` (None: unknown)."""
    if not speed_mbps:
        return None
    return speed_mbps * _BYTES_PER_S_PER_MBPS * (seconds + slack) * (1 + SPEED_TOLERANCE)


def _discontinuity_ticks_if_changed(prev: Sample, cur: Sample) -> int | None:
    """The new ifCounterDiscontinuityTime if it changed, else None."""
    now = cur.discontinuity_ticks
    if now is None or now == (prev.discontinuity_ticks or 0):
        return None
    return now


def _just_after_boot(prev: Sample, cur: Sample, since_boot: float, slack: float) -> Delta:
    """Counter went down and the previous sample was taken within the slack of a boot."""
    if cur.width == 64:
        return _since(prev, cur, since_boot, Reason.REBOOT, slack)
    elapsed = cur.wall_time - prev.wall_time
    most = max_bytes(cur.speed_mbps, elapsed, slack)
    if most is not None and cur.value - prev.value + 2**32 > most:
        return _since(prev, cur, since_boot, Reason.REBOOT, slack)
    return _nothing(prev, cur, Reason.AMBIGUOUS_GAP)


def _across_uptime_wrap(prev: Sample, cur: Sample, since_boot: float, slack: float) -> Delta:
    """Uptime passed 0 inside the interval: "no reboot" or "a reboot then" (see module doc)."""
    rebooted = _since(prev, cur, since_boot, Reason.REBOOT, slack)
    if cur.value < prev.value and cur.width == 64:
        return rebooted  # a Counter64 does not go down without one
    if cur.value >= prev.value:
        kept = _checked(prev, cur, cur.value - prev.value, Reason.OK, prev.wall_time, slack)
    else:
        wrapped = cur.value - prev.value + 2**32
        kept = _checked(prev, cur, wrapped, Reason.WRAP, prev.wall_time, slack)
    if rebooted.reason == Reason.OVER_SPEED:
        return kept
    if kept.reason == Reason.OVER_SPEED:
        return rebooted
    return _nothing(prev, cur, Reason.AMBIGUOUS_GAP)  # both readings fit: refuse to guess


def _since(prev: Sample, cur: Sample, seconds: float, reason: Reason, slack: float) -> Delta:
    """The raw value counted from zero ``seconds`` before ``cur`` (a reboot or a reset)."""
    start = max(cur.wall_time - seconds, prev.wall_time)
    return _checked(prev, cur, cur.value, reason, start, slack)


def _checked(
    prev: Sample, cur: Sample, delta: int, reason: Reason, start: float, slack: float
) -> Delta:
    """``delta`` over [start, cur], unless the interface speed rules it out or leaves it open."""
    span = cur.wall_time - start
    most = max_bytes(cur.speed_mbps, span, slack)
    if most is not None:
        if delta > most:
            return _nothing(prev, cur, Reason.OVER_SPEED)
        if delta + 2**cur.width <= most:
            return _nothing(prev, cur, Reason.AMBIGUOUS_GAP)
    return Delta(delta, reason, start, cur.wall_time, span, start - prev.wall_time)


def _nothing(prev: Sample, cur: Sample, reason: Reason) -> Delta:
    lost = max(cur.wall_time - prev.wall_time, 0.0)
    return Delta(None, reason, prev.wall_time, cur.wall_time, 0.0, lost)
