"""Real servers for integration tests, on free loopback ports, stopped by pid.

Plain functions and context managers (no pytest here) so benchmarks can use them too; the pytest
fixtures live in conftest.py. Each server waits for its readiness endpoint, never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

INFLUXD = "/usr/bin/influxd"
VICTORIA_METRICS = "/usr/bin/victoria-metrics"
LOOPBACK = "127.0.0.1"


class BinaryMissingError(RuntimeError):
    """The server's binary is not installed (tests skip with this message)."""


def require_binary(path: str) -> str:
    found = shutil.which(path)
    if found is None:
        raise BinaryMissingError(f"{path} is not installed (Debian package needed)")
    return found


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def free_udp_port(host: str = LOOPBACK) -> int:
    """A port free for UDP on ``host`` and for TCP on every address (for one port per AP
    protocol pair, like the lab's SNMP and SSH listeners)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("0.0.0.0", 0))
            port: int = udp.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind((host, port))
            except OSError:
                continue
        return port


def wait_http(url: str, expect: int, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    """Poll ``url`` until it answers ``expect``; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == expect:
                    return
        except urllib.error.HTTPError as error:
            if error.code == expect:
                return
        except OSError:
            pass
        time.sleep(0.05)  # readiness poll interval, not a synchronisation sleep
    raise TimeoutError(f"{url} did not answer {expect} within {timeout_s} s")


@dataclass
class Server:
    """A server process started here; ``url`` is its HTTP base."""

    name: str
    argv: list[str]
    url: str
    port: int
    data_dir: Path
    ready_path: str
    ready_status: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} is not running"
        return self.proc.pid

    def start(self, timeout_s: float = 30.0) -> Server:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        try:
            wait_http(self.url + self.ready_path, self.ready_status, timeout_s, self.proc)
        except (RuntimeError, TimeoutError) as error:
            self.stop()
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} did not start: {error}\n{tail}") from None
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> None:
        """Stop by pid (SIGTERM, or ``signal.SIGKILL`` to simulate a crash)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


_INFLUXD_TOML = """\
reporting-disabled = true
bind-address = "{host}:{rpc_port}"

[meta]
  dir = "{data}/meta"

[data]
  dir = "{data}/data"
  wal-dir = "{data}/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "{host}:{port}"
  log-enabled = false
  auth-enabled = false

[logging]
  level = "warn"

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
"""


def influxd(data_dir: Path, port: int | None = None) -> Server:
    """An InfluxDB 1.x server (not started) with its data, meta and WAL under ``data_dir``."""
    binary = require_binary(INFLUXD)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = data_dir / "influxdb.conf"
    config.write_text(
        _INFLUXD_TOML.format(host=LOOPBACK, port=port, rpc_port=free_port(), data=data_dir)
    )
    return Server(
        name="influxd",
        argv=[binary, "run", "-config", str(config)],
        url=f"http://{LOOPBACK}:{port}",
        port=port,
        data_dir=data_dir,
        ready_path="/ping",
        ready_status=204,
        log_path=data_dir / "influxd.log",
    )


def victoria_metrics(data_dir: Path, port: int | None = None) -> Server:
    """A VictoriaMetrics server (not started); it takes line protocol on /api/v2/write."""
    binary = require_binary(VICTORIA_METRICS)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    return Server(
        name="victoria-metrics",
        argv=[
            binary,
            f"-httpListenAddr={LOOPBACK}:{port}",
            f"-storageDataPath={data_dir / 'storage'}",
            "-retentionPeriod=100y",
            "-search.disableCache",
            "-loggerLevel=WARN",
        ],
        url=f"http://{LOOPBACK}:{port}",
        port=port,
        data_dir=data_dir,
        ready_path="/health",
        ready_status=200,
        log_path=data_dir / "victoria-metrics.log",
    )


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start ``server``, yield it, stop it by pid."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def create_database(server: Server, name: str) -> None:
    """``CREATE DATABASE`` on an influxd."""
    body = urllib.parse.urlencode({"q": f'CREATE DATABASE "{name}"'}).encode()
    request = urllib.request.Request(server.url + "/query", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()
