"""InfluxQL for the dashboards, written only through the schema (:mod:`collector.influx.schema`).

Every measurement, field and tag a query names goes through :func:`f`, :func:`m` or :func:`t`,
which raise if the schema lacks it: renaming a field without the dashboards fails the build (and
the test that compares the committed JSON with a fresh build).
"""

from __future__ import annotations

from collector.influx.schema import Measurement

KST = "tz('Asia/Seoul')"
DAY = "time(1d)"


def m(measurement: Measurement) -> str:
    """The quoted measurement name."""
    return f'"{measurement.name}"'


def f(measurement: Measurement, name: str) -> str:
    """A quoted field of ``measurement`` (raises if the schema does not declare it)."""
    if name not in {fld.name for fld in measurement.fields}:
        raise KeyError(f"{measurement.name} has no field {name!r}")
    return f'"{name}"'


def t(measurement: Measurement, name: str) -> str:
    """A quoted tag key of ``measurement`` (raises if the schema does not declare it)."""
    if name not in measurement.tags:
        raise KeyError(f"{measurement.name} has no tag {name!r}")
    return f'"{name}"'


def matches(measurement: Measurement, tag: str, variable: str) -> str:
    """``"tag" =~ /^$variable$/``: Grafana writes a multi-value or All selection as a regex."""
    return f"{t(measurement, tag)} =~ /^${variable}$/"


def equals(measurement: Measurement, tag: str, variable: str) -> str:
    """``"tag" = '$variable'`` for a single-value variable."""
    return f"{t(measurement, tag)} = '${variable}'"


def where(measurement: Measurement, *conditions: str) -> str:
    """``WHERE cond AND ... AND $timeFilter``."""
    return " WHERE " + " AND ".join([*conditions, "$timeFilter"])


def total_bytes(measurement: Measurement) -> str:
    """Bytes received plus sent: what the tariff prices and what "data carried" means."""
    return f"sum({f(measurement, 'rx_bytes')}) + sum({f(measurement, 'tx_bytes')})"


def group_by(measurement: Measurement, *tags: str, time: str = "", fill: str = "") -> str:
    parts = ([time] if time else []) + [t(measurement, tag) for tag in tags]
    out = " GROUP BY " + ", ".join(parts) if parts else ""
    if fill:
        out += f" fill({fill})"
    if time == DAY:
        out += " " + KST
    return out
