"""The notification receiver: pysnmp's engine behind a bounded queue, one datagram at a time.

Datagrams are read by pysnmp's asyncio UDP transport; instead of handing each one straight to
the event loop's unbounded ready queue (pysnmp's default), :meth:`TrapReceiver.admit` drops
those from addresses that are no AP (counted) and puts the rest on a bounded queue; a drain
task decodes them synchronously, a batch at a time, yielding to the loop between batches so
reading never starves. What the queue cannot hold is shed and counted (``queue_full``), and
what the kernel drops on a full socket buffer is read from ``/proc/net/udp`` and counted
(``socket_buffer``; the ``socket_drops`` gauge has the total). Each datagram's fate is known
when its decoding returns: an event was handed to the sink, or pysnmp's own counters
(snmpInBadCommunityNames, usmStats*) say why not. Nothing a datagram contains can raise out of
:meth:`process`.

The fast path (``decoder="fast"``, the default): SNMPv1 Trap and SNMPv2c SNMPv2-Trap messages,
once their community matched the sending AP's own (constant time), are decoded by
:mod:`collector.traps.decode` instead of pysnmp, giving the same events; INFORMs (they need a
response), SNMPv3 and whatever that decoder does not take on go to pysnmp as before. Reading is
in bursts: each time the socket is readable, up to :data:`READ_BURST` datagrams are taken, so a
flood waits in the bounded queue (counted when shed) rather than in the kernel's buffer. The
socket's receive buffer is asked for ``recv_buffer`` bytes (SO_RCVBUFFORCE where the process
may, else SO_RCVBUF up to net.core.rmem_max); the size the kernel granted is logged and reported.
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import logging
import os
import platform
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902
from pysnmp.proto.api import v2c
from pysnmp.proto.proxy import rfc2576

from collector.events import Event
from collector.inventory.model import AccessPoint, SnmpV3Auth
from collector.traps.counters import NoCounters, TrapCounters
from collector.traps.decode import NotFast, decode
from collector.traps.mapping import Notification, Senders, TrapKinds, text_of
from collector.traps.usm import EngineIds, UserKeys
from collector.traps.wire import VERSION_3, Peek, WireError, peek

log = logging.getLogger(__name__)

QUEUE_LIMIT = 50_000  # datagrams waiting to be decoded (about 20 s of pysnmp's pace)
BATCH = 200  # datagrams decoded between returns to the event loop
RECV_BUFFER = 32 << 20  # bytes asked for the socket's receive buffer (--recv-buffer)
READ_BURST = 512  # datagrams read from the socket each time it is readable
RMEM_MAX = Path("/proc/sys/net/core/rmem_max")
DRAIN_SLICE_S = 0.005  # at most this long decoding before the loop reads the socket again
_OTHER_SOCKET_H = ("alpha", "parisc", "sparc")  # their SO_RCVBUFFORCE is not 33
#: SO_RCVBUFFORCE, which Python's socket module does not name: 33 in Linux's asm-generic
#: socket.h, which x86, Arm, RISC-V, POWER, s390 and MIPS share.
_SO_RCVBUFFORCE: int | None = getattr(socket, "SO_RCVBUFFORCE", None)
if _SO_RCVBUFFORCE is None and sys.platform == "linux":
    _SO_RCVBUFFORCE = None if platform.machine().startswith(_OTHER_SOCKET_H) else 33
Decoder = Literal["fast", "pysnmp"]
DECODERS: tuple[Decoder, ...] = ("fast", "pysnmp")
_FLAG_AUTH_PRIV = 0x03
_V2C_COUNTERS = (("__SNMPv2-MIB", "snmpInBadCommunityNames"),)
_V3_COUNTERS = tuple(
    ("__SNMP-USER-BASED-SM-MIB", name)
    for name in (
        "usmStatsUnsupportedSecLevels",
        "usmStatsNotInTimeWindows",
        "usmStatsUnknownUserNames",
        "usmStatsUnknownEngineIDs",
        "usmStatsWrongDigests",
        "usmStatsDecryptionErrors",
    )
)


class EventSink(Protocol):
    def put(self, ap: AccessPoint, event: Event) -> None:
        """Take one event (never blocks; a full sink sheds and counts)."""
        ...


@dataclass(frozen=True, slots=True)
class Credentials:
    """Resolved secrets per inventory auth name (values only handed to pysnmp)."""

    communities: Mapping[str, bytes]
    users: Iterable[UserKeys]


class _Receiver(ntfrcv.NotificationReceiver):  # type: ignore[misc]
    """pysnmp's receiver, also telling which security name and model a PDU came with."""

    def __init__(self, snmp: Any, on_pdu: Callable[[int, str, list[Any]], None]) -> None:
        super().__init__(snmp, self._ignore)
        self._on_pdu = on_pdu

    @staticmethod
    def _ignore(*_: object) -> None:
        return None

    def process_pdu(  # pysnmp's signature (camelCase is theirs)
        self,
        snmpEngine: Any,
        messageProcessingModel: Any,
        securityModel: Any,
        securityName: Any,
        securityLevel: Any,
        contextEngineId: Any,
        contextName: Any,
        pduVersion: Any,
        PDU: Any,
        maxSizeResponseScopedPDU: Any,
        stateReference: Any,
    ) -> None:
        super().process_pdu(
            snmpEngine,
            messageProcessingModel,
            securityModel,
            securityName,
            securityLevel,
            contextEngineId,
            contextName,
            pduVersion,
            PDU,
            maxSizeResponseScopedPDU,
            stateReference,
        )
        pdu = rfc2576.v1_to_v2(PDU) if messageProcessingModel == 0 else PDU
        self._on_pdu(int(securityModel), str(securityName), list(v2c.apiPDU.get_varbinds(pdu)))


class _Transport(udp.UdpAsyncioTransport):  # type: ignore[misc]
    def __init__(
        self, admit: Callable[[bytes, tuple[str, int]], None], read_more: Callable[[], None]
    ) -> None:
        super().__init__()
        self._admit = admit
        self._read_more = read_more

    def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:
        self._admit(datagram, transportAddress)
        self._read_more()  # asyncio reads one datagram per wake-up: take what else is waiting


def render(value: Any) -> str:
    """A varbind value as text: strings as sent, numbers and OIDs as their usual notation."""
    if isinstance(value, rfc1902.IpAddress):
        return str(value.prettyPrint())
    if isinstance(value, rfc1902.OctetString):
        return text_of(value.asOctets())
    if isinstance(value, rfc1902.ObjectIdentifier):
        return ".".join(str(part) for part in value)
    return str(value.prettyPrint())


class TrapReceiver:
    """Notifications in, events out; every other outcome counted (see the module doc)."""

    def __init__(
        self,
        aps: Iterable[AccessPoint],
        credentials: Credentials,
        kinds: TrapKinds,
        sink: EventSink,
        counters: TrapCounters | None = None,
        *,
        queue_limit: int = QUEUE_LIMIT,
        clock: Callable[[], float] = time.time,
        decoder: Decoder = "fast",
        recv_buffer: int = RECV_BUFFER,
    ) -> None:
        if decoder not in DECODERS:
            raise ValueError(f"decoder {decoder!r}: one of {', '.join(DECODERS)}")
        self.senders = Senders(aps)
        self.kinds = kinds
        self.sink = sink
        self.counters = counters or NoCounters()
        self.clock = clock
        self.queue_limit = queue_limit
        self.queue: collections.deque[tuple[bytes, tuple[str, int]]] = collections.deque()
        self.events = 0
        self.fast = decoder == "fast"
        self.fast_decoded = 0  # datagrams the fast path decided (the rest went to pysnmp)
        self.recv_buffer = recv_buffer
        self.recv_buffer_granted = 0  # what the kernel granted (SO_RCVBUF), once started
        self.snmp = engine.SnmpEngine()
        self._communities = dict(credentials.communities)
        for index, (auth_name, community) in enumerate(sorted(self._communities.items())):
            config.add_v1_system(self.snmp, f"c{index}", community, securityName=auth_name)
        self.engine_ids = EngineIds(self.snmp, credentials.users)
        builder = self.snmp.get_mib_builder()
        self._v2c_stats = [builder.import_symbols(m, n)[0] for m, n in _V2C_COUNTERS]
        self._v3_stats = [builder.import_symbols(m, n)[0] for m, n in _V3_COUNTERS]
        (local,) = builder.import_symbols("__SNMP-FRAMEWORK-MIB", "snmpEngineID")
        self.local_engine_id = bytes(local.syntax.asOctets())
        self._notifications = _Receiver(self.snmp, self._on_pdu)
        self._current: AccessPoint | None = None
        self._outcome = ""
        self._transport: _Transport | None = None
        self._sock: socket.socket | None = None
        self._socket_drops_counted = 0
        self._internal_logged = False  # the first internal error is logged with its traceback
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- the socket -----------------------------------------------------------------------
    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (UDP); the bound port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            buffer = set_recv_buffer(sock, self.recv_buffer)
            sock.bind((host, port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.recv_buffer_granted = buffer.granted
        log.info("traps: %s", buffer.describe())
        if buffer.capped:
            log.warning(
                "traps: the kernel capped the receive buffer at net.core.rmem_max (%d bytes); "
                "a flood may overflow it. Raise it with `sysctl -w net.core.rmem_max=%d` "
                "(persist in /etc/sysctl.d/), or run with CAP_NET_ADMIN (SO_RCVBUFFORCE)",
                buffer.rmem_max,
                buffer.asked,
            )
        self.counters.recv_buffer(buffer.granted)
        transport = _Transport(self.admit, self._read_burst)
        config.add_transport(self.snmp, udp.DOMAIN_NAME, transport.open_server_mode(sock=sock))
        self._transport = transport
        await asyncio.sleep(0)  # let the endpoint be created
        self._tasks = [
            asyncio.create_task(self._drain(), name="traps-drain"),
            asyncio.create_task(self._watch_socket(), name="traps-socket-drops"),
        ]
        bound: int = sock.getsockname()[1]
        return bound

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._sock is not None:
            self._count_socket_drops(os.fstat(self._sock.fileno()).st_ino)
        if self.queue:
            log.warning("traps: %d datagrams still queued at shutdown, dropped", len(self.queue))
            self.counters.dropped("shutdown", len(self.queue))
            self.queue.clear()
        if self.snmp.transport_dispatcher is not None:
            self.snmp.transport_dispatcher.close_dispatcher()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def admit(self, data: bytes, address: tuple[str, int]) -> None:
        """A datagram read from the socket: dropped, or queued for :meth:`process`."""
        if self.senders.ap(address[0]) is None:
            self.counters.dropped("unknown_sender")
            return
        if len(self.queue) >= self.queue_limit:
            self.counters.dropped("queue_full")
            return
        self.queue.append((data, address))
        self._wake.set()

    def _read_burst(self) -> None:
        """Datagrams waiting on the socket, up to READ_BURST of them, to :meth:`admit`."""
        sock = self._sock
        if sock is None:
            return
        admit = self.admit
        for _ in range(READ_BURST):
            try:
                data, address = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. an ICMP error reported on the socket: asyncio's read retries
                return
            admit(data, address)

    async def _drain(self) -> None:
        queue = self.queue
        while True:
            if not queue:
                self.counters.queue_depth(0)
                self._wake.clear()
                await self._wake.wait()
            until = time.perf_counter() + DRAIN_SLICE_S
            for _ in range(min(BATCH, len(queue))):
                data, address = queue.popleft()
                self.process(data, address)
                if time.perf_counter() > until:
                    break
            self.counters.queue_depth(len(queue))
            await asyncio.sleep(0)

    async def _watch_socket(self, every_s: float = 1.0) -> None:
        sock = self._sock
        if sock is None:
            return
        inode = os.fstat(sock.fileno()).st_ino
        while True:
            self._count_socket_drops(inode)
            self.counters.engine_ids(len(self.engine_ids))
            await asyncio.sleep(every_s)

    def _count_socket_drops(self, inode: int) -> None:
        """The kernel's drops on the socket since the last look, counted (``socket_buffer``)."""
        drops = socket_drops(inode)
        if drops is None:
            return
        self.counters.socket_drops(drops)
        if drops > self._socket_drops_counted:
            self.counters.dropped("socket_buffer", drops - self._socket_drops_counted)
            self._socket_drops_counted = drops

    # --- one datagram ---------------------------------------------------------------------
    def process(self, data: bytes, address: tuple[str, int]) -> str:
        """Decode one datagram from ``address``: "event", "discovery" or a drop reason."""
        try:
            outcome = self._process(data, address)
        except Exception:  # a bug must not stop the receiver: counted, first one logged in full
            outcome = "internal"
            if not self._internal_logged:
                self._internal_logged = True
                log.exception("trap receiver failed on a datagram from %s", address[0])
            else:
                log.warning("trap receiver failed on a datagram from %s (internal)", address[0])
        finally:
            self._current = None
        if outcome not in ("event", "discovery"):
            self.counters.dropped(outcome)
        return outcome

    def _process(self, data: bytes, address: tuple[str, int]) -> str:
        ap = self.senders.ap(address[0])
        if ap is None:
            return "unknown_sender"
        try:
            head = peek(data)
        except WireError:
            return "malformed"
        auth = ap.snmp_auth
        if head.version == VERSION_3:
            refused = self._check_v3(ap, head, data)
            if refused:
                return refused
            stats = self._v3_stats
        else:
            community = self._communities.get(auth.name)
            if isinstance(auth, SnmpV3Auth) or community is None:
                return "bad_community"  # an AP configured for v3 never sends v1/v2c
            if not hmac.compare_digest(head.community, community):
                return "bad_community"
            if self.fast:
                try:
                    decoded = decode(data)
                except WireError:
                    self.fast_decoded += 1
                    return "malformed"
                except NotFast:
                    pass  # an INFORM, or an encoding pysnmp decides on
                else:
                    self.fast_decoded += 1
                    return self._event(ap, Notification.of(decoded.varbinds))
            stats = self._v2c_stats
        before = sum(int(s.syntax) for s in stats)
        self._current, self._outcome = ap, ""
        self.snmp.message_dispatcher.receive_message(self.snmp, udp.DOMAIN_NAME, address, data)
        if self._outcome:
            return self._outcome
        if sum(int(s.syntax) for s in stats) != before:
            return "bad_credentials" if head.version == VERSION_3 else "bad_community"
        if head.version == VERSION_3 and not head.user:
            return "discovery"  # an INFORM sender learning our engine id: pysnmp answered
        return "malformed"

    def _check_v3(self, ap: AccessPoint, head: Peek, data: bytes) -> str:
        engine_id, user, flags = head.engine_id, head.user, head.flags
        auth = ap.snmp_auth
        if not isinstance(auth, SnmpV3Auth):
            return "bad_credentials"
        if not user and not engine_id:
            return ""  # engine id discovery (INFORM senders): pysnmp answers with a Report
        keys = self.engine_ids.keys(auth.name)
        if keys is None or user != keys.user or flags & _FLAG_AUTH_PRIV != _FLAG_AUTH_PRIV:
            return "bad_credentials"
        if engine_id == self.local_engine_id or self.engine_ids.knows(ap.id, engine_id):
            return ""
        if not keys.verifies(engine_id, head.auth_params, data):
            return "bad_credentials"
        self.engine_ids.learn(ap.id, keys, engine_id)
        return ""

    def _on_pdu(self, security_model: int, security_name: str, varbinds: list[Any]) -> None:
        ap = self._current
        if ap is None:
            self._outcome = "internal"
            return
        auth = ap.snmp_auth
        if security_model in (1, 2) and security_name != auth.name:
            self._outcome = "bad_community"
            return
        if security_model == 3:
            keys = self.engine_ids.keys(auth.name)
            if keys is None or security_name.encode() != keys.user:
                self._outcome = "bad_credentials"
                return
        notification = Notification.of((str(oid), render(value)) for oid, value in varbinds)
        self._outcome = self._event(ap, notification)

    def _event(self, ap: AccessPoint, notification: Notification) -> str:
        """The event of a decoded, authenticated notification: "event" or why none."""
        if notification.trap_oid is None:
            return "malformed"
        kind = self.kinds.kind(ap.platform, notification.trap_oid)
        if kind is None:
            return "unknown_trap"
        self.sink.put(ap, Event(ap.id, self.clock(), kind, "trap", notification.detail()))
        self.counters.received(kind)
        self.events += 1
        return "event"


@dataclass(frozen=True, slots=True)
class RecvBuffer:
    """What the receive buffer was asked for and what the kernel granted (SO_RCVBUF)."""

    asked: int
    granted: int
    forced: bool  # SO_RCVBUFFORCE (CAP_NET_ADMIN): net.core.rmem_max did not apply
    rmem_max: int | None  # net.core.rmem_max where /proc tells

    @property
    def capped(self) -> bool:
        """The kernel gave less than asked because of net.core.rmem_max."""
        if self.forced:
            return False
        if self.rmem_max is not None:
            return self.asked > self.rmem_max
        return self.granted < self.asked

    def describe(self) -> str:
        how = "SO_RCVBUFFORCE" if self.forced else "SO_RCVBUF"
        return (
            f"receive buffer {self.granted} bytes granted ({how}, {self.asked} asked; "
            "Linux counts its bookkeeping in it)"
        )


def set_recv_buffer(sock: socket.socket, asked: int, rmem_max: Path = RMEM_MAX) -> RecvBuffer:
    """Ask for ``asked`` bytes of receive buffer: SO_RCVBUFFORCE where permitted (root with
    CAP_NET_ADMIN: past net.core.rmem_max), else SO_RCVBUF (capped at it)."""
    forced = False
    if _SO_RCVBUFFORCE is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, asked)
            forced = True
        except OSError:  # EPERM without CAP_NET_ADMIN
            forced = False
    if not forced:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, asked)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    try:
        limit: int | None = int(rmem_max.read_text().strip())
    except (OSError, ValueError):
        limit = None
    return RecvBuffer(asked, granted, forced, limit)


def socket_drops(inode: int, table: Path = Path("/proc/net/udp")) -> int | None:
    """The kernel's drop count for the UDP socket ``inode`` (None where /proc cannot tell)."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 13 and fields[9] == str(inode):
            return int(fields[12])
    return None
