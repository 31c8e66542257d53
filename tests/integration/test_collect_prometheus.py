"""Prometheus from Debian scrapes `pubwifi collect`'s /metrics (the stack's own Prometheus)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from procs import LAB_SECRETS, pubwifi, start, stop, wait_for_line
from servers import free_port, free_udp_port, require_binary

pytestmark = pytest.mark.integration


def prom_query(port: int, expr: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["data"]["result"]


def test_prometheus_scrapes_the_collector(tmp_path: Path) -> None:
    require_binary("/usr/bin/prometheus")
    snmp_port = free_udp_port()
    ssh_port, metrics_port, prom_port = (free_port() for _ in range(3))
    env = {
        **os.environ,
        **LAB_SECRETS,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
        "PUBWIFI_INFLUX_URL": f"http://127.0.0.1:{free_port()}",
        "PUBWIFI_PROMETHEUS_PORT": str(prom_port),
        "PUBWIFI_METRICS_PORT": str(metrics_port),
    }
    inventory = tmp_path / "fleet.yaml"
    subprocess.run(
        pubwifi(
            "inventory",
            "generate",
            "--aps",
            "12",
            "--first-ip",
            "127.41.0.1",
            "--snmp-port",
            str(snmp_port),
            "--ssh-port",
            str(ssh_port),
            "-o",
            str(inventory),
        ),
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(pubwifi("stack", "up"), env=env, check=True, capture_output=True)
    lab = start(
        pubwifi(
            "lab",
            "--inventory",
            str(inventory),
            "--snmp-port",
            str(snmp_port),
            "--ssh-port",
            str(ssh_port),
        ),
        env,
        tmp_path / "lab.log",
    )
    collector = None
    try:
        wait_for_line(tmp_path / "lab.log", '"lab": "ready"', lab, 60)
        collector = start(
            pubwifi("collect", "--inventory", str(inventory), "--interval", "10"),
            env,
            tmp_path / "collect.log",
        )
        wait_for_line(tmp_path / "collect.log", "cycle 1:", collector, 60)
        deadline = time.monotonic() + 90  # scrape interval 15 s
        cycles: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            cycles = prom_query(prom_port, 'pubwifi_poll_cycles_total{outcome="complete"}')
            if cycles:
                break
            time.sleep(1)  # waiting for the next scrape
        assert cycles, "Prometheus never scraped a completed cycle"
        up = prom_query(prom_port, 'up{job="pubwifi-collector"}')
        assert up and up[0]["value"][1] == "1"  # type: ignore[index]
        aps_up = prom_query(prom_port, 'pubwifi_aps{state="up"}')
        assert aps_up and float(aps_up[0]["value"][1]) >= 8  # type: ignore[index]
        for name in (
            "pubwifi_poll_duration_seconds_count",
            "pubwifi_spool_lines",
            "pubwifi_points_dropped_total",
            "pubwifi_counter_deltas_total",
            "pubwifi_last_successful_cycle_timestamp_seconds",
        ):
            assert prom_query(prom_port, name), name
    finally:
        if collector is not None:
            stop(collector)
        stop(lab)
        subprocess.run(pubwifi("stack", "down"), env=env, check=False, capture_output=True)
