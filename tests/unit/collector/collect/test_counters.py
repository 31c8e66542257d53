"""collect.counters: wrap, reboot, discontinuity, speed and gap rules, by example and property."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from collector.collect.counters import (
    CLOCK_DRIFT,
    CLOCK_SLACK_S,
    UPTIME_MODULUS,
    Delta,
    Reason,
    Sample,
    counter_delta,
    max_bytes,
)

T0 = 1_735_657_200.0  # 2025-01-01 00:00 KST
C32 = 2**32
HOUR_UP = 360_000  # one hour of sysUpTime ticks


def s32(value, up, wall, **kw):
    return Sample(value, 32, up, wall, **kw)


def s64(value, up, wall, **kw):
    return Sample(value, 64, up, wall, **kw)


# --- examples ------------------------------------------------------------------------------


def test_reason_values_are_a_stable_label_set():
    assert [r.value for r in Reason] == [
        "ok", "wrap", "reboot", "discontinuity", "counter_went_down",
        "over_speed", "ambiguous_gap", "first_sample",
    ]  # fmt: skip


def test_first_sample_has_no_delta_and_loses_nothing():
    d = counter_delta(None, s64(5, HOUR_UP, T0))
    assert (d.delta, d.reason, d.seconds, d.lost_seconds) == (None, Reason.FIRST_SAMPLE, 0, 0)


def test_counter64_normal_delta_covers_the_interval():
    d = counter_delta(s64(1_000, HOUR_UP, T0), s64(2**40, HOUR_UP + 30_000, T0 + 300))
    assert d == Delta(2**40 - 1_000, Reason.OK, T0, T0 + 300, 300.0, 0.0)


def test_counter32_single_wrap_is_exact():
    d = counter_delta(s32(C32 - 100, HOUR_UP, T0), s32(50, HOUR_UP + 30_000, T0 + 300))
    assert (d.delta, d.reason) == (150, Reason.WRAP)


def test_counter64_going_down_is_not_a_wrap():
    d = counter_delta(s64(10_000, HOUR_UP, T0), s64(9_999, HOUR_UP + 30_000, T0 + 300))
    assert (d.delta, d.reason, d.lost_seconds) == (None, Reason.COUNTER_WENT_DOWN, 300.0)


@pytest.mark.parametrize("new_value", [7, C32 - 7])
def test_reboot_counts_the_value_since_boot_and_never_adds_2_32(new_value):
    prev = s32(C32 - 1_000, HOUR_UP * 10, T0)
    cur = s32(new_value, 12_000, T0 + 300)  # booted 120 s ago, 180 s after prev
    d = counter_delta(prev, cur)
    assert (d.delta, d.reason) == (new_value, Reason.REBOOT)
    assert d.start == pytest.approx(T0 + 180)
    assert (d.seconds, d.lost_seconds) == (pytest.approx(120), pytest.approx(180))


def test_497_day_uptime_wrap_is_not_a_reboot():
    # 100 s before sysUpTime wraps; "rebooted 200 s ago" would mean 10^12 bytes in 200 s at 1 Gbit/s
    prev = s64(10**12, UPTIME_MODULUS - 10_000, T0, speed_mbps=1000)
    cur = s64(10**12 + 4_000, 20_000, T0 + 300, speed_mbps=1000)
    assert (counter_delta(prev, cur).delta, counter_delta(prev, cur).reason) == (4_000, Reason.OK)


def test_uptime_wrap_that_a_reboot_at_the_wrap_would_also_explain_is_ambiguous():
    # uptime 200 s = "wrapped 200 s ago" or "booted 200 s ago": 4,000 or 5,000 (and bytes lost)
    d = counter_delta(s64(1_000, UPTIME_MODULUS - 10_000, T0), s64(5_000, 20_000, T0 + 300))
    assert (d.delta, d.reason, d.lost_seconds) == (None, Reason.AMBIGUOUS_GAP, 300.0)


def test_uptime_wrap_with_counter64_down_is_a_reboot_at_the_wrap():
    d = counter_delta(s64(10**9, UPTIME_MODULUS - 10_000, T0), s64(5_000, 20_000, T0 + 300))
    assert (d.delta, d.reason) == (5_000, Reason.REBOOT)
    assert (d.seconds, d.lost_seconds) == (pytest.approx(200), pytest.approx(100))


def test_uptime_wrap_together_with_counter32_wrap_is_ambiguous():
    # one wrap (100) or a reboot at the uptime wrap (90): the reboot value is always the smaller,
    # so no speed can rule it out while leaving the wrap
    prev = s32(C32 - 10, UPTIME_MODULUS - 10_000, T0, speed_mbps=10)
    d = counter_delta(prev, s32(90, 20_000, T0 + 300, speed_mbps=10))
    assert (d.delta, d.reason) == (None, Reason.AMBIGUOUS_GAP)


def test_uptime_wrap_with_counter32_wrap_too_fast_is_a_reboot_at_the_wrap():
    prev = s32(2**31, UPTIME_MODULUS - 10_000, T0, speed_mbps=10)  # a wrap: 2 GB in 300 s
    d = counter_delta(prev, s32(90, 20_000, T0 + 300, speed_mbps=10))
    assert (d.delta, d.reason) == (90, Reason.REBOOT)


def test_uptime_wrap_with_discontinuity_time_back_to_zero_is_a_reboot():
    prev = s64(10**9, UPTIME_MODULUS - 10_000, T0, discontinuity_ticks=HOUR_UP)
    d = counter_delta(prev, s64(10**9 + 5, 20_000, T0 + 300, discontinuity_ticks=0))
    assert (d.delta, d.reason) == (10**9 + 5, Reason.REBOOT)


def test_uptime_running_ahead_of_the_wall_clock_is_a_discontinuity():
    d = counter_delta(s64(1, HOUR_UP, T0), s64(2, HOUR_UP * 5, T0 + 300))
    assert (d.delta, d.reason, d.lost_seconds) == (None, Reason.DISCONTINUITY, 300.0)


def test_reboot_before_the_previous_sample_is_a_discontinuity():
    # uptime went back, but the boot it implies lies before the previous sample: another device
    d = counter_delta(s64(1, HOUR_UP * 5, T0), s64(2, HOUR_UP, T0 + 300))
    assert (d.delta, d.reason) == (None, Reason.DISCONTINUITY)


def test_width_change_is_a_discontinuity():
    d = counter_delta(s32(1, HOUR_UP, T0), s64(2, HOUR_UP + 30_000, T0 + 300))
    assert (d.delta, d.reason) == (None, Reason.DISCONTINUITY)


@pytest.mark.parametrize("later", [T0, T0 - 1])
def test_wall_clock_not_advancing_is_a_discontinuity(later):
    d = counter_delta(s64(1, HOUR_UP, T0), s64(2, HOUR_UP + 30_000, later))
    assert (d.delta, d.reason, d.lost_seconds) == (None, Reason.DISCONTINUITY, 0.0)


def test_discontinuity_time_after_prev_counts_the_value_since_it():
    prev = s64(10**9, HOUR_UP, T0, discontinuity_ticks=500)
    cur = s64(4_000, HOUR_UP + 30_000, T0 + 300, discontinuity_ticks=HOUR_UP + 20_000)
    d = counter_delta(prev, cur)
    assert (d.delta, d.reason) == (4_000, Reason.DISCONTINUITY)
    assert (d.start, d.lost_seconds) == (pytest.approx(T0 + 200), pytest.approx(200))


def test_discontinuity_time_from_absent_counts_as_from_zero():
    prev = s64(10**9, HOUR_UP, T0)
    cur = s64(4_000, HOUR_UP + 30_000, T0 + 300, discontinuity_ticks=HOUR_UP + 29_000)
    assert counter_delta(prev, cur).delta == 4_000


def test_discontinuity_time_before_prev_counts_nothing():
    prev = s64(10**9, HOUR_UP, T0, discontinuity_ticks=0)
    cur = s64(4_000, HOUR_UP + 30_000, T0 + 300, discontinuity_ticks=100)
    d = counter_delta(prev, cur)
    assert (d.delta, d.reason, d.lost_seconds) == (None, Reason.DISCONTINUITY, 300.0)


def test_discontinuity_time_unread_now_is_not_a_change():
    prev = s64(100, HOUR_UP, T0, discontinuity_ticks=55)
    d = counter_delta(prev, s64(300, HOUR_UP + 30_000, T0 + 300))
    assert (d.delta, d.reason) == (200, Reason.OK)


def test_counter32_gap_that_could_hide_a_second_wrap_is_ambiguous():
    # 1000 Mbit/s for 300 s is 37.5 GB: the delta is only known modulo 2^32
    prev = s32(0, HOUR_UP, T0, speed_mbps=1000)
    d = counter_delta(prev, s32(10, HOUR_UP + 30_000, T0 + 300, speed_mbps=1000))
    assert (d.delta, d.reason, d.lost_seconds) == (None, Reason.AMBIGUOUS_GAP, 300.0)


def test_counter32_short_interval_on_fast_link_is_exact():
    prev = s32(C32 - 5, HOUR_UP, T0, speed_mbps=1000)
    d = counter_delta(prev, s32(10, HOUR_UP + 1_000, T0 + 10, speed_mbps=1000))
    assert (d.delta, d.reason) == (15, Reason.WRAP)


def test_missed_polls_are_fine_for_counter64():
    prev = s64(0, HOUR_UP, T0, speed_mbps=10_000)
    cur = s64(10**13, HOUR_UP + 24 * HOUR_UP, T0 + 86_400, speed_mbps=10_000)
    assert counter_delta(prev, cur).delta == 10**13


def test_gap_beyond_the_uptime_period_is_ambiguous():
    gap = UPTIME_MODULUS / 100
    d = counter_delta(s64(0, HOUR_UP, T0), s64(10, HOUR_UP, T0 + gap))
    assert (d.delta, d.reason) == (None, Reason.AMBIGUOUS_GAP)


def test_delta_above_interface_speed_is_discarded():
    prev = s64(0, HOUR_UP, T0, speed_mbps=100)  # 12.5 MB/s
    over = s64(12_500_000 * 400, HOUR_UP + 30_000, T0 + 300, speed_mbps=100)
    under = s64(12_500_000 * 300, HOUR_UP + 30_000, T0 + 300, speed_mbps=100)
    assert counter_delta(prev, over).reason == Reason.OVER_SPEED
    assert counter_delta(prev, over).delta is None
    assert counter_delta(prev, under).reason == Reason.OK


def test_speed_tolerance_is_small():
    most = max_bytes(100, 300, 0)
    assert most is not None
    assert 12_500_000 * 300 < most <= 12_500_000 * 300 * 1.1
    assert max_bytes(None, 300, 0) is None
    assert max_bytes(0, 300, 0) is None


def test_reboot_value_above_speed_is_discarded():
    prev = s64(0, HOUR_UP, T0, speed_mbps=100)
    d = counter_delta(prev, s64(10**12, 1_000, T0 + 300, speed_mbps=100))
    assert (d.delta, d.reason) == (None, Reason.OVER_SPEED)


def test_just_after_boot_counter64_down_is_a_reboot():
    prev = s64(5_000, 100, T0)  # 1 s after a boot
    d = counter_delta(prev, s64(200, 30_000, T0 + 300))  # rebooted again ~1 s after prev
    assert (d.delta, d.reason) == (200, Reason.REBOOT)


def test_just_after_boot_counter32_down_is_ambiguous_without_speed():
    d = counter_delta(s32(5_000, 100, T0), s32(200, 30_000, T0 + 300))
    assert (d.delta, d.reason) == (None, Reason.AMBIGUOUS_GAP)


def test_just_after_boot_counter32_down_is_a_reboot_when_a_wrap_is_too_fast():
    prev = s32(5_000, 100, T0, speed_mbps=10)
    d = counter_delta(prev, s32(200, 30_000, T0 + 300, speed_mbps=10))
    assert (d.delta, d.reason) == (200, Reason.REBOOT)


def test_just_after_boot_counter_up_is_continuous():
    d = counter_delta(s32(5_000, 100, T0), s32(9_000, 30_100, T0 + 300))
    assert (d.delta, d.reason) == (4_000, Reason.OK)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"value": 0, "width": 16, "uptime_ticks": 0, "wall_time": T0},
        {"value": C32, "width": 32, "uptime_ticks": 0, "wall_time": T0},
        {"value": -1, "width": 64, "uptime_ticks": 0, "wall_time": T0},
        {"value": 0, "width": 64, "uptime_ticks": UPTIME_MODULUS, "wall_time": T0},
        {"value": 0, "width": 64, "uptime_ticks": 0, "wall_time": float("nan")},
    ],
)
def test_sample_rejects_impossible_readings(kwargs):
    with pytest.raises(ValueError):
        Sample(**kwargs)


# --- property: a simulated device with true traffic, wraps, reboots and resets ------------


def _slack_cs(cs: int) -> int:
    """Events stay this far from samples: closer, a reboot is not observable (module doc)."""
    return int((CLOCK_SLACK_S + CLOCK_DRIFT * cs / 100) * 100) + 50


@dataclass
class Interval:
    cs: int  # length, centiseconds
    event: str  # "none" | "reboot" | "reset"
    at_cs: int  # event offset from the interval's start
    before: int  # true bytes before the event (all bytes when no event)
    after: int  # true bytes after the event


def _cap(width: int, speed: int | None, cs: int) -> int:
    """The most true traffic in ``cs`` centiseconds: the line rate, or one wrap without it."""
    if speed:
        return speed * 125_000 * cs // 100
    return C32 - 1 if width == 32 else 2**50


@st.composite
def scenarios(draw):
    width = draw(st.sampled_from([32, 64]))
    speed = draw(st.sampled_from([None, 10, 100, 1000, 10_000]))
    start_up = draw(
        st.one_of(
            st.integers(_slack_cs(0), UPTIME_MODULUS - 1),
            st.integers(UPTIME_MODULUS - 400_000, UPTIME_MODULUS - 1),  # near the 497-day wrap
        )
    )
    if width == 32:  # often close to a wrap
        start_value = draw(st.one_of(st.integers(0, C32 - 1), st.integers(C32 - 2**31, C32 - 1)))
    else:  # a Counter64 never wraps in practice: going down is a discontinuity
        start_value = draw(st.integers(0, 2**62))
    intervals = []
    for _ in range(draw(st.integers(1, 25))):
        cs = draw(st.one_of(st.integers(1_000, 60_000), st.integers(60_000, 8_640_000)))
        event = draw(st.sampled_from(["none", "none", "none", "reboot", "reset"]))
        at_cs = draw(st.integers(_slack_cs(cs), cs - _slack_cs(cs)))
        before = draw(st.integers(0, _cap(width, speed, at_cs)))
        after = draw(st.integers(0, _cap(width, speed, cs - at_cs)))
        if event == "none" and width == 32 and not speed:
            after = min(after, C32 - 1 - before)  # without a speed: at most one wrap
        intervals.append(Interval(cs, event, at_cs, before, after))
    return width, speed, start_up, start_value, intervals


def simulate(width, speed, start_up, start_value, intervals):
    """Yield (true interval, previous sample, current sample) as a real agent would report."""
    wall_cs = round(T0 * 100)
    up, value, disc = start_up, start_value, 0
    prev = Sample(value, width, up, wall_cs / 100, disc, speed)
    for iv in intervals:
        if iv.event == "none":
            up = (up + iv.cs) % UPTIME_MODULUS
            value = (value + iv.before + iv.after) % 2**width
        elif iv.event == "reboot":
            up, value, disc = iv.cs - iv.at_cs, iv.after % 2**width, 0
        else:  # counters re-created at zero, no reboot
            disc = (up + iv.at_cs) % UPTIME_MODULUS
            up = (up + iv.cs) % UPTIME_MODULUS
            value = iv.after % 2**width
        wall_cs += iv.cs
        cur = Sample(value, width, up, wall_cs / 100, disc, speed)
        yield iv, prev, cur
        prev = cur


def _justified_ambiguity(d: Delta, iv: Interval, prev: Sample) -> bool:
    slack = CLOCK_SLACK_S + CLOCK_DRIFT * iv.cs / 100
    near_boot = prev.uptime_ticks <= slack * 100
    # uptime passes 0 inside the interval: a reboot then reads like the wrap (module doc)
    across_uptime_wrap = UPTIME_MODULUS - prev.uptime_ticks <= iv.cs
    most = max_bytes(prev.speed_mbps, d.end - d.start, slack)
    truth = iv.before + iv.after if iv.event == "none" else iv.after
    speed_gap = most is not None and truth % 2**prev.width + 2**prev.width <= most
    return near_boot or across_uptime_wrap or speed_gap


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
# a reboot 31 s after the moment uptime would have wrapped (slack 48 s): was counter_went_down
@example(
    (64, None, 4_294_892_019, 1837, [
        Interval(cs=4_682_473, event="reboot", at_cs=78_414, before=375_538_626, after=0),
        Interval(cs=1000, event="none", at_cs=250, before=0, after=0),
    ])
)  # fmt: skip
# a reboot 2.01 s before that moment (slack 2.013 s), counter 0 -> 0: was ok, lost nothing
@example(
    (64, None, 4_286_324_255, 0, [
        Interval(cs=8_640_000, event="none", at_cs=8890, before=0, after=0),
        Interval(cs=1778, event="none", at_cs=251, before=0, after=0),
        Interval(cs=1313, event="reboot", at_cs=1062, before=0, after=0),
    ])
)  # fmt: skip
def test_deltas_are_exact_and_losses_are_exactly_what_is_reported(scenario):
    width = scenario[0]
    total = counted = lost = 0
    for iv, prev, cur in simulate(*scenario):
        d = counter_delta(prev, cur)
        event(f"{cur.width}-bit {iv.event}: {d.reason}")
        total += iv.before + iv.after
        assert d.reason not in (Reason.OVER_SPEED, Reason.COUNTER_WENT_DOWN, Reason.FIRST_SAMPLE)
        if d.delta is None:
            assert d.reason == Reason.AMBIGUOUS_GAP and _justified_ambiguity(d, iv, prev)
            assert d.lost_seconds == pytest.approx(iv.cs / 100)
            lost += iv.before + iv.after
            continue
        counted += d.delta
        if iv.event == "none":
            went_down = cur.value < prev.value
            expected = Reason.WRAP if went_down else Reason.OK
            assert (d.delta, d.reason, d.lost_seconds) == (iv.before + iv.after, expected, 0.0)
        else:
            # a reboot or reset never adds 2^width: exactly the bytes since the event count
            assert d.reason == (Reason.REBOOT if iv.event == "reboot" else Reason.DISCONTINUITY)
            assert d.delta == iv.after < 2**width
            assert d.lost_seconds == pytest.approx(iv.at_cs / 100)
            lost += iv.before
        assert d.seconds + d.lost_seconds == pytest.approx(iv.cs / 100)
    assert counted == total - lost
    assert width in (32, 64)


_readings = st.builds(
    Sample,
    value=st.integers(0, 2**32 - 1),
    width=st.just(32),
    uptime_ticks=st.integers(0, UPTIME_MODULUS - 1),
    wall_time=st.floats(T0 - 10**6, T0 + 10**6),
    discontinuity_ticks=st.one_of(st.none(), st.integers(0, UPTIME_MODULUS - 1)),
    speed_mbps=st.one_of(st.none(), st.integers(0, 100_000)),
)


@settings(max_examples=500, deadline=None)
@given(_readings, _readings)
def test_any_two_readings_give_a_bounded_answer(prev, cur):
    d = counter_delta(prev, cur)
    assert d.lost_seconds >= 0 and d.seconds >= 0
    if d.delta is None:
        assert d.seconds == 0
        return
    assert 0 <= d.delta < 2**32  # never more than one wrap, never 2^32 added on a reboot
    most = max_bytes(cur.speed_mbps, d.seconds, 10**6)
    assert most is None or d.delta <= most
    assert d.seconds + d.lost_seconds == pytest.approx(cur.wall_time - prev.wall_time)


# --- property: injected faults (64-bit decreases, over-speed jumps) -----------------------


def _unwrapped_uptime(cs: int, later_cs: int = 0) -> st.SearchStrategy[int]:
    """A previous sysUpTime not just after a boot, and not passing 0 within ``cs + later_cs``.

    Either would make a reboot indistinguishable from none (module doc); tested by example.
    """
    return st.integers(_slack_cs(cs), UPTIME_MODULUS - 1 - cs - _slack_cs(cs) - later_cs)


def _continuous(draw, prev_up: int, cs: int) -> int:
    """A current sysUpTime that advanced like the wall clock (within the slack), mod 2^32."""
    jitter = draw(st.integers(max(-cs, -_slack_cs(cs) + 60), _slack_cs(cs) - 60))
    return (prev_up + cs + jitter) % UPTIME_MODULUS


@st.composite
def went_down_64(draw):
    """A Counter64 that goes down with no reboot, no reset, and not just after a boot."""
    cs = draw(st.integers(1_000, 8_640_000))
    prev_up = draw(_unwrapped_uptime(cs, later_cs=30_000))
    speed = draw(st.sampled_from([None, 0, 10, 1000, 100_000]))
    prev_value = draw(st.integers(1, 2**64 - 5))  # room for the "+ 5" reading below
    cur_value = draw(st.integers(0, prev_value - 1))
    disc = draw(st.one_of(st.none(), st.integers(0, UPTIME_MODULUS - 1)))
    prev = s64(prev_value, prev_up, T0, discontinuity_ticks=disc, speed_mbps=speed)
    cur_disc = draw(st.sampled_from([disc, None]))  # unchanged, or not read this time
    cur = s64(
        cur_value,
        _continuous(draw, prev_up, cs),
        T0 + cs / 100,
        discontinuity_ticks=cur_disc,
        speed_mbps=speed,
    )
    return prev, cur


@settings(max_examples=300, deadline=None)
@given(went_down_64())
def test_a_64_bit_counter_going_down_gives_no_delta_and_loses_the_interval(readings):
    prev, cur = readings
    d = counter_delta(prev, cur)
    assert (d.delta, d.reason) == (None, Reason.COUNTER_WENT_DOWN)
    assert d.seconds == 0 and d.lost_seconds == pytest.approx(cur.wall_time - prev.wall_time)
    # and the next reading continues from the lower value: nothing is carried over
    later = s64(
        cur.value + 5,
        (cur.uptime_ticks + 30_000) % UPTIME_MODULUS,
        cur.wall_time + 300,
        discontinuity_ticks=cur.discontinuity_ticks,
        speed_mbps=None,
    )
    assert (counter_delta(cur, later).delta, counter_delta(cur, later).reason) == (5, Reason.OK)


@st.composite
def over_speed_jumps(draw):
    """A counter that moves by more than ifHighSpeed allows over a continuous interval."""
    width = draw(st.sampled_from([32, 64]))
    cs = draw(st.integers(100, 8_640_000 if width == 64 else 60_000))
    # a Counter32 can only show a jump above the line rate if that rate fits under 2^32
    speed = draw(st.integers(1, 100_000 if width == 64 else 50))
    elapsed = (T0 + cs / 100) - T0  # as counter_delta computes it, float rounding included
    most = max_bytes(speed, elapsed, CLOCK_SLACK_S + CLOCK_DRIFT * elapsed)
    assert most is not None and most < 2**width - 1
    low = math.floor(most) + 1
    jump = draw(st.integers(low, 2**width - 1))
    prev_up = draw(_unwrapped_uptime(cs))
    # a Counter32 may wrap on the way; a Counter64 that "wraps" went down (test above)
    prev_value = draw(st.integers(0, 2**width - 1 - (jump if width == 64 else 0)))
    prev = Sample(prev_value, width, prev_up, T0, None, speed)
    cur_value = (prev_value + jump) % 2**width
    cur = Sample(cur_value, width, _continuous(draw, prev_up, cs), T0 + cs / 100, None, speed)
    return prev, cur, jump


@settings(max_examples=300, deadline=None)
@given(over_speed_jumps())
def test_a_jump_above_the_interface_speed_is_discarded_and_counted(readings):
    prev, cur, jump = readings
    d = counter_delta(prev, cur)
    event(f"{cur.width}-bit {'wrapped' if cur.value < prev.value else 'up'}")
    assert (d.delta, d.reason) == (None, Reason.OVER_SPEED), jump
    assert d.seconds == 0 and d.lost_seconds == pytest.approx(cur.wall_time - prev.wall_time)


@st.composite
def nearby_readings(draw, width: int):
    """Two readings of one counter, often continuous in uptime (the interesting cases)."""
    prev = draw(_any_reading(width))
    if draw(st.booleans()):
        return prev, draw(_any_reading(width))
    cs = draw(st.integers(1, 8_640_000))
    up = draw(
        st.one_of(
            st.just(_continuous(draw, prev.uptime_ticks, cs)),
            st.integers(0, UPTIME_MODULUS - 1),
        )
    )
    disc = draw(st.sampled_from([prev.discontinuity_ticks, None, (up - 100) % UPTIME_MODULUS]))
    cur = Sample(
        draw(st.integers(0, 2**width - 1)),
        width,
        up,
        prev.wall_time + cs / 100,
        disc,
        draw(st.sampled_from([prev.speed_mbps, None])),
    )
    return prev, cur


def _any_reading(width: int):
    return st.builds(
        Sample,
        value=st.integers(0, 2**width - 1),
        width=st.just(width),
        uptime_ticks=st.integers(0, UPTIME_MODULUS - 1),
        wall_time=st.floats(T0 - 10**6, T0 + 10**6),
        discontinuity_ticks=st.one_of(st.none(), st.integers(0, UPTIME_MODULUS - 1)),
        speed_mbps=st.one_of(st.none(), st.integers(0, 100_000)),
    )


@pytest.mark.parametrize("width", [32, 64])
@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_any_two_readings_give_one_of_the_allowed_answers(width, data):
    prev, cur = data.draw(nearby_readings(width))
    d = counter_delta(prev, cur)
    event(f"{width}-bit: {d.reason}")
    assert d.lost_seconds >= 0 and d.seconds >= 0
    if d.delta is None:
        assert d.seconds == 0
        return
    # the plain difference, one wrap (32-bit only), or the raw value since a reboot or reset
    allowed = {cur.value - prev.value, cur.value}
    if width == 32:
        allowed.add(cur.value - prev.value + 2**32)
    assert d.delta in allowed and 0 <= d.delta < 2**width
    if width == 64 and cur.value < prev.value:
        assert d.reason in (Reason.REBOOT, Reason.DISCONTINUITY)  # never a 64-bit wrap
    most = max_bytes(cur.speed_mbps, d.seconds, 10**6)
    assert most is None or d.delta <= most
    assert d.seconds + d.lost_seconds == pytest.approx(cur.wall_time - prev.wall_time)
