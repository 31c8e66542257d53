"""The steady-state fast path: one GET per known AP with no task, future or timer of its own.

Most of a cycle is APs polled before: their plan is known and a kept session can carry the
GET. Awaiting each through a task, ``asyncio.timeout`` and a per-request timer cost more CPU
than the SNMP work itself (profiled: three ``TimerHandle``s and seven coroutine frames per
AP). Here the request is sent at once (:meth:`GufoEngine.start_get`), the answer is handled
in the session's reader callback, and one ticker every :data:`TICK_S` walks two queues in send
order: after ``slot_hold_s`` an unanswered AP gives its concurrency slot back (as on the full
path, so a dead AP costs the others almost nothing); after ``request_timeout`` it is handed to
the full path (:meth:`Runner._poll_ap`) with what is left of its deadline, which retries it
the usual way. Every request time is the same, so send order is deadline order and both
queues are plain FIFOs.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from collector.inventory.model import AccessPoint
from collector.snmp.engine import SnmpTarget

TICK_S = 0.02


@dataclass(slots=True, eq=False)
class InFlight:
    ap: AccessPoint
    target: SnmpTarget
    sent: float  # time.monotonic()
    release: Callable[[], None]  # gives the concurrency slot back (once)
    done: bool = False


class FastLane:
    """Requests in flight on the fast path, and the ticker that times them out."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        cancel_get: Callable[[SnmpTarget], None],
        request_timeout_s: float,
        slot_hold_s: float,
        timed_out: Callable[[InFlight], None],
    ) -> None:
        self.loop = loop
        self.cancel_get = cancel_get
        self.request_timeout_s = request_timeout_s
        self.slot_hold_s = slot_hold_s
        self.timed_out = timed_out
        self.holding: deque[InFlight] = deque()  # slot still held
        self.timing: deque[InFlight] = deque()  # slot given back, waiting for the answer
        self.in_flight = 0
        self._ticker: asyncio.TimerHandle | None = None
        self._idle: asyncio.Future[None] | None = None

    def sent(self, request: InFlight) -> None:
        self.in_flight += 1
        self.holding.append(request)
        if self._ticker is None:
            self._ticker = self.loop.call_later(TICK_S, self._tick)

    def finished(self, request: InFlight) -> bool:
        """Mark ``request`` answered (or handed on); False if it already was."""
        if request.done:
            return False
        request.done = True
        request.release()
        self.in_flight -= 1
        if not self.in_flight and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)
        return True

    def _tick(self) -> None:
        now = time.monotonic()
        hold_until = now - self.slot_hold_s
        holding, timing = self.holding, self.timing
        while holding and holding[0].sent <= hold_until:
            request = holding.popleft()
            if not request.done:
                request.release()
                timing.append(request)
        expire_until = now - self.request_timeout_s
        while timing and timing[0].sent <= expire_until:
            request = timing.popleft()
            if not request.done:
                self.cancel_get(request.target)
                self.finished(request)
                self.timed_out(request)
        self._ticker = self.loop.call_later(TICK_S, self._tick) if holding or timing else None

    async def drained(self) -> None:
        """Return once nothing is in flight on the fast path."""
        while self.in_flight:
            self._idle = self.loop.create_future()
            await self._idle
        self._idle = None

    def close(self) -> None:
        """Stop the ticker and stop waiting for every request still in flight."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for request in (*self.holding, *self.timing):
            if not request.done:
                self.cancel_get(request.target)
                request.done = True
        self.holding.clear()
        self.timing.clear()
        self.in_flight = 0
