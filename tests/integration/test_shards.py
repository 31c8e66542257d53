"""`--shard K/N`: N collector processes cover the fleet exactly once between them and write to
the same InfluxDB (Debian's snmpd answers for every AP address; influxd stores the points)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from procs import LAB_SECRETS, pubwifi
from servers import Server
from snmpd import Snmpd, snmpd_agent

pytestmark = pytest.mark.integration
__all__ = ["snmpd_agent"]  # the fixture, imported explicitly

APS = 600
SHARDS = 3


def test_three_shard_processes_cover_every_ap_exactly_once(
    tmp_path: Path, snmpd_agent: Snmpd, influxd_server: Server
) -> None:
    env = {
        **os.environ,
        **LAB_SECRETS,
        **snmpd_agent.environ(),
        "PUBWIFI_INFLUX_URL": influxd_server.url,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
    }
    inventory = tmp_path / "fleet.yaml"
    subprocess.run(
        pubwifi(
            "inventory",
            "generate",
            "--aps",
            str(APS),
            "--platform",
            "net-snmp",
            "--first-ip",
            "127.50.0.1",
            "--snmp-port",
            str(snmpd_agent.port),
            "--snmp-version",
            "2c",
            "-o",
            str(inventory),
        ),
        env=env,
        check=True,
        capture_output=True,
    )
    processes = [
        subprocess.Popen(
            pubwifi(
                "poll",
                "--once",
                "--inventory",
                str(inventory),
                "--sink",
                "influx",
                "--shard",
                f"{k}/{SHARDS}",
            ),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, SHARDS + 1)
    ]  # concurrently, as on separate hosts
    summaries = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-2000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    polled = [s["aps"] for s in summaries]
    assert sum(polled) == APS - _not_polled(inventory)
    assert all(count > APS / SHARDS / 2 for count in polled), polled  # spread, not lopsided
    params = urllib.parse.urlencode(
        {"db": "pubwifi", "q": "SELECT count(up) FROM ap_poll GROUP BY ap"}
    )
    with urllib.request.urlopen(f"{influxd_server.url}/query?{params}", timeout=30) as response:
        series = json.load(response)["results"][0]["series"]
    per_ap = {s["tags"]["ap"]: s["values"][0][1] for s in series}
    assert len(per_ap) == sum(polled)  # every polled AP is in the one database...
    assert set(per_ap.values()) == {1}  # ...exactly once


def _not_polled(inventory: Path) -> int:
    from collector.inventory import load_inventory

    return sum(not ap.status.is_polled for ap in load_inventory(inventory))
