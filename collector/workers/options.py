"""``--workers N`` and the hidden ``--worker J/N`` of the commands that run worker processes."""

from __future__ import annotations

import argparse
from typing import Any

from collector.poll.shard import parse_fraction
from collector.workers.cores import usable_cores


def add_worker_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help=f"{what} in N processes, each owning a stable part of the APs "
        f"(default: the usable cores, {usable_cores()} here; 1: one process)",
    )
    parser.add_argument("--worker", type=_worker, default=None, help=argparse.SUPPRESS)


def worker_count(args: Any) -> int:
    """How many processes: ``--workers`` or the usable cores (never more than one per AP)."""
    return int(args.workers) if args.workers is not None else usable_cores()


def is_parent(args: Any) -> bool:
    """This process starts workers (it is not one, and more than one was asked for)."""
    return args.worker is None and worker_count(args) > 1


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _worker(text: str) -> tuple[int, int]:
    try:
        return parse_fraction(text, "--worker")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
