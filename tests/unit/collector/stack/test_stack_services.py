"""Config and argv generation for the stack's servers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from collector.errors import InputError
from collector.settings import InfluxSettings, Settings, load_settings
from collector.stack.services import (
    default_services,
    influxdb_config,
    influxdb_service,
    loopback_endpoint,
    prometheus_service,
)


def settings(
    url: str = "http://127.0.0.1:18086", prometheus_port: int = 19090, traps_port: int = 19163
) -> Settings:
    return Settings(
        influx=InfluxSettings(url=url),
        prometheus_port=prometheus_port,
        metrics_port=19108,
        traps_metrics_port=traps_port,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:18086", ("127.0.0.1", 18086)),
        ("http://127.3.4.5:9", ("127.3.4.5", 9)),
        ("http://localhost:8087/", ("127.0.0.1", 8087)),
        ("http://127.0.0.1", ("127.0.0.1", 8086)),
    ],
)
def test_loopback_endpoint_accepts_loopback_urls(url: str, expected: tuple[str, int]) -> None:
    assert loopback_endpoint(url, 8086, "X") == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://10.1.2.3:8086", "127.x.y.z only"),
        ("http://0.0.0.0:8086", "127.x.y.z only"),
        ("http://influx.example:8086", "127.x.y.z only"),
        ("https://127.0.0.1:8086", "expected http://"),
        ("127.0.0.1:8086", "expected http://"),
        ("http://[::1]:8086", "127.x.y.z only"),
        ("http://127.0.0.1:99999", "expected a TCP port 1-65535 in"),
    ],
)
def test_loopback_endpoint_rejects_other_urls(url: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        loopback_endpoint(url, 8086, "PUBWIFI_INFLUX_URL")
    assert str(caught.value).startswith("PUBWIFI_INFLUX_URL:0: ")
    assert says in str(caught.value)


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_prometheus_port_out_of_range_is_bad_input(port: int) -> None:
    with pytest.raises(InputError, match=f"PUBWIFI_PROMETHEUS_PORT:0: .* got {port}$"):
        prometheus_service(settings(prometheus_port=port))


def test_influxdb_config_binds_http_to_the_url_and_keeps_data_inside(tmp_path: Path) -> None:
    config = tomllib.loads(influxdb_config(tmp_path, "127.0.0.2", 18086))
    assert config["reporting-disabled"] is True
    assert config["http"]["bind-address"] == "127.0.0.2:18086"
    assert config["bind-address"] == "127.0.0.2:0"  # RPC: loopback, any free port
    assert config["http"]["pprof-enabled"] is False
    assert config["monitor"]["store-enabled"] is False
    assert config["meta"]["dir"] == str(tmp_path / "meta")
    assert config["data"]["dir"] == str(tmp_path / "data")
    assert config["data"]["wal-dir"] == str(tmp_path / "wal")
    # No other listener is configured (graphite, collectd, opentsdb, udp stay at their
    # default of disabled because they are not mentioned).
    assert set(config) == {
        "reporting-disabled", "bind-address", "meta", "data", "monitor", "http",
        "continuous_queries",
    }  # fmt: skip


def test_influxdb_config_quotes_awkward_paths(tmp_path: Path) -> None:
    odd = tmp_path / 'dir "with" quotes\\and backslash'
    config = tomllib.loads(influxdb_config(odd, "127.0.0.1", 1))
    assert config["data"]["dir"] == str(odd / "data")


def test_influxdb_service_writes_config_and_folders(tmp_path: Path) -> None:
    service = influxdb_service(settings("http://127.0.0.1:18086"))
    service.write_config(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"influxdb.conf", "meta", "data", "wal"}
    assert list(service.argv(tmp_path)) == [
        "/usr/bin/influxd", "-config", str(tmp_path / "influxdb.conf"),
    ]  # fmt: skip
    assert (service.host, service.port) == ("127.0.0.1", 18086)
    assert service.ready_url == "http://127.0.0.1:18086/ping"
    assert service.ready_status == 204
    assert service.package == "influxdb"


def test_prometheus_scrapes_the_collector_the_trap_receiver_and_itself(tmp_path: Path) -> None:
    service = prometheus_service(settings(prometheus_port=19090))
    service.write_config(tmp_path)
    config = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets == {
        "prometheus": ["127.0.0.1:19090"],
        "pubwifi-collector": ["127.0.0.1:19108"],
        "pubwifi-traps": ["127.0.0.1:19163"],
    }
    assert list(service.argv(tmp_path)) == [
        "/usr/bin/prometheus",
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        "--web.listen-address=127.0.0.1:19090",
    ]
    assert (tmp_path / "tsdb").is_dir()
    assert service.ready_url == "http://127.0.0.1:19090/-/ready"


def test_the_trap_receivers_port_comes_from_settings_and_0_means_no_scrape(
    tmp_path: Path,
) -> None:
    assert Settings().traps_metrics_port == 9163
    assert load_settings({"PUBWIFI_TRAPS_METRICS_PORT": "19999"}).traps_metrics_port == 19999
    with pytest.raises(InputError, match=r"^\$PUBWIFI_TRAPS_METRICS_PORT:0: .*expected int"):
        load_settings({"PUBWIFI_TRAPS_METRICS_PORT": "many"})
    prometheus_service(settings(traps_port=0)).write_config(tmp_path)
    config = yaml.safe_load((tmp_path / "prometheus.yml").read_text())
    assert "pubwifi-traps" not in {job["job_name"] for job in config["scrape_configs"]}
    with pytest.raises(InputError, match=r"^PUBWIFI_TRAPS_METRICS_PORT:0: .* got 70000$"):
        prometheus_service(settings(traps_port=70000))


def test_every_service_argv_names_binary_and_own_folder(tmp_path: Path) -> None:
    """The rule :func:`collector.stack.procs.is_ours` relies on."""
    for service in default_services(settings()):
        argv = list(service.argv(tmp_path))
        assert argv[0] == str(service.binary)
        assert any(str(tmp_path) in arg for arg in argv[1:])
