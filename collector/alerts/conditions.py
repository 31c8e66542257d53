"""Which APs are in each rule's condition at ``now``, from stored data behind a narrow seam.

:class:`Signals` is what the conditions read (the real one, :mod:`collector.alerts.signals`,
asks InfluxDB, the event, facts and alert stores and the config history; unit tests pass a
fake); :class:`StoredConditions` turns a :class:`~collector.alerts.rules.Rule` and ``now`` into
a :class:`Condition`. The engine only sees :class:`ConditionSource`, so it is tested with
conditions given outright. A rule whose data cannot be read gives ``Condition(error=...)``:
its alerts are then left as they are (neither resolved nor re-notified) and the error counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from collector.alerts.rules import Kind, Rule
from collector.timeparse import KST

HOUR_S = 3600
WEEK_S = 7 * 86_400
COLLECTOR_TARGET = "collector"
#: sysUpTime may lag the poll clock by this much between two polls without a restart (whole
#: seconds on both sides, the agent's answer time); an AP that lost more restarted.
UPTIME_SLACK_S = 30


@dataclass(frozen=True, slots=True)
class Condition:
    """``aps``: AP id -> what was seen; ``others``: targets that are not APs (the collector)."""

    aps: Mapping[str, str] = field(default_factory=dict)
    others: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None


class ConditionSource(Protocol):
    def evaluate(self, rule: Rule, now: float) -> Condition: ...


class Poll(NamedTuple):
    at: int
    up: bool
    uptime_s: int | None


class ClientStats(NamedTuple):
    polls: int  # polls with a client count (of the radio with most)
    peak: int  # the highest count of any radio


class HourUsage(NamedTuple):
    bytes: int  # rx + tx
    polls_up: int


class SignalError(Exception):
    """A data source could not be read (InfluxDB unreachable, a store unreadable)."""


class Signals(Protocol):
    """Stored data, read-only; ``(start, end]`` windows in epoch seconds."""

    def polls(self, start: float, end: float) -> Mapping[str, Sequence[Poll]]: ...
    def uptime_resets(self, start: float, end: float) -> Mapping[str, int]: ...
    def clients(self, start: float, end: float) -> Mapping[str, ClientStats]: ...
    def hour_usage(self, hour_start: int) -> Mapping[str, HourUsage]: ...
    def counter_resets(self, start: float, end: float) -> Mapping[str, int]: ...
    def reboot_events(self, start: float, end: float) -> Mapping[str, int]: ...
    def host_keys_refused(self) -> Mapping[str, float]: ...
    def outside_changes(self, since: float, now: float) -> Mapping[str, float]: ...
    def newest_poll(self, start: float, end: float) -> float | None: ...
    def spool_bytes(self) -> int: ...


class StoredConditions:
    """:class:`ConditionSource` over :class:`Signals`; ``poll_interval_s`` sizes default windows."""

    def __init__(self, signals: Signals, poll_interval_s: int) -> None:
        self.signals = signals
        self.poll_interval_s = poll_interval_s

    def evaluate(self, rule: Rule, now: float) -> Condition:
        try:
            return _EVALUATORS[rule.kind](self, rule, now)
        except SignalError as error:
            return Condition(error=str(error))

    # --- one method per kind -------------------------------------------------------------------
    def _ap_down(self, rule: Rule, now: float) -> Condition:
        n: int = rule.param("polls", 3)
        window = rule.param("window_s", 2 * n * self.poll_interval_s)
        out: dict[str, str] = {}
        for ap, polls in self.signals.polls(now - window, now).items():
            last = polls[-n:]
            if len(last) == n and not any(p.up for p in last):
                run = next((i for i, p in enumerate(reversed(polls)) if p.up), len(polls))
                # the alert's own start says since when; the summary says how long a run so far
                out[ap] = f"no answer to {run} polls in a row (last at {_hhmm(polls[-1].at)} KST)"
        return Condition(out)

    def _zero_clients(self, rule: Rule, now: float) -> Condition:
        """Busy hours are ``[start, end)`` KST; only polls inside them count, so at 11:05 the
        window is 11:00-11:05 (the quiet morning before does not make a busy-hours alert)."""
        start_h, end_h = rule.param("hours", [11, 21])
        local = dt.datetime.fromtimestamp(now, KST)
        if not start_h <= local.hour < end_h:
            return Condition()
        busy_from = local.replace(hour=start_h, minute=0, second=0, microsecond=0).timestamp()
        window = rule.param("window_s", HOUR_S)
        start = max(now - window, busy_from)
        need = rule.param("min_polls", 3)
        return Condition(
            {
                ap: f"0 clients at all {s.polls} polls since {_hhmm(start)} KST"
                for ap, s in self.signals.clients(start, now).items()
                if s.polls >= need and s.peak == 0
            }
        )

    def _low_traffic(self, rule: Rule, now: float) -> Condition:
        percent = float(rule.param("percent", 10.0))
        floor = rule.param("min_bytes", 100_000_000)
        hour = int(now) // HOUR_S * HOUR_S - HOUR_S  # the last closed hour
        this = self.signals.hour_usage(hour)
        if not this:  # not rolled up yet (the ledger closes an hour minutes after it ends):
            hour -= HOUR_S  # judge the hour before, so its alert does not resolve meanwhile
            this = self.signals.hour_usage(hour)
        before = self.signals.hour_usage(hour - WEEK_S)
        out: dict[str, str] = {}
        for ap, usage in this.items():
            old = before.get(ap)
            if old is None or old.bytes < floor or old.polls_up == 0 or usage.polls_up == 0:
                continue
            if usage.bytes * 100 < old.bytes * percent:
                share = 100 * usage.bytes / old.bytes
                out[ap] = (
                    f"{_hhmm(hour)} KST hour carried {usage.bytes / 1e6:.1f} MB, {share:.1f} % "
                    f"of the same hour last week ({old.bytes / 1e6:.1f} MB)"
                )
        return Condition(out)

    def _reboot_loop(self, rule: Rule, now: float) -> Condition:
        need = rule.param("reboots", 3)
        window = rule.param("window_s", HOUR_S)
        seen = dict(self.signals.reboot_events(now - window, now))
        for ap, resets in self.signals.uptime_resets(now - window, now).items():
            seen[ap] = max(seen.get(ap, 0), resets)
        return Condition(
            {
                ap: f"{count} reboots in the last {window // 60} min"
                for ap, count in seen.items()
                if count >= need
            }
        )

    def _counter_discontinuity(self, rule: Rule, now: float) -> Condition:
        need = rule.param("resets", 1)
        window = rule.param("window_s", HOUR_S)
        return Condition(
            {
                ap: f"{count} counter restarts without a reboot in the last {window // 60} min"
                for ap, count in self.signals.counter_resets(now - window, now).items()
                if count >= need
            }
        )

    def _config_changed(self, rule: Rule, now: float) -> Condition:
        window = rule.param("window_s", 86_400)
        changes = self.signals.outside_changes(now - window, now)
        return Condition(
            {ap: f"running-config changed outside pubwifi at {_hhmm(at)} KST"
             for ap, at in changes.items()}
        )  # fmt: skip

    def _host_key_changed(self, rule: Rule, now: float) -> Condition:
        return Condition(
            {ap: f"SSH host key changed, refused since {_hhmm(at)} KST"
             for ap, at in self.signals.host_keys_refused().items() if at <= now}
        )  # fmt: skip

    def _collector_health(self, rule: Rule, now: float) -> Condition:
        stale = rule.param("stale_s", 900)
        cap = rule.param("spool_bytes", 1024**3)
        problems: list[str] = []
        if self.signals.newest_poll(now - stale, now) is None:
            problems.append(f"no ap_poll point stored in the last {stale // 60} min")
        spooled = self.signals.spool_bytes()
        if spooled > cap:
            problems.append(f"spool holds {spooled / 1e6:.0f} MB not yet in InfluxDB")
        return Condition(others={COLLECTOR_TARGET: "; ".join(problems)} if problems else {})


_EVALUATORS = {
    Kind.AP_DOWN: StoredConditions._ap_down,
    Kind.ZERO_CLIENTS: StoredConditions._zero_clients,
    Kind.LOW_TRAFFIC: StoredConditions._low_traffic,
    Kind.REBOOT_LOOP: StoredConditions._reboot_loop,
    Kind.COUNTER_DISCONTINUITY: StoredConditions._counter_discontinuity,
    Kind.CONFIG_CHANGED: StoredConditions._config_changed,
    Kind.HOST_KEY_CHANGED: StoredConditions._host_key_changed,
    Kind.COLLECTOR_HEALTH: StoredConditions._collector_health,
}


class UptimeResets:
    """Restarts seen in sysUpTime between consecutive answered polls of each AP, counted as the
    polls go by (oldest first per AP), so an hour of a whole fleet's polls is never held: the
    uptime grew by less than the time between the polls (less :data:`UPTIME_SLACK_S`). Not
    only "went backwards": an AP that restarts about once per poll interval shows a similar
    small uptime at every poll, each one a restart."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._previous: dict[str, tuple[int, int]] = {}

    def add(self, ap: str, at: int, uptime_s: int | None) -> None:
        if uptime_s is None:
            return
        previous = self._previous.get(ap)
        if previous is not None:
            expected = previous[1] + (at - previous[0])
            if uptime_s + UPTIME_SLACK_S < expected:
                self.counts[ap] = self.counts.get(ap, 0) + 1
        self._previous[ap] = (at, uptime_s)


def _hhmm(at: float) -> str:
    return dt.datetime.fromtimestamp(at, KST).strftime("%Y-%m-%d %H:%M")
