"""``pubwifi audit [--since T] [--ap ID] [--campaign ID] [--json]`` and ``pubwifi audit verify``.

The first lists the provisioning audit trail (:mod:`provisioning.audit`) as a table: time
(KST), actor, action, campaign, AP, result; ``--json`` prints the entries as stored, one per
line, for ``jq`` or a log shipper. ``T`` is epoch seconds or ISO 8601 (no zone: KST), as
everywhere in pubwifi. ``verify`` walks the hash chain: exit 0 with ``audit log intact: N
entries, chain head <hash12>``, or exit 1 with ``FILE:LINE: ...`` naming the first bad entry
and why. The log is ``DATA_DIR/provisioning/audit.log`` (``PUBWIFI_DATA_DIR``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO

from collector.errors import Problem
from collector.ledger.cli import parse_time
from collector.settings import load_settings
from provisioning.audit import AuditEntry, AuditLog

KST = dt.timezone(dt.timedelta(hours=9), "KST")
COLUMNS = ("TIME (KST)", "ACTOR", "ACTION", "CAMPAIGN", "AP", "RESULT")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "audit", help="the provisioning audit trail: list it, or verify its hash chain"
    )
    parser.add_argument(
        "--since", metavar="T", help="entries at or after T: epoch seconds or ISO 8601 (KST)"
    )
    parser.add_argument("--ap", metavar="ID", help="only this AP's entries")
    parser.add_argument("--campaign", metavar="ID", help="only this campaign's entries")
    parser.add_argument("--json", action="store_true", help="print entries as stored (JSON)")
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="audit_command", metavar="verify")
    verify = actions.add_parser(
        "verify", help="check the hash chain: exit 0 if intact, 1 naming the first bad entry"
    )
    verify.set_defaults(func=run_verify)


def audit_log() -> AuditLog:
    return AuditLog.in_data_dir(Path(load_settings().data_dir))


def run_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    since = parse_time(args.since, "--since") if args.since else None
    entries = audit_log().entries(since=since, ap=args.ap, campaign=args.campaign)
    if args.json:
        for entry in entries:
            stream.write(entry.to_json() + "\n")
        return 0
    if not entries:
        print("no audit entries", file=sys.stderr)
        return 0
    stream.write(table(entries))
    return 0


def table(entries: list[AuditEntry]) -> str:
    """The entries as aligned columns (the last one unpadded)."""
    rows = [COLUMNS, *(_row(entry) for entry in entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def _row(entry: AuditEntry) -> tuple[str, ...]:
    moment = dt.datetime.fromtimestamp(entry.at, KST).strftime("%Y-%m-%d %H:%M:%S")
    return (
        moment,
        entry.actor,
        entry.action,
        entry.campaign or "-",
        entry.ap or "-",
        entry.result,
    )


def run_verify(args: argparse.Namespace, out: TextIO | None = None) -> int:
    log = audit_log()
    result = log.verify()
    if result.ok:
        print(
            f"audit log intact: {result.entries} entries, chain head {result.head[:12]}",
            file=out or sys.stdout,
        )
        return 0
    if result.first_bad_line is not None:
        where, line = log.path, result.first_bad_line
    else:
        where, line = log.head_path, 0
    print(Problem(str(where), line, f"audit log damaged: {result.reason}"), file=sys.stderr)
    return 1
