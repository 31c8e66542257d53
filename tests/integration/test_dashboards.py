"""Every query of every committed dashboard, run against the real InfluxDB and Prometheus.

One module fixture builds the data a Grafana would read: ``pubwifi stack up`` (InfluxDB 1.x and
Prometheus from Debian, with pubwifi's alert rules), a 40-AP fleet with a 2025 Wi-Fi 6 plan,
``pubwifi lab backfill`` of 4 days up to a fixed time (swaps, a new AP going live, one AP down),
the rollout snapshot of that time written through :mod:`collector.rollout.progress`; then the
lab and ``pubwifi collect`` run live until Prometheus has scraped the collector a few times.

Each query is substituted as Grafana would (:mod:`grafana`), with "All" and with one real value
for every variable, and must give a non-empty result of the shape its panel draws.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grafana import Query, format_duration, interval_ms, queries, regex_value, substitute
from procs import LAB_SECRETS, epoch, pubwifi, start, stop, wait_for_line
from procs import run_cli as run
from servers import free_port, free_udp_port

from collector.grafana.build import dashboards
from collector.inventory.load import load_inventory
from collector.ledger.mirror import LedgerMirror
from collector.profiles import load_profiles
from collector.rollout.progress import progress_lines
from collector.rollout.status import rollout_status
from collector.rollout.store import RolloutStore

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs("/usr/bin/influxd", "/usr/bin/prometheus"),
]

REPO = Path(__file__).resolve().parents[2]
NOW = "2025-07-20T12:00:00+09:00"
SWAP = "2025-07-18T10:00:00+09:00"
LIVE = "2025-07-17T15:00:00+09:00"
DAYS = 4
SCRAPE_S = 15  # the stack's Prometheus scrape interval


def influx(url: str, query: str) -> list[dict[str, Any]]:
    body = urllib.parse.urlencode({"db": "pubwifi", "q": query, "epoch": "s"}).encode()
    with urllib.request.urlopen(url + "/query", data=body, timeout=30) as answer:
        result = json.load(answer)["results"][0]
    assert "error" not in result, f"{result['error']}: {query}"
    series: list[dict[str, Any]] = result.get("series", [])
    return series


def prometheus(port: int, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/{path}?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    data = body["data"]  # a list for /series, {"result": [...]} for the queries
    result: list[dict[str, Any]] = data["result"] if isinstance(data, dict) else data
    return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("dashboards")
    snmp_port, ssh_port = free_udp_port(), free_port()
    influx_port, prom_port, metrics_port = free_port(), free_port(), free_port()
    trap_port, traps_metrics_port = free_udp_port(), free_port()
    inventory = tmp / "inventory.yaml"
    env = {
        **os.environ,
        **LAB_SECRETS,
        "PUBWIFI_DATA_DIR": str(tmp / "var"),
        "PUBWIFI_INFLUX_URL": f"http://127.0.0.1:{influx_port}",
        "PUBWIFI_INFLUX_DATABASE": "pubwifi",
        "PUBWIFI_PROMETHEUS_PORT": str(prom_port),
        "PUBWIFI_METRICS_PORT": str(metrics_port),
        "PUBWIFI_TRAPS_METRICS_PORT": str(traps_metrics_port),
        "PUBWIFI_INVENTORY": str(inventory),
    }
    run(
        "inventory", "generate", "--aps", "40", "--program", "2025", "--replacements", "6",
        "--new-aps", "2", "--first-ip", "127.44.0.1", "--snmp-port", str(snmp_port),
        "--ssh-port", str(ssh_port), "--seed", "5", "-o", str(inventory), env=env,
    )  # fmt: skip
    text = inventory.read_text(encoding="utf-8").replace("status: planned", "status: active")
    inventory.write_text(text, encoding="utf-8")
    replaced = re.findall(r"id: (AP-[0-9-]+),[^\n]*replacement:", text)
    new = re.findall(r"id: (AP-[0-9-]+),[^\n]*new_in:", text)
    plain = [a for a in load_inventory(inventory) if a.id not in replaced + new]
    # One district with an AP that answers with clients and sessions (the AP dashboard's
    # choice, with counter discontinuities) and an AP that never answers (the "down" tables).
    shown, down = next(
        (a, b)
        for a in plain
        for b in plain
        if a.platform in ("cisco_ios_ap", "aruba_instant") and b is not a
        and b.district == a.district
    )  # fmt: skip
    locked_out = next(a.id for a in plain if a not in (shown, down))
    rules = [f"  - {{kind: swapped_to_wifi6, ap: {a}, at: '{SWAP}'}}" for a in replaced[:3]]
    rules += [f"  - {{kind: goes_live, ap: {a}, at: '{LIVE}'}}" for a in new]
    rules += [
        f"  - {{kind: down, ap: {down.id}}}",
        f"  - {{kind: discontinuity, ap: {shown.id}, every_minutes: 360}}",
        f"  - {{kind: ssh_login_fails, ap: {locked_out}}}",
    ]
    faults = tmp / "faults.yaml"
    faults.write_text("faults:\n" + "\n".join(rules) + "\n", encoding="utf-8")
    live = tmp / "live-faults.yaml"  # the live lab only: a reboot a minute sends coldStart traps
    live.write_text(f"faults:\n  - {{kind: reboot, ap: {locked_out}, every_minutes: 1}}\n")

    run("stack", "up", env=env)
    lab = collector = receiver = None
    try:
        url = env["PUBWIFI_INFLUX_URL"]
        run(
            "lab", "backfill", "--inventory", str(inventory), "--days", str(DAYS),
            "--until", NOW, "--faults", str(faults), env=env,
        )  # fmt: skip
        data_dir = Path(env["PUBWIFI_DATA_DIR"])
        fleet = load_inventory(inventory)
        store, mirror = RolloutStore.existing(data_dir), LedgerMirror.existing(data_dir)
        status = rollout_status(fleet, store, mirror, load_profiles(), float(epoch(NOW)))
        lines = progress_lines(status.rows, epoch(NOW))
        assert lines
        request = urllib.request.Request(
            url + "/write?db=pubwifi&precision=s", data="\n".join(lines).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 204

        logs = tmp / "logs"
        logs.mkdir()
        receiver = start(
            pubwifi(
                "traps", "--inventory", str(inventory), "--host", "127.0.0.1",
                "--port", str(trap_port),
            ),
            env,
            logs / "traps.log",
        )  # fmt: skip
        wait_for_line(logs / "traps.log", '"traps": "ready"', receiver, 60)
        lab = start(
            pubwifi(
                "lab", "--inventory", str(inventory), "--snmp-port", str(snmp_port),
                "--ssh-port", str(ssh_port), "--faults", str(faults), "--faults", str(live),
                "--trap-receiver", f"127.0.0.1:{trap_port}",
            ),
            env,
            logs / "lab.log",
        )  # fmt: skip
        wait_for_line(logs / "lab.log", '"lab": "ready"', lab, 60)
        started = time.time()
        collector = start(
            pubwifi(
                "collect",
                "--inventory",
                str(inventory),
                "--interval",
                "10",
                "--ssh-interval",
                "20",
            ),
            env,
            logs / "collect.log",
        )
        wait_for_line(logs / "collect.log", "cycle 1:", collector, 90)
        deadline = time.monotonic() + 240
        # enough scrapes for rate() over $__rate_interval: 3 of a finished SSH sweep, 2 of a
        # coldStart trap received, and an alert firing (the AP that never answers)
        waits = {
            'count_over_time(pubwifi_ssh_last_sweep_aps{result="ok"}[5m])': 3,
            'count_over_time(pubwifi_traps_received_total{kind="cold_start"}[5m])'
            ' and pubwifi_traps_received_total{kind="cold_start"} > 0': 2,
            "sum(pubwifi_alerts_firing)": 1,
        }
        while waits and time.monotonic() < deadline:
            for expr, least in list(waits.items()):
                found = prometheus(prom_port, "query", {"query": expr})
                if found and float(found[0]["value"][1]) >= least:
                    del waits[expr]
            time.sleep(2)  # the next scrape is up to 15 s away
        assert not waits, f"Prometheus never saw: {sorted(waits)}"
        yield {
            "env": env,
            "url": url,
            "prom_port": prom_port,
            "fleet": fleet,
            "down": down.id,
            "shown": shown.id,
            "planned_district": min(  # a district with both kinds of the programme
                {a.district.code for a in fleet if a.id in replaced}
                & {a.district.code for a in fleet if a.id in new}
            ),
            "started": started,
            "collect_log": logs / "collect.log",
        }
    finally:
        for proc in (collector, lab, receiver):
            if proc is not None:
                stop(proc)
        subprocess.run(pubwifi("stack", "down"), env=env, check=False, capture_output=True)


def _committed() -> dict[str, dict[str, Any]]:
    return {
        name: json.loads((REPO / "dashboards" / name).read_text(encoding="utf-8"))
        for name in dashboards()
    }


def _variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in board["templating"]["list"]}


class Choices:
    """Values for every variable: "All" (the allValue) or one real value found in the data."""

    def __init__(self, stack: dict[str, Any]) -> None:
        down = next(a for a in stack["fleet"] if a.id == stack["down"])
        self.real = {
            "district": down.district.code,  # the district with the AP that never answers
            "mount": down.site.mount.value,
            "site": down.site.id,
            "ap": stack["shown"],  # an AP of that district that answers
            "job": "pubwifi-collector",
        }
        # the rollout dashboard's district: one with programme APs
        self.per_board = {"pubwifi-rollout": {"district": stack["planned_district"]}}

    def values(self, board: dict[str, Any], all_: bool) -> dict[str, str]:
        out = {}
        for name, variable in _variables(board).items():
            if variable["type"] == "constant":
                out[name] = variable["query"]
            elif all_ and variable.get("includeAll"):
                out[name] = variable["allValue"]
            else:
                real = {**self.real, **self.per_board.get(board["uid"], {})}[name]
                source = next(p for p in board["panels"] if p["type"] != "row")["datasource"]
                out[name] = regex_value([real], source["type"]) if variable.get("multi") else real
        return out


def _influx_window(query: Query) -> tuple[int, int, int]:
    """(from, to, interval) in ms for the fixed time of the backfill; ``now/M`` as Grafana."""
    to = epoch(NOW) * 1000
    start = to - DAYS * 86400 * 1000
    if query.time_from == "now/M":
        start = epoch("2025-07-01T00:00:00+09:00") * 1000
    elif query.time_from:
        raise AssertionError(f"{query.panel}: unexpected timeFrom {query.time_from}")
    return start, to, interval_ms(to - start, query.min_interval, "1m")


def _run_influx(stack: dict[str, Any], query: Query, values: dict[str, str]) -> list[Any]:
    start, to, interval = _influx_window(query)
    macros = {
        "timeFilter": f"time >= {start}ms and time <= {to}ms",
        "__interval": format_duration(interval),
        "interval": format_duration(interval),
    }
    text = substitute(query.text, {**values, **macros})
    return influx(stack["url"], text)


def _check_influx_shape(query: Query, series: list[dict[str, Any]], where: str) -> None:
    assert series, f"{where}: empty result"
    rows = [row for s in series for row in s["values"]]
    values = [v for row in rows for v in row[1:] if v is not None]
    assert values, f"{where}: only nulls"
    if query.kind == "timeseries":
        assert "GROUP BY time(" in query.text, f"{where}: a time series needs GROUP BY time"
        assert max(len(s["values"]) for s in series) >= 2, f"{where}: fewer than 2 points"
    if query.kind == "table" and query.columns:
        names = {c for s in series for c in s["columns"]} | {
            tag for s in series for tag in s.get("tags", {})
        }
        names.add("Time")
        missing = set(query.columns) - names
        assert not missing, f"{where}: the panel's columns {sorted(missing)} are not in {names}"


def _run_prometheus(stack: dict[str, Any], query: Query, values: dict[str, str]) -> list[Any]:
    end = time.time()
    start = max(stack["started"], end - 600)
    interval = interval_ms(int((end - start) * 1000), query.min_interval, f"{SCRAPE_S}s")
    rate_interval = max(interval + SCRAPE_S * 1000, 4 * SCRAPE_S * 1000)
    macros = {
        "__interval": format_duration(interval),
        "__rate_interval": format_duration(rate_interval),
    }
    expr = substitute(query.text, {**values, **macros})
    if query.kind == "variable":
        match = re.fullmatch(r"label_values\((\w+), (\w+)\)", expr)
        assert match, expr
        data = prometheus(stack["prom_port"], "series", {"match[]": match.group(1)})
        return data
    if query.table:
        return prometheus(stack["prom_port"], "query", {"query": expr})
    params = {"query": expr, "start": str(start), "end": str(end), "step": str(SCRAPE_S)}
    return prometheus(stack["prom_port"], "query_range", params)


def _check_prometheus_shape(query: Query, result: list[Any], where: str) -> None:
    assert result, f"{where}: empty result"
    if query.kind == "variable":
        return
    if query.table:
        assert any(not math.isnan(float(r["value"][1])) for r in result), f"{where}: NaN only"
        return
    points = [float(v) for r in result for _, v in r["values"]]
    assert any(not math.isnan(p) for p in points), f"{where}: NaN only"
    assert max(len(r["values"]) for r in result) >= 2, f"{where}: fewer than 2 points"


@pytest.mark.parametrize("all_", [True, False], ids=["all", "one-value"])
def test_every_query_answers_with_the_shape_of_its_panel(stack: dict[str, Any], all_: bool) -> None:
    choices = Choices(stack)
    checked = {"influxdb": 0, "prometheus": 0}
    for name, board in _committed().items():
        values = choices.values(board, all_)
        for query in queries(name, board):
            where = f"{name}: {query.panel} [{'All' if all_ else 'one value'}]"
            if query.datasource == "influxdb":
                _check_influx_shape(query, _run_influx(stack, query, values), where)
            else:
                _check_prometheus_shape(query, _run_prometheus(stack, query, values), where)
            checked[query.datasource] += 1
    assert checked["influxdb"] >= 30 and checked["prometheus"] >= 20, checked


def test_a_variable_query_lists_the_real_values(stack: dict[str, Any]) -> None:
    """The AP picker lists exactly the district's APs; the site picker its sites."""
    board = _committed()["ap.json"]
    (query,) = [q for q in queries("ap.json", board) if q.panel == "variable ap"]
    district = Choices(stack).real["district"]
    series = influx(stack["url"], substitute(query.text, {"district": district}))
    listed = {row[1] for s in series for row in s["values"]}
    expected = {a.id for a in stack["fleet"] if a.district.code == district}
    assert listed and listed <= expected
    assert stack["down"] in listed


def test_the_collector_writes_rollout_progress_and_the_stack_loads_the_rules(
    stack: dict[str, Any],
) -> None:
    since = int(stack["started"]) - 5
    series = influx(
        stack["url"],
        f'SELECT count("planned_aps") FROM "rollout_progress" WHERE time >= {since}s',
    )
    assert series and series[0]["values"][0][1] > 0, "the collector wrote no rollout snapshot"
    url = f"http://127.0.0.1:{stack['prom_port']}/api/v1/rules"
    with urllib.request.urlopen(url, timeout=10) as answer:
        groups = json.load(answer)["data"]["groups"]
    names = {rule["name"] for group in groups for rule in group["rules"]}
    assert {"PubwifiCollectorDown", "PubwifiCycleLate", "PubwifiPointsDropped"} <= names
    assert all(rule["health"] == "ok" for group in groups for rule in group["rules"]), groups
