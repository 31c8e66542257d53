"""``pubwifi stack up|down|status``: the local InfluxDB and Prometheus on loopback.

Registered under the ``pubwifi.commands`` entry-point group as ``stack``; also runnable alone as
``python -m collector.stack.cli``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from collector.errors import EXIT_BAD_INPUT, InputError
from collector.settings import load_settings
from collector.stack.manager import Stack
from collector.stack.service import StackLayout
from collector.stack.services import default_services

#: ``status`` exit status when a service is not running.
EXIT_NOT_RUNNING = 3


def build_stack() -> Stack:
    settings = load_settings()
    return Stack(default_services(settings), StackLayout.under(settings.data_dir))


def _up(args: argparse.Namespace) -> int:
    failed = 0
    for outcome in build_stack().up(timeout_s=args.timeout):
        print(outcome, file=sys.stdout if outcome.ok else sys.stderr, flush=True)
        failed += not outcome.ok
    return 1 if failed else 0


def _down(args: argparse.Namespace) -> int:
    failed = 0
    for outcome in build_stack().down():
        print(outcome, file=sys.stdout if outcome.ok else sys.stderr, flush=True)
        failed += not outcome.ok
    return 1 if failed else 0


def _status(args: argparse.Namespace) -> int:
    statuses = build_stack().status()
    for status in statuses:
        print(status)
    return 0 if all(status.running for status in statuses) else EXIT_NOT_RUNNING


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``stack`` with ``up``, ``down`` and ``status`` to the ``pubwifi`` command."""
    stack = subparsers.add_parser(
        "stack",
        help="run InfluxDB and Prometheus on loopback (data under PUBWIFI_DATA_DIR/stack)",
        description="Install (Debian packages) where missing, start, stop and show the local "
        "servers pubwifi uses. Files live under <data dir>/stack/.",
    )
    actions = stack.add_subparsers(dest="stack_command", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="install where missing and start; idempotent")
    up.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for each service to be ready (default 60)",
    )
    up.set_defaults(func=_up)
    actions.add_parser("down", help="stop what `up` started").set_defaults(func=_down)
    actions.add_parser(
        "status", help="one line per service; exit 0 if all run, else 3"
    ).set_defaults(func=_status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stack ACTION`` without the ``pubwifi`` entry point."""
    parser = argparse.ArgumentParser(prog="pubwifi")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["stack", *(sys.argv[1:] if argv is None else argv)])
    try:
        status: int = args.func(args)
    except InputError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    return status


if __name__ == "__main__":
    sys.exit(main())
