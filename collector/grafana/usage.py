"""Seoul public Wi-Fi usage: data carried, sessions and phone bills saved, by district and mount.

From the ledger (``ap_usage_daily`` per KST day, ``ap_usage_hourly`` for the hours), the same
points ``pubwifi usage`` and the monthly report sum, priced with the tariff in force now.
"""

from __future__ import annotations

from collector.grafana.influxql import DAY, f, group_by, m, matches, total_bytes, where
from collector.grafana.model import (
    Dashboard,
    Panel,
    Row,
    column,
    constant_variable,
    custom_variable,
    display_names,
    hide_and_sort,
    influx_target,
    title,
    value_mappings,
)
from collector.grafana.names import DISTRICTS, MOUNTS
from collector.influx.schema import AP_USAGE_DAILY, AP_USAGE_HOURLY
from collector.savings.tariff import Tariff

UID = "pubwifi-usage"
D = AP_USAGE_DAILY
H = AP_USAGE_HOURLY


def _filters() -> tuple[str, str]:
    return matches(D, "district", "district"), matches(D, "mount", "mount")


def _krw(expression: str) -> str:
    return f"({expression}) * $krw_per_gb / 1000000000"


def _daily(select: str, *tags: str) -> str:
    return f"SELECT {select} FROM {m(D)}" + where(D, *_filters()) + group_by(D, *tags, time=DAY)


def _range(select: str, *tags: str) -> str:
    return f"SELECT {select} FROM {m(D)}" + where(D, *_filters()) + group_by(D, *tags)


def usage_dashboard(tariff: Tariff) -> Dashboard:
    rate = str(tariff.krw_per_gb)
    bytes_ = total_bytes(D)
    availability = f"sum({f(D, 'polls_up')}) / sum({f(D, 'polls')})"
    sessions = f"sum({f(D, 'sessions')})"
    totals = [
        Panel(
            "stat",
            title("데이터 사용량", "Data carried"),
            [influx_target(_range(f'{bytes_} AS "bytes"'))],
            "Bytes received plus sent by the selected APs over the time range (the ledger's "
            "KST days).",
            unit="decbytes",
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("통신비 절감 환산액", "Phone bills saved"),
            [influx_target(_range(f'{_krw(bytes_)} AS "krw"'))],
            f"Data carried x {rate} KRW per GB (tariff {tariff.id}: {tariff.source.strip()}).",
            unit="currencyKRW",
            decimals=0,
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("접속 수", "Sessions"),
            [influx_target(_range(f'{sessions} AS "sessions"'))],
            "New client sessions counted over the time range.",
            unit="short",
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("가용률", "Availability"),
            [influx_target(_range(f'{availability} AS "availability"'))],
            "Polls the APs answered / polls made.",
            unit="percentunit",
            decimals=2,
            thresholds=[(None, "red"), (0.95, "orange"), (0.99, "green")],
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("이번 달 데이터", "Data this month"),
            [influx_target(_range(f'{bytes_} AS "bytes"'))],
            "This calendar month so far (KST), whatever the time picker says.",
            unit="decbytes",
            time_from="now/M",
            width=12,
            height=4,
        ),
        Panel(
            "stat",
            title("이번 달 절감액", "Saved this month"),
            [influx_target(_range(f'{_krw(bytes_)} AS "krw"'))],
            "This calendar month so far (KST). The official figure is the monthly report's.",
            unit="currencyKRW",
            decimals=0,
            time_from="now/M",
            width=12,
            height=4,
        ),
    ]
    daily = [
        Panel(
            "timeseries",
            title("자치구별 일일 데이터", "Data per day by district"),
            [influx_target(_daily(f'{bytes_} AS "bytes"', "district"), alias="$tag_district")],
            "Stacked: each KST day's bytes per district.",
            unit="decbytes",
            width=24,
            height=10,
            custom={"drawStyle": "bars", "stacking": {"mode": "normal"}, "fillOpacity": 80},
            overrides=display_names(DISTRICTS),
        ),
        Panel(
            "timeseries",
            title("설치 형태별 일일 데이터", "Data per day by mount type"),
            [influx_target(_daily(f'{bytes_} AS "bytes"', "mount"), alias="$tag_mount")],
            "Smart poles, streetlight poles, bus stops, indoor sites ...",
            unit="decbytes",
            width=12,
            height=9,
            custom={"drawStyle": "bars", "stacking": {"mode": "normal"}, "fillOpacity": 80},
            overrides=display_names(MOUNTS),
        ),
        Panel(
            "timeseries",
            title("일일 절감액 · 접속 수", "Saved and sessions per day"),
            [
                influx_target(_daily(f'{_krw(bytes_)} AS "krw"'), alias="KRW saved", ref="A"),
                influx_target(_daily(f'{sessions} AS "sessions"'), alias="sessions", ref="B"),
            ],
            "KRW on the left axis, sessions on the right.",
            unit="currencyKRW",
            width=12,
            height=9,
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "sessions"},
                    "properties": [
                        {"id": "unit", "value": "short"},
                        {"id": "custom.axisPlacement", "value": "right"},
                    ],
                }
            ],
        ),
        Panel(
            "timeseries",
            title("시간대별 데이터", "Data per hour"),
            [
                influx_target(
                    f'SELECT {total_bytes(H)} AS "bytes" FROM {m(H)}'
                    + where(H, matches(H, "district", "district"), matches(H, "mount", "mount"))
                    + group_by(H, time="time($__interval)", fill="null"),
                    alias="bytes",
                )
            ],
            "The hourly ledger: the evening peak, the quiet nights.",
            unit="decbytes",
            interval="1h",
            width=24,
            height=8,
        ),
    ]
    by_district = [
        Panel(
            "table",
            title("자치구별 합계", "Totals by district"),
            [
                influx_target(
                    _range(
                        f'{bytes_} AS "bytes", {_krw(bytes_)} AS "krw", '
                        f'{sessions} AS "sessions", {availability} AS "availability"',
                        "district",
                    ),
                    table=True,
                )
            ],
            "The time range's totals per district, largest first.",
            width=24,
            height=12,
            transformations=hide_and_sort(by=["bytes"], desc=True),
            overrides=[
                column("district", "자치구 District", mappings=value_mappings(DISTRICTS)),
                column("bytes", "데이터 Data", unit="decbytes"),
                column("krw", "절감액 Saved", unit="currencyKRW", decimals=0),
                column("sessions", "접속 수 Sessions", unit="short"),
                column("availability", "가용률 Availability", unit="percentunit", decimals=2),
            ],
        )
    ]
    return Dashboard(
        UID,
        "서울 공공 와이파이 사용량 · Seoul public Wi-Fi usage",
        "Data carried, sessions and the phone bills citizens saved, from pubwifi's ledger.",
        [
            Row(title("합계", "Totals"), totals),
            Row(title("일별", "Per day"), daily),
            Row(title("자치구", "Districts"), by_district),
        ],
        variables=[
            custom_variable("district", "자치구 District", DISTRICTS),
            custom_variable("mount", "설치 형태 Mount", MOUNTS),
            constant_variable(
                "krw_per_gb", rate, f"KRW per GB of tariff {tariff.id} (collector/savings)"
            ),
        ],
        time_from="now-30d",
    )
