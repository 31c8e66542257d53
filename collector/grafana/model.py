"""Grafana's dashboard JSON model, as small builders: panels, targets, variables, layout.

Only what our dashboards use, written the way Grafana 11 saves a dashboard (``schemaVersion``
:data:`SCHEMA_VERSION`), so that an import needs no migration and no editing: every panel and
target names its datasource by the uid that ``dashboards/provisioning/datasources.yaml``
defines. Panels are laid out left to right in rows of 24 grid units (:class:`Layout`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 39  # Grafana 11.0's; Grafana 11 and 12 open it as saved
GRID_WIDTH = 24
TIMEZONE = "Asia/Seoul"  # days and months are KST, as in the ledger

INFLUX_UID = "pubwifi-influxdb"
PROMETHEUS_UID = "pubwifi-prometheus"
INFLUX = {"type": "influxdb", "uid": INFLUX_UID}
PROMETHEUS = {"type": "prometheus", "uid": PROMETHEUS_UID}
DATASOURCE_UIDS = {INFLUX_UID: "influxdb", PROMETHEUS_UID: "prometheus"}


def title(korean: str, english: str) -> str:
    """The one convention for what people read: Korean first, then English."""
    return f"{korean} · {english}"


def influx_target(
    query: str, *, table: bool = False, alias: str = "", ref: str = "A"
) -> dict[str, Any]:
    """A raw InfluxQL target (``$timeFilter``, ``$__interval`` and variables are Grafana's)."""
    target: dict[str, Any] = {
        "refId": ref,
        "datasource": INFLUX,
        "query": query,
        "rawQuery": True,
        "resultFormat": "table" if table else "time_series",
    }
    if alias:
        target["alias"] = alias
    return target


def prom_target(
    expr: str, *, legend: str = "", instant: bool = False, ref: str = "A"
) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasource": PROMETHEUS,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
    }


def value_mappings(names: Mapping[str, str]) -> list[dict[str, Any]]:
    """A ``value`` mapping: stored codes (district 11680, mount smart_pole) -> what people read."""
    options = {code: {"text": text, "index": i} for i, (code, text) in enumerate(names.items())}
    return [{"type": "value", "options": options}]


def display_names(names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Overrides that rename series whose legend is a stored code (``alias: $tag_district``)."""
    return [
        {
            "matcher": {"id": "byName", "options": code},
            "properties": [{"id": "displayName", "value": text}],
        }
        for code, text in names.items()
    ]


@dataclass
class Panel:
    """One panel; ``width``/``height`` in grid units (24 across), placed by :class:`Layout`."""

    kind: str  # timeseries, stat, gauge, bargauge, table, barchart
    title: str
    targets: list[dict[str, Any]]
    description: str = ""
    unit: str = ""
    width: int = 12
    height: int = 8
    decimals: int | None = None
    min: float | None = None
    max: float | None = None
    mappings: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    transformations: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[tuple[float | None, str]] = field(default_factory=list)
    time_from: str = ""  # a panel-relative range, e.g. "now/M" (this month so far)
    interval: str = ""  # the panel's minimum interval, e.g. "1h" for hourly data
    no_value: str = ""  # what to show when the query has no rows (e.g. "0" APs)

    def datasource(self) -> dict[str, str]:
        return dict(self.targets[0]["datasource"])

    def render(self, panel_id: int, grid: dict[str, int]) -> dict[str, Any]:
        defaults: dict[str, Any] = {"mappings": self.mappings}
        if self.unit:
            defaults["unit"] = self.unit
        if self.decimals is not None:
            defaults["decimals"] = self.decimals
        if self.min is not None:
            defaults["min"] = self.min
        if self.max is not None:
            defaults["max"] = self.max
        steps = self.thresholds or [(None, "green")]
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"value": value, "color": color} for value, color in steps],
        }
        if self.custom:
            defaults["custom"] = self.custom
        if self.no_value:
            defaults["noValue"] = self.no_value
        out: dict[str, Any] = {
            "id": panel_id,
            "type": self.kind,
            "title": self.title,
            "description": self.description,
            "gridPos": grid,
            "datasource": self.datasource(),
            "targets": self.targets,
            "fieldConfig": {"defaults": defaults, "overrides": self.overrides},
            "options": self.options or _default_options(self.kind),
        }
        if self.transformations:
            out["transformations"] = self.transformations
        if self.time_from:
            out["timeFrom"] = self.time_from
        if self.interval:
            out["interval"] = self.interval
        return out


def _default_options(kind: str) -> dict[str, Any]:
    if kind == "timeseries":
        return {
            "legend": {"displayMode": "table", "placement": "right", "calcs": ["sum"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    if kind in ("stat", "gauge", "bargauge"):
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": "value_and_name" if kind == "stat" else "auto",
            "colorMode": "value",
        }
    if kind == "table":
        return {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    return {}


@dataclass
class Row:
    """A collapsible section title, then its panels."""

    title: str
    panels: list[Panel]


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    rows: list[Row]
    variables: list[dict[str, Any]] = field(default_factory=list)
    time_from: str = "now-7d"
    refresh: str = "5m"
    links: list[dict[str, Any]] = field(default_factory=list)

    def render(self) -> dict[str, Any]:
        panels: list[dict[str, Any]] = []
        y = 0
        next_id = 1
        for row in self.rows:
            panels.append(
                {
                    "id": next_id,
                    "type": "row",
                    "title": row.title,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                    "panels": [],
                }
            )
            next_id += 1
            y += 1
            for panel, grid in Layout(y).place(row.panels):
                panels.append(panel.render(next_id, grid))
                next_id += 1
                y = max(y, grid["y"] + grid["h"])
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["pubwifi"],
            "timezone": TIMEZONE,
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "refresh": self.refresh,
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "fiscalYearStartMonth": 0,
            "weekStart": "monday",
            "liveNow": False,
            "annotations": {"list": [_builtin_annotations()]},
            "templating": {"list": self.variables},
            "links": self.links
            or [
                {
                    "title": "pubwifi",
                    "type": "dashboards",
                    "tags": ["pubwifi"],
                    "asDropdown": True,
                    "includeVars": False,
                    "keepTime": True,
                }
            ],
            "panels": panels,
        }


@dataclass
class Layout:
    """Left to right, wrapping at 24 units; a row is as tall as its tallest panel."""

    y: int

    def place(self, panels: Sequence[Panel]) -> list[tuple[Panel, dict[str, int]]]:
        out = []
        x, y, row_height = 0, self.y, 0
        for panel in panels:
            if not 0 < panel.width <= GRID_WIDTH:
                raise ValueError(f"{panel.title}: width {panel.width} is not 1..{GRID_WIDTH}")
            if x + panel.width > GRID_WIDTH:
                x, y, row_height = 0, y + row_height, 0
            out.append((panel, {"h": panel.height, "w": panel.width, "x": x, "y": y}))
            x += panel.width
            row_height = max(row_height, panel.height)
        return out


def _builtin_annotations() -> dict[str, Any]:
    return {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }


def custom_variable(
    name: str,
    label: str,
    options: Mapping[str, str],
    *,
    multi: bool = True,
    include_all: bool = True,
    description: str = "",
) -> dict[str, Any]:
    """A fixed list of ``text : value`` pairs (codes stored in InfluxDB, names people read)."""
    query = ",".join(f"{text} : {value}" for value, text in options.items())
    items = [{"text": text, "value": value, "selected": False} for value, text in options.items()]
    current: dict[str, Any]
    if include_all:
        current = (
            {"text": ["All"], "value": ["$__all"]} if multi else {"text": "All", "value": "$__all"}
        )
        items.insert(0, {"text": "All", "value": "$__all", "selected": True})
    else:
        first_value, first_text = next(iter(options.items()))
        current = {"text": first_text, "value": first_value}
        items[0]["selected"] = True
    variable: dict[str, Any] = {
        "type": "custom",
        "name": name,
        "label": label,
        "description": description,
        "query": query,
        "multi": multi,
        "includeAll": include_all,
        "current": current,
        "options": items,
        "hide": 0,
    }
    if include_all:
        variable["allValue"] = ".*"
    return variable


def influx_variable(
    name: str, label: str, query: str, *, multi: bool = False, include_all: bool = False
) -> dict[str, Any]:
    """Values from an InfluxQL ``SHOW TAG VALUES`` query, refreshed when the time range changes."""
    variable: dict[str, Any] = {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": INFLUX,
        "query": query,
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": include_all,
        "current": {},
        "options": [],
        "hide": 0,
        "regex": "",
    }
    if include_all:
        variable["allValue"] = ".*"
    return variable


def constant_variable(name: str, value: str, description: str) -> dict[str, Any]:
    """A hidden constant (the tariff's KRW per GB), substituted like any variable."""
    return {
        "type": "constant",
        "name": name,
        "label": name,
        "description": description,
        "query": value,
        "hide": 2,
        "current": {"text": value, "value": value},
        "options": [{"text": value, "value": value, "selected": True}],
    }


def column(
    name: str,
    display: str,
    *,
    unit: str = "",
    decimals: int | None = None,
    mappings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A table column's name people read, unit and mappings (by the query's column name)."""
    properties: list[dict[str, Any]] = [{"id": "displayName", "value": display}]
    if unit:
        properties.append({"id": "unit", "value": unit})
    if decimals is not None:
        properties.append({"id": "decimals", "value": decimals})
    if mappings:
        properties.append({"id": "mappings", "value": mappings})
    return {"matcher": {"id": "byName", "options": name}, "properties": properties}


def hide_and_sort(
    hide: str = "Time", by: Sequence[str] = (), *, desc: bool = False
) -> list[dict[str, Any]]:
    """A table's transformations: drop one column (the query's time), then sort by ``by``."""
    out: list[dict[str, Any]] = [{"id": "organize", "options": {"excludeByName": {hide: True}}}]
    if by:
        fields = [{"field": f, "desc": True} if desc else {"field": f} for f in by]
        out.append({"id": "sortBy", "options": {"sort": fields}})
    return out
