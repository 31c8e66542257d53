"""End to end: the lab with faults, `pubwifi collect` for several cycles, InfluxDB stopped and
restarted in the middle, the collector killed (SIGKILL) and restarted once. For every AP, each
contiguous span the collector covered (from the stored ``radio_poll`` deltas) is read back with
``pubwifi usage --json`` and compared with ``pubwifi lab truth --json`` for the same span: bytes
in, bytes out and sessions, to the byte and the session; nothing is counted twice.

CLI calls cost a process start each, so they are batched: one ``usage`` over the whole run
serves every AP whose coverage has no gap, ``usage --ap`` is called only per span of an AP with
gaps, one ``lab truth`` call serves every AP with the same span, and the calls run two at a time.
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
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from procs import LAB_SECRETS, kill_tree, pubwifi, start, stop, wait_for_line
from servers import Server, free_port, free_udp_port

from collector.inventory.load import load_inventory
from collector.profiles.schema import load_profiles

pytestmark = pytest.mark.integration

SEED = 2025
ENV = LAB_SECRETS
PROFILES = load_profiles()


def query(server_url: str, q: str) -> list[dict[str, object]]:
    params = urllib.parse.urlencode({"db": "pubwifi", "epoch": "s", "q": q})
    with urllib.request.urlopen(f"{server_url}/query?{params}", timeout=30) as response:
        body = json.load(response)
    return body["results"][0].get("series", [])


@dataclass(frozen=True)
class Window:
    """A contiguous span [start, end) an AP's stored deltas cover, and their sums."""

    start: int
    end: int
    rx: int
    tx: int
    sessions: int


def covered_windows(values: list[list[object]]) -> list[Window]:
    """AP-level windows where every radio polled at a time has a delta.

    ``values`` rows are (time, rx_bytes, tx_bytes, sessions, interval_s). Points of one poll
    share a timestamp; a poll counts only if all its radio points carry a delta over the same
    span. Consecutive counted polls whose spans touch merge into a window.
    """
    by_time: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for t, rx, tx, sessions, interval in values:
        by_time[int(t)].append(  # type: ignore[call-overload]
            (int(interval or 0), int(rx or 0), int(tx or 0), int(sessions or 0))
        )  # type: ignore[call-overload]
    windows: list[Window] = []
    for t, radios in sorted(by_time.items()):
        intervals = {interval for interval, _, _, _ in radios}
        if len(intervals) != 1 or 0 in intervals:
            continue
        span = Window(t - intervals.pop(), t, *(sum(r[i] for r in radios) for i in (1, 2, 3)))
        if windows and windows[-1].end == span.start:
            last = windows[-1]
            span = Window(
                last.start,
                span.end,
                last.rx + span.rx,
                last.tx + span.tx,
                last.sessions + span.sessions,
            )
            windows[-1] = span
        else:
            windows.append(span)
    return windows


def cli_json(argv: list[str], env: Mapping[str, str]) -> dict[str, Any]:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{argv[3:]}: {done.stderr[-2000:]}"
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def usage_rows(
    env: Mapping[str, str],
    start: int,
    end: int,
    ap: str | None = None,
    inventory: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """``pubwifi usage --from start --to end [--ap ap] --json``: rows by AP id."""
    argv = pubwifi("usage", "--from", str(start), "--to", str(end), "--json")
    argv += ["--ap", ap] if ap else []
    argv += ["--inventory", str(inventory)] if inventory else []
    return {row["ap"]: row for row in cli_json(argv, env)["aps"]}


def truth_rows(
    env: Mapping[str, str], inventory: Path, start: int, end: int, aps: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``pubwifi lab truth --seed SEED --from start --to end --ap ... --json``: rows by AP."""
    argv = pubwifi(
        "lab",
        "truth",
        "--inventory",
        str(inventory),
        "--seed",
        str(SEED),
        "--from",
        str(start),
        "--to",
        str(end),
        "--json",
        *(arg for ap in aps for arg in ("--ap", ap)),
    )
    document = cli_json(argv, env)
    assert (document["from"], document["to"], document["seed"]) == (start, end, SEED)
    return {row["ap"]: row for row in document["aps"]}


def test_collect_matches_lab_truth_through_outages_and_a_crash(
    tmp_path: Path, influxd_server: Server
) -> None:
    snmp_port, ssh_port, metrics_port = free_udp_port(), free_port(), free_port()
    inventory_path = tmp_path / "fleet.yaml"
    env = {
        **os.environ,
        **ENV,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
        "PUBWIFI_INFLUX_URL": influxd_server.url,
        "PUBWIFI_METRICS_PORT": str(metrics_port),
    }
    subprocess.run(
        pubwifi(
            "inventory",
            "generate",
            "--aps",
            "40",
            "--seed",
            "7",
            "--first-ip",
            "127.40.0.1",
            "--snmp-port",
            str(snmp_port),
            "--ssh-port",
            str(ssh_port),
            "-o",
            str(inventory_path),
        ),
        env=env,
        check=True,
        capture_output=True,
    )
    inventory = load_inventory(inventory_path)
    answering = [ap for ap in inventory if ap.status.value == "active"]
    aruba = next(ap for ap in answering if ap.platform == "aruba_instant")
    others = [ap for ap in answering if ap.platform != "aruba_instant"]
    # ifCounterDiscontinuityTime is in IF-MIB's ifXTable: the reset goes to a platform with it
    rebooting, resetting, dead, slow, garbled, cut, swapped = (ap.id for ap in others[:7])
    swap_at = int(time.time()) + 45  # mid-run: new model, radios and counters
    faults = [
        f"reboot:{rebooting}:every_minutes=1",
        f"discontinuity:{resetting}:every_minutes=1",
        f"down:{dead}",
        f"counter32_wrap:{aruba.id}:wrap_minutes=0.5",
        f"slow:{slow}:delay_seconds=3",
        f"malformed:{garbled}",
        f"truncated:{cut}",
        f"swapped_to_wifi6:{swapped}:at={swap_at}",
    ]
    lab_log, collect_log = tmp_path / "lab.log", tmp_path / "collect.log"
    restarted_log = tmp_path / "collect-restarted.log"
    lab = start(
        pubwifi(
            "lab",
            "--inventory",
            str(inventory_path),
            "--seed",
            str(SEED),
            "--snmp-port",
            str(snmp_port),
            "--ssh-port",
            str(ssh_port),
            *[arg for fault in faults for arg in ("--fault", fault)],
        ),
        env,
        lab_log,
    )
    collect_argv = pubwifi(
        "collect", "--inventory", str(inventory_path), "--interval", "10", "--timeout", "1"
    )
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
        kill_tree(collector)  # a crash of parent and workers: no clean shutdown, no final flush
        collector = start(collect_argv, env, restarted_log)
        wait_for_line(restarted_log, "cycle 3:", collector, 90)
        stop(collector)  # SIGTERM: drains the spool
    finally:
        stop(lab)
    logs = collect_log.read_text() + restarted_log.read_text()
    assert "Traceback" not in logs

    # every AP's covered windows, from the stored deltas
    windows: dict[str, list[Window]] = {}
    for series in query(
        influxd_server.url,
        "SELECT rx_bytes, tx_bytes, sessions, interval_s FROM radio_poll GROUP BY ap",
    ):
        windows[series["tags"]["ap"]] = covered_windows(series["values"])  # type: ignore[arg-type,index]
    with_sessions = {
        ap.id for ap in inventory if "sessions" in PROFILES[ap.platform].radios.columns
    }
    # `pubwifi usage` over the whole run; an AP whose coverage there is one gap-free span that
    # is exactly its one covered window needs no further usage call
    whole = usage_rows(env, int(run_started) - 60, int(time.time()) + 5, inventory=inventory_path)
    usage_of: dict[tuple[str, Window], dict[str, Any]] = {}
    per_span: list[tuple[str, Window]] = []
    for ap_id, spans in windows.items():
        row = whole[ap_id]
        if len(spans) == 1 and (row["first_sample"], row["last_sample"], row["covered_s"]) == (
            spans[0].start,
            spans[0].end,
            spans[0].end - spans[0].start,
        ):
            usage_of[ap_id, spans[0]] = row
        else:
            per_span += [(ap_id, w) for w in spans]
    gap_free = len(usage_of)
    by_span: dict[tuple[int, int], list[str]] = defaultdict(list)
    for ap_id, spans in windows.items():
        for w in spans:
            by_span[w.start, w.end].append(ap_id)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: two CLI processes at a time
        span_usage = pool.map(
            lambda job: usage_rows(env, job[1].start, job[1].end, job[0]), per_span
        )
        truths = pool.map(
            lambda item: truth_rows(env, inventory_path, item[0][0], item[0][1], item[1]),
            by_span.items(),
        )
        for (ap_id, w), rows in zip(per_span, span_usage, strict=True):
            usage_of[ap_id, w] = rows[ap_id]
        truth_of = {
            (ap_id, span): rows[ap_id]
            for (span, ap_ids), rows in zip(by_span.items(), truths, strict=True)
            for ap_id in ap_ids
        }

    compared = across_crash = sessions_compared = sessions_seen = 0
    for (ap_id, w), row in sorted(usage_of.items(), key=lambda i: (i[0][0], i[0][1].start)):
        where = (ap_id, w.start, w.end)
        truth = truth_of[ap_id, (w.start, w.end)]
        # usage says it covered exactly this span, with the stored deltas' sums ...
        assert (row["first_sample"], row["last_sample"]) == (w.start, w.end), (where, row)
        assert row["covered_s"] == w.end - w.start, (where, row)
        assert (row["rx_bytes"], row["tx_bytes"], row["sessions"]) == (w.rx, w.tx, w.sessions)
        # ... and that is what the lab carried in it: bytes each way, and new sessions where
        # the platform has a session counter (elsewhere there is nothing to count)
        assert (row["rx_bytes"], row["tx_bytes"]) == (truth["bytes_in"], truth["bytes_out"]), (
            where,
            row,
            truth,
        )
        if ap_id in with_sessions:
            assert row["sessions"] == truth["sessions"], (where, row, truth)
            sessions_compared += 1
            sessions_seen += truth["sessions"]
        else:
            assert row["sessions"] == 0, (where, row)
        compared += 1
        across_crash += w.start < crashed_at < w.end
    assert compared >= 20, compared
    # baselines survived the SIGKILL: coverage runs straight through the crash for most APs
    assert across_crash >= 10, across_crash
    assert gap_free >= 15, gap_free
    assert len(per_span) >= 2, per_span  # the rebooting AP's coverage has gaps
    # the model opens ~0.001 sessions a second per AP, so most of these spans carry none (the
    # acceptance test checks non-zero session counts since boot); the count is exact either way
    assert sessions_compared >= 3, sessions_compared
    print(
        f"compared {compared} spans ({len(per_span)} of APs with gaps), {sessions_compared} "
        f"with a session counter ({sessions_seen} sessions)"
    )
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
