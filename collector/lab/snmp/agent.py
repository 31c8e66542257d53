"""One asyncio UDP socket that serves many lab devices, told apart by destination address.

The socket is bound to a wildcard (or given) address; IP_PKTINFO tells each request's
destination, and the reply is sent FROM that address, so a client talking to 127.20.0.1 hears
127.20.0.1 back. Only destinations in 127.0.0.0/8 are answered. On Linux the socket is also
bound to the loopback device (SO_BINDTODEVICE) when permitted, so nothing off-host reaches it.

A request that fails authentication (a wrong community, a v2c request to a v3-only device, an
unknown v3 user or a wrong digest) is told to ``on_auth_failure(device, address, now)`` when
given, so the device can send an authenticationFailure trap as real agents do.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable

from collector.lab.mibview import SnmpFault
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.engine import MAX_RESPONSE, AgentCounters, SnmpEngine

log = logging.getLogger(__name__)

#: Linux's value from <netinet/in.h>; the socket module names it only from Python 3.13.
IP_PKTINFO: int = getattr(socket, "IP_PKTINFO", 8)
Resolver = Callable[[str, int], AgentDevice | None]
AuthFailureHook = Callable[[AgentDevice, str, float], None]
_PKTINFO_SIZE = 12  # struct in_pktinfo: ifindex, spec_dst, addr
_ANCILLARY = socket.CMSG_SPACE(_PKTINFO_SIZE)
_BATCH = 64  # datagrams read per wake-up before yielding to the loop
_RECV_BUFFER = 4 << 20


class SnmpAgent:
    """Serve ``resolve(dest_ip, dest_port)``'s devices on one UDP socket."""

    def __init__(
        self,
        resolve: Resolver,
        *,
        host: str = "0.0.0.0",
        port: int = 161,
        device: str | None = "lo",
        max_response: int = MAX_RESPONSE,
        clock: Callable[[], float] = time.time,
        on_auth_failure: AuthFailureHook | None = None,
    ) -> None:
        self._resolve = resolve
        self._on_auth_failure = on_auth_failure
        self._host = host
        self._port = port
        self._device = device
        self._clock = clock
        self.engine = SnmpEngine(max_response)
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self._bound_port = 0

    @property
    def counters(self) -> AgentCounters:
        return self.engine.counters

    @property
    def port(self) -> int:
        """The bound port (useful after binding port 0)."""
        if self._sock is None:
            raise RuntimeError("the agent is not started")
        return self._bound_port

    async def start(self) -> None:
        """Bind and start serving on the running loop."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECV_BUFFER)
            if self._device:
                try:
                    sock.setsockopt(
                        socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self._device.encode()
                    )
                except PermissionError:
                    log.info("SO_BINDTODEVICE not permitted; relying on the 127/8 filter")
            sock.bind((self._host, self._port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._bound_port = sock.getsockname()[1]
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable)

    def close(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self._sock is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def _on_readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(_BATCH):
            try:
                data, ancdata, flags, addr = sock.recvmsg(65535, _ANCILLARY)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.counters.recv_errors += 1  # e.g. an ICMP error surfaced on receive
                continue
            try:
                self._on_datagram(sock, data, ancdata, flags, addr)
            except Exception:  # a bug must not stop the agent: count it, log the first one
                self.counters.internal_errors += 1
                if self.counters.internal_errors == 1:
                    log.exception("SNMP agent failed on a datagram (further failures counted)")

    def _on_datagram(
        self,
        sock: socket.socket,
        data: bytes,
        ancdata: list[tuple[int, int, bytes]],
        flags: int,
        addr: tuple[str, int],
    ) -> None:
        counters = self.counters
        counters.received += 1
        if flags & socket.MSG_TRUNC:
            counters.oversized += 1
            return
        dest = b""
        for level, kind, payload in ancdata:
            if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                dest = payload[8:12]
        if len(dest) != 4 or dest[0] != 127:
            counters.not_loopback += 1
            return
        device = self._resolve(socket.inet_ntoa(dest), self._bound_port)
        if device is None:
            counters.no_device += 1
            return
        hook = self._on_auth_failure
        failures = self._auth_failures() if hook is not None else 0
        now = self._clock()
        reply = self.engine.handle(data, device, now)
        if hook is not None and self._auth_failures() != failures:
            hook(device, socket.inet_ntoa(dest), now)
        if reply is None:
            return
        pktinfo = b"\0\0\0\0" + dest + b"\0\0\0\0"  # ifindex 0, spec_dst = our address
        if device.fault is SnmpFault.SLOW and self._loop is not None:
            counters.fault_slow += 1
            handle: asyncio.TimerHandle | None = None

            def later() -> None:
                if handle is not None:
                    self._pending.discard(handle)
                self._send(reply, pktinfo, addr)

            handle = self._loop.call_later(device.slow_seconds, later)
            self._pending.add(handle)
            return
        self._send(reply, pktinfo, addr)

    def _auth_failures(self) -> int:
        stats = self.engine.v3.stats
        return self.counters.bad_communities + stats.unknown_user_names + stats.wrong_digests

    def _send(self, reply: bytes, pktinfo: bytes, addr: tuple[str, int]) -> None:
        sock = self._sock
        if sock is None:
            self.counters.send_errors += 1
            return
        try:
            sock.sendmsg([reply], [(socket.IPPROTO_IP, IP_PKTINFO, pktinfo)], 0, addr)
        except OSError:
            self.counters.send_errors += 1
