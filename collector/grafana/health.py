"""The collector's own health, from Prometheus: is it polling, on time, and losing nothing?

Every metric named here is one :class:`collector.metrics.CollectorMetrics` or, for the
parent of worker processes, :class:`collector.metrics.WorkerMetrics` declares (the test checks
each name against them).
"""

from __future__ import annotations

from collector.grafana.model import Dashboard, Panel, Row, prom_target, title

UID = "pubwifi-collector"
JOB = 'job=~"$job"'
RATE = "[$__rate_interval]"


def _rate(metric: str, by: str = "") -> str:
    inner = f"rate({metric}{{{JOB}}}{RATE})"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


def health_dashboard() -> Dashboard:
    now = [
        Panel(
            "stat",
            title("수집기", "Collector up"),
            [prom_target(f"up{{{JOB}}}", legend="{{instance}}", instant=True)],
            "1 when Prometheus scraped the collector's /metrics.",
            width=4,
            height=5,
            mappings=[
                {
                    "type": "value",
                    "options": {
                        "0": {"text": "DOWN", "color": "red", "index": 0},
                        "1": {"text": "UP", "color": "green", "index": 1},
                    },
                }
            ],
            thresholds=[(None, "red"), (1, "green")],
        ),
        Panel(
            "stat",
            title("마지막 성공 주기 이후", "Since the last good cycle"),
            [
                prom_target(
                    f"time() - pubwifi_last_successful_cycle_timestamp_seconds{{{JOB}}}",
                    legend="{{instance}}",
                    instant=True,
                )
            ],
            "Seconds since a poll cycle finished with no batch error and some AP answering.",
            unit="s",
            width=5,
            height=5,
            thresholds=[(None, "green"), (600, "orange"), (1800, "red")],
        ),
        Panel(
            "stat",
            title("AP 상태", "APs up / down"),
            [
                prom_target(
                    f"sum by (state) (pubwifi_aps{{{JOB}}})", legend="{{state}}", instant=True
                )
            ],
            "APs by state in the last poll cycle.",
            unit="short",
            width=5,
            height=5,
        ),
        Panel(
            "stat",
            title("스풀 대기", "Spool waiting"),
            [prom_target(f"sum(pubwifi_spool_lines{{{JOB}}})", legend="lines", instant=True)],
            "Points on disk waiting for InfluxDB (0 when it keeps up).",
            unit="short",
            width=5,
            height=5,
            thresholds=[(None, "green"), (100000, "orange")],
        ),
        Panel(
            "stat",
            title("유실된 포인트", "Points dropped"),
            [
                prom_target(
                    f"sum(pubwifi_points_dropped_total{{{JOB}}})", legend="dropped", instant=True
                )
            ],
            "Points dropped because the spool was full, since the collector started (0 is the "
            "only good value).",
            unit="short",
            width=5,
            height=5,
            thresholds=[(None, "green"), (1, "red")],
        ),
    ]
    cycles = [
        Panel(
            "timeseries",
            title("폴링 주기 시간", "Poll cycle duration"),
            [
                prom_target(
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(pubwifi_poll_cycle_duration_seconds_bucket{{{JOB}}}{RATE})))",
                    legend="p95",
                ),
                prom_target(
                    f"{_rate('pubwifi_poll_cycle_duration_seconds_sum')} / "
                    f"{_rate('pubwifi_poll_cycle_duration_seconds_count')}",
                    legend="mean",
                    ref="B",
                ),
                prom_target(
                    f"max(pubwifi_poll_interval_seconds{{{JOB}}})", legend="interval", ref="C"
                ),
            ],
            "Time to poll every AP of a cycle against the polling interval.",
            unit="s",
            width=12,
            height=8,
        ),
        Panel(
            "timeseries",
            title("스케줄 지연", "Schedule lag"),
            [prom_target(f"max(pubwifi_schedule_lag_seconds{{{JOB}}})", legend="lag")],
            "How late the last scheduler tick ran.",
            unit="s",
            width=12,
            height=8,
        ),
        Panel(
            "timeseries",
            title("폴링 실패 사유", "Poll errors by reason"),
            [prom_target(_rate("pubwifi_poll_errors_total", "reason"), legend="{{reason}}")],
            "Failed AP polls per second by reason (timeout, auth, decode, ...).",
            unit="reqps",
            width=12,
            height=8,
            custom={"drawStyle": "line", "stacking": {"mode": "normal"}, "fillOpacity": 40},
        ),
        Panel(
            "timeseries",
            title("작업 프로세스", "Worker processes"),
            [
                prom_target(
                    f'sum(pubwifi_collector_workers{{{JOB}, state="running"}})', legend="running"
                ),
                prom_target(
                    f'sum(pubwifi_collector_workers{{{JOB}, state="configured"}})',
                    legend="configured",
                    ref="B",
                ),
                prom_target(
                    f"sum by (worker) (increase(pubwifi_collector_worker_restarts_total"
                    f"{{{JOB}}}{RATE}))",
                    legend="restarts: worker {{worker}}",
                    ref="C",
                ),
            ],
            "Worker processes polling (one per core by default) and restarts of dead ones.",
            unit="short",
            width=12,
            height=8,
        ),
        Panel(
            "timeseries",
            title("카운터 델타", "Counter deltas by outcome"),
            [prom_target(_rate("pubwifi_counter_deltas_total", "reason"), legend="{{reason}}")],
            "ok and wrap are counted as traffic; the rest are gaps, never guessed.",
            unit="ops",
            width=12,
            height=8,
        ),
    ]
    writes = [
        Panel(
            "timeseries",
            title("기록된 포인트", "Points written / set aside / dropped"),
            [
                prom_target(_rate("pubwifi_points_written_total"), legend="written"),
                prom_target(
                    _rate("pubwifi_points_set_aside_total", "reason"),
                    legend="set aside: {{reason}}",
                    ref="B",
                ),
                prom_target(_rate("pubwifi_points_dropped_total"), legend="dropped", ref="C"),
            ],
            "Points per second InfluxDB accepted, and the two loss paths.",
            unit="ops",
            width=12,
            height=8,
        ),
        Panel(
            "timeseries",
            title("스풀", "Spool depth"),
            [
                prom_target(f"sum(pubwifi_spool_lines{{{JOB}}})", legend="lines"),
                prom_target(f"sum(pubwifi_spool_bytes{{{JOB}}})", legend="bytes", ref="B"),
            ],
            "Lines and bytes waiting on disk for InfluxDB.",
            unit="short",
            width=12,
            height=8,
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "bytes"},
                    "properties": [
                        {"id": "unit", "value": "bytes"},
                        {"id": "custom.axisPlacement", "value": "right"},
                    ],
                }
            ],
        ),
        Panel(
            "timeseries",
            title("쓰기 재시도", "Write retries by reason"),
            [prom_target(_rate("pubwifi_write_retries_total", "reason"), legend="{{reason}}")],
            "Database writes retried (connection, HTTP 5xx/429, ...): the data waits, not lost.",
            unit="reqps",
            width=24,
            height=7,
        ),
    ]
    ssh = [
        Panel(
            "stat",
            title("마지막 SSH 수집", "Last SSH sweep"),
            [
                prom_target(
                    f"sum by (result) (pubwifi_ssh_last_sweep_aps{{{JOB}}})",
                    legend="{{result}}",
                    instant=True,
                )
            ],
            "APs of the last complete SSH sweep by result.",
            unit="short",
            width=8,
            height=6,
        ),
        Panel(
            "timeseries",
            title("SSH 수집 시간", "SSH sweep duration"),
            [
                prom_target(
                    f"max(pubwifi_ssh_last_sweep_duration_seconds{{{JOB}}})", legend="sweep"
                ),
                prom_target(
                    "histogram_quantile(0.95, sum by (le) "
                    f"(rate(pubwifi_ssh_session_duration_seconds_bucket{{{JOB}}}{RATE})))",
                    legend="p95 per AP",
                    ref="B",
                ),
            ],
            "The last sweep's duration and the 95th percentile of one AP's session.",
            unit="s",
            width=8,
            height=6,
        ),
        Panel(
            "timeseries",
            title("SSH 결과", "SSH sessions by result"),
            [prom_target(_rate("pubwifi_ssh_sessions_total", "result"), legend="{{result}}")],
            "SSH collections per second, ok or failed.",
            unit="reqps",
            width=8,
            height=6,
        ),
    ]
    traps_job = 'job="pubwifi-traps"'
    events = [
        Panel(
            "timeseries",
            title("받은 트랩", "Traps received by kind"),
            [
                prom_target(
                    f"sum by (kind) (rate(pubwifi_traps_received_total{{{traps_job}}}{RATE}))",
                    legend="{{kind}}",
                )
            ],
            "Notifications that became AP events, per second (pubwifi traps).",
            unit="reqps",
            width=8,
            height=7,
        ),
        Panel(
            "timeseries",
            title("버린 트랩", "Traps dropped by reason"),
            [
                prom_target(
                    f"sum by (reason) (rate(pubwifi_traps_dropped_total{{{traps_job}}}{RATE}))",
                    legend="{{reason}}",
                )
            ],
            "Unknown senders, bad community or credentials, malformed, a full queue, the "
            "kernel's socket buffer: every loss counted.",
            unit="reqps",
            width=8,
            height=7,
        ),
        Panel(
            "stat",
            title("발생 중인 경보", "Alerts firing"),
            [
                prom_target(
                    f"sum by (scope) (pubwifi_alerts_firing{{{JOB}}})",
                    legend="{{scope}}",
                    instant=True,
                )
            ],
            "Alerts firing now by scope (a site or district alert stands for many APs).",
            unit="short",
            width=8,
            height=7,
            thresholds=[(None, "green"), (1, "orange")],
        ),
    ]
    return Dashboard(
        UID,
        "수집기 상태 · Collector health",
        "pubwifi's collector, from its own /metrics: cycles, APs, errors, the write path, SSH.",
        [
            Row(title("지금", "Now"), now),
            Row(title("폴링", "Polling"), cycles),
            Row(title("쓰기 경로", "Write path"), writes),
            Row(title("SSH 수집", "SSH collection"), ssh),
            Row(title("트랩·경보", "Traps and alerts"), events),
        ],
        variables=[
            {
                "type": "query",
                "name": "job",
                "label": "Job",
                "datasource": {"type": "prometheus", "uid": "pubwifi-prometheus"},
                "query": {"query": "label_values(pubwifi_aps, job)", "refId": "job"},
                "definition": "label_values(pubwifi_aps, job)",
                "refresh": 2,
                "sort": 1,
                "multi": True,
                "includeAll": True,
                "allValue": ".+",
                "current": {"text": ["All"], "value": ["$__all"]},
                "options": [],
                "hide": 0,
                "regex": "",
            }
        ],
        time_from="now-6h",
        refresh="30s",
    )
