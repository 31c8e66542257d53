"""End to end: the lab with faults, `pubwifi collect` for several cycles, InfluxDB stopped and
restarted in the middle, the collector killed (SIGKILL) and restarted once. Every interval the
collector says it covered equals the lab's ground truth, to the byte; nothing is counted twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest
from procs import LAB_SECRETS, pubwifi, start, stop, wait_for_line
from servers import Server, free_port, free_udp_port

from collector.inventory.load import load_inventory
from collector.lab.truth import ap_truth

pytestmark = pytest.mark.integration

SEED = 2025
ENV = LAB_SECRETS


def query(server_url: str, q: str) -> list[dict[str, object]]:
    params = urllib.parse.urlencode({"db": "pubwifi", "epoch": "s", "q": q})
    with urllib.request.urlopen(f"{server_url}/query?{params}", timeout=30) as response:
        body = json.load(response)
    return body["results"][0].get("series", [])


def covered_windows(values: list[list[object]]) -> list[tuple[int, int, int, int]]:
    """AP-level windows (start, end, rx, tx) where every radio polled at a time has a delta.

    Points of one poll share a timestamp; a poll counts only if all its radio points carry a
    delta over the same span. Consecutive counted polls whose spans touch merge into a window.
    """
    by_time: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for t, rx, tx, interval in values:
        by_time[int(t)].append((int(interval or 0), int(rx or 0), int(tx or 0)))  # type: ignore[call-overload]
    spans = []
    for t, radios in sorted(by_time.items()):
        intervals = {interval for interval, _, _ in radios}
        if len(intervals) == 1 and 0 not in intervals:
            interval = intervals.pop()
            spans.append((t - interval, t, sum(r[1] for r in radios), sum(r[2] for r in radios)))
    windows: list[tuple[int, int, int, int]] = []
    for span in spans:
        if windows and windows[-1][1] == span[0]:
            a, _, rx, tx = windows[-1]
            windows[-1] = (a, span[1], rx + span[2], tx + span[3])
        else:
            windows.append(span)
    return windows


def test_collect_matches_lab_truth_through_outages_and_a_crash(
    tmp_path: Path, influxd_server: Server
) -> None:
    snmp_port, ssh_port, metrics_port = free_udp_port(), free_port(), free_port()
    inventory_path = tmp_path / "fleet.yaml"
    env = {**os.environ, **ENV, "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
           "PUBWIFI_INFLUX_URL": influxd_server.url, "PUBWIFI_METRICS_PORT": str(metrics_port)}
    subprocess.run(
        pubwifi("inventory", "generate", "--aps", "40", "--seed", "7",
                "--first-ip", "127.40.0.1", "--snmp-port", str(snmp_port),
                "--ssh-port", str(ssh_port), "-o", str(inventory_path)),
        env=env, check=True, capture_output=True,
    )
    inventory = load_inventory(inventory_path)
    answering = [ap for ap in inventory if ap.status.value == "active"]
    aruba = next(ap for ap in answering if ap.platform == "aruba_instant")
    others = [ap for ap in answering if ap.platform != "aruba_instant"]
    # ifCounterDiscontinuityTime is in IF-MIB's ifXTable: the reset goes to a platform with it
    rebooting, resetting, dead, slow, garbled, cut, swapped = (ap.id for ap in others[:7])
    swap_at = int(time.time()) + 45  # mid-run: new model, radios and counters
    faults = [
        f"reboot:{rebooting}:every_minutes=1", f"discontinuity:{resetting}:every_minutes=1",
        f"down:{dead}", f"counter32_wrap:{aruba.id}:wrap_minutes=0.5",
        f"slow:{slow}:delay_seconds=3", f"malformed:{garbled}", f"truncated:{cut}",
        f"swapped_to_wifi6:{swapped}:at={swap_at}",
    ]
    lab_log, collect_log = tmp_path / "lab.log", tmp_path / "collect.log"
    restarted_log = tmp_path / "collect-restarted.log"
    lab = start(
        pubwifi("lab", "--inventory", str(inventory_path), "--seed", str(SEED),
                "--snmp-port", str(snmp_port), "--ssh-port", str(ssh_port),
                *[arg for fault in faults for arg in ("--fault", fault)]),
        env, lab_log,
    )
    collect_argv = pubwifi("collect", "--inventory", str(inventory_path), "--interval", "10",
                           "--timeout", "1")
    try:
        wait_for_line(lab_log, '"lab": "ready"', lab, 60)
        run_started = time.time()
        collector = start(collect_argv, env, collect_log)
        wait_for_line(collect_log, "cycle 2:", collector, 60)
        influxd_server.stop(signal.SIGKILL)  # the database goes away mid-collection
        wait_for_line(collect_log, "cycle 4:", collector, 60)
        influxd_server.start()
        wait_for_line(collect_log, "cycle 5:", collector, 60)
        crashed_at = time.time()
        stop(collector, signal.SIGKILL)  # a crash: no clean shutdown, no final flush
        collector = start(collect_argv, env, restarted_log)
        wait_for_line(restarted_log, "cycle 3:", collector, 90)
        stop(collector)  # SIGTERM: drains the spool
    finally:
        stop(lab)
    logs = collect_log.read_text() + restarted_log.read_text()
    assert "Traceback" not in logs

    compared = exact = across_crash = 0
    for series in query(influxd_server.url,
                        "SELECT rx_bytes, tx_bytes, interval_s FROM radio_poll GROUP BY ap"):
        ap = inventory.ap(series["tags"]["ap"])  # type: ignore[index]
        for start_s, end_s, rx, tx in covered_windows(series["values"]):  # type: ignore[arg-type]
            truth = ap_truth(ap, SEED, start_s, end_s)
            compared += 1
            across_crash += start_s < crashed_at < end_s
            exact += (rx, tx) == (truth.bytes_in, truth.bytes_out)
            assert (rx, tx) == (truth.bytes_in, truth.bytes_out), (ap.id, start_s, end_s)
    assert compared >= 20, compared
    # baselines survived the SIGKILL: coverage runs straight through the crash for most APs
    assert across_crash >= 10, across_crash
    # the same through `pubwifi usage`: where an AP has no gap between its first and last
    # sample, its totals equal the lab's truth for exactly that interval
    usage = json.loads(subprocess.run(
        pubwifi("usage", "--from", str(int(run_started) - 60), "--to", str(int(time.time()) + 5),
                "--inventory", str(inventory_path), "--json"),
        env=env, check=True, capture_output=True, text=True,
    ).stdout)
    gap_free = 0
    for row in usage["aps"]:
        first, last = row["first_sample"], row["last_sample"]
        if first is None or row["covered_s"] != last - first:
            continue
        truth = ap_truth(inventory.ap(row["ap"]), SEED, first, last)
        assert (row["rx_bytes"], row["tx_bytes"]) == (truth.bytes_in, truth.bytes_out), row
        gap_free += 1
    assert gap_free >= 15, gap_free
    # polls made while InfluxDB was down, and before the crash, arrived from the spool: every
    # answering AP has a point for (nearly) every cycle of both runs (8 cycles in all)
    counts = {
        series["tags"]["ap"]: series["values"][0][1]  # type: ignore[index]
        for series in query(influxd_server.url, "SELECT count(up) FROM ap_poll GROUP BY ap")
    }
    silent = {dead, slow, garbled, cut}
    assert min(counts[ap.id] for ap in answering if ap.id not in silent) >= 7, counts
    # the AP that is down was polled and recorded as down, not silently skipped
    for ap_id in sorted(silent):  # each fault seen as a client sees it: no answer it can use
        down = query(
            influxd_server.url, f"SELECT count(up) FROM ap_poll WHERE ap = '{ap_id}' AND up = 0"
        )
        assert down and down[0]["values"][0][1] >= 3, ap_id  # type: ignore[index]
    # the swapped AP reports its new Wi-Fi 6 model, and its counting went on exactly
    info = query(influxd_server.url, f"SELECT model FROM ap_info WHERE ap = '{swapped}'")
    models = [row[1] for row in info[0]["values"]]  # type: ignore[index]
    assert len(set(models)) == 2, models
