"""Events to disk in batches: the event store (SQLite) and ``ap_event`` lines to the spool.

The receiver hands events over with :meth:`TrapWriter.put`, which never blocks; a task writes
what has gathered every :data:`FLUSH_EVERY_S` (or sooner when a batch is full) in a worker
thread, one batch at a time, so a flood costs one transaction per batch rather than per trap.
Past :data:`MAX_PENDING` waiting events new ones are shed (``write_backlog``); a batch the store
or the spool refuses is counted (``write_failed``) and logged, and the writer carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from collector.events import MAX_DETAIL, Event, EventStore
from collector.influx.lineproto import BadPoint, FieldValue
from collector.influx.schema import AP_EVENT, ap_tags
from collector.inventory.model import AccessPoint
from collector.traps.counters import NoCounters, TrapCounters
from collector.traps.mapping import writable

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 0.25
BATCH = 5_000
MAX_PENDING = 200_000


class TrapWriter:
    def __init__(
        self,
        store: EventStore,
        spool: Callable[[Sequence[str]], object] | None,
        counters: TrapCounters | None = None,
        *,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.store = store
        self.spool = spool
        self.counters = counters or NoCounters()
        self.max_pending = max_pending
        self.pending: list[tuple[AccessPoint, Event]] = []
        self.written = 0
        self._prefixes: dict[tuple[str, str], str] = {}
        self._full = asyncio.Event()

    def put(self, ap: AccessPoint, event: Event) -> None:
        if len(self.pending) >= self.max_pending:
            self.counters.dropped("write_backlog")
            return
        self.pending.append((ap, event))
        if len(self.pending) >= BATCH:
            self._full.set()

    async def run(self) -> None:
        """Write batches until cancelled (then :meth:`flush` what is left)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), FLUSH_EVERY_S)
            self._full.clear()
            while self.pending:
                batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
                await asyncio.to_thread(self.write, batch)

    def flush(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            self.write(batch)

    def write(self, batch: Sequence[tuple[AccessPoint, Event]]) -> None:
        """One batch: the event store first (the UI and the alerts read it), then the spool."""
        try:
            self.store.record(event for _, event in batch)
        except Exception:
            log.exception("event store refused %d trap events", len(batch))
            self.counters.dropped("write_failed", len(batch))
            return
        self.written += len(batch)
        if self.spool is None:
            return
        lines = []
        for ap, event in batch:
            try:
                lines.append(self._line(ap, event))
            except BadPoint as error:  # the event is stored; only its point is lost (counted)
                log.warning("ap_event point of %s not written: %s", ap.id, error)
                self.counters.dropped("write_failed")
        try:
            self.spool(lines)
        except Exception:
            log.exception("spool refused %d ap_event lines", len(lines))
            self.counters.dropped("write_failed", len(lines))

    def _line(self, ap: AccessPoint, event: Event) -> str:
        key = (ap.id, event.kind)
        prefix = self._prefixes.get(key)
        if prefix is None:
            prefix = self._prefixes[key] = AP_EVENT.prefix({**ap_tags(ap), "kind": event.kind})
        detail = writable(event.detail[:MAX_DETAIL])
        values: dict[str, FieldValue | None] = {
            "source": event.source,
            "detail": detail,
            "count": 1,
        }
        return AP_EVENT.line(prefix, values, int(event.at))
