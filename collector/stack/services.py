"""The stack's servers: InfluxDB 1.x and Prometheus from Debian's packages."""

from __future__ import annotations

import ipaddress
import json
import urllib.parse
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import yaml

from collector.errors import InputError
from collector.settings import Settings
from collector.stack.http import post_form
from collector.stack.service import Service, StackError

INFLUXD = Path("/usr/bin/influxd")
PROMETHEUS = Path("/usr/bin/prometheus")


def loopback_endpoint(url: str, default_port: int, where: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://127.x.y.z:PORT`` URL; anything else is bad input."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "http" or not parsed.hostname:
        raise InputError.at(where, 0, f"expected http://127.x.y.z:PORT for the stack, got {url!r}")
    host = "127.0.0.1" if parsed.hostname == "localhost" else parsed.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback or ":" in host:
        raise InputError.at(where, 0, f"the stack serves on 127.x.y.z only, not {url!r}")
    try:
        port = parsed.port or default_port
    except ValueError:
        raise InputError.at(where, 0, f"expected a TCP port 1-65535 in {url!r}") from None
    return host, checked_port(port, where)


def checked_port(port: int, where: str) -> int:
    """``port`` if it is a usable TCP port, else bad input."""
    if not 1 <= port <= 65535:
        raise InputError.at(where, 0, f"expected a TCP port 1-65535, got {port}")
    return port


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string of a path is a valid TOML basic string


def influxdb_config(directory: Path, host: str, port: int) -> str:
    """influxd 1.x config: HTTP on ``host:port`` only, data under ``directory``."""
    return f"""\
# Written by `pubwifi stack up`; rewritten at each start.
reporting-disabled = true
# The backup/restore RPC service cannot be switched off in 1.x: a free loopback port.
bind-address = "{host}:0"

[meta]
  dir = {_toml(str(directory / "meta"))}
  logging-enabled = false

[data]
  dir = {_toml(str(directory / "data"))}
  wal-dir = {_toml(str(directory / "wal"))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "{host}:{port}"
  log-enabled = false
  pprof-enabled = false

[continuous_queries]
  log-enabled = false
"""


def _quote_identifier(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def influxdb_service(settings: Settings) -> Service:
    host, port = loopback_endpoint(settings.influx.url, 8086, "PUBWIFI_INFLUX_URL")
    database = settings.influx.database

    def write_config(directory: Path) -> None:
        for sub in ("meta", "data", "wal"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        (directory / "influxdb.conf").write_text(influxdb_config(directory, host, port))

    def argv(directory: Path) -> Sequence[str]:
        return [str(INFLUXD), "-config", str(directory / "influxdb.conf")]

    def create_database(service: Service) -> None:
        query = f"CREATE DATABASE {_quote_identifier(database)}"
        status, body = post_form(service.base_url + "/query", {"q": query})
        if status != 200 or '"error"' in body:
            raise StackError(f"{query} failed: HTTP {status} {body.strip()}")

    return Service(
        name="influxdb",
        binary=INFLUXD,
        package="influxdb",
        host=host,
        port=port,
        ready_path="/ping",
        ready_status=204,
        write_config=write_config,
        argv=argv,
        after_ready=create_database,
        port_setting="PUBWIFI_INFLUX_URL",
    )


RULES = ("collector.rules.yml",)  # collector/stack/rules/: pubwifi's alert rules


def prometheus_config(
    host: str,
    port: int,
    collector_port: int,
    rule_files: Sequence[Path] = (),
    traps_port: int | None = None,
) -> str:
    """prometheus.yml: scrape the collector's ``/metrics``, the trap receiver's (when its port
    is given) and Prometheus itself; the rules."""
    scrapes: list[dict[str, object]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": [f"{host}:{port}"]}]},
        {
            "job_name": "pubwifi-collector",
            "static_configs": [{"targets": [f"127.0.0.1:{collector_port}"]}],
        },
    ]
    if traps_port is not None:
        scrapes.append(
            {
                "job_name": "pubwifi-traps",
                "static_configs": [{"targets": [f"127.0.0.1:{traps_port}"]}],
            }
        )
    config: dict[str, object] = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": scrapes,
    }
    header = "# Written by `pubwifi stack up`; rewritten at each start.\n"
    return header + yaml.safe_dump(config, sort_keys=False)


def prometheus_service(settings: Settings) -> Service:
    host = "127.0.0.1"
    port = checked_port(settings.prometheus_port, "PUBWIFI_PROMETHEUS_PORT")
    collector_port = checked_port(settings.metrics_port, "PUBWIFI_METRICS_PORT")
    traps_port = (  # 0: the trap receiver serves no /metrics, so nothing to scrape
        checked_port(settings.traps_metrics_port, "PUBWIFI_TRAPS_METRICS_PORT")
        if settings.traps_metrics_port
        else None
    )

    def write_config(directory: Path) -> None:
        (directory / "tsdb").mkdir(parents=True, exist_ok=True)
        rules = directory / "rules"
        rules.mkdir(exist_ok=True)
        paths = []
        for name in RULES:  # copied at each start, so an upgrade brings its rules
            path = rules / name
            path.write_text(files("collector.stack").joinpath("rules", name).read_text("utf-8"))
            paths.append(path)
        text = prometheus_config(host, port, collector_port, paths, traps_port)
        (directory / "prometheus.yml").write_text(text)

    def argv(directory: Path) -> Sequence[str]:
        return [
            str(PROMETHEUS),
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'tsdb'}",
            f"--web.listen-address={host}:{port}",
        ]

    return Service(
        name="prometheus",
        binary=PROMETHEUS,
        package="prometheus",
        host=host,
        port=port,
        ready_path="/-/ready",
        ready_status=200,
        write_config=write_config,
        argv=argv,
        port_setting="PUBWIFI_PROMETHEUS_PORT",
    )


def default_services(settings: Settings) -> list[Service]:
    """The stack, in start order (stopped in reverse)."""
    return [influxdb_service(settings), prometheus_service(settings)]
