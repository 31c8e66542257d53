"""``pubwifi dashboards``: write the Grafana dashboards and provisioning, or check them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DIR = Path("dashboards")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dashboards",
        help="write the Grafana dashboards (JSON) and provisioning YAML, or check them",
        description="Generates dashboards/*.json and dashboards/provisioning/ from "
        "collector/grafana. --check exits 1 if a committed file differs from a fresh build.",
    )
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, metavar="DIR", help="default: dashboards"
    )
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from collector.grafana.build import stale, write

    if args.check:
        old = stale(args.dir)
        for name in old:
            print(f"{args.dir / name}: stale (run `pubwifi dashboards`)", file=sys.stderr)
        return 1 if old else 0
    changed = write(args.dir)
    for name in changed:
        print(f"wrote {args.dir / name}")
    if not changed:
        print(f"{args.dir}: up to date")
    return 0
