"""The ``stack`` command's parser, exit statuses and messages (nothing is started)."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

import pytest

from collector.stack import cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PUBWIFI_CONFIG", "PUBWIFI_METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PUBWIFI_INFLUX_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PUBWIFI_PROMETHEUS_PORT", str(free_port()))
    return tmp_path / "var"


def test_register_adds_stack_with_three_actions() -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    for action in ("up", "down", "status"):
        assert callable(parser.parse_args(["stack", action]).func)
    assert parser.parse_args(["stack", "up", "--timeout", "5"]).timeout == 5.0
    with pytest.raises(SystemExit):
        parser.parse_args(["stack", "restart"])


def test_status_of_a_stopped_stack_exits_3(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status"]) == cli.EXIT_NOT_RUNNING
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["influxdb", "stopped", "pid"],
        ["prometheus", "stopped", "pid"],
    ]
    assert str(environment.resolve() / "stack" / "influxdb") in lines[0]


def test_down_of_a_stopped_stack_is_fine(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["down"]) == 0
    assert capsys.readouterr().out == "prometheus: not running\ninfluxdb: not running\n"


def test_non_loopback_influx_url_is_bad_input(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PUBWIFI_INFLUX_URL", "http://192.0.2.7:8086")
    assert cli.main(["up"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "PUBWIFI_INFLUX_URL:0: the stack serves on 127.x.y.z only, not 'http://192.0.2.7:8086'\n"
    )
    assert not (environment / "stack" / "influxdb").exists()
