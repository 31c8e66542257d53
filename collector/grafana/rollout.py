"""The Wi-Fi 6 programme (와이파이6 전환): progress against the targets, by district and quarter.

From ``rollout_progress``, the hourly snapshot of ``pubwifi rollout status`` the collector
writes: the latest point of each district x quarter x kind series is its current state.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.grafana.influxql import f, group_by, m, matches, t, where
from collector.grafana.model import (
    Dashboard,
    Panel,
    Row,
    column,
    custom_variable,
    display_names,
    hide_and_sort,
    influx_target,
    title,
    value_mappings,
)
from collector.grafana.names import DISTRICTS, KINDS
from collector.influx.schema import ROLLOUT_PROGRESS

UID = "pubwifi-rollout"
P = ROLLOUT_PROGRESS
_CELL = ("district", "quarter", "kind")
STATES = ("planned", "due", "overdue", "installed", "verified", "regressed", "drift")


def _latest(*fields: str, kind: str = "") -> str:
    """The latest point of each district x quarter x kind series in the range (a subquery)."""
    conditions = [matches(P, "district", "district")]
    if kind:
        conditions.append(f"{t(P, 'kind')} = '{kind}'")
    picks = ", ".join(f'last({f(P, name)}) AS "{name}"' for name in fields)
    return f"SELECT {picks} FROM {m(P)}" + where(P, *conditions) + group_by(P, *_CELL)


def _sums(*fields: str) -> str:
    return ", ".join(f'sum("{name}") AS "{name}"' for name in fields)


def rollout_dashboard(targets: Mapping[str, int]) -> Dashboard:
    gauges = [
        Panel(
            "gauge",
            title(f"교체 (목표 {targets['replacement']:,})", "Replaced, of the target"),
            [influx_target(f"SELECT {_sums('done')} FROM ({_latest('done', kind='replacement')})")],
            "Old APs replaced by Wi-Fi 6 models in any form (installed, verified, regressed); "
            "the gauge's end is the press release's target.",
            unit="short",
            min=0,
            max=float(targets["replacement"]),
            no_value="0",
            width=6,
            height=7,
        ),
        Panel(
            "gauge",
            title(f"신설 (목표 {targets['new']:,})", "New APs, of the target"),
            [influx_target(f"SELECT {_sums('done')} FROM ({_latest('done', kind='new')})")],
            "New Wi-Fi 6 APs seen answering.",
            unit="short",
            min=0,
            max=float(targets["new"]),
            no_value="0",
            width=6,
            height=7,
        ),
        Panel(
            "bargauge",
            title("상태별 AP", "APs by state"),
            [influx_target(f"SELECT {_sums(*STATES)} FROM ({_latest(*STATES)})", table=True)],
            "Every programme AP in the selection, by its state now.",
            unit="short",
            width=12,
            height=7,
            options={
                "orientation": "horizontal",
                "displayMode": "gradient",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "showUnfilled": True,
            },
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "Time"},
                    "properties": [{"id": "custom.hidden", "value": True}],
                },
            ],
        ),
    ]
    tables = [
        Panel(
            "table",
            title("자치구 x 분기 (완료/계획)", "District x quarter (done / planned)"),
            [
                influx_target(
                    f"SELECT {_sums('done', 'planned_aps', 'overdue', 'regressed')} FROM "
                    f"({_latest('done', 'planned_aps', 'overdue', 'regressed')})"
                    ' GROUP BY "district", "quarter"',
                    table=True,
                )
            ],
            "Replacements and new APs together, per district and quarter of the plan.",
            width=24,
            height=14,
            transformations=hide_and_sort(by=["district", "quarter"]),
            overrides=[
                column("district", "자치구 District", mappings=value_mappings(DISTRICTS)),
                column("quarter", "분기 Quarter"),
                column("done", "완료 Done", unit="short"),
                column("planned_aps", "계획 Planned", unit="short"),
                column("overdue", "지연 Overdue", unit="short"),
                column("regressed", "성능 저하 Regressed", unit="short"),
            ],
        ),
        Panel(
            "timeseries",
            title("진행 추이", "Progress over time"),
            [
                influx_target(
                    'SELECT sum("done") AS "done" FROM (SELECT last('
                    f'{f(P, "done")}) AS "done" FROM {m(P)}'
                    + where(P, matches(P, "district", "district"))
                    + group_by(P, *_CELL, time="time($__interval)")
                    + ') GROUP BY time($__interval), "kind" fill(previous)',
                    alias="$tag_kind",
                )
            ],
            "APs done per kind at each snapshot (hourly).",
            unit="short",
            interval="1h",
            width=24,
            height=8,
            overrides=display_names(KINDS),
        ),
    ]
    return Dashboard(
        UID,
        "와이파이6 전환 · Wi-Fi 6 rollout",
        "The Wi-Fi 6 replacement programme: progress against its targets by district and "
        "quarter, from pubwifi's rollout status.",
        [
            Row(title("목표 대비", "Against the targets"), gauges),
            Row(title("자치구 · 분기", "Districts and quarters"), tables),
        ],
        variables=[custom_variable("district", "자치구 District", DISTRICTS)],
        time_from="now-7d",
        refresh="1h",
    )
