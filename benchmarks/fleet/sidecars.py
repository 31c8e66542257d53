"""The local InfluxDB 1.x for variant (b), through the integration tests' server helpers.

``tests/integration/servers.py`` starts Debian's influxd on a free loopback port (readiness by
``/ping``) and stops it by pid; this adds what the benchmark needs: the ``PUBWIFI_INFLUX_*``
variables for ``poll --sink influx`` and a count of what arrived, so a fast but silent sink
cannot pass unnoticed.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from servers import BinaryMissingError, Server, create_database, influxd

DATABASE = "pubwifi"


@dataclass
class Influx:
    server: Server

    @property
    def pid(self) -> int:
        return self.server.pid

    @property
    def url(self) -> str:
        return self.server.url

    def environ(self) -> dict[str, str]:
        return {"PUBWIFI_INFLUX_URL": self.url, "PUBWIFI_INFLUX_FLAVOUR": "v1",
                "PUBWIFI_INFLUX_DATABASE": DATABASE}

    def stop(self) -> None:
        self.server.stop()

    def query(self, text: str) -> list[dict[str, object]]:
        """The series of an InfluxQL query's first result."""
        body = urllib.parse.urlencode({"db": DATABASE, "q": text}).encode()
        request = urllib.request.Request(self.url + "/query", data=body)  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            result = json.loads(answer.read())["results"][0]
        series: list[dict[str, object]] = result.get("series", [])
        return series

    def points_note(self) -> str:
        """What InfluxDB holds after the run: points per measurement (first field's count)."""
        try:
            measurements = [str(row[0]) for s in self.query("SHOW MEASUREMENTS")
                            for row in _values(s)]
            counts = []
            for name in measurements:
                quoted = name.replace("\\", "\\\\").replace('"', '\\"')
                series = self.query(f'SELECT count(*) FROM "{quoted}"')  # noqa: S608 - InfluxQL
                rows = [row for s in series for row in _values(s)]
                numbers = [int(v) for v in (rows[0][1:] if rows else []) if isinstance(v, int)]
                counts.append(f"{name}={max(numbers, default=0)}")
        except (OSError, KeyError, ValueError) as error:
            return f"InfluxDB could not be read back: {error}"
        return "InfluxDB holds " + (", ".join(counts) or "no points") + f" (database {DATABASE})"


def _values(series: dict[str, object]) -> list[list[object]]:
    values = series.get("values")
    return values if isinstance(values, list) else []


def start_influx(data_dir: Path) -> Influx:
    """influxd on a free loopback port with database ``pubwifi``; RuntimeError if it can't."""
    try:
        server = influxd(data_dir)
    except BinaryMissingError as error:
        raise RuntimeError(str(error)) from None
    server.start()
    try:
        create_database(server, DATABASE)
    except OSError as error:
        server.stop()
        raise RuntimeError(f"CREATE DATABASE failed: {error}") from None
    return Influx(server)
