"""The real :class:`~collector.alerts.conditions.Signals`: InfluxQL reads and the local stores.

- InfluxDB (the client of :func:`collector.ledger.cli.query_client`): ``ap_poll`` (``up``,
  ``uptime_s``), ``radio_poll`` (``clients``, ``counter_resets``), ``ap_usage_hourly``. Every
  statement is built here; time literals in epoch seconds, so 1.x, 2.x and 3.x answer alike.
- ``DATA_DIR/events/events.sqlite`` (:class:`collector.events.EventStore`): cold/warm-start
  traps; ``DATA_DIR/ssh/facts.sqlite``: the latest SSH attempt per AP (``host_key_changed``);
  ``DATA_DIR/configs`` (:class:`collector.ssh.configrepo.ConfigRepo`): configs changed outside
  pubwifi, less those inside an expected-change window of the alert store.
- The collector's spool: the bytes of every ``DATA_DIR/collector*/spool`` folder.

A missing store is "nothing recorded" (a fleet without SSH has no facts); an unreachable
InfluxDB raises :class:`~collector.alerts.conditions.SignalError`. Reads are cached per
evaluation (``reset()`` between them), since several rules read the same polls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from collector.alerts.conditions import ClientStats, HourUsage, Poll, SignalError, UptimeResets
from collector.events import EventStore
from collector.influx.query import QueryError, Row, Series, quote_ident
from collector.influx.schema import AP_POLL, AP_USAGE_HOURLY, RADIO_POLL
from collector.ssh.configrepo import ConfigRepo, ConfigRepoError
from collector.ssh.factstore import FactStore

REBOOT_KINDS = ("cold_start", "warm_start")


class RowClient(Protocol):
    def rows(self, query: str) -> list[Row]: ...

    def series_chunks(self, query: str, chunk_size: int = 10_000) -> Iterator[Series]: ...


def _span(start: float, end: float) -> str:
    return f"time > {int(start)}s AND time <= {int(end)}s"


class StoredSignals:
    def __init__(
        self,
        client: RowClient,
        data_dir: Path,
        ap_ids: Iterable[str],
        expected: Callable[[str, float], bool] = lambda ap, at: False,
    ) -> None:
        self.client = client
        self.data_dir = Path(data_dir)
        self.ap_ids = tuple(ap_ids)
        self.expected = expected  # (AP, when) -> inside an expected-change window
        self._cache: dict[str, list[Row]] = {}
        self._polls: dict[str, dict[str, list[Poll]]] = {}

    def reset(self) -> None:
        self._cache.clear()
        self._polls.clear()

    def _rows(self, query: str) -> list[Row]:
        if query not in self._cache:
            try:
                self._cache[query] = self.client.rows(query)
            except QueryError as error:
                raise SignalError(str(error)) from None
        return self._cache[query]

    def _stream(self, query: str) -> Iterator[Series]:
        """The query's series as InfluxDB streams them; a failure is a :class:`SignalError`."""
        try:
            yield from self.client.series_chunks(query)
        except QueryError as error:
            raise SignalError(str(error)) from None

    # --- InfluxDB ----------------------------------------------------------------------------
    def polls(self, start: float, end: float) -> Mapping[str, Sequence[Poll]]:
        """Every AP's polls in the window, oldest first.

        The largest read of an evaluation (an hour of ``ap_poll``: 408,000 points at 34,000
        APs polled every 5 minutes), so it is streamed (``chunked=true``) and turned into
        :class:`Poll` tuples chunk by chunk, never into one dict per point, and the polls are
        what is kept for the next rule.
        """
        query = (
            f'SELECT "up","uptime_s" FROM {quote_ident(AP_POLL.name)} '  # noqa: S608
            f'WHERE {_span(start, end)} GROUP BY "ap"'
        )
        cached = self._polls.get(query)
        if cached is not None:
            return cached
        out: dict[str, list[Poll]] = {}
        for series in self._stream(query):
            at, up, uptime = (series.columns.index(c) for c in ("time", "up", "uptime_s"))
            polls = out.setdefault(str(series.tags.get("ap")), [])
            polls += [
                Poll(int(v[at]), bool(v[up]), None if v[uptime] is None else int(v[uptime]))
                for v in series.values
            ]
        for polls in out.values():
            polls.sort()
        self._polls[query] = out
        return out

    def uptime_resets(self, start: float, end: float) -> Mapping[str, int]:
        """Restarts per AP in the window (:class:`UptimeResets`), counted from the stream of
        its ``ap_poll`` points: an hour of 34,000 APs is counted, not held."""
        query = (
            f'SELECT "uptime_s" FROM {quote_ident(AP_POLL.name)} '  # noqa: S608
            f'WHERE {_span(start, end)} GROUP BY "ap"'  # only points that have an uptime
        )
        counter = UptimeResets()
        for series in self._stream(query):
            at, uptime = (series.columns.index(c) for c in ("time", "uptime_s"))
            ap = str(series.tags.get("ap"))
            for v in series.values:
                counter.add(ap, int(v[at]), None if v[uptime] is None else int(v[uptime]))
        return counter.counts

    def clients(self, start: float, end: float) -> Mapping[str, ClientStats]:
        query = (
            f'SELECT count("clients") AS "n",max("clients") AS "peak" '  # noqa: S608
            f'FROM {quote_ident(RADIO_POLL.name)} WHERE {_span(start, end)} GROUP BY "ap","band"'
        )
        out: dict[str, ClientStats] = {}
        for row in self._rows(query):
            if not row.get("n"):
                continue
            ap, old = str(row["ap"]), out.get(str(row["ap"]), ClientStats(0, 0))
            out[ap] = ClientStats(max(old.polls, int(row["n"])), max(old.peak, int(row["peak"])))
        return out

    def hour_usage(self, hour_start: int) -> Mapping[str, HourUsage]:
        query = (
            f'SELECT "rx_bytes","tx_bytes","polls_up" '  # noqa: S608
            f"FROM {quote_ident(AP_USAGE_HOURLY.name)} "
            f'WHERE time >= {hour_start}s AND time < {hour_start + 1}s GROUP BY "ap"'
        )
        return {
            str(row["ap"]): HourUsage(
                int(row.get("rx_bytes") or 0) + int(row.get("tx_bytes") or 0),
                int(row.get("polls_up") or 0),
            )
            for row in self._rows(query)
        }

    def counter_resets(self, start: float, end: float) -> Mapping[str, int]:
        query = (
            f'SELECT sum("counter_resets") AS "resets" '  # noqa: S608
            f'FROM {quote_ident(RADIO_POLL.name)} WHERE {_span(start, end)} GROUP BY "ap"'
        )
        return {str(r["ap"]): int(r["resets"]) for r in self._rows(query) if r.get("resets")}

    def newest_poll(self, start: float, end: float) -> float | None:
        query = (
            f'SELECT count("up") AS "n" FROM {quote_ident(AP_POLL.name)} '  # noqa: S608
            f"WHERE {_span(start, end)}"
        )
        rows = self._rows(query)
        return float(end) if rows and rows[0].get("n") else None

    # --- local stores ------------------------------------------------------------------------
    def reboot_events(self, start: float, end: float) -> Mapping[str, int]:
        store = EventStore.existing(self.data_dir)
        if store is None:
            return {}
        with store:
            # (start, end] like the InfluxDB windows: the store's [a, b) moved up one float
            events = store.between(math.nextafter(start, math.inf),
                                   math.nextafter(end, math.inf), REBOOT_KINDS)  # fmt: skip
        out: dict[str, int] = {}
        for event in events:
            out[event.ap_id] = out.get(event.ap_id, 0) + 1
        return out

    def host_keys_refused(self) -> Mapping[str, float]:
        path = self.data_dir / "ssh" / "facts.sqlite"
        if not path.exists():
            return {}
        store = FactStore(path, readonly=True)
        try:
            out: dict[str, float] = {}
            for ap in self.ap_ids:
                attempt = store.attempt(ap)
                if attempt is not None and attempt.reason == "host_key_changed":
                    out[ap] = attempt.at
            return out
        finally:
            store.close()

    def outside_changes(self, since: float, now: float) -> Mapping[str, float]:
        path = self.data_dir / "configs"
        if not (path / ".git" / "HEAD").exists():
            return {}
        try:
            changes = ConfigRepo(path).changed_since(since)  # a reader: never locks or inits
        except ConfigRepoError as error:
            raise SignalError(f"{path}: {error}") from None
        out: dict[str, float] = {}
        for change in changes:
            if (
                change.outside
                and change.when <= now
                and not self.expected(change.ap_id, change.when)
            ):
                out[change.ap_id] = max(out.get(change.ap_id, 0.0), change.when)
        return out

    def spool_bytes(self) -> int:
        total = 0
        for folder in self.data_dir.glob("collector*/spool"):
            for file in folder.rglob("*"):
                try:
                    total += file.stat().st_size if file.is_file() else 0
                except OSError:
                    continue  # rotated away while we looked
        return total
