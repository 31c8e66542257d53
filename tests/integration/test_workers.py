"""Worker processes against real servers: Debian's snmpd answers for every AP, influxd stores
the points, Prometheus scrapes the one /metrics of a collector with two workers.

- Two hosts (``--shard K/2``) of two workers each: every AP in InfluxDB exactly once.
- ``--workers`` changed between runs, with InfluxDB away during the first: nothing lost (the
  first run's spooled points arrive), the second run's deltas are exact (baselines adopted)
  and no AP is discovered again (discovery cache adopted).
- ``pubwifi collect --workers 2``: Prometheus sees one set of series summed over the workers; a
  worker killed with SIGKILL is restarted and counted, counters do not go back; SIGTERM stops
  the parent and every worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from procs import LAB_SECRETS, descendants, pubwifi, start, wait_for_line
from servers import LOOPBACK, Server, free_port, require_binary
from snmpd import Snmpd, snmpd_agent

pytestmark = pytest.mark.integration
__all__ = ["snmpd_agent"]  # the fixture, imported explicitly

APS = 400


def _env(tmp_path: Path, snmpd: Snmpd, influx_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **LAB_SECRETS,
        **snmpd.environ(),
        "PUBWIFI_INFLUX_URL": influx_url,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
    }


def _inventory(tmp_path: Path, snmpd: Snmpd, env: dict[str, str], first_ip: str) -> Path:
    inventory = tmp_path / "fleet.yaml"
    subprocess.run(
        pubwifi(
            "inventory", "generate", "--aps", str(APS), "--platform", "net-snmp",
            "--first-ip", first_ip, "--snmp-port", str(snmpd.port), "--snmp-version", "2c",
            "-o", str(inventory),
        ),
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return inventory


def _influx(server_url: str, query: str) -> list[dict[str, object]]:
    params = urllib.parse.urlencode({"db": "pubwifi", "q": query})
    with urllib.request.urlopen(f"{server_url}/query?{params}", timeout=30) as response:
        result = json.load(response)["results"][0]
    return list(result.get("series", []))


def _polled(inventory: Path) -> list[str]:
    from collector.inventory import load_inventory

    return [ap.id for ap in load_inventory(inventory) if ap.status.is_polled]


def _poll(env: dict[str, str], inventory: Path, *extra: str) -> dict[str, object]:
    result = subprocess.run(
        pubwifi("poll", "--once", "--inventory", str(inventory), *extra),
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_two_hosts_of_two_workers_write_every_ap_exactly_once(
    tmp_path: Path, snmpd_agent: Snmpd, influxd_server: Server
) -> None:
    env = _env(tmp_path, snmpd_agent, influxd_server.url)
    inventory = _inventory(tmp_path, snmpd_agent, env, "127.51.0.1")
    def host(k: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            pubwifi("poll", "--once", "--inventory", str(inventory), "--sink", "influx",
                    "--shard", f"{k}/2", "--workers", "2"),
            env={**env, "PUBWIFI_DATA_DIR": str(tmp_path / f"host{k}")},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    hosts = [host(1), host(2)]  # concurrently, as on separate hosts
    summaries = []
    for process in hosts:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-3000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    polled = _polled(inventory)
    assert sum(int(s["aps"]) for s in summaries) == len(polled)
    for summary in summaries:
        assert summary["workers"] == 2 and summary["ok"] == summary["aps"]
        per_worker = summary["per_worker"]
        assert isinstance(per_worker, list) and len(per_worker) == 2
        assert sum(int(w["aps"]) for w in per_worker) == summary["aps"]
        assert float(summary["peak_rss_mb"]) > sum(float(w["peak_rss_mb"]) for w in per_worker)
    series = _influx(influxd_server.url, "SELECT count(up) FROM ap_poll GROUP BY ap")
    per_ap = {s["tags"]["ap"]: s["values"][0][1] for s in series}  # type: ignore[index]
    assert sorted(per_ap) == sorted(polled) and set(per_ap.values()) == {1}


def test_changing_the_worker_count_loses_nothing_and_rediscovers_nothing(
    tmp_path: Path, snmpd_agent: Snmpd, influxd_server: Server
) -> None:
    away = f"http://{LOOPBACK}:{free_port()}"  # nothing listens: InfluxDB is down
    env = _env(tmp_path, snmpd_agent, away)
    inventory = _inventory(tmp_path, snmpd_agent, env, "127.52.0.1")
    polled = _polled(inventory)
    first = _poll(env, inventory, "--sink", "influx", "--workers", "1", "--drain-timeout", "1")
    assert first["ok"] == len(polled) and int(first["spooled"]) > 0  # waiting on disk
    env["PUBWIFI_INFLUX_URL"] = influxd_server.url
    time.sleep(1.1)  # the next poll's counters advance over a whole second at least
    second = _poll(env, inventory, "--sink", "influx", "--workers", "3")
    assert second["workers"] == 3 and second["ok"] == len(polled)
    conditions = second["conditions"]
    assert isinstance(conditions, dict) and "rediscovered" not in conditions
    engine = second["engine"]
    assert isinstance(engine, dict) and engine["requests"] == len(polled)  # one GET each
    var = tmp_path / "var"
    assert (var / "collector-1of1" / "baselines.jsonl.adopted").exists()
    deadline = time.monotonic() + 60  # the adopted spool ships beside the new one
    counts: dict[str, object] = {}
    while time.monotonic() < deadline:
        series = _influx(influxd_server.url, "SELECT count(up) FROM ap_poll GROUP BY ap")
        counts = {s["tags"]["ap"]: s["values"][0][1] for s in series}  # type: ignore[index]
        if len(counts) == len(polled) and set(counts.values()) == {2}:
            break
        time.sleep(0.5)
    assert len(counts) == len(polled) and set(counts.values()) == {2}, counts  # both runs
    # the second run's deltas are exact: every radio row covers the seconds since the first
    series = _influx(
        influxd_server.url,
        "SELECT min(interval_s), count(interval_s) FROM radio_poll WHERE interval_s > 0",
    )
    assert series, "no radio_poll point with an exact delta: the baselines were not adopted"
    _, low, rows = series[0]["values"][0]  # type: ignore[index]
    assert low >= 1 and rows >= len(polled)


def _prometheus(tmp_path: Path, metrics_port: int) -> Server:
    binary = require_binary("/usr/bin/prometheus")
    port = free_port()
    data = tmp_path / "prometheus"
    data.mkdir()
    config = data / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: pubwifi-collector\n"
        f"    static_configs: [{{targets: ['{LOOPBACK}:{metrics_port}']}}]\n"
    )
    server = Server(
        name="prometheus",
        argv=[binary, f"--config.file={config}", f"--storage.tsdb.path={data / 'tsdb'}",
              f"--web.listen-address={LOOPBACK}:{port}"],
        url=f"http://{LOOPBACK}:{port}", port=port, data_dir=data, ready_path="/-/ready",
        ready_status=200, log_path=data / "prometheus.log",
    )  # fmt: skip
    return server.start()


def _prom(server: Server, expr: str) -> list[dict[str, object]]:
    url = f"{server.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as response:
        result: list[dict[str, object]] = json.load(response)["data"]["result"]
    return result


def _until(server: Server, expr: str, check: object, timeout_s: float = 60) -> float:
    """The value of ``expr`` once ``check(value)`` holds (Prometheus scrapes every second)."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        result = _prom(server, expr)
        if len(result) == 1:
            value = float(result[0]["value"][1])  # type: ignore[index]
            if check(value):  # type: ignore[operator]
                return value
        time.sleep(0.5)
    raise AssertionError(f"{expr} = {value} after {timeout_s} s")


def _workers_of(pid: int) -> list[int]:
    return [c for c in descendants(pid) if b"--worker" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_collect_with_two_workers_one_metrics_endpoint_restart_and_stop(
    tmp_path: Path, snmpd_agent: Snmpd, influxd_server: Server
) -> None:
    env = _env(tmp_path, snmpd_agent, influxd_server.url)
    inventory = _inventory(tmp_path, snmpd_agent, env, "127.53.0.1")
    polled = _polled(inventory)
    metrics_port = free_port()
    prometheus = _prometheus(tmp_path, metrics_port)
    log = tmp_path / "collect.log"
    collector = start(
        pubwifi("collect", "--inventory", str(inventory), "--interval", "10", "--workers", "2",
                "--no-ssh", "--no-alerts", "--metrics-port", str(metrics_port)),
        env, log,
    )  # fmt: skip
    try:
        wait_for_line(log, "cycle 2:", collector, 90)
        _until(prometheus, 'pubwifi_aps{state="up"}', lambda v: v == len(polled))
        assert _until(prometheus, 'pubwifi_collector_workers{state="running"}', bool) == 2
        assert len(_prom(prometheus, "pubwifi_poll_duration_seconds_count")) == 1  # one series
        cycles = _until(prometheus, 'pubwifi_poll_cycles_total{outcome="complete"}', bool)
        workers = _workers_of(collector.pid)
        assert len(workers) == 2
        os.kill(workers[1], signal.SIGKILL)
        _until(prometheus, "sum(pubwifi_collector_worker_restarts_total)", lambda v: v == 1)
        _until(prometheus, 'pubwifi_collector_workers{state="running"}', lambda v: v == 2)
        assert "died with status -9" in log.read_text()
        # counters of the dead worker stay in the sums: nothing goes back
        after = _until(prometheus, 'pubwifi_poll_cycles_total{outcome="complete"}', bool)
        assert after >= cycles
        _until(prometheus, 'pubwifi_aps{state="up"}', lambda v: v == len(polled))
        survivors = _workers_of(collector.pid)
        os.kill(collector.pid, signal.SIGTERM)
        assert collector.wait(90) == 0
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in survivors) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in survivors)
        text = log.read_text()
        assert "collector stopped: 2 workers, 1 restarts" in text and "Traceback" not in text
    finally:
        if collector.poll() is None:
            collector.kill()
            collector.wait()
        prometheus.stop()
