"""Pytest fixtures for integration tests: real servers on loopback (helpers in servers.py).

Sections, one per outside system; add new ones below with the same shape (start in a tmp dir,
yield, stop by pid; skip only when the binary is missing).

A missing binary goes through :func:`binary_missing`, the one place that decides: a skip on a
developer's machine, a failure when ``CI=true`` (CI installs every package, so a missing binary
there means the integration tests did not run). Tests say what they need with
``@pytest.mark.needs("snmpget", ...)`` (or ``pytestmark``); fixtures that are not in this file
use the ``need_binaries`` fixture; fixtures here call :func:`binary_missing` directly.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from browsers import chrome
from servers import (
    BinaryMissingError,
    Server,
    create_database,
    influxd,
    running,
    victoria_metrics,
)

INFLUX_DATABASE = "pubwifi"
#: The Debian package of each binary the integration tests use (for the skip/failure message).
DEBIAN_PACKAGES = {
    "snmpget": "snmp",
    "snmpbulkwalk": "snmp",
    "snmpd": "snmpd",
    "/usr/sbin/snmpd": "snmpd",
    "ssh": "openssh-client",
    "ssh-keyscan": "openssh-client",
    "wrk": "wrk",
    "/usr/bin/influxd": "influxdb",
    "/usr/bin/prometheus": "prometheus",
    "/usr/bin/prometheus-snmp-exporter": "prometheus-snmp-exporter",
    "/usr/bin/victoria-metrics": "victoria-metrics",
    "pdftotext": "poppler-utils",
    "pdffonts": "poppler-utils",
    "pdftoppm": "poppler-utils",
}


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``, as .ci/run sets it)."""
    return os.environ.get("CI") == "true"


def binary_missing(reason: str) -> NoReturn:
    """Skip the test (developer's machine) or fail it (``CI=true``): ``reason`` says what."""
    if in_ci():
        pytest.fail(f"CI=true, so this is a failure, not a skip: {reason}", pytrace=False)
    pytest.skip(reason)


def missing_binaries(*binaries: str) -> list[str]:
    """Those of ``binaries`` (names on PATH, or absolute paths) not installed, with packages."""
    return [
        f"{b} (Debian package {DEBIAN_PACKAGES.get(b, '?')})"
        for b in binaries
        if shutil.which(b) is None
    ]


def need(*binaries: str) -> None:
    """Return if every binary is installed; else :func:`binary_missing`."""
    missing = missing_binaries(*binaries)
    if missing:
        binary_missing("not installed: " + ", ".join(missing))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(*binaries): skip (fail under CI=true) unless every binary is installed"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.needs(...)``, checked before any fixture starts."""
    for mark in item.iter_markers("needs"):
        need(*mark.args)


@pytest.fixture(scope="session")
def need_binaries() -> Callable[..., None]:
    """:func:`need`, for fixtures in other modules (they cannot import this conftest)."""
    return need


def _or_skip(make: Callable[[Path], Server], data_dir: Path) -> Server:
    try:
        return make(data_dir)
    except BinaryMissingError as error:
        binary_missing(str(error))


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


# -- a browser (Debian's chromium + chromedriver through selenium: browsers.py) --------------


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium (:func:`browsers.chrome`)."""
    with chrome() as driver:
        yield driver


@pytest.fixture
def downloading_browser(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium that saves downloads to ``driver.downloads`` (in tmp_path)."""
    with chrome(downloads=tmp_path / "downloads") as driver:
        yield driver
