"""One gufo_snmp session's request path: send, wait for the answer on the event loop, receive.

:class:`LeanSession` is gufo's session with a cheaper wait per answer; the helpers below keep a
session registered with the event loop while it is kept (:func:`persist`), unregister it before
it is dropped (:func:`release`) and re-aim an idle v2c session at another agent
(:func:`reaim`). Which sessions are kept, shared or shed is :mod:`collector.snmp.gufo_backend`'s
business.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from collections.abc import Callable, Iterable
from typing import TypeVar

from gufo.snmp import SnmpError
from gufo.snmp.aio import SnmpSession

from collector.snmp.engine import Value

T = TypeVar("T")


class LeanSession(SnmpSession):
    """gufo's session with a cheaper wait for each answer (measured: benchmarks/bench_poll.py).

    gufo 0.13 waits with ``asyncio.wait_for`` per request and registers the socket with the
    event loop for every answer (two ``epoll_ctl`` calls). Here a timer on the loop does the
    timeout, and a kept session (``persistent``) stays registered until :meth:`release`, so the
    hot path is one send, one wake-up and one receive. A datagram that arrives while nothing
    waits (a late answer to a request that already timed out) is read and dropped, so a
    level-triggered selector never spins on it. Overrides gufo's ``_recv`` with the same contract
    (call ``receiver`` once the socket is readable, ``TimeoutError`` after ``timeout`` seconds).
    """

    persistent = False
    _registered = False
    _waiter: asyncio.Future[None] | None = None
    _answer: Callable[[dict[str, Value] | None, BaseException | None], None] | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _local: str | None = None

    async def get_many(self, oids: Iterable[str]) -> dict[str, Value]:
        """gufo's ``get_many`` without its per-call closure and list copy when given a list."""
        if self._policer:
            await self._policer.wait()
        sock = self._sock
        wanted = oids if isinstance(oids, list) else list(oids)
        try:
            sock.send_get_many(wanted)
        except BlockingIOError:  # send buffer full: gufo's own wait for writability
            await self._send(functools.partial(sock.send_get_many, wanted))
        return await self._recv(sock.recv_get_many)

    async def _recv(self, receiver: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiter = waiter
            if not self._registered:
                loop.add_reader(self._fd, self._readable)
                self._registered = True
                self._loop = loop
            timer = loop.call_later(self._timeout, _expire, waiter)
            try:
                await waiter
                return receiver()
            except BlockingIOError:
                continue  # woken without a whole datagram: wait again
            finally:
                timer.cancel()
                self._waiter = None
                if not self.persistent:
                    self.release()

    def start_get(
        self,
        oids: list[str],
        answer: Callable[[dict[str, Value] | None, BaseException | None], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Send a GET now; ``answer(values, None)`` or ``answer(None, error)`` is called from
        the event loop when the reply is read. No task, future or timer: the caller times the
        request out with :meth:`cancel_get`. Raises what sending raises (``BlockingIOError``
        when the send buffer is full: the caller then uses :meth:`get_many`)."""
        self._sock.send_get_many(oids)
        self._answer = answer
        if not self._registered:
            loop.add_reader(self._fd, self._readable)
            self._registered = True
            self._loop = loop

    def cancel_get(self) -> None:
        """Stop waiting for the GET :meth:`start_get` sent (a late reply is read and dropped)."""
        self._answer = None

    def _readable(self) -> None:
        answer = self._answer
        if answer is not None:
            try:
                values = self._sock.recv_get_many()
            except BlockingIOError:
                return  # not a whole datagram yet
            except Exception as error:  # handed to the caller, who decides
                self._answer = None
                answer(None, error)
                return
            self._answer = None
            answer(values, None)
            return
        waiter = self._waiter
        if waiter is None:
            self._drop_stray()
        elif not waiter.done():
            waiter.set_result(None)

    def _drop_stray(self) -> None:
        """Read and discard whatever arrived unasked (gufo decodes it and finds no match)."""
        with contextlib.suppress(BlockingIOError, SnmpError, OSError, ValueError, RuntimeError):
            self._sock.recv_get_many()

    @property
    def fd(self) -> int:
        return self._fd

    def local_address(self, family: int) -> str | None:
        """The socket's local address (what re-aimed requests leave from), or None.

        Fixed by the first ``connect()``: re-aiming keeps it, so it is read once.
        """
        if self._local is None:
            view = _wrap(self._fd, family)
            try:
                self._local = str(view.getsockname()[0])
            except OSError:
                return None
            finally:
                view.detach()
        return self._local

    def release(self) -> None:
        """Unregister the socket from the event loop (before the session is dropped)."""
        if self._registered and self._loop is not None:
            self._loop.remove_reader(self._fd)
        self._registered = False
        self._loop = None


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def persist_session(session: SnmpSession) -> None:
    if isinstance(session, LeanSession):
        session.persistent = True


def release_session(session: SnmpSession) -> None:
    if isinstance(session, LeanSession):
        session.persistent = False
        session.release()


def family_of(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _wrap(fd: int, family: int) -> socket.socket:
    """A Python view of gufo's socket; callers must ``detach()`` it (gufo owns the fd)."""
    return socket.socket(family, socket.SOCK_DGRAM, 0, fd)


def reaim(session: LeanSession, address: tuple[str, int]) -> None:
    view = _wrap(session.fd, family_of(address[0]))
    try:
        view.connect(address)
    finally:
        view.detach()
