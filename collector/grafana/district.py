"""One district (구): its sites and APs, usage, availability, the busiest APs and who is down."""

from __future__ import annotations

from collector.grafana.influxql import equals, f, group_by, m, matches, total_bytes, where
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
    value_mappings,
)
from collector.grafana.names import DISTRICTS, MOUNTS
from collector.influx.schema import AP_POLL, AP_USAGE_DAILY, AP_USAGE_HOURLY

UID = "pubwifi-district"
D = AP_USAGE_DAILY
H = AP_USAGE_HOURLY
P = AP_POLL


def _in() -> tuple[str, str]:
    """The district and the site selection (every measurement here has both tags)."""
    return equals(D, "district", "district"), matches(D, "site", "site")


def district_dashboard() -> Dashboard:
    bytes_d = total_bytes(D)
    availability = f"sum({f(D, 'polls_up')}) / sum({f(D, 'polls')})"
    stats = [
        Panel(
            "stat",
            title("응답한 AP", "APs answering"),
            [
                influx_target(
                    f'SELECT sum({f(P, "up")}) AS "aps" FROM (SELECT max({f(P, "up")}) AS '
                    f'"up" FROM {m(P)}' + where(P, *_in()) + group_by(P, "ap") + ")",
                )
            ],
            "APs of the selection that answered at least one poll in the time range.",
            unit="short",
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("데이터 사용량", "Data carried"),
            [influx_target(f'SELECT {bytes_d} AS "bytes" FROM {m(D)}' + where(D, *_in()))],
            unit="decbytes",
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("접속 수", "Sessions"),
            [
                influx_target(
                    f'SELECT sum({f(D, "sessions")}) AS "sessions" FROM {m(D)}' + where(D, *_in())
                )
            ],
            unit="short",
            width=6,
            height=5,
        ),
        Panel(
            "stat",
            title("가용률", "Availability"),
            [
                influx_target(
                    f'SELECT {availability} AS "availability" FROM {m(D)}' + where(D, *_in())
                )
            ],
            "Polls answered / polls made.",
            unit="percentunit",
            decimals=2,
            thresholds=[(None, "red"), (0.95, "orange"), (0.99, "green")],
            width=6,
            height=5,
        ),
    ]
    trends = [
        Panel(
            "timeseries",
            title("사이트별 시간대 데이터", "Data per hour by site"),
            [
                influx_target(
                    f'SELECT {total_bytes(H)} AS "bytes" FROM {m(H)}'
                    + where(H, *_in())
                    + group_by(H, "site", time="time($__interval)", fill="null"),
                    alias="$tag_site",
                )
            ],
            unit="decbytes",
            interval="1h",
            width=16,
            height=9,
            custom={"drawStyle": "bars", "stacking": {"mode": "normal"}, "fillOpacity": 80},
        ),
        Panel(
            "timeseries",
            title("시간대 가용률", "Availability per hour"),
            [
                influx_target(
                    f'SELECT sum({f(H, "polls_up")}) / sum({f(H, "polls")}) AS "availability" '
                    f"FROM {m(H)}"
                    + where(H, *_in())
                    + group_by(H, time="time($__interval)", fill="null"),
                    alias="availability",
                )
            ],
            unit="percentunit",
            interval="1h",
            min=0,
            max=1,
            width=8,
            height=9,
        ),
    ]
    tables = [
        Panel(
            "table",
            title("데이터 상위 AP", "Top APs by data"),
            [
                influx_target(
                    'SELECT top("bytes", "ap", 20) AS "bytes", "site" FROM '
                    f'(SELECT {bytes_d} AS "bytes" FROM {m(D)}'
                    + where(D, *_in())
                    + group_by(D, "ap", "site")
                    + ")",
                    table=True,
                )
            ],
            "The 20 APs that carried the most over the time range.",
            width=12,
            height=11,
            transformations=hide_and_sort(by=["bytes"], desc=True),
            overrides=[
                column("ap", "AP"),
                column("site", "사이트 Site"),
                column("bytes", "데이터 Data", unit="decbytes"),
            ],
        ),
        Panel(
            "table",
            title("사이트", "Sites"),
            [
                influx_target(
                    f'SELECT {bytes_d} AS "bytes", sum({f(D, "sessions")}) AS "sessions", '
                    f'{availability} AS "availability" FROM {m(D)}'
                    + where(D, *_in())
                    + group_by(D, "site", "mount"),
                    table=True,
                )
            ],
            "Each site of the district over the time range.",
            width=12,
            height=11,
            transformations=hide_and_sort(by=["bytes"], desc=True),
            overrides=[
                column("site", "사이트 Site"),
                column("mount", "설치 형태 Mount", mappings=value_mappings(MOUNTS)),
                column("bytes", "데이터 Data", unit="decbytes"),
                column("sessions", "접속 수 Sessions", unit="short"),
                column("availability", "가용률 Availability", unit="percentunit", decimals=2),
            ],
        ),
        Panel(
            "table",
            title("마지막 폴링 응답 없음", "Not answering at the last poll"),
            [
                influx_target(
                    f'SELECT "up" FROM (SELECT last({f(P, "up")}) AS "up" '
                    f"FROM {m(P)}"
                    + where(P, *_in())
                    + group_by(P, "ap", "site")
                    + ') WHERE "up" = 0 GROUP BY "ap", "site"',
                    table=True,
                )
            ],
            "APs whose last poll in the time range went unanswered (empty is good news).",
            width=24,
            height=8,
            transformations=hide_and_sort("up"),
            overrides=[
                column("Time", "마지막 폴링 Last poll"),
                column("ap", "AP"),
                column("site", "사이트 Site"),
            ],
        ),
    ]
    return Dashboard(
        UID,
        "자치구 · District",
        "One district's sites and APs: usage, availability, the busiest APs, who is down.",
        [
            Row(title("합계", "Totals"), stats),
            Row(title("추이", "Trends"), trends),
            Row(title("사이트 · AP", "Sites and APs"), tables),
        ],
        variables=[
            custom_variable(
                "district", "자치구 District", DISTRICTS, multi=False, include_all=False
            ),
            influx_variable(
                "site",
                "사이트 Site",
                f'SHOW TAG VALUES FROM {m(D)} WITH KEY = "site" WHERE "district" = \'$district\'',
                multi=True,
                include_all=True,
            ),
        ],
        time_from="now-7d",
    )
