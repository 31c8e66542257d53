"""``pubwifi rollout status|candidates``: the Wi-Fi 6 programme from the command line.

``status [--district CODE] [--quarter 2025Q3] [--json|--csv] [--aps]``: per district and quarter
the APs planned there and how many are planned / due / overdue / installed / verified /
regressed / drifting, the programme totals against the press release's 450 + 280, and per AP
rows (text: with ``--aps``, ``--district`` or ``--quarter``, else only the APs that need someone:
overdue, regressed, drift). ``candidates [--top N] [--district CODE] [--json]``: the legacy
APs to replace next, by the score of :mod:`collector.rollout.candidates`.

Reads the inventory (cached after the first parse, :mod:`collector.inventory.cache`), the
rollout store and the ledger's daily copy in the data directory; ``--at`` evaluates as of
another time (ISO 8601, a time without zone is Seoul time, or epoch seconds).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from collector.districts import SEOUL_DISTRICTS
from collector.errors import InputError
from collector.inventory.cache import cached_inventory
from collector.inventory.model import Inventory
from collector.ledger.mirror import LedgerMirror
from collector.profiles import load_profiles
from collector.rollout.candidates import Candidate, candidates
from collector.rollout.quarters import KST, Quarter, kst_date
from collector.rollout.state import ApRollout, Figures, State
from collector.rollout.status import COUNTED, Cell, RolloutStatus, rollout_status, standards_of
from collector.rollout.store import RolloutStore
from collector.settings import Settings, load_settings
from collector.textwidth import pad
from collector.timeparse import parse_time

NEEDS_SOMEONE = (State.OVERDUE, State.REGRESSED, State.DRIFT)
KIND_LABEL = {"replacement": "replacement 교체", "new": "new 신설"}
STATE_LABEL = {
    "planned": "planned 계획",
    "due": "due 진행",
    "overdue": "overdue 지연",
    "installed": "installed 설치",
    "verified": "verified 검증",
    "regressed": "regressed 저하",
    "drift": "drift 불일치",
}
CSV_COLUMNS = (
    "ap_id",
    "district",
    "site",
    "kind",
    "quarter",
    "state",
    "since_date",
    "installed_date",
    "inventory_model",
    "planned_model",
    "observed_model",
    "observed_standard",
    "before_days",
    "before_traffic_per_day",
    "before_peak_clients",
    "before_sessions_per_day",
    "before_poll_success",
    "after_days",
    "after_traffic_per_day",
    "after_peak_clients",
    "after_sessions_per_day",
    "after_poll_success",
    "note",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("rollout", help="the Wi-Fi 6 rollout: status and candidates")
    commands = parser.add_subparsers(dest="rollout_command", required=True, metavar="ACTION")

    status = commands.add_parser("status", help="plan against what the fleet reports")
    _common(status)
    status.add_argument("--quarter", metavar="2025Q3", help="only this quarter")
    status.add_argument("--aps", action="store_true", help="list every AP (text output)")
    form = status.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print JSON")
    form.add_argument("--csv", action="store_true", help="print one CSV row per AP")
    status.set_defaults(func=run_status)

    cand = commands.add_parser("candidates", help="legacy APs to replace next, by score")
    _common(cand)
    cand.add_argument("--top", type=int, default=20, metavar="N", help="how many (default 20)")
    cand.add_argument("--json", action="store_true", help="print JSON")
    cand.set_defaults(func=run_candidates)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--district", metavar="CODE", help="only this district (e.g. 11680)")
    parser.add_argument(
        "--inventory", type=Path, metavar="FILE", help="the fleet (default: PUBWIFI_INVENTORY)"
    )
    parser.add_argument("--at", metavar="TIME", help="evaluate as of TIME (default: now)")


def _load(args: argparse.Namespace) -> tuple[Settings, Inventory, float]:
    settings = load_settings()
    if args.district is not None and args.district not in {d.code for d in SEOUL_DISTRICTS}:
        raise InputError.at("--district", 0, f"{args.district!r} is not a Seoul district code")
    if getattr(args, "quarter", None):
        try:
            Quarter.parse(args.quarter)
        except ValueError as error:
            raise InputError.at("--quarter", 0, str(error)) from None
    path = Path(args.inventory or settings.inventory)
    inventory = cached_inventory(path, Path(settings.data_dir) / "rollout")
    now = float(parse_time(args.at, "--at")) if args.at else time.time()
    return settings, inventory, now


def run_status(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings, inventory, now = _load(args)
    data_dir = Path(settings.data_dir)
    store = RolloutStore.existing(data_dir)
    mirror = LedgerMirror.existing(data_dir)
    status = rollout_status(
        inventory,
        store,
        mirror,
        load_profiles(),
        now,
        district=args.district,
        quarter=args.quarter,
    )
    if args.json:
        json.dump(status.as_dict(), out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif args.csv:
        write_csv(status, out)
    else:
        listed = args.aps or args.district is not None or args.quarter is not None
        out.write(render_status(status, every_ap=listed, has_ledger=mirror is not None))
    return 0


def write_csv(status: RolloutStatus, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in status.rows:
        flat = row.as_dict()
        for side in ("before", "after"):
            figures: Figures | None = getattr(row, side)
            for name in (
                "days",
                "traffic_per_day",
                "peak_clients",
                "sessions_per_day",
                "poll_success",
            ):
                value = getattr(figures, name) if figures is not None else None
                flat[f"{side}_{name}"] = round(value, 4) if isinstance(value, float) else value
        writer.writerow(["" if flat.get(c) is None else flat[c] for c in CSV_COLUMNS])


def _district_label(code: str) -> str:
    for d in SEOUL_DISTRICTS:
        if d.code == code:
            return f"{code} {d.name_ko} {d.name_en}"
    return code


def _cell_line(label: str, cell: Cell, target: int | None = None) -> str:
    counts = "".join(f"{cell.states[s.value]:>10}" for s in COUNTED)
    goal = f"{target:>8}" if target is not None else f"{'':>8}"
    return f"{pad(label, 38)}{cell.planned:>7}{goal}{counts}\n"


def render_status(status: RolloutStatus, *, every_ap: bool, has_ledger: bool) -> str:
    moment = dt.datetime.fromtimestamp(status.now, KST).strftime("%Y-%m-%d %H:%M")
    lines = [f"Wi-Fi 6 rollout (와이파이6 교체·신설), as of {moment} KST\n"]
    header = f"{pad('', 38)}{'APs':>7}{'target':>8}" + "".join(f"{s.value:>10}" for s in COUNTED)
    lines.append(header + "\n")
    for kind, cell in status.totals.items():
        lines.append(_cell_line(KIND_LABEL[kind], cell, status.targets.get(kind)))
    total = Cell()
    for cell in status.totals.values():
        total.planned += cell.planned
        total.states.update(cell.states)
    target = sum(status.targets.values()) if status.targets else None
    lines.append(_cell_line("programme 합계", total, target))
    if status.drift_outside:
        lines.append(f"drift outside the programme: {status.drift_outside} APs\n")
    lines.append("\nby district and quarter (구·분기별)\n" + header + "\n")
    for (district, quarter), cell in sorted(status.cells.items()):
        lines.append(_cell_line(f"{_district_label(district)} {quarter}", cell))
    rows = status.rows if every_ap else [r for r in status.rows if r.state in NEEDS_SOMEONE]
    if rows:
        title = "APs" if every_ap else "APs that need someone (overdue, regressed, drift)"
        lines.append(f"\n{title}: {len(rows)}\n")
        lines.extend(_ap_line(row) for row in rows[: None if every_ap else 40])
        if not every_ap and len(rows) > 40:
            lines.append(f"... {len(rows) - 40} more: --aps, --district, --json or --csv\n")
    if not has_ledger:
        lines.append("\nno ledger copy in the data directory: no before/after figures\n")
    return "".join(lines)


def _figures(figures: Figures | None) -> str:
    if figures is None:
        return "-"
    success = f"{figures.poll_success:.1%}" if figures.poll_success is not None else "-"
    peak = figures.peak_clients if figures.peak_clients is not None else "-"
    return (
        f"{figures.traffic_per_day / 1e9:.2f} GB/d, peak {peak}, "
        f"{figures.sessions_per_day:.0f} sess/d, polls {success} ({figures.days} d)"
    )


def _ap_line(row: ApRollout) -> str:
    since = kst_date(row.since) if row.since is not None else ""
    text = (
        f"  {row.ap_id:<16} {row.kind or '-':<11} {row.quarter or '-':<7} "
        f"{STATE_LABEL[row.state.value]:<14} {since:<10} "
        f"{row.observed_model or '-'} (plan {row.planned_model or '-'}): {row.note}\n"
    )
    if row.before is not None or row.after is not None:
        text += f"      before {_figures(row.before)}\n      after  {_figures(row.after)}\n"
    return text


def run_candidates(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings, inventory, now = _load(args)
    data_dir = Path(settings.data_dir)
    ranked = candidates(
        inventory,
        RolloutStore.existing(data_dir),
        LedgerMirror.existing(data_dir),
        standards_of(load_profiles()),
        now,
        district=args.district,
        top=args.top,
    )
    if args.json:
        json.dump([c.as_dict() for c in ranked], out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        out.write(render_candidates(ranked, now))
    return 0


def render_candidates(ranked: list[Candidate], now: float) -> str:
    day = dt.datetime.fromtimestamp(now, KST).date().isoformat()
    lines = [
        f"replacement candidates (교체 후보), legacy Wi-Fi 4/5 APs not in the plan, "
        f"last 28 days to {day} KST; score 0-100 (collector/rollout/candidates.py)\n",
        f"{'AP':<16} {'score':>5}  {'model':<16} {'std':<5} {'GB/day':>7} {'util':>6} "
        f"{'peak':>5} {'dens':>5} {'polls':>6} {'boots':>5} {'age':>5}  footfall\n",
    ]
    for c in ranked:
        success = f"{c.poll_success:.1%}" if c.poll_success is not None else "-"
        age = f"{c.age_years:.1f}" if c.age_years is not None else "-"
        peak = str(c.peak_clients) if c.peak_clients is not None else "-"
        lines.append(
            f"{c.ap_id:<16} {c.score:>5.1f}  {c.model:<16} {c.standard:<5} "
            f"{c.traffic_per_day / 1e9:>7.2f} {c.utilisation:>6.2%} {peak:>5} "
            f"{c.density:>5.2f} {success:>6} {c.reboots:>5} {age:>5}  {c.footfall}\n"
        )
    if not ranked:
        lines.append("(none)\n")
    return "".join(lines)
