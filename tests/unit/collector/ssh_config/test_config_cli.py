"""``pubwifi config show|diff|changed`` through ``register`` on a plain argparse parser."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from collector.errors import InputError
from collector.ssh.config_cli import register
from collector.ssh.configrepo import ConfigRepo

T0 = 1_750_000_000  # 2025-06-15T15:06:40Z = 2025-06-16T00:06:40+09:00


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PUBWIFI_CONFIG", raising=False)
    repo = ConfigRepo.open(tmp_path / "configs")
    repo.stage("ap-1", "hostname ap-1\nchannel 1\n")
    repo.stage("ap-2", "hostname ap-2\n")
    repo.commit(when=T0)
    repo.stage("ap-1", "hostname ap-1\nchannel 6\n")
    repo.commit(when=T0 + 3600, source="provision:c1")
    repo.stage("ap-2", "hostname ap-2\nchannel 11\n")
    repo.commit(when=T0 + 7200)
    return tmp_path


def run(*argv: str) -> str:
    parser = argparse.ArgumentParser(prog="pubwifi")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    out = io.StringIO()
    assert args.func(args, out) == 0
    return out.getvalue()


def test_show_newest_and_at(data_dir: Path) -> None:
    text = run("config", "show", "ap-1")
    head, body = text.split("\n", 1)
    assert head.startswith("# ap-1 as of 2025-06-16T01:06:40+09:00 (commit ")
    assert head.endswith(", source provision:c1)")
    assert body == "hostname ap-1\nchannel 6\n"
    assert run("config", "show", "ap-1", "--at", "2025-06-16T01:00:00").endswith("channel 1\n")
    assert run("config", "show", "ap-1", "--at", str(T0)).endswith("channel 1\n")


def test_diff_and_no_change(data_dir: Path) -> None:
    assert "-channel 1\n+channel 6\n" in run("config", "diff", "ap-1")
    out = run("config", "diff", "ap-1", "--from", str(T0 + 3600), "--to", str(T0 + 9999))
    assert out.startswith("no change")


def test_changed_lists_outside_changes_only(data_dir: Path) -> None:
    table = run("config", "changed", "--since", str(T0))
    lines = table.splitlines()
    assert lines[0].split() == ["ap", "time", "(KST)", "commit"]
    assert len(lines) == 2 and lines[1].startswith("ap-2  2025-06-16T02:06:40+09:00  ")
    rows = json.loads(run("config", "changed", "--since", "2025-06-16", "--json"))
    assert [(r["ap"], r["when"], r["source"]) for r in rows] == [("ap-2", T0 + 7200, "sweep")]
    assert len(rows[0]["commit"]) == 40
    assert run("config", "changed", "--since", str(T0 + 7200)).startswith("no config changed")


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (("config", "show", "ap-9"), "configs"),
        (("config", "show", "../x"), "AP"),
        (("config", "show", "ap-1", "--at", str(T0 - 1)), "--at"),
        (("config", "show", "ap-1", "--at", "yesterday"), "--at"),
        (("config", "diff", "ap-1", "--to", str(T0 - 1)), "--to"),
        (("config", "diff", "ap-1", "--from", str(T0 - 1)), "--from"),
        (("config", "changed", "--since", "soon"), "--since"),
    ],
)
def test_bad_input_is_an_input_error(data_dir: Path, argv: tuple[str, ...], where: str) -> None:
    with pytest.raises(InputError) as error:
        run(*argv)
    assert where in error.value.problems[0].file


def test_no_repository_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path))
    with pytest.raises(InputError, match="no SSH sweep has run yet"):
        run("config", "show", "ap-1")
    assert not (tmp_path / "configs").exists()  # readers never create it
