"""``pubwifi``'s entry point: a reader that leaves early (``| head``) is not an error."""

from __future__ import annotations

import argparse
import io
import os
import sys

import pytest

from collector import cli


def test_a_closed_pipe_ends_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def writes_into_a_closed_pipe(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    parser = argparse.ArgumentParser()
    parser.set_defaults(func=writes_into_a_closed_pipe, verbose=False)
    monkeypatch.setattr(cli, "build_parser", lambda command=None: parser)
    redirected: list[int] = []

    class Stdout(io.StringIO):
        def fileno(self) -> int:
            return 99

    monkeypatch.setattr(sys, "stdout", Stdout())
    monkeypatch.setattr(os, "dup2", lambda fd, fd2: redirected.append(fd2))
    assert cli.main([]) == 0
    assert redirected == [99], "stdout goes to /dev/null: the flush at exit stays quiet"
    assert "Traceback" not in capsys.readouterr().err


def test_a_command_loads_only_its_own_plug_in() -> None:
    only = cli.build_parser("rollout")
    commands = next(a for a in only._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {"rollout"}
    every = cli.build_parser("no-such-command")  # unknown: every command, argparse says no
    commands = next(a for a in every._actions if isinstance(a, argparse._SubParsersAction))
    assert {"rollout", "inventory", "usage", "report", "web"} <= set(commands.choices)
