"""What the collector would have read from a lab AP at any past instant, as poll Samples.

Reference path: the collector's own :class:`~collector.poll.ap.ApPoller` (detection, radio
discovery, the profile's request plan, value conversion) over :class:`MibEngine`, an in-process
:class:`~collector.snmp.engine.SnmpEngine` that answers from the AP's lab MIB at a chosen
instant. That is exactly what an SNMP poll of the lab returns, minus the network.

Fast path (for months of history): the reference sample at the window's start is the
template; per instant only what changes with time is recomputed from the lab device's traffic
model (:mod:`collector.lab.device`'s formulas with its epochs and radio splits taken once:
octet and session counters modulo the column's width, clients, sysUpTime). Fault events are
not applied (a backfill has none), so the device's state does not change over the window.
:meth:`LabSampler.verified` checks, per AP, that the fast
path equals the reference path at given instants and raises if they ever differ, so the fast
path cannot drift from what polling produces.

Backfilled samples carry ``elapsed_s=0`` (nothing was asked over a network).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from collector.inventory.model import AccessPoint
from collector.lab.device import LabDevice
from collector.lab.mibview import MibView, SnmpType
from collector.lab.mibview import Value as LabValue
from collector.lab.traffic import Split
from collector.poll.ap import ApPoller
from collector.poll.sample import CounterValue, RadioSample, Sample
from collector.profiles import Profile
from collector.secrets import Secret
from collector.snmp.engine import SnmpTarget, V2cCredentials, Value

_ABSENT = (SnmpType.NO_SUCH_OBJECT, SnmpType.NO_SUCH_INSTANCE, SnmpType.END_OF_MIB_VIEW)
_UPTIME_MODULUS = 1 << 32
NS = 1_000_000_000


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _decoded(value: LabValue) -> Value:
    """A lab value as the real engine decodes it (OIDs as dotted text)."""
    if value.type is SnmpType.OBJECT_IDENTIFIER and isinstance(value.value, tuple):
        return ".".join(str(part) for part in value.value)
    if isinstance(value.value, tuple):
        return None
    return value.value


class MibEngine:
    """An :class:`SnmpEngine` answering from one lab MIB view at the instant ``now``."""

    def __init__(self, view: MibView, now: float) -> None:
        self.view = view
        self.now = now

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        answer: dict[str, Value] = {}
        for oid in oids:
            value = self.view.get(_oid(oid), self.now)
            if value.type not in _ABSENT:
                answer[oid] = _decoded(value)
        return answer

    async def walk(self, target: SnmpTarget, column_oid: str) -> list[tuple[str, Value]]:
        column = _oid(column_oid)
        rows: list[tuple[str, Value]] = []
        cursor = column
        while True:
            oid, value = self.view.get_next(cursor, self.now)
            if value.type in _ABSENT or oid[: len(column)] != column:
                return rows
            rows.append((".".join(str(part) for part in oid), _decoded(value)))
            cursor = oid

    def forget(self, key: str) -> None:
        """Nothing is kept per target."""


@dataclass(frozen=True, slots=True)
class _RadioPlan:
    """How to recompute one radio row of the template: which lab radio, which widths."""

    template: RadioSample
    radio: int  # position in the device's radios; -1: the wired uplink
    rx_bits: int | None
    tx_bits: int | None
    session_bits: int | None
    clients: bool
    enabled: bool  # the radio is on (clients are dealt to it)


class LabSampler:
    """Samples of one lab AP at past instants (see the module doc)."""

    def __init__(
        self, ap: AccessPoint, device: LabDevice, view: MibView, profiles: dict[str, Profile]
    ) -> None:
        self.ap = ap
        self.device = device
        self.view = view
        self.profiles = profiles
        self._template: Sample | None = None
        self._radios: tuple[_RadioPlan, ...] = ()
        self._epoch = (0, 0, 0)  # cumulative totals at the counter and session epochs
        self._splits: tuple[Split, Split] = (device.byte_split(), device.client_split())
        self._clients_on = True

    def reference(self, t: int) -> Sample:
        """The sample the collector's poller reads from the lab at second ``t``."""
        engine = MibEngine(self.view, float(t))
        poller = ApPoller(engine, self.profiles)
        target = SnmpTarget(
            self.ap.id,
            str(self.ap.address),
            self.ap.snmp_port,
            V2cCredentials(Secret("in-process")),
        )
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: no loop here
            sample = asyncio.run(poller.poll(self.ap, target))
        else:  # called from a coroutine (a fault event mid-backfill): poll in a thread's loop
            with ThreadPoolExecutor(max_workers=1) as pool:
                sample = pool.submit(asyncio.run, poller.poll(self.ap, target)).result()
        return replace(sample, time_ns=t * NS, elapsed_s=0.0, rediscovered=False)

    def start(self, t: int) -> Sample:
        """Take the reference sample at ``t`` as the template of the fast path; return it."""
        template = self.reference(t)
        self._template = template
        self._radios = tuple(self._radio_plan(row) for row in template.radios)
        device, state = self.device, self.device.state
        tx0, rx0, _ = device.profile.totals(state.counter_epoch)
        self._epoch = (tx0, rx0, device.profile.totals(state.sessions_epoch)[2])
        self._splits = (device.byte_split(), device.client_split())
        self._clients_on = any(radio.enabled for radio in state.running.radios)
        return template

    def _radio_plan(self, row: RadioSample) -> _RadioPlan:
        bands = [radio.band for radio in self.device.state.running.radios]
        position = bands.index(row.band) if row.band in bands else -1
        return _RadioPlan(
            template=row,
            radio=position,
            rx_bits=row.rx_bytes.bits if row.rx_bytes is not None else None,
            tx_bits=row.tx_bytes.bits if row.tx_bytes is not None else None,
            session_bits=row.sessions.bits if row.sessions is not None else None,
            clients=row.clients is not None,
            enabled=position >= 0 and self.device.state.running.radios[position].enabled,
        )

    def counter_bits(self) -> int:
        """The narrowest octet counter width the AP's radios report (64 when none).

        Session counters are left out: a few new sessions a second never reach 2^32 between
        polls, and the accountant bounds them by no speed.
        """
        widths = [b for r in self._radios for b in (r.rx_bits, r.tx_bits) if b]
        return min(widths, default=64)

    def fast(self, t: int) -> Sample:
        """The sample at second ``t`` from the template (call :meth:`start` first)."""
        template = self._template
        assert template is not None, "start() first"
        device = self.device
        tx, rx, sessions = device.profile.totals(t)
        tx0, rx0, s0 = self._epoch
        byte_split, client_split = self._splits
        clients = device.profile.clients(t, device.seed) if self._clients_on else 0
        radios = []
        for plan in self._radios:
            row = plan.template
            if plan.radio >= 0:
                part, i = byte_split.part, plan.radio
                rx_now, tx_now = part(rx, i) - part(rx0, i), part(tx, i) - part(tx0, i)
            else:  # the wired uplink mirrors the radios
                rx_now, tx_now = tx - tx0, rx - rx0
            radio_clients = row.clients
            if plan.clients:
                radio_clients = client_split.part(clients, plan.radio) if plan.enabled else 0
            session_count = row.sessions
            if plan.session_bits is not None and plan.radio >= 0:
                count = client_split.part(sessions, plan.radio) - client_split.part(s0, plan.radio)
                session_count = CounterValue(count % (1 << plan.session_bits), plan.session_bits)
            radios.append(
                RadioSample(
                    row.index,
                    row.if_index,
                    row.band,
                    None
                    if plan.rx_bits is None
                    else CounterValue(rx_now % (1 << plan.rx_bits), plan.rx_bits),
                    None
                    if plan.tx_bits is None
                    else CounterValue(tx_now % (1 << plan.tx_bits), plan.tx_bits),
                    row.speed_bps,
                    row.discontinuity,
                    radio_clients,
                    session_count,
                    row.channel,
                    row.tx_power_dbm,
                )
            )
        uptime = max(0, int((t - device.state.boot_time) * 100)) % _UPTIME_MODULUS
        return Sample(
            template.ap_id,
            t * NS,
            True,
            None,
            template.platform,
            template.inventory_platform,
            template.detected_platform,
            template.platform_mismatch,
            uptime,
            template.sys_name,
            template.model,
            template.firmware,
            template.standard,
            template.clients,
            template.sessions,
            tuple(radios),
            False,
            0.0,
        )

    def verified(self, instants: Sequence[int]) -> None:
        """Raise if the fast path differs from the poller's reading at any of ``instants``."""
        for t in instants:
            fast, polled = self.fast(t), self.reference(t)
            if fast != polled:
                raise RuntimeError(
                    f"{self.ap.id}: backfill sample at {t} differs from a poll of the lab:\n"
                    f"  fast: {fast}\n  poll: {polled}"
                )
