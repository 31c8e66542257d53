"""Apply an AP's fault rules to its lab device: at creation, then lazily at request time.

Time-based events (reboot, discontinuity, link flap, swap) are evaluated when a request arrives:
the most recent due instant is applied, so a device that nobody asked for costs nothing. (The
notification sender, :mod:`collector.lab.notify`, asks at each due instant of the rules that
send traps, with :func:`due_times`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector.lab.device import LabDevice
from collector.lab.faults import FaultKind, FaultRule
from collector.lab.hardware import swap_hardware
from collector.lab.hostile import hostile_strings
from collector.lab.mibview import SnmpFault
from collector.lab.traffic import unit_hash

_AGENT_FAULTS = {
    FaultKind.DOWN: SnmpFault.DOWN,
    FaultKind.SLOW: SnmpFault.SLOW,
    FaultKind.MALFORMED: SnmpFault.MALFORMED,
    FaultKind.TRUNCATED: SnmpFault.TRUNCATED,
}
_SSH_FAULTS = {
    FaultKind.SSH_LOGIN_FAILS: "login_fails",
    FaultKind.SSH_HANGS: "hangs",
    FaultKind.SSH_HOST_KEY_CHANGED: "host_key_changed",
    FaultKind.SSH_CLI_ERROR: "cli_error",
    FaultKind.SSH_GARBAGE: "garbage",
}
COUNTER32 = 1 << 32


@dataclass(slots=True)
class Behaviour:
    """How the device's servers misbehave (read by the fleet's resolvers)."""

    snmp_fault: SnmpFault | None = None
    slow_seconds: float = 3.0
    #: "login_fails" | "hangs" | "host_key_changed" | "cli_error" | "garbage" (the last rule wins)
    ssh_fault: str | None = None
    timed: list[FaultRule] = field(default_factory=list)
    live_from: float | None = None  # goes_live: nobody answers before this instant


def install(device: LabDevice, rules: list[FaultRule], now: float) -> Behaviour:
    """Set up ``rules`` on a freshly built device at lab time ``now``."""
    behaviour = Behaviour()
    for rule in rules:
        kind = rule.kind
        if kind in _AGENT_FAULTS:
            behaviour.snmp_fault = _AGENT_FAULTS[kind]
            behaviour.slow_seconds = rule.delay_seconds
        elif kind in _SSH_FAULTS:
            behaviour.ssh_fault = _SSH_FAULTS[kind]
        elif kind is FaultKind.COUNTER32_WRAP:
            device.counter_offset = _offset_to_wrap(device, now, rule.wrap_minutes)
        elif kind is FaultKind.HOSTILE_STRINGS:
            device.hostile = hostile_strings(rule.seed, device.ap.id)
        elif kind is FaultKind.GOES_LIVE:
            at = rule.at_epoch
            assert at is not None  # the rule's validator requires it
            if at > now:
                behaviour.live_from = at
                device.state.reboot(at)
        elif kind is FaultKind.SWAPPED_TO_WIFI6:
            at = rule.at_epoch
            if at is None or at <= now:
                _swap(device, at if at is not None else now)
            else:
                behaviour.timed.append(rule)
        else:
            behaviour.timed.append(rule)
    if behaviour.timed:
        device.apply_events = lambda dev, t: _apply_timed(dev, behaviour.timed, t)
        _apply_timed(device, behaviour.timed, now)
    return behaviour


def _swap(device: LabDevice, at: float) -> None:
    replacement = device.ap.replacement
    model = replacement.model if replacement and replacement.standard.value == "wifi6" else None
    swap_hardware(device, "wifi6", at, model)


def _offset_to_wrap(device: LabDevice, now: float, minutes: float) -> int:
    """An offset that puts the largest octet counter ``minutes`` of traffic below 2^32."""
    wired_in, _ = device.wired_octets(now)
    rate = device.profile.tx_per_week / (7 * 86_400)
    margin = max(1, int(rate * 60 * minutes))
    return (COUNTER32 - wired_in - margin) % COUNTER32


def _last_due(rule: FaultRule, device: LabDevice, now: float) -> tuple[float | None, float]:
    return due_times(rule, device.ap.id, now)


def due_times(rule: FaultRule, ap_id: str, now: float) -> tuple[float | None, float]:
    """A timed rule on AP ``ap_id``: (most recent due instant <= now or None, next one after)."""
    at = rule.at_epoch
    if rule.every_minutes is None:
        assert at is not None
        return (at, float("inf")) if at <= now else (None, at)
    period = rule.every_minutes * 60
    anchor = at if at is not None else unit_hash(rule.seed, ap_id, "phase") * period
    if now < anchor:
        return None, anchor
    last = anchor + ((now - anchor) // period) * period
    return last, last + period


def _apply_timed(device: LabDevice, rules: list[FaultRule], now: float) -> None:
    upcoming = float("inf")
    state = device.state
    for rule in rules:
        due, following = _last_due(rule, device, now)
        upcoming = min(upcoming, following)
        if due is None:
            continue
        if rule.kind is FaultKind.REBOOT and state.boot_time < due:
            state.reboot(due)
            device.counter_offset = 0
        elif rule.kind is FaultKind.DISCONTINUITY and state.counter_epoch < due:
            state.restart_counters(due)
        elif rule.kind is FaultKind.LINK_FLAP and (
            device.link_down_from is None or device.link_down_from < due
        ):
            device.link_down_from = due
            device.link_down_until = due + rule.down_seconds
        elif rule.kind is FaultKind.SWAPPED_TO_WIFI6 and state.standard != "wifi6":
            _swap(device, due)
    device.next_event = upcoming
