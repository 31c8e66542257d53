"""Dead-AP back-off: an AP that timed out ``threshold`` times in a row is asked less often.

The wait doubles with every further timeout up to ``max_delay_s`` and is jittered, so dead APs
neither cost a deadline every cycle nor come back in lockstep. Any answer (even an auth error)
ends the back-off: only silence counts as dead. A skipped AP is reported as down with reason
``backoff``, never silently left out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Failures that mean "nobody answered"; an agent that answers anything is alive.
DEAD_REASONS = frozenset({"timeout", "network"})


@dataclass(frozen=True, slots=True)
class BackOffPolicy:
    threshold: int = 3  # consecutive timeouts before back-off starts
    base_delay_s: float = 60.0  # first wait; doubles per further timeout
    max_delay_s: float = 3600.0
    jitter: float = 0.25  # each wait is multiplied by a random factor in [1-j, 1+j]


@dataclass(slots=True)
class _Dead:
    failures: int
    next_try: float


class BackOff:
    """Per-AP consecutive-timeout counts and when each dead AP may be tried again."""

    def __init__(
        self,
        policy: BackOffPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or BackOffPolicy()
        self._clock = clock
        self._rng = rng or random.Random()
        self._failing: dict[str, _Dead] = {}

    def due(self, ap_id: str) -> bool:
        """Whether ``ap_id`` should be polled now."""
        state = self._failing.get(ap_id)
        return state is None or self._clock() >= state.next_try

    def record(self, ap_id: str, reason: str | None) -> None:
        """Record a poll's outcome (``reason`` None: it answered)."""
        if reason is None or reason not in DEAD_REASONS:
            self._failing.pop(ap_id, None)
            return
        state = self._failing.setdefault(ap_id, _Dead(0, 0.0))
        state.failures += 1
        beyond = state.failures - self.policy.threshold
        if beyond < 0:
            state.next_try = 0.0
            return
        delay = min(self.policy.max_delay_s, self.policy.base_delay_s * 2.0**beyond)
        spread = self.policy.jitter
        state.next_try = self._clock() + delay * self._rng.uniform(1 - spread, 1 + spread)

    def failures(self, ap_id: str) -> int:
        state = self._failing.get(ap_id)
        return 0 if state is None else state.failures

    @property
    def backed_off(self) -> int:
        """How many APs are waiting out a back-off right now."""
        now = self._clock()
        return sum(1 for s in self._failing.values() if s.next_try > now)
