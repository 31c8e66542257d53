"""Pytest fixtures for integration tests: real servers on loopback (helpers in servers.py).

Sections, one per outside system; add new ones below with the same shape (start in a tmp dir,
yield, stop by pid; skip only when the binary is missing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import (
    BinaryMissingError,
    Server,
    create_database,
    influxd,
    running,
    victoria_metrics,
)

INFLUX_DATABASE = "pubwifi"


def _or_skip(make: Callable[[Path], Server], data_dir: Path) -> Server:
    try:
        return make(data_dir)
    except BinaryMissingError as error:
        pytest.skip(str(error))


# -- InfluxDB 1.x (Debian's influxd) -------------------------------------------------------


@pytest.fixture
def influxd_server(tmp_path: Path) -> Iterator[Server]:
    """A fresh influxd with database ``pubwifi``; tests may stop and ``start()`` it again."""
    server = _or_skip(influxd, tmp_path / "influxd")
    with running(server):
        create_database(server, INFLUX_DATABASE)
        yield server


# -- VictoriaMetrics (a real /api/v2/write server for influxdb-client) -----------------------


@pytest.fixture
def victoria_metrics_server(tmp_path: Path) -> Iterator[Server]:
    """A fresh VictoriaMetrics; read back via ``/api/v1/export`` after ``/internal/force_flush``."""
    server = _or_skip(victoria_metrics, tmp_path / "victoria-metrics")
    with running(server):
        yield server
