"""``pubwifi lab backfill`` into a real InfluxDB 1.x: InfluxQL sums equal ``pubwifi lab truth``.

Both commands run as the real CLI (subprocesses); the inventory comes from ``pubwifi inventory
generate``. Per AP, the stored ``radio_poll`` deltas and the rolled-up ``ap_usage_hourly``
ledger each add up to the lab's ground truth for the window, to the byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import Server

from collector.influx.query import InfluxQL, quote_ident

pytestmark = pytest.mark.integration

UNTIL = "2025-09-30T12:00:00+09:00"
SECRETS = {
    "PUBWIFI_SNMP_COMMUNITY": "backfill-community",
    "PUBWIFI_SNMP_V3_USER": "backfilluser",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "backfill-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "backfill-priv-key",
}


def pubwifi(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def per_ap(client: InfluxQL, measurement: str, start: int, end: int) -> dict[str, list[int]]:
    query = (
        'SELECT sum("rx_bytes"), sum("tx_bytes"), sum("sessions") FROM '
        + quote_ident(measurement)
        + f' WHERE time >= {int(start)}s AND time <= {int(end)}s GROUP BY "ap"'
    )
    out: dict[str, list[int]] = {}
    for series in client.series(query):
        (row,) = series.values
        out[series.tags["ap"]] = [int(v or 0) for v in row[1:]]
    return out


def test_backfill_two_days_equals_truth(influxd_server: Server, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **SECRETS,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
        "PUBWIFI_INFLUX_URL": influxd_server.url,
        "PUBWIFI_INFLUX_DATABASE": "pubwifi",
    }
    inventory = tmp_path / "inventory.yaml"
    pubwifi("inventory", "generate", "--aps", "20", "-o", str(inventory), "--seed", "11", env=env)
    out = pubwifi(
        "lab", "backfill", "--inventory", str(inventory), "--days", "2", "--until", UNTIL, env=env
    )
    summary = json.loads(out.strip().splitlines()[-1])
    start, end = summary["from"], summary["to"]
    assert end - start == 2 * 86_400 and summary["spooled_left"] == 0
    assert summary["written"] >= summary["lines"] > 0 and summary["dropped"] == 0
    assert summary["rollup"]["hours"] >= 48 and summary["rollup"]["too_long"] == 0
    assert summary["incomplete_aps"] == 0
    assert set(summary["deltas"]) <= {"first_sample", "ok", "wrap"}
    truth = json.loads(
        pubwifi(
            "lab",
            "truth",
            "--inventory",
            str(inventory),
            "--from",
            str(start),
            "--to",
            str(end),
            "--json",
            env=env,
        )
    )
    client = InfluxQL(influxd_server.url, "pubwifi")
    polls = per_ap(client, "radio_poll", start, end)
    # Hourly points are stamped at the hour's start: the window's hours start before ``end``.
    ledger = per_ap(client, "ap_usage_hourly", start - start % 3600, end - 1)
    answering = [row for row in truth["aps"] if row["bytes_out"] > 0]
    assert len(answering) >= 15
    for row in answering:
        ap = row["ap"]
        assert polls[ap][:2] == [row["bytes_in"], row["bytes_out"]], ap
        assert ledger[ap][:2] == [row["bytes_in"], row["bytes_out"]], ap
        if polls[ap][2]:  # platforms with a sessions counter
            assert polls[ap][2] == ledger[ap][2] == row["sessions"], ap
    assert any(polls[row["ap"]][2] for row in answering)
