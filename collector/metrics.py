"""The collector's own Prometheus metrics (the only module that imports prometheus_client).

Metric names are a public API (dashboards and alerts use them): change them with a CHANGELOG
entry. Every loss path has a counter: failed polls by reason, counter deltas not counted by
reason, points set aside or dropped, torn spool groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

POLL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
CYCLE_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
SSH_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)

# Label values exported at 0 from the start, so that rate() and the alert rules see a series
# before the first failure (Prometheus' "initialise your metrics"); others appear when they occur.
POLL_ERROR_REASONS = (
    "timeout", "auth", "decode", "no_such", "network", "agent_error",  # collector.snmp.engine
    "config", "internal", "backoff",
)  # fmt: skip
SET_ASIDE_REASONS = (
    "schema", "type", "no_fields", "empty", "backslash", "control_char", "utf8",
    "string_too_long", "int_range", "nan_inf", "time_range", "unknown_ap",
    "server_type_conflict", "server_retention", "server_parse", "server_rejected",
)  # fmt: skip
WRITE_RETRY_REASONS = ("connection", "config_error")
AP_STATES = ("up", "down")
#: ``pubwifi traps``: why notifications were dropped (collector.traps.counters.DROP_REASONS),
#: and the event kinds every platform knows (collector.traps.mapping.STANDARD_TRAPS).
TRAP_DROP_REASONS = (
    "unknown_sender", "bad_community", "bad_credentials", "malformed", "unknown_trap",
    "queue_full", "socket_buffer", "shutdown", "write_backlog", "write_failed", "internal",
)  # fmt: skip
TRAP_KINDS = ("cold_start", "warm_start", "link_down", "link_up", "auth_failure")


@dataclass
class CollectorMetrics:
    """All self-metrics, on an injectable registry (tests use their own)."""

    registry: CollectorRegistry

    def __post_init__(self) -> None:
        r = self.registry
        self.poll_duration = Histogram(
            "pubwifi_poll_duration_seconds",
            "Time to poll one AP",
            registry=r,
            buckets=POLL_BUCKETS,
        )
        self.cycle_duration = Histogram(
            "pubwifi_poll_cycle_duration_seconds",
            "Time to poll every AP of a cycle",
            registry=r,
            buckets=CYCLE_BUCKETS,
        )
        self.aps = Gauge(
            "pubwifi_aps",
            "APs by state in the last poll",
            ["state"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.poll_errors = Counter(
            "pubwifi_poll_errors_total", "Failed AP polls by reason", ["reason"], registry=r
        )
        self.counter_deltas = Counter(
            "pubwifi_counter_deltas_total",
            "Counter deltas by outcome (ok, wrap; the rest are not counted as traffic)",
            ["reason"],
            registry=r,
        )
        self.counter_lost_seconds = Counter(
            "pubwifi_counter_lost_seconds_total",
            "Seconds of traffic that could not be accounted (reboots, discontinuities)",
            registry=r,
        )
        self.platform_mismatch = Counter(
            "pubwifi_platform_mismatch_total",
            "Polls where the detected platform differs from the inventory",
            registry=r,
        )
        self.points_written = Counter(
            "pubwifi_points_written_total", "Points the database accepted", registry=r
        )
        self.points_set_aside = Counter(
            "pubwifi_points_set_aside_total",
            "Bad points set aside, by reason",
            ["reason"],
            registry=r,
        )
        self.points_dropped = Counter(
            "pubwifi_points_dropped_total",
            "Points dropped because the spool was full",
            registry=r,
        )
        self.write_retries = Counter(
            "pubwifi_write_retries_total",
            "Database writes retried, by reason",
            ["reason"],
            registry=r,
        )
        self.torn_groups = Counter(
            "pubwifi_spool_torn_groups_total", "Spool groups cut off by a crash", registry=r
        )
        self.torn_lines = Counter(
            "pubwifi_spool_torn_lines_total", "Lines in torn spool groups (lost)", registry=r
        )
        self.spool_lines = Gauge(
            "pubwifi_spool_lines",
            "Lines waiting in the spool",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.spool_bytes = Gauge(
            "pubwifi_spool_bytes", "Spool size on disk", multiprocess_mode="livesum", registry=r
        )
        self.last_cycle = Gauge(
            "pubwifi_last_successful_cycle_timestamp_seconds",
            "When the last successful poll cycle finished: no batch error, some AP answered "
            "(Unix time)",
            multiprocess_mode="livemin",
            registry=r,
        )
        self.schedule_lag = Gauge(
            "pubwifi_schedule_lag_seconds",
            "How late the last scheduler tick ran",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.cycles = Counter(
            "pubwifi_poll_cycles_total", "Poll cycles by outcome", ["outcome"], registry=r
        )
        self.ssh_sessions = Counter(
            "pubwifi_ssh_sessions_total",
            "SSH collections of one AP by result (ok, failed)",
            ["result"],
            registry=r,
        )
        self.ssh_errors = Counter(
            "pubwifi_ssh_errors_total",
            "Failed SSH collections by reason (host_key_changed, login_failed, timeout, ...)",
            ["reason"],
            registry=r,
        )
        self.ssh_session_duration = Histogram(
            "pubwifi_ssh_session_duration_seconds",
            "Time to collect one AP over SSH (login, commands, logout)",
            registry=r,
            buckets=SSH_BUCKETS,
        )
        self.ssh_sweep_duration = Gauge(
            "pubwifi_ssh_last_sweep_duration_seconds",
            "How long the last complete SSH sweep took",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.ssh_last_sweep = Gauge(
            "pubwifi_ssh_last_sweep_timestamp_seconds",
            "When the last SSH sweep finished (Unix time)",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.ssh_sweep_aps = Gauge(
            "pubwifi_ssh_last_sweep_aps",
            "APs of the last SSH sweep by result (ok, failed)",
            ["result"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.ssh_config_changes = Counter(
            "pubwifi_ssh_config_changes_total",
            "Running-configs that changed between SSH sweeps",
            registry=r,
        )

        self.alerts_firing = Gauge(
            "pubwifi_alerts_firing",
            "Alerts firing now by rule and scope (ap, site, district, collector)",
            ["rule", "scope"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.alert_notifications = Counter(
            "pubwifi_alert_notifications_total",
            "Alert notification sends by channel and result (delivered, retry, dead)",
            ["channel", "result"],
            registry=r,
        )
        self.alert_dead_letters = Counter(
            "pubwifi_alert_dead_letters_total",
            "Alert notifications given up after their last retry (kept in the outbox)",
            ["channel"],
            registry=r,
        )

        self.poll_interval = Gauge(
            "pubwifi_poll_interval_seconds",
            "The polling interval the collector runs with (the alert rules' yardstick)",
            multiprocess_mode="livemax",
            registry=r,
        )
        self.traps_received = Counter(
            "pubwifi_traps_received_total",
            "Notifications (traps, informs) turned into AP events, by event kind",
            ["kind"],
            registry=r,
        )
        self.traps_dropped = Counter(
            "pubwifi_traps_dropped_total",
            "Notifications not turned into events, by reason (unknown_sender, bad_community, "
            "bad_credentials, malformed, unknown_trap, queue_full, ...)",
            ["reason"],
            registry=r,
        )
        self.traps_queue_depth = Gauge(
            "pubwifi_traps_queue_depth",
            "Datagrams waiting to be decoded",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.traps_socket_drops = Gauge(
            "pubwifi_traps_socket_drops",
            "Datagrams the kernel dropped on the trap socket since it opened (a full receive "
            "buffer; from /proc/net/udp, only grows)",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.traps_engine_ids = Gauge(
            "pubwifi_traps_engine_ids",
            "SNMPv3 sender engine ids learned",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.traps_recv_buffer = Gauge(
            "pubwifi_traps_recv_buffer_bytes",
            "Receive buffer the kernel granted the trap socket (SO_RCVBUF; --recv-buffer)",
            multiprocess_mode="livemax",
            registry=r,
        )
        for reason in TRAP_DROP_REASONS:
            self.traps_dropped.labels(reason)
        for kind in TRAP_KINDS:
            self.traps_received.labels(kind)
        for reason in POLL_ERROR_REASONS:
            self.poll_errors.labels(reason)
        for reason in SET_ASIDE_REASONS:
            self.points_set_aside.labels(reason)
        for reason in WRITE_RETRY_REASONS:
            self.write_retries.labels(reason)
        for state in AP_STATES:
            self.aps.labels(state)

    def serve(self, host: str, port: int) -> None:
        """Expose ``/metrics`` on ``host:port`` (a daemon thread)."""
        start_http_server(port, addr=host, registry=self.registry)


class PrometheusSpoolMetrics:
    """:class:`collector.influx.hooks.SpoolMetrics` on top of :class:`CollectorMetrics`."""

    def __init__(self, metrics: CollectorMetrics) -> None:
        self._m = metrics

    def points_written(self, n: int) -> None:
        self._m.points_written.inc(n)

    def points_set_aside(self, n: int, reason: str) -> None:
        self._m.points_set_aside.labels(reason).inc(n)

    def points_dropped(self, n: int) -> None:
        self._m.points_dropped.inc(n)

    def spool_depth(self, lines: int, bytes_: int) -> None:
        self._m.spool_lines.set(lines)
        self._m.spool_bytes.set(bytes_)

    def write_retried(self, reason: str) -> None:
        self._m.write_retries.labels(reason).inc()

    def torn_groups_discarded(self, groups: int, lines: int) -> None:
        self._m.torn_groups.inc(groups)
        self._m.torn_lines.inc(lines)


class PrometheusTrapCounters:
    """:class:`collector.traps.counters.TrapCounters` on top of :class:`CollectorMetrics`."""

    def __init__(self, metrics: CollectorMetrics) -> None:
        self._m = metrics

    def received(self, kind: str) -> None:
        self._m.traps_received.labels(kind).inc()

    def dropped(self, reason: str, n: int = 1) -> None:
        self._m.traps_dropped.labels(reason).inc(n)

    def queue_depth(self, n: int) -> None:
        self._m.traps_queue_depth.set(n)

    def engine_ids(self, n: int) -> None:
        self._m.traps_engine_ids.set(n)

    def socket_drops(self, n: int) -> None:
        self._m.traps_socket_drops.set(n)

    def recv_buffer(self, n: int) -> None:
        self._m.traps_recv_buffer.set(n)


#: The environment variable prometheus_client's multiprocess mode reads (in each worker).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class WorkerMetrics:
    """The parent of collector workers: its own metrics, and one ``/metrics`` for them all.

    Workers run with :data:`MULTIPROC_ENV` set, so prometheus_client keeps their values in
    files in that directory; this registry's ``MultiProcessCollector`` adds them up on each
    scrape (counters and histograms summed, gauges by each one's ``multiprocess_mode``:
    ``pubwifi_aps`` summed, ``pubwifi_last_successful_cycle_timestamp_seconds`` the oldest
    live worker's, ...). Counters of a worker that died stay in the sum, so no counter ever
    goes down when a worker is restarted.
    """

    def __init__(self, directory: str, workers: int) -> None:
        from prometheus_client.multiprocess import MultiProcessCollector

        self.directory = directory
        self.registry = CollectorRegistry()
        MultiProcessCollector(self.registry, path=directory)  # type: ignore[no-untyped-call]
        r = self.registry
        self.workers = Gauge(
            "pubwifi_collector_workers",
            "Worker processes of this collector by state (configured, running)",
            ["state"],
            registry=r,
        )
        self.restarts = Counter(
            "pubwifi_collector_worker_restarts_total",
            "Worker processes that died and were started again, by worker",
            ["worker"],
            registry=r,
        )
        self.workers.labels("configured").set(workers)
        self.workers.labels("running").set(0)
        for j in range(1, workers + 1):
            self.restarts.labels(str(j))

    def worker_exited(self, pid: int) -> None:
        """Drop a dead worker's live gauges (its counters stay in the sums)."""
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid, self.directory)  # type: ignore[no-untyped-call]

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)
