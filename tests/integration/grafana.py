"""What Grafana does to a dashboard's queries before it sends them, for tests without a Grafana.

Extracts every panel's and variable's query from dashboard JSON and substitutes variables and
macros as Grafana 11 does: ``$timeFilter`` (InfluxQL), ``$__interval`` (the range over the
panel's data points, rounded as Grafana rounds, never below the panel's or datasource's minimum),
``$__rate_interval`` (max(interval + scrape, 4 x scrape)), multi-value selections as regex
alternations ``(a|b)``, "All" as the variable's ``allValue``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Grafana's rangeutil.roundInterval: below each bound, the interval it rounds to (ms).
_ROUND = [
    (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500), (1500, 1000),
    (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000),
    (45000, 30000), (90000, 60000), (210000, 120000), (450000, 300000), (750000, 600000),
    (1050000, 900000), (1500000, 1200000), (2700000, 1800000), (5400000, 3600000),
    (9000000, 7200000), (16200000, 10800000), (32400000, 21600000), (86400000, 43200000),
    (604800000, 86400000), (1814400000, 604800000), (3628800000, 2592000000),
]  # fmt: skip
_UNITS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}
MAX_DATA_POINTS = 1000  # a panel about 1,000 px wide


def round_interval(ms: float) -> int:
    for bound, value in _ROUND:
        if ms < bound:
            return value
    return 31536000000


def parse_duration(text: str) -> int:
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text)
    if match is None:
        raise ValueError(f"not a Grafana duration: {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(ms: int) -> str:
    for unit in ("d", "h", "m", "s"):
        if ms % _UNITS[unit] == 0:
            return f"{ms // _UNITS[unit]}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str  # the panel's title, or "variable NAME"
    kind: str  # panel type, or "variable"
    datasource: str  # influxdb | prometheus
    text: str
    table: bool  # resultFormat table (InfluxQL) or an instant query (Prometheus)
    min_interval: str
    time_from: str
    columns: tuple[str, ...]  # the names the panel's overrides expect in the result


def queries(name: str, dashboard: Mapping[str, Any]) -> Iterator[Query]:
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        columns = tuple(
            o["matcher"]["options"]
            for o in panel["fieldConfig"]["overrides"]
            if o["matcher"]["id"] == "byName" and panel["type"] == "table"
        )
        for target in panel["targets"]:
            source = target["datasource"]["type"]
            text = target["query"] if source == "influxdb" else target["expr"]
            table = target.get("resultFormat") == "table" or bool(target.get("instant"))
            yield Query(
                name,
                panel["title"],
                panel["type"],
                source,
                text,
                table,
                panel.get("interval", ""),
                panel.get("timeFrom", ""),
                columns,
            )
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query = variable["query"]
        text = query["query"] if isinstance(query, dict) else query
        source = variable["datasource"]["type"]
        yield Query(
            name, f"variable {variable['name']}", "variable", source, text, True, "", "", ()
        )


def interval_ms(range_ms: int, minimum: str, datasource_minimum: str) -> int:
    floor = parse_duration(minimum or datasource_minimum)
    return max(round_interval(range_ms / MAX_DATA_POINTS), floor)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``$name`` and ``${name}`` -> value (longest names first, so $site never eats $sites)."""
    for name in sorted(values, key=len, reverse=True):
        text = text.replace("${" + name + "}", values[name])
        value = values[name]
        text = re.sub(rf"\${re.escape(name)}(?![A-Za-z0-9_])", lambda _, v=value: v, text)
    left = re.findall(r"\$[A-Za-z_][A-Za-z0-9_]*", text)
    if left:
        raise AssertionError(f"not substituted: {left} in {text}")
    return text


def regex_value(values: list[str], datasource: str) -> str:
    """A multi-value selection as Grafana writes it into a regex: each value's regex characters
    escaped (InfluxQL: ``\\.`` inside ``/.../``; PromQL: ``\\\\.`` inside a quoted string),
    several values as ``(a|b)``."""
    special = r"[\\^$*+?.()|{}\[\]/]" if datasource == "influxdb" else r"[\\^$*+?.()|{}\[\]]"
    slash = "\\" if datasource == "influxdb" else "\\\\"
    escaped = [re.sub(special, lambda m: slash + m.group(), v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
