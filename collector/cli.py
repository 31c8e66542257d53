"""The ``pubwifi`` command.

Sub-commands are plug-ins: each package lists ``register(subparsers)`` functions under the
``pubwifi.commands`` entry-point group in pyproject.toml, so this core module never imports
provisioning/ or web/ (the dependency direction is web -> provisioning -> collector).
A registered parser sets ``func(args) -> int`` with ``set_defaults``.

Bad input (:class:`collector.errors.InputError`) is printed as ``FILE:LINE: message`` lines on
stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from collector.errors import EXIT_BAD_INPUT, InputError

MAX_PROBLEMS_SHOWN = 50


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with only ``command``'s plug-in when its entry point
    has that name and registers it (a command starts without importing all the others)."""
    parser = argparse.ArgumentParser(
        prog="pubwifi",
        description="Seoul public Wi-Fi management and telemetry (서울 공공와이파이)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    entries = sorted(entry_points(group="pubwifi.commands"), key=lambda e: e.name)
    named = [entry for entry in entries if entry.name == command]
    if named:
        with contextlib.suppress(ImportError, AttributeError):  # reported below, with the rest
            named[0].load()(subparsers)
        if command in subparsers.choices:
            return parser
        return build_parser()
    for entry in entries:
        try:
            register = entry.load()
        except (ImportError, AttributeError) as error:
            # One broken plug-in must not take the other commands down with it.
            print(f"pubwifi: command {entry.name!r} is unavailable: {error}", file=sys.stderr)
            continue
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    args.argv = words  # a command that starts workers gives them its own arguments
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per job run otherwise
    try:
        status: int = args.func(args)
    except InputError as error:
        shown = error.problems[:MAX_PROBLEMS_SHOWN]
        for problem in shown:
            print(problem, file=sys.stderr)
        if len(error.problems) > len(shown):
            print(f"... and {len(error.problems) - len(shown)} more problems", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pubwifi ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
