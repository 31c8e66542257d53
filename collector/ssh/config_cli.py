"""``pubwifi config``: read the AP config history the SSH sweep keeps (masked, in git).

pubwifi config show AP [--at T]
pubwifi config diff AP [--from T] [--to T]
pubwifi config changed --since T [--json]

T is epoch seconds or ISO 8601, an ISO time without a zone being Seoul time (KST), read by
:func:`collector.ledger.cli.parse_time` like every other pubwifi command. The repository is
``DATA_DIR/configs`` (:func:`collector.settings.load_settings`). ``changed`` lists only changes
made *outside* pubwifi (see :mod:`collector.ssh.configrepo`). These commands only read: they
never create the repository, and run safely while a sweep commits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from collector.errors import InputError
from collector.ledger.cli import KST, parse_time
from collector.settings import load_settings
from collector.ssh.configrepo import ConfigRepo, ConfigVersion, NoVersion, validate_ap_id


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="AP running-config history (masked, in git)")
    commands = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    time_help = "epoch seconds or ISO 8601 (no zone: KST)"

    show = commands.add_parser("show", help="print an AP's masked config (newest or as of T)")
    show.add_argument("ap", metavar="AP")
    show.add_argument("--at", metavar="T", help=time_help)
    show.set_defaults(func=run_show)

    diff = commands.add_parser("diff", help="unified diff of an AP's config between two times")
    diff.add_argument("ap", metavar="AP")
    diff.add_argument("--from", dest="start", metavar="T", help=f"{time_help}; default: previous")
    diff.add_argument("--to", dest="end", metavar="T", help=f"{time_help}; default: newest")
    diff.set_defaults(func=run_diff)

    changed = commands.add_parser("changed", help="APs whose config changed outside pubwifi")
    changed.add_argument("--since", required=True, metavar="T", help=time_help)
    changed.add_argument("--json", action="store_true", help="print JSON rows")
    changed.set_defaults(func=run_changed)


def repo_path() -> Path:
    return Path(load_settings().data_dir) / "configs"


def open_repo(path: Path | None = None) -> ConfigRepo:
    """The existing repository (readers never create one)."""
    path = path or repo_path()
    if not (path / ".git" / "HEAD").is_file():
        raise InputError.at(str(path), 0, "no config repository here (no SSH sweep has run yet)")
    return ConfigRepo(path)


def when_text(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, KST).isoformat()


def _ap(repo: ConfigRepo, ap_id: str) -> str:
    try:
        validate_ap_id(ap_id)
    except ValueError as error:
        raise InputError.at("AP", 0, str(error)) from None
    if repo.show(ap_id) is None:
        raise InputError.at(str(repo.path), 0, f"no config recorded for AP {ap_id!r}")
    return ap_id


def _time(text: str | None, option: str) -> int | None:
    return None if text is None else parse_time(text, option)


def run_show(args: argparse.Namespace, out: TextIO | None = None) -> int:
    repo = open_repo()
    ap_id = _ap(repo, args.ap)
    at = _time(args.at, "--at")
    version = repo.show(ap_id, at)
    if version is None:
        raise InputError.at("--at", 0, f"AP {ap_id!r} has no config at or before {args.at}")
    stream = out or sys.stdout
    stream.write(header(ap_id, version))
    stream.write(version.text if version.text.endswith("\n") else version.text + "\n")
    return 0


def header(ap_id: str, version: ConfigVersion) -> str:
    return (
        f"# {ap_id} as of {when_text(version.when)} "
        f"(commit {version.commit[:12]}, source {version.source})\n"
    )


def run_diff(args: argparse.Namespace, out: TextIO | None = None) -> int:
    repo = open_repo()
    ap_id = _ap(repo, args.ap)
    start, end = _time(args.start, "--from"), _time(args.end, "--to")
    try:
        text = repo.diff(ap_id, start, end)
    except NoVersion as error:
        option = "--from" if start is not None and repo.show(ap_id, start) is None else "--to"
        raise InputError.at(option, 0, str(error.args[0])) from None
    stream = out or sys.stdout
    if text:
        stream.write(text)
    else:
        stream.write(f"no change in {ap_id}'s config between those versions\n")
    return 0


def run_changed(args: argparse.Namespace, out: TextIO | None = None) -> int:
    repo = open_repo()
    since = parse_time(args.since, "--since")
    rows = [c for c in repo.changed_since(since) if c.outside]
    stream = out or sys.stdout
    if args.json:
        payload = [
            {
                "ap": c.ap_id,
                "when": int(c.when),
                "time": when_text(c.when),
                "commit": c.commit,
                "source": c.source,
            }
            for c in rows
        ]
        json.dump(payload, stream, separators=(",", ":"))
        stream.write("\n")
        return 0
    if not rows:
        stream.write(f"no config changed outside pubwifi since {when_text(since)}\n")
        return 0
    width = max(len("ap"), *(len(c.ap_id) for c in rows))
    stream.write(f"{'ap':<{width}}  {'time (KST)':<25}  commit\n")
    for c in rows:
        stream.write(f"{c.ap_id:<{width}}  {when_text(c.when):<25}  {c.commit[:12]}\n")
    return 0
