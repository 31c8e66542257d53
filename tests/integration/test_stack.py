"""`pubwifi stack up|status|down` with Debian's real InfluxDB 1.x and Prometheus, on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


#: The real command, and the same command without the entry point (both must behave alike).
COMMANDS = {
    "pubwifi": [sys.executable, "-m", "collector.cli", "stack"],
    "module": [sys.executable, "-m", "collector.stack.cli"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def listening_addresses(pid: int) -> set[str]:
    """``ip:port`` of every TCP socket the process listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = str(fd.readlink())
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                if len(address) == 8:
                    ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    ip = "ipv6:" + address
                found.add(f"{ip}:{int(port, 16)}")
    return found


def is_gone(pid: int) -> bool:
    """No such process, or a zombie waiting to be reaped (it holds no ports or files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def http(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.needs("/usr/bin/influxd", "/usr/bin/prometheus")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_stack_up_status_idempotent_write_read_down(tmp_path: Path, command: str) -> None:
    influx_port, prometheus_port, metrics_port = free_port(), free_port(), free_port()
    traps_port = free_port()
    environment = {
        **os.environ,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
        "PUBWIFI_INFLUX_URL": f"http://127.0.0.1:{influx_port}",
        "PUBWIFI_PROMETHEUS_PORT": str(prometheus_port),
        "PUBWIFI_METRICS_PORT": str(metrics_port),
        "PUBWIFI_TRAPS_METRICS_PORT": str(traps_port),
    }
    environment.pop("PUBWIFI_CONFIG", None)

    def stack(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*COMMANDS[command], action],
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    try:
        started = time.monotonic()
        up = stack("up")
        up_seconds = time.monotonic() - started
        assert up.returncode == 0, up.stdout + up.stderr
        assert [line.split(":")[0] for line in up.stdout.splitlines()] == [
            "influxdb",
            "prometheus",
        ]
        assert all(": started (pid " in line for line in up.stdout.splitlines()), up.stdout
        print(f"stack up ({command}): {up_seconds:.2f} s")

        status = stack("status")
        assert status.returncode == 0, status.stdout + status.stderr
        rows = [line.split() for line in status.stdout.splitlines()]
        assert [(row[0], row[1]) for row in rows] == [
            ("influxdb", "running"),
            ("prometheus", "running"),
        ]
        pids = {row[0]: int(row[3]) for row in rows}
        stack_dir = (tmp_path / "var" / "stack").resolve()
        assert rows[0][4:] == [f"http://127.0.0.1:{influx_port}", str(stack_dir / "influxdb")]
        for name, pid in pids.items():
            assert (stack_dir / f"{name}.pid").read_text() == f"{pid}\n"

        again = stack("up")
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.splitlines() == [
            f"influxdb: already running (pid {pids['influxdb']}) at http://127.0.0.1:{influx_port}",
            f"prometheus: already running (pid {pids['prometheus']}) at "
            f"http://127.0.0.1:{prometheus_port}",
        ]

        # Loopback only: HTTP where asked, plus influxd's RPC port on 127.0.0.1; nothing else.
        influx_listens = listening_addresses(pids["influxdb"])
        assert f"127.0.0.1:{influx_port}" in influx_listens
        assert len(influx_listens) == 2
        assert all(address.startswith("127.0.0.1:") for address in influx_listens)
        assert listening_addresses(pids["prometheus"]) == {f"127.0.0.1:{prometheus_port}"}

        # The database `up` created takes a point and gives it back.
        base = f"http://127.0.0.1:{influx_port}"
        line = b"stack_check,ap=SEO-11110-0001 rx_bytes=123456789i 1735689600000000000"
        assert http(base + "/write?db=pubwifi", line)[0] == 204
        query = urllib.parse.urlencode(
            {"db": "pubwifi", "q": "SELECT rx_bytes FROM stack_check", "epoch": "s"}
        )
        _, body = http(f"{base}/query?{query}")
        series = json.loads(body)["results"][0]["series"][0]
        assert series["values"] == [[1735689600, 123456789]]

        # Prometheus scrapes itself, the collector's and the trap receiver's /metrics (down until
        # they run).
        # Its target discovery settles shortly after /-/ready: poll for it.
        def scraped() -> set[str]:
            _, body = http(f"http://127.0.0.1:{prometheus_port}/api/v1/targets")
            return {t["scrapeUrl"] for t in json.loads(body)["data"]["activeTargets"]}

        deadline = time.monotonic() + 30
        while not scraped() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scraped() == {
            f"http://127.0.0.1:{prometheus_port}/metrics",
            f"http://127.0.0.1:{metrics_port}/metrics",
            f"http://127.0.0.1:{traps_port}/metrics",
        }

        started = time.monotonic()
        down = stack("down")
        down_seconds = time.monotonic() - started
        assert down.returncode == 0, down.stdout + down.stderr
        assert down.stdout.splitlines() == [
            f"prometheus: stopped (pid {pids['prometheus']})",
            f"influxdb: stopped (pid {pids['influxdb']})",
        ]
        print(f"stack down ({command}): {down_seconds:.2f} s")
        assert all(is_gone(pid) for pid in pids.values())
        assert not list(stack_dir.glob("*.pid"))
        after = stack("status")
        assert after.returncode == 3
        assert [line.split()[1] for line in after.stdout.splitlines()] == ["stopped", "stopped"]
    finally:
        stack("down")
