"""The lab's APs as notification senders (``pubwifi lab --trap-receiver HOST:PORT``).

Each AP sends from its own 127.x address (a UDP socket bound to it, port 0: all of 127.0.0.0/8
is local) with its inventory auth: SNMPv3 with its USM user, keys localized to its own engine
id (authPriv: the lab's users always have a privacy key) for a v3 AP, SNMPv2c with its
community otherwise. What is sent:

* coldStart when a ``reboot`` fault fires (its ``at`` and/or ``every_minutes`` instants: a
  power cycle, as the lab models it);
* warmStart when the AP's CLI ``reload`` (or an upgrade command that reloads) restarts it: an
  operator's restart into the saved configuration;
* linkDown, then linkUp ``down_seconds`` later, when a ``link_flap`` fault fires (the wired
  uplink's ifIndex, ifAdminStatus, ifOperStatus and ifDescr);
* authenticationFailure when a request to the AP fails authentication (wrong community,
  unknown user, wrong digest), at most one per AP per :data:`AUTH_FAILURE_EVERY_S`.

Faults due before the lab started are not announced, and a silent AP (a ``down`` fault, not
live yet, an offline status) sends nothing. Sending is fire-and-forget on non-blocking sockets
from the event loop: nothing waits for the receiver, and an error (no route, a full buffer, a
receiver that refuses) is counted, the first of each kind logged, and the counts logged every
:data:`REPORT_EVERY_S` when they changed. Secrets never reach the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import heapq
import ipaddress
import json
import logging
import random
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from collector.errors import InputError
from collector.inventory.model import AccessPoint
from collector.lab.faults import FaultKind, FaultRule
from collector.lab.fleet import Fleet
from collector.lab.injector import due_times
from collector.lab.mib import interfaces_of
from collector.lab.mibvalues import WIRED_IF_TYPE
from collector.lab.mibview import SnmpFault, Value
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.usm import KeyCache, SaltCounter
from collector.lab.traps import (
    AUTHENTICATION_FAILURE,
    COLD_START,
    LINK_DOWN,
    LINK_UP,
    WARM_START,
    Oid,
    V3Sender,
    link_varbinds,
    v2c_trap,
    v3_trap,
)

log = logging.getLogger(__name__)

AUTH_FAILURE_EVERY_S = 10.0  # authenticationFailure traps: at most one per AP per interval
REPORT_EVERY_S = 60.0  # the counts are logged this often (when they changed)
MAX_SOCKETS = 256  # sender sockets kept open (least recently used closed first)
BATCH = 200  # due events handled before yielding to the event loop
_SEND_BUFFER = 1 << 20
NOTIFYING = frozenset({FaultKind.REBOOT, FaultKind.LINK_FLAP})
KIND_OF: dict[Oid, str] = {
    COLD_START: "cold_start",
    WARM_START: "warm_start",
    LINK_DOWN: "link_down",
    LINK_UP: "link_up",
    AUTHENTICATION_FAILURE: "auth_failure",
}
_FLAG = "--trap-receiver"


def parse_receiver(text: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (dotted IPv4 in 127.0.0.0/8, port 1-65535); bad input: InputError."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise InputError.at(_FLAG, 0, f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:16162")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise InputError.at(
            _FLAG, 0, f"{text!r}: the lab sends on loopback only: HOST must be 127.x.y.z"
        )
    if not (port_text.isascii() and port_text.isdigit() and 1 <= int(port_text) <= 65535):
        raise InputError.at(_FLAG, 0, f"{text!r}: expected a UDP port 1-65535 after the colon")
    return str(address), int(port_text)


@dataclass(slots=True)
class TrapStats:
    """What the sender did (logged as JSON)."""

    sent: dict[str, int] = field(default_factory=dict)  # by event kind
    send_errors: dict[str, int] = field(default_factory=dict)  # by errno name
    encode_errors: int = 0
    rate_limited: int = 0  # authenticationFailure traps not sent (one per AP per interval)
    silent: int = 0  # due events of APs that send nothing (down, not live, offline)

    def as_dict(self) -> dict[str, object]:
        return {
            "sent": dict(sorted(self.sent.items())),
            "send_errors": dict(sorted(self.send_errors.items())),
            "encode_errors": self.encode_errors,
            "rate_limited": self.rate_limited,
            "silent": self.silent,
        }

    def errors(self) -> int:
        return sum(self.send_errors.values()) + self.encode_errors


class TrapSender:
    """Encodes and sends one AP's notification at a time; never raises, never blocks."""

    def __init__(
        self,
        receiver: tuple[str, int],
        *,
        keys: KeyCache | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        max_sockets: int = MAX_SOCKETS,
        auth_failure_every_s: float = AUTH_FAILURE_EVERY_S,
    ) -> None:
        self.receiver = receiver
        self.stats = TrapStats()
        self._keys = keys if keys is not None else KeyCache()
        self._monotonic = monotonic
        self._max_sockets = max_sockets
        self._auth_every = auth_failure_every_s
        self._sockets: OrderedDict[str, socket.socket] = OrderedDict()
        self._last_auth_failure: dict[str, float] = {}
        self._salt = SaltCounter(random.getrandbits(64))
        self._ids = random.getrandbits(31)
        self._reported = json.dumps(self.stats.as_dict())
        self._errors_reported = 0
        self._logged_errors: set[str] = set()

    def send(
        self,
        device: AgentDevice,
        source: str,
        trap_oid: Oid,
        varbinds: Sequence[tuple[Oid, Value]],
        now: float,
    ) -> bool:
        """Send one notification of ``device`` from ``source``; False if it could not be."""
        try:
            data = self.encode(device, trap_oid, varbinds, now)
        except Exception:  # a bug or unusable credentials: counted, the first one logged
            self.stats.encode_errors += 1
            if self.stats.encode_errors == 1:
                log.exception("lab traps: cannot encode a notification of %s", device.device_id)
            return False
        try:
            self._socket(source).send(data)
        except OSError as error:
            self._send_failed(source, error)
            return False
        kind = KIND_OF.get(trap_oid, ".".join(map(str, trap_oid)))
        self.stats.sent[kind] = self.stats.sent.get(kind, 0) + 1
        return True

    def encode(
        self, device: AgentDevice, trap_oid: Oid, varbinds: Sequence[tuple[Oid, Value]], now: float
    ) -> bytes:
        """The datagram: v3 with the device's user and engine, else v2c with its community."""
        self._ids = (self._ids + 1) & 0x7FFFFFFF
        uptime_cs = max(0, int((now - device.boot_time) * 100))
        user = device.v3_user
        if user is not None:
            engine_id = device.engine_id
            sender = V3Sender(
                engine_id,
                device.engine_boots,
                device.engine_time(now),
                user.name,
                self._keys.keys(user, engine_id),
            )
            return v3_trap(
                sender, self._ids, self._salt.next(), self._ids, uptime_cs, trap_oid, varbinds
            )
        if device.community is None:
            raise ValueError(f"{device.device_id}: neither a v3 user nor a community")
        return v2c_trap(device.community, self._ids, uptime_cs, trap_oid, varbinds)

    def auth_failure(self, device: AgentDevice, source: str, now: float) -> None:
        """A request to ``device`` failed authentication (the agent's hook; rate-limited)."""
        try:
            tick = self._monotonic()
            last = self._last_auth_failure.get(device.device_id)
            if last is not None and tick - last < self._auth_every:
                self.stats.rate_limited += 1
                return
            self._last_auth_failure[device.device_id] = tick
            self.send(device, source, AUTHENTICATION_FAILURE, (), now)
        except Exception:  # the agent must keep serving whatever happens here
            self.stats.encode_errors += 1
            log.exception("lab traps: authenticationFailure of %s failed", device.device_id)

    def _socket(self, source: str) -> socket.socket:
        sock = self._sockets.get(source)
        if sock is not None:
            self._sockets.move_to_end(source)
            return sock
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)
            sock.bind((source, 0))
            sock.connect(self.receiver)  # connected: a refusing receiver shows as an error
        except BaseException:
            sock.close()
            raise
        self._sockets[source] = sock
        while len(self._sockets) > self._max_sockets:
            _, oldest = self._sockets.popitem(last=False)
            oldest.close()
        return sock

    def _send_failed(self, source: str, error: OSError) -> None:
        name = errno.errorcode.get(error.errno or 0, type(error).__name__)
        self.stats.send_errors[name] = self.stats.send_errors.get(name, 0) + 1
        if name not in self._logged_errors:
            self._logged_errors.add(name)
            host, port = self.receiver
            log.warning(
                "lab traps: sending from %s to %s:%d failed: %s (further %s errors counted)",
                source,
                host,
                port,
                error.strerror or error,
                name,
            )

    def report(self, final: bool = False) -> None:
        """Log the counts if they changed since the last report (always when ``final``)."""
        text = json.dumps(self.stats.as_dict())
        if text == self._reported and not final:
            return
        errors = self.stats.errors()
        level = logging.WARNING if errors > self._errors_reported else logging.INFO
        self._reported, self._errors_reported = text, errors
        log.log(level, "lab traps: %s", text)

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()


@dataclass(order=True, slots=True)
class _Due:
    when: float
    seq: int
    position: int = field(compare=False)  # the AP's place in the inventory
    rule: FaultRule = field(compare=False)
    action: str = field(compare=False)  # "reboot" | "link_down" | "link_up"


class TrapSchedule:
    """The due instants of the fleet's reboot and link_flap rules, in time order."""

    def __init__(
        self, fleet: Fleet, sender: TrapSender, clock: Callable[[], float] | None = None
    ) -> None:
        self.fleet = fleet
        self.sender = sender
        self.clock = clock or fleet.clock
        self._heap: list[_Due] = []
        self._seq = 0
        self._uplinks: dict[tuple[str, tuple[str, ...]], tuple[int, str] | None] = {}
        self.plan(fleet.started)
        fleet.on_reload = self.reloaded

    def __len__(self) -> int:
        return len(self._heap)

    def plan(self, start: float) -> None:
        """Queue each notifying rule's first instant after ``start`` per AP it selects (and the
        linkUp of a flap in progress at ``start``)."""
        rules = [r for r in self.fleet.faults.rules if r.kind in NOTIFYING]
        if not rules:
            return
        aps = self.fleet.inventory.aps
        targeted = [r for r in rules if r.ap is not None]
        positions = {ap.id: n for n, ap in enumerate(aps)}
        for rule in targeted:
            assert rule.ap is not None
            if rule.ap in positions:
                self._first(positions[rule.ap], rule, start)
        shared = [r for r in rules if r.ap is None]
        if shared:
            for position, ap in enumerate(aps):
                for rule in shared:
                    if rule.selects(ap.id):
                        self._first(position, rule, start)

    def _first(self, position: int, rule: FaultRule, start: float) -> None:
        ap_id = self.fleet.inventory.aps[position].id
        last, following = due_times(rule, ap_id, start)
        if rule.kind is FaultKind.LINK_FLAP and last is not None:
            up_at = last + rule.down_seconds
            if up_at > start:
                self._push(up_at, position, rule, "link_up")
        action = "reboot" if rule.kind is FaultKind.REBOOT else "link_down"
        if following != float("inf"):
            self._push(following, position, rule, action)

    def _push(self, when: float, position: int, rule: FaultRule, action: str) -> None:
        self._seq += 1
        heapq.heappush(self._heap, _Due(when, self._seq, position, rule, action))

    def next_time(self) -> float:
        return self._heap[0].when if self._heap else float("inf")

    def fire_due(self, now: float, limit: int = BATCH) -> int:
        """Handle up to ``limit`` events due by ``now``; how many were handled."""
        handled = 0
        while self._heap and self._heap[0].when <= now and handled < limit:
            due = heapq.heappop(self._heap)
            handled += 1
            try:
                self._fire(due, now)
            except Exception:  # a bug must not stop the schedule: counted, logged
                self.sender.stats.encode_errors += 1
                log.exception("lab traps: a due %s failed", due.action)
        return handled

    def _fire(self, due: _Due, now: float) -> None:
        rule = due.rule
        ap = self.fleet.inventory.aps[due.position]
        if due.action != "link_up":
            _, following = due_times(rule, ap.id, due.when)
            if following != float("inf"):
                self._push(following, due.position, rule, due.action)
            if due.action == "link_down":
                self._push(due.when + rule.down_seconds, due.position, rule, "link_up")
        agent = self.fleet.agent_of(ap, now)
        if agent is None or agent.fault is SnmpFault.DOWN:
            self.sender.stats.silent += 1
            return
        source = str(ap.address)
        if due.action == "reboot":
            self.sender.send(agent, source, COLD_START, (), now)
            return
        uplink = self._uplink(ap)
        varbinds: list[tuple[Oid, Value]] = []
        if uplink is not None:
            varbinds = link_varbinds(*uplink, up=due.action == "link_up")
        trap = LINK_UP if due.action == "link_up" else LINK_DOWN
        self.sender.send(agent, source, trap, varbinds, now)

    def reloaded(self, ap: AccessPoint, now: float) -> None:
        """The AP's CLI restarted it (the fleet's hook): a warmStart."""
        agent = self.fleet.agent_of(ap, now)
        if agent is None or agent.fault is SnmpFault.DOWN:
            self.sender.stats.silent += 1
            return
        self.sender.send(agent, str(ap.address), WARM_START, (), now)

    def _uplink(self, ap: AccessPoint) -> tuple[int, str] | None:
        """(ifIndex, ifDescr) of the AP's wired uplink, as its MIB serves them."""
        member = self.fleet.member(ap)
        bands = tuple(radio.band for radio in member.device.state.running.radios)
        key = (ap.platform, bands)
        if key not in self._uplinks:
            ifaces = interfaces_of(member.device.platform, bands)
            wired = [i for i in ifaces if i.radio < 0 and i.if_type == WIRED_IF_TYPE]
            self._uplinks[key] = (wired[0].if_index, wired[0].name) if wired else None
        return self._uplinks[key]

    async def run(self, report_every_s: float = REPORT_EVERY_S) -> None:
        """Fire events as they fall due until cancelled; log the counts now and then."""
        next_report = time.monotonic() + report_every_s
        while True:
            handled = self.fire_due(self.clock())
            if time.monotonic() >= next_report:
                self.sender.report()
                next_report = time.monotonic() + report_every_s
            if handled >= BATCH:
                await asyncio.sleep(0)
                continue
            wait = min(self.next_time() - self.clock(), next_report - time.monotonic())
            await asyncio.sleep(max(0.0, min(wait, report_every_s)))
