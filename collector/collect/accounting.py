"""From poll samples to exact points: counter deltas against durable baselines, then lines.

For every AP that answered: one ``ap_poll`` point, an ``ap_info`` point when model, firmware or
sysName changed (and the first time after start), and one ``radio_poll`` point per radio
carrying the exact deltas of its rx/tx byte and session counters
(``collector.collect.counters``) since the previous poll. An AP that did not answer gets
``ap_poll up=0``. Every delta outcome (ok, wrap, reboot, discontinuity, ...) is counted for
Prometheus, and the seconds whose traffic is unknown too.

Timestamps are whole seconds (the spool writes ``precision=s``); ``interval_s`` is the span the
deltas cover, ``[time - interval_s, time]``, which the ledger rollup apportions over hours.
**Coverage is all or nothing per sample:** the radio rows of a sample carry ``interval_s`` only
when every counter of every radio the sample reports was counted and all cover the same span;
then that span is audited for the whole AP (its total is exact there). Otherwise (say rx
counted but tx was ``over_speed``, a radio's sessions counter went down, one radio's counters
were reset mid-interval) the exact deltas that were counted are still written, without
``interval_s``: readers cannot place them in an audited span, so they count such rows
(``rows_without_interval`` in ``pubwifi usage``) and leave them out of totals and coverage,
and the span is a gap. The failing counter's outcome is counted in
``pubwifi_counter_deltas_total{reason}`` and ``AccountStats.partial`` counts such samples.
A row with no counted delta at all carries ``interval_s=0`` (no baseline yet, or none counted).
A sample is stamped with the whole second its counters belong to on the device's own clock:
``time = boot + floor(uptime)``, where ``boot`` is the earliest ``wall - uptime`` seen since the
device booted (an answer read late only makes that difference larger, so the minimum is the
best estimate), floored to a whole second. That is the collector's second give or take one, and
consecutive stamps then advance exactly as the device's sysUpTime does, so neither a sample
taken across a second boundary nor an answer read late lands in the wrong second.
Wired interfaces are accounted only on APs with no radio rows (a generic Linux host), so an
uplink never counts the radios' traffic twice.

One bad value (a NaN transmit power, a model string that is not UTF-8, an integer outside
int64) sets aside only the line it is in: :meth:`Accountant.account` returns the other lines of
the sample and the :class:`~collector.influx.lineproto.BadPoint` of each line set aside, for the
caller to count (``pubwifi_points_set_aside_total{reason}``). The counter baselines of a radio
whose line is set aside have advanced all the same, so its deltas for that poll are lost: that
is what the set-aside count stands for (and the interval shows as a gap in coverage).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from collector.collect.baselines import BaselineStore
from collector.collect.counters import Delta, Reason, counter_delta
from collector.collect.counters import Sample as CounterSample
from collector.influx.lineproto import BadPoint, FieldValue
from collector.influx.schema import AP_INFO, AP_POLL, RADIO_POLL, Band, ap_tags, radio_tags
from collector.inventory.model import AccessPoint, Inventory
from collector.poll.sample import CounterValue, RadioSample, Sample

COUNTED = (Reason.OK, Reason.WRAP, Reason.REBOOT, Reason.DISCONTINUITY)
UPTIME_MODULUS = 2**32

DeltaHook = Callable[[Delta], None]


@dataclass
class AccountStats:
    """Totals since start, for summaries and tests."""

    samples: int = 0
    up: int = 0
    lines: int = 0
    deltas: dict[str, int] = field(default_factory=dict)
    set_aside: dict[str, int] = field(default_factory=dict)  # lines by BadPoint reason
    partial: int = 0  # samples with deltas written without interval_s (not all counted)


@dataclass(slots=True)
class RadioDeltas:
    """The counted deltas of one radio in one sample (``spans``: their whole-second spans)."""

    radio: RadioSample
    deltas: dict[str, int] = field(default_factory=dict)
    spans: set[int] = field(default_factory=set)
    complete: bool = True  # every counter the radio reports was counted
    wraps: int = 0  # counters that wrapped (the delta is still exact)
    resets: int = 0  # counters that restarted without a reboot (discontinuity, went down)


def common_interval(radios: list[RadioDeltas]) -> int | None:
    """The span every radio row of a sample carries, or None when the sample covers nothing.

    A sample covers ``[time - interval_s, time]`` only if every counter of every radio it
    reports was counted and all of them cover that same span (module doc).
    """
    spans = {span for r in radios for span in r.spans}
    if len(spans) != 1 or not all(r.complete for r in radios):
        return None
    return spans.pop()


@dataclass(slots=True)
class Accounted:
    """The lines of one sample, and why each line that could not be built was set aside."""

    lines: list[str] = field(default_factory=list)
    set_aside: list[BadPoint] = field(default_factory=list)


class Accountant:
    """Turns :class:`~collector.poll.sample.Sample` objects into line protocol, exactly."""

    def __init__(
        self, inventory: Inventory, baselines: BaselineStore, on_delta: DeltaHook | None = None
    ) -> None:
        self.inventory = inventory
        self.baselines = baselines
        self.on_delta = on_delta
        self.stats = AccountStats()
        self._ap_prefix: dict[str, str] = {}
        self._radio_prefix: dict[tuple[str, str], str] = {}
        self._info: dict[str, tuple[str | None, str | None, str | None]] = {}
        self._clock = DeviceClock()

    def account(self, sample: Sample) -> Accounted:
        """The lines for one sample; baselines advance (commit them before spooling the lines).

        A line that cannot be built (:class:`BadPoint`) is left out and reported in
        :attr:`Accounted.set_aside`; the sample's other lines are unaffected.
        """
        ap = self.inventory.ap(sample.ap_id)
        seconds = self._clock.second(sample)
        self.stats.samples += 1
        out = Accounted()
        if not sample.up:
            self._add(out, lambda: AP_POLL.line(self._ap_poll_prefix(ap), {"up": 0}, seconds))
            return out
        self.stats.up += 1
        poll_fields: dict[str, FieldValue | None] = {
            "up": 1,
            "uptime_s": None if sample.uptime is None else sample.uptime // 100,
            "response_ms": round(sample.elapsed_s * 1000, 3),
        }
        self._add(out, lambda: AP_POLL.line(self._ap_poll_prefix(ap), poll_fields, seconds))
        info = (sample.model, sample.firmware, sample.sys_name)
        if info != self._info.get(ap.id) and any(info):
            self._info[ap.id] = info
            fields: dict[str, FieldValue | None] = {
                "model": sample.model,
                "firmware": sample.firmware,
                "reported_standard": sample.standard,
                "sys_name": sample.sys_name,
            }
            self._add(out, lambda: AP_INFO.line(AP_INFO.prefix(ap_tags(ap)), fields, seconds))
        radios = [r for r in sample.radios if r.band != Band.WIRED.value] or list(sample.radios)
        # every counter of every radio first (baselines advance even if a line is set aside)
        accounted = [self._radio_deltas(ap, sample, radio, seconds) for radio in radios]
        interval = common_interval(accounted)
        if interval is None and any(r.deltas for r in accounted):
            self.stats.partial += 1
        for radio_deltas in accounted:
            self._add(out, partial(self._radio_line, ap, radio_deltas, interval, seconds))
        return out

    def _add(self, out: Accounted, build: Callable[[], str]) -> None:
        """Append the line ``build`` makes, or set it aside (counted) if it cannot be made."""
        try:
            line = build()
        except BadPoint as error:
            out.set_aside.append(error)
            self.stats.set_aside[error.reason] = self.stats.set_aside.get(error.reason, 0) + 1
            return
        out.lines.append(line)
        self.stats.lines += 1

    def _ap_poll_prefix(self, ap: AccessPoint) -> str:
        prefix = self._ap_prefix.get(ap.id)
        if prefix is None:
            prefix = self._ap_prefix[ap.id] = AP_POLL.prefix(ap_tags(ap))
        return prefix

    def _radio_deltas(
        self, ap: AccessPoint, sample: Sample, radio: RadioSample, seconds: int
    ) -> RadioDeltas:
        """The counted deltas of one radio, and whether every counter it reports counted."""
        wall = float(seconds)
        speed = radio.speed_bps // 1_000_000 if radio.speed_bps else None
        out = RadioDeltas(radio)
        for name, reading, speed_mbps in (
            ("rx_bytes", radio.rx_bytes, speed),
            ("tx_bytes", radio.tx_bytes, speed),
            ("sessions", radio.sessions, None),
        ):
            if reading is None:
                continue
            if sample.uptime is None:
                out.complete = False
                continue
            delta = self._delta(
                ap.id, f"{name}.{radio.index}", reading, sample, radio, wall, speed_mbps
            )
            if delta.reason == Reason.WRAP:
                out.wraps += 1
            elif delta.reason in (Reason.DISCONTINUITY, Reason.COUNTER_WENT_DOWN):
                out.resets += 1
            if delta.delta is not None and delta.reason in COUNTED:
                out.deltas[name] = delta.delta
                out.spans.add(span_seconds(delta))
            else:
                out.complete = False
        return out

    def _radio_line(
        self, ap: AccessPoint, radio: RadioDeltas, interval: int | None, seconds: int
    ) -> str:
        fields: dict[str, FieldValue | None] = dict(radio.deltas)
        if not radio.deltas:
            fields["interval_s"] = 0  # nothing counted: no baseline yet, or every delta failed
        elif interval is not None:
            fields["interval_s"] = interval
        # else: deltas that are exact but cover no audited span (see the module doc)
        if radio.wraps:
            fields["counter_wraps"] = radio.wraps
        if radio.resets:
            fields["counter_resets"] = radio.resets
        row = radio.radio
        fields["clients"] = row.clients
        fields["channel"] = row.channel
        fields["tx_power_dbm"] = row.tx_power_dbm
        key = (ap.id, row.band)
        prefix = self._radio_prefix.get(key)
        if prefix is None:
            prefix = self._radio_prefix[key] = RADIO_POLL.prefix(radio_tags(ap, _band(row)))
        return RADIO_POLL.line(prefix, fields, seconds)

    def _delta(
        self,
        ap_id: str,
        counter: str,
        reading: CounterValue,
        sample: Sample,
        radio: RadioSample,
        wall: float,
        speed_mbps: int | None,
    ) -> Delta:
        assert sample.uptime is not None
        current = CounterSample(
            value=reading.value,
            width=reading.bits,
            uptime_ticks=sample.uptime % UPTIME_MODULUS,
            wall_time=wall,
            discontinuity_ticks=radio.discontinuity,
            speed_mbps=speed_mbps,
        )
        delta = counter_delta(self.baselines.get(ap_id, counter), current)
        self.baselines.put(ap_id, counter, current)
        reason = delta.reason.value
        self.stats.deltas[reason] = self.stats.deltas.get(reason, 0) + 1
        if self.on_delta is not None:
            self.on_delta(delta)
        return delta


def _band(radio: RadioSample) -> Band:
    try:
        return Band(radio.band)
    except ValueError:
        raise BadPoint("schema", f"band {radio.band!r} is not a band tag value") from None


def span_seconds(delta: Delta) -> int:
    """Whole seconds a delta covers: after a reboot or reset it starts at the (whole) second
    the counters restarted, which lies within the interval, so round its start up."""
    return int(delta.end) - math.ceil(delta.start - 1e-6)


class DeviceClock:
    """Per-AP boot-time estimates that turn samples into device-clock seconds."""

    #: A boot estimate that moves by more than this is a new boot (or a clock step).
    SAME_BOOT_S = 2.0

    def __init__(self) -> None:
        self._boot: dict[str, float] = {}

    def second(self, sample: Sample) -> int:
        wall_s = sample.time_ns / 1e9
        if sample.uptime is None:
            return int(wall_s)
        up_s = (sample.uptime % UPTIME_MODULUS) / 100
        seen = wall_s - up_s
        boot = self._boot.get(sample.ap_id)
        if boot is None or abs(seen - boot) > self.SAME_BOOT_S:
            boot = seen
        else:
            boot = min(boot, seen)
        self._boot[sample.ap_id] = boot
        return math.floor(boot) + int(up_s)
