"""One AP: traffic per radio and band, clients, sessions, counter events, answers and uptime."""

from __future__ import annotations

from collector.grafana.influxql import equals, f, group_by, m, matches, where
from collector.grafana.model import (
    Dashboard,
    Panel,
    Row,
    column,
    custom_variable,
    hide_and_sort,
    influx_target,
    influx_variable,
    title,
)
from collector.grafana.names import DISTRICTS
from collector.influx.schema import AP_INFO, AP_POLL, RADIO_POLL

UID = "pubwifi-ap"
R = RADIO_POLL
P = AP_POLL
I = AP_INFO  # noqa: E741 (the schema's name for it)
EVERY = "time($__interval)"


def _radio(select: str, *tags: str, fill: str = "null") -> str:
    return (
        f"SELECT {select} FROM {m(R)}"
        + where(R, equals(R, "ap", "ap"))
        + group_by(R, *tags, time=EVERY, fill=fill)
    )


def _bits_per_second(direction: str) -> str:
    """Exact: the bytes of the interval over the seconds the deltas cover, times 8."""
    return f"sum({f(R, direction)}) * 8 / sum({f(R, 'interval_s')})"


def ap_dashboard() -> Dashboard:
    device = [
        Panel(
            "table",
            title("장비 정보", "What the device reports"),
            [
                influx_target(
                    f'SELECT last({f(I, "model")}) AS "model", last({f(I, "firmware")}) AS '
                    f'"firmware", last({f(I, "sys_name")}) AS "sys_name", '
                    f'last({f(I, "reported_standard")}) AS "reported_standard" FROM {m(I)}'
                    + where(I, equals(I, "ap", "ap"))
                    + group_by(I, "site", "standard"),
                    table=True,
                )
            ],
            "Model, firmware and sysName as the AP last stated them (shown as text).",
            width=16,
            height=5,
            transformations=hide_and_sort(),
            overrides=[
                column("model", "모델 Model"),
                column("firmware", "펌웨어 Firmware"),
                column("sys_name", "sysName"),
                column("reported_standard", "보고 규격 Reported standard"),
                column("site", "사이트 Site"),
                column("standard", "인벤토리 규격 Inventory standard"),
            ],
        ),
        Panel(
            "stat",
            title("가동 시간", "Uptime"),
            [
                influx_target(
                    f'SELECT last({f(P, "uptime_s")}) AS "uptime" FROM {m(P)}'
                    + where(P, equals(P, "ap", "ap"))
                )
            ],
            "sysUpTime at the last answered poll.",
            unit="s",
            width=8,
            height=5,
        ),
    ]
    traffic = [
        Panel(
            "timeseries",
            title("대역별 트래픽", "Traffic per band"),
            [
                influx_target(
                    _radio(
                        f'{_bits_per_second("rx_bytes")} AS "rx", '
                        f'{_bits_per_second("tx_bytes")} AS "tx"',
                        "band",
                    ),
                    alias="$tag_band $col",
                )
            ],
            "Bits per second received (rx) and sent (tx) per radio band: each interval's exact "
            "byte deltas over the seconds they cover.",
            unit="bps",
            width=24,
            height=9,
        ),
        Panel(
            "timeseries",
            title("접속 단말 수", "Clients"),
            [
                influx_target(
                    _radio(f'max({f(R, "clients")}) AS "clients"', "band"), alias="$tag_band"
                )
            ],
            "Clients associated, the highest of each interval, per band.",
            unit="short",
            width=12,
            height=8,
            custom={"drawStyle": "line", "stacking": {"mode": "normal"}, "fillOpacity": 30},
        ),
        Panel(
            "timeseries",
            title("새 접속", "New sessions"),
            [
                influx_target(
                    _radio(f'sum({f(R, "sessions")}) AS "sessions"', "band", fill="0"),
                    alias="$tag_band",
                )
            ],
            "Client sessions begun in each interval, per band.",
            unit="short",
            width=12,
            height=8,
            custom={"drawStyle": "bars", "stacking": {"mode": "normal"}, "fillOpacity": 80},
        ),
    ]
    health = [
        Panel(
            "timeseries",
            title("폴링 응답", "Poll answers"),
            [
                influx_target(
                    f'SELECT mean({f(P, "up")}) AS "answered" FROM {m(P)}'
                    + where(P, equals(P, "ap", "ap"))
                    + group_by(P, time=EVERY, fill="null"),
                    alias="answered",
                ),
                influx_target(
                    f'SELECT mean({f(P, "response_ms")}) AS "response" FROM {m(P)}'
                    + where(P, equals(P, "ap", "ap"))
                    + group_by(P, time=EVERY, fill="null"),
                    alias="response ms",
                    ref="B",
                ),
            ],
            "Share of polls answered (left) and the time to the answer (right, ms).",
            unit="percentunit",
            min=0,
            width=12,
            height=8,
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "response ms"},
                    "properties": [
                        {"id": "unit", "value": "ms"},
                        {"id": "custom.axisPlacement", "value": "right"},
                        {"id": "min", "value": 0},
                    ],
                }
            ],
        ),
        Panel(
            "timeseries",
            title("카운터 이벤트", "Counter events"),
            [
                influx_target(
                    _radio(
                        f'sum({f(R, "counter_wraps")}) AS "wraps", '
                        f'sum({f(R, "counter_resets")}) AS "resets"',
                        fill="0",
                    ),
                    alias="$col",
                )
            ],
            "Counters that wrapped (counted exactly) or restarted without a reboot (a gap, not "
            "traffic) per interval.",
            unit="short",
            width=12,
            height=8,
            custom={"drawStyle": "bars", "fillOpacity": 80},
        ),
    ]
    return Dashboard(
        UID,
        "무선 AP · Access point",
        "One AP's radios: traffic per band, clients, sessions, counter events and its answers.",
        [
            Row(title("장비", "Device"), device),
            Row(title("무선", "Radios"), traffic),
            Row(title("상태", "Health"), health),
        ],
        variables=[
            custom_variable("district", "자치구 District", DISTRICTS, multi=False),
            influx_variable(
                "ap",
                "AP",
                # from ap_poll, which has a point per poll answered or not: a dead AP is listed
                f'SHOW TAG VALUES FROM {m(P)} WITH KEY = "ap" WHERE '
                + matches(P, "district", "district"),
            ),
        ],
        time_from="now-24h",
        refresh="1m",
    )
