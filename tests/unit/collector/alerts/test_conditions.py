"""Each rule kind's condition from stored data (StoredConditions over fake Signals): a case that
fires, one that does not, and the edge each rule documents in alerts.yaml."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from collector.alerts.conditions import (
    COLLECTOR_TARGET,
    HOUR_S,
    WEEK_S,
    ClientStats,
    HourUsage,
    Poll,
    SignalError,
    StoredConditions,
    UptimeResets,
)
from collector.alerts.rules import DEFAULT_RULES, Kind, Rule, load_rules
from collector.timeparse import KST

INTERVAL = 300


def kst(hour: int, minute: int = 0) -> float:
    """2025-06-02 (a Monday) at hour:minute KST, epoch seconds."""
    return dt.datetime(2025, 6, 2, hour, minute, tzinfo=KST).timestamp()


def packaged(kind: Kind) -> Rule:
    """The packaged rule of ``kind`` (so the tests check the documented thresholds)."""
    return next(r for r in load_rules(DEFAULT_RULES).rules if r.kind is kind)


@dataclass
class FakeSignals:
    """Signals given outright; records the windows it was asked for."""

    poll_map: dict[str, list[Poll]] = field(default_factory=dict)
    client_stats: dict[str, ClientStats] = field(default_factory=dict)
    hours: dict[int, dict[str, HourUsage]] = field(default_factory=dict)
    resets: dict[str, int] = field(default_factory=dict)
    reboots: dict[str, int] = field(default_factory=dict)
    refused: dict[str, float] = field(default_factory=dict)
    changes: dict[str, float] = field(default_factory=dict)
    newest: float | None = 0.0
    spooled: int = 0
    fail: bool = False
    asked: list[tuple[str, Any]] = field(default_factory=list)

    def _ask(self, what: str, *args: Any) -> None:
        self.asked.append((what, args))
        if self.fail:
            raise SignalError("influx: connection refused")

    def polls(self, start: float, end: float) -> Mapping[str, Sequence[Poll]]:
        self._ask("polls", start, end)
        return {ap: [p for p in ps if start < p.at <= end] for ap, ps in self.poll_map.items()}

    def uptime_resets(self, start: float, end: float) -> Mapping[str, int]:
        self._ask("uptime_resets", start, end)
        counts = {}
        for ap, polls in self.poll_map.items():
            counter = UptimeResets()
            for p in polls:
                if start < p.at <= end:
                    counter.add(ap, p.at, p.uptime_s)
            counts.update(counter.counts)
        return counts

    def clients(self, start: float, end: float) -> Mapping[str, ClientStats]:
        self._ask("clients", start, end)
        return self.client_stats

    def hour_usage(self, hour_start: int) -> Mapping[str, HourUsage]:
        self._ask("hour_usage", hour_start)
        return self.hours.get(hour_start, {})

    def counter_resets(self, start: float, end: float) -> Mapping[str, int]:
        self._ask("counter_resets", start, end)
        return self.resets

    def reboot_events(self, start: float, end: float) -> Mapping[str, int]:
        self._ask("reboot_events", start, end)
        return self.reboots

    def host_keys_refused(self) -> Mapping[str, float]:
        self._ask("host_keys_refused")
        return self.refused

    def outside_changes(self, since: float, now: float) -> Mapping[str, float]:
        self._ask("outside_changes", since, now)
        return {ap: at for ap, at in self.changes.items() if since < at <= now}

    def newest_poll(self, start: float, end: float) -> float | None:
        self._ask("newest_poll", start, end)
        return self.newest

    def spool_bytes(self) -> int:
        self._ask("spool_bytes")
        return self.spooled


def evaluate(signals: FakeSignals, kind: Kind, now: float, **params: Any) -> dict[str, str]:
    rule = packaged(kind)
    if params:
        rule = Rule(rule.id, kind, rule.severity, rule.group, None, {**rule.params, **params})
    condition = StoredConditions(signals, INTERVAL).evaluate(rule, now)
    assert condition.error is None, condition.error
    return dict(condition.aps) | dict(condition.others)


# --- zero clients in busy hours ----------------------------------------------------------------


def test_zero_clients_in_busy_hours_fires_and_counted_polls_matter() -> None:
    signals = FakeSignals(
        client_stats={
            "quiet": ClientStats(polls=12, peak=0),
            "busy": ClientStats(polls=12, peak=4),
            "barely_polled": ClientStats(polls=2, peak=0),  # under min_polls 3
        }
    )
    out = evaluate(signals, Kind.ZERO_CLIENTS, kst(15, 30))
    assert set(out) == {"quiet"}
    assert "0 clients at all 12 polls" in out["quiet"]
    assert signals.asked == [("clients", (kst(14, 30), kst(15, 30)))]


@pytest.mark.parametrize(
    ("hour", "minute", "asked"),
    [
        (10, 59, False),  # before busy hours
        (11, 0, True),  # the first minute of [11, 21)
        (20, 59, True),  # the last minute
        (21, 0, False),  # end is exclusive
        (3, 0, False),  # night
    ],
)
def test_zero_clients_busy_hours_boundary(hour: int, minute: int, asked: bool) -> None:
    signals = FakeSignals(client_stats={"quiet": ClientStats(polls=12, peak=0)})
    out = evaluate(signals, Kind.ZERO_CLIENTS, kst(hour, minute))
    assert bool(out) is asked and bool(signals.asked) is asked


def test_zero_clients_counts_only_polls_inside_busy_hours() -> None:
    """At 11:05 the window is 11:00-11:05, not 10:05-11:05: the quiet morning is not busy."""
    signals = FakeSignals(client_stats={"quiet": ClientStats(polls=1, peak=0)})
    assert evaluate(signals, Kind.ZERO_CLIENTS, kst(11, 5)) == {}
    assert signals.asked == [("clients", (kst(11, 0), kst(11, 5)))]
    signals.asked.clear()
    evaluate(signals, Kind.ZERO_CLIENTS, kst(12, 30))
    assert signals.asked == [("clients", (kst(11, 30), kst(12, 30)))]  # a full hour again


# --- traffic below X % of the same hour last week ------------------------------------------------


def _hour(now: float) -> int:
    return int(now) // HOUR_S * HOUR_S - HOUR_S


def test_low_traffic_fires_below_the_percentage_of_last_week() -> None:
    now = kst(15, 20)
    hour = _hour(now)
    signals = FakeSignals(
        hours={
            hour: {
                "dropped": HourUsage(9_000_000, 12),  # 9 % of 100 MB
                "at_ten": HourUsage(10_000_000, 12),  # exactly 10 %: not below
                "fine": HourUsage(80_000_000, 12),
            },
            hour - WEEK_S: {
                "dropped": HourUsage(100_000_000, 12),
                "at_ten": HourUsage(100_000_000, 12),
                "fine": HourUsage(100_000_000, 12),
            },
        }
    )
    out = evaluate(signals, Kind.LOW_TRAFFIC, now)
    assert set(out) == {"dropped"}
    assert "9.0 MB, 9.0 % of the same hour last week (100.0 MB)" in out["dropped"]


def test_low_traffic_needs_last_weeks_hour_its_floor_and_polls() -> None:
    now = kst(15, 20)
    hour = _hour(now)
    signals = FakeSignals(
        hours={
            hour: {
                "no_last_week": HourUsage(0, 12),  # last week's hour missing: not judged
                "small_last_week": HourUsage(0, 12),  # last week under min_bytes
                "down_then": HourUsage(0, 12),  # last week no answered poll
                "down_now": HourUsage(0, 0),  # down this hour: ap_down's business
            },
            hour - WEEK_S: {
                "small_last_week": HourUsage(99_999_999, 12),
                "down_then": HourUsage(500_000_000, 0),
                "down_now": HourUsage(500_000_000, 12),
            },
        }
    )
    assert evaluate(signals, Kind.LOW_TRAFFIC, now) == {}
    assert set(evaluate(signals, Kind.LOW_TRAFFIC, now, min_bytes=99_000_000)) == {
        "small_last_week"
    }


def test_low_traffic_judges_the_hour_before_until_the_last_one_is_rolled_up() -> None:
    """Minutes after an hour ends the ledger has not rolled it up: the alert of the hour
    before must not resolve then (and fire again once the hour is rolled up)."""
    now = kst(15, 3)
    last, before = _hour(now), _hour(now) - HOUR_S
    signals = FakeSignals(
        hours={
            before: {"dropped": HourUsage(1_000_000, 12)},
            before - WEEK_S: {"dropped": HourUsage(200_000_000, 12)},
            last - WEEK_S: {"dropped": HourUsage(200_000_000, 12)},
        }
    )
    out = evaluate(signals, Kind.LOW_TRAFFIC, now)
    assert set(out) == {"dropped"} and "13:00 KST hour" in out["dropped"]
    signals.hours[last] = {"dropped": HourUsage(150_000_000, 12)}  # rolled up, recovered
    assert evaluate(signals, Kind.LOW_TRAFFIC, now) == {}


# --- reboot loops ------------------------------------------------------------------------------


def polls(start: float, uptimes: Sequence[int | None], step: int = INTERVAL) -> list[Poll]:
    return [Poll(int(start) + i * step, u is not None, u) for i, u in enumerate(uptimes)]


def test_reboot_loop_from_uptime_going_backwards() -> None:
    now = kst(15, 0)
    start = now - 3000
    signals = FakeSignals(
        poll_map={
            "looping": polls(start, [5000, 60, 360, 40, 340, 30, 330]),  # 3 restarts
            "twice": polls(start, [5000, 60, 360, 40, 340, 640, 940]),  # 2: under 3
            "steady": polls(start, [5000, 5300, 5600, None, 6200, 6500, 6800]),
        }
    )
    out = evaluate(signals, Kind.REBOOT_LOOP, now)
    assert out == {"looping": "3 reboots in the last 60 min"}


def test_reboot_loop_restarting_once_per_poll_interval_is_seen() -> None:
    """Restarting every interval, sysUpTime shows about the same small value at each poll:
    it never goes backwards, yet each poll follows a restart."""
    now = kst(15, 0)
    signals = FakeSignals(poll_map={"looping": polls(now - 3000, [120, 118, 121, 119, 120])})
    out = evaluate(signals, Kind.REBOOT_LOOP, now)
    assert out == {"looping": "4 reboots in the last 60 min"}


def test_reboot_loop_clock_jitter_is_not_a_reboot() -> None:
    now = kst(15, 0)
    jitter = [Poll(int(now) - 1200, True, 10_000), Poll(int(now) - 899, True, 10_298),
              Poll(int(now) - 601, True, 10_597), Poll(int(now) - 300, True, 10_895)]  # fmt: skip
    assert evaluate(FakeSignals(poll_map={"ap": jitter}), Kind.REBOOT_LOOP, now) == {}


def test_reboot_loop_traps_and_polls_seeing_the_same_reboots_count_once() -> None:
    now = kst(15, 0)
    signals = FakeSignals(
        poll_map={"ap": polls(now - 3000, [5000, 60, 360, 40, 340, 640])},  # 2 by uptime
        reboots={"ap": 2, "trapped": 3},  # the same 2 by trap; another AP only by traps
    )
    out = evaluate(signals, Kind.REBOOT_LOOP, now)
    assert set(out) == {"trapped"}
    signals.reboots["ap"] = 3  # one more the polls missed
    assert set(evaluate(signals, Kind.REBOOT_LOOP, now)) == {"ap", "trapped"}


# --- counter discontinuities -------------------------------------------------------------------


def test_counter_discontinuity_fires_at_the_threshold() -> None:
    now = kst(15, 0)
    signals = FakeSignals(resets={"reset": 1, "many": 4})
    assert set(evaluate(signals, Kind.COUNTER_DISCONTINUITY, now)) == {"reset", "many"}
    assert signals.asked == [("counter_resets", (now - 3600, now))]
    assert set(evaluate(signals, Kind.COUNTER_DISCONTINUITY, now, resets=2)) == {"many"}
    assert evaluate(FakeSignals(), Kind.COUNTER_DISCONTINUITY, now) == {}


# --- config changed outside pubwifi ------------------------------------------------------------


def test_config_changed_outside_fires_for_24h_after_the_change() -> None:
    changed = kst(9, 15)
    signals = FakeSignals(changes={"ap": changed})
    out = evaluate(signals, Kind.CONFIG_CHANGED, changed + 60)
    assert out == {"ap": "running-config changed outside pubwifi at 2025-06-02 09:15 KST"}
    assert evaluate(signals, Kind.CONFIG_CHANGED, changed + 86_399) != {}
    assert evaluate(signals, Kind.CONFIG_CHANGED, changed + 86_400) == {}  # the window ended
    assert evaluate(FakeSignals(), Kind.CONFIG_CHANGED, changed) == {}


# --- host key changed --------------------------------------------------------------------------


def test_host_key_changed_fires_while_refused() -> None:
    refused = kst(8, 0)
    signals = FakeSignals(refused={"ap": refused, "later": refused + 7200})
    out = evaluate(signals, Kind.HOST_KEY_CHANGED, refused + 60)
    assert set(out) == {"ap"}  # one refused after "now" (an evaluation as of the past): not yet
    assert "refused since 2025-06-02 08:00 KST" in out["ap"]
    assert evaluate(FakeSignals(), Kind.HOST_KEY_CHANGED, refused) == {}


# --- collector health --------------------------------------------------------------------------


def test_collector_health_stale_polls_and_spool() -> None:
    now = kst(15, 0)
    healthy = FakeSignals(newest=now - 10, spooled=1024**3)  # at the cap: not above it
    assert evaluate(healthy, Kind.COLLECTOR_HEALTH, now) == {}
    assert ("newest_poll", (now - 900, now)) in healthy.asked
    stale = FakeSignals(newest=None, spooled=1024**3 + 1)
    out = evaluate(stale, Kind.COLLECTOR_HEALTH, now)
    assert set(out) == {COLLECTOR_TARGET}
    assert "no ap_poll point stored in the last 15 min" in out[COLLECTOR_TARGET]
    assert "spool holds 1074 MB" in out[COLLECTOR_TARGET]


# --- unreadable data ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in Kind if k is not Kind.AP_DOWN])
def test_unreadable_data_is_an_error_not_a_cleared_condition(kind: Kind) -> None:
    condition = StoredConditions(FakeSignals(fail=True), INTERVAL).evaluate(
        packaged(kind), kst(15, 0)
    )
    assert condition.error == "influx: connection refused" and not condition.aps
