"""``pubwifi audit`` and ``pubwifi audit verify``, through ``register`` on a bare parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from collector.errors import InputError
from provisioning.audit import AuditLog
from provisioning.audit_cli import register

T0 = 1733547600.0  # 2024-12-07 14:00:00 KST


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PUBWIFI_CONFIG", raising=False)
    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path))
    clock = iter([T0, T0 + 60, T0 + 3600])
    log = AuditLog.in_data_dir(tmp_path, clock=lambda: next(clock))
    log.append("os:alice", "submit", campaign="ssid-20241207T140000")
    log.append("web:bob", "approve", campaign="ssid-20241207T140000")
    log.append("os:alice", "push", campaign="ssid-20241207T140000", ap="gn-0001", result="failed")
    return tmp_path


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="pubwifi")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def test_the_table(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("audit") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TIME", "(KST)", "ACTOR", "ACTION", "CAMPAIGN", "AP", "RESULT"]
    assert lines[1].split() == [
        "2024-12-07", "14:00:00", "os:alice", "submit", "ssid-20241207T140000", "-", "ok",
    ]  # fmt: skip
    assert lines[3].split()[1:] == [
        "15:00:00", "os:alice", "push", "ssid-20241207T140000", "gn-0001", "failed",
    ]  # fmt: skip
    assert lines[0].index("ACTOR") == lines[1].index("os:alice")  # aligned


def test_filters_and_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("audit", "--since", "2024-12-07T14:01:00", "--json") == 0  # naive: KST
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["seq"] for e in out] == [2, 3]
    assert set(out[0]) >= {"seq", "at", "actor", "action", "prev", "hash"}
    assert run("audit", "--ap", "gn-0001") == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert run("audit", "--campaign", "other", "--since", str(int(T0))) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no audit entries" in captured.err


def test_a_bad_time_is_an_input_error(data_dir: Path) -> None:
    with pytest.raises(InputError, match="--since:0: 'yesterday' is neither"):
        run("audit", "--since", "yesterday")


def test_verify_intact(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = AuditLog.in_data_dir(data_dir).entries()[-1].hash
    assert run("audit", "verify") == 0
    assert capsys.readouterr().out == f"audit log intact: 3 entries, chain head {head[:12]}\n"


def test_verify_damaged(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = AuditLog.in_data_dir(data_dir)
    text = log.path.read_text(encoding="utf-8").replace("web:bob", "web:eve")
    log.path.write_text(text, encoding="utf-8")
    assert run("audit", "verify") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{log.path}:2: audit log damaged: entry 2 was modified")


def test_verify_truncated_names_the_head(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = AuditLog.in_data_dir(data_dir)
    lines = log.path.read_text(encoding="utf-8").splitlines(keepends=True)
    log.path.write_text("".join(lines[:1]), encoding="utf-8")
    assert run("audit", "verify") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{log.head_path}:0: audit log damaged: the log ends at entry 1")
