"""``pubwifi alerts``: list alerts; ``alerts run``: evaluate and notify; ``alerts check``: rules.

- ``pubwifi alerts [--active] [--since T] [--ap ID] [--json]``: firing alerts and those that
  ended since T (default: the last 7 days), newest first, with scope and target (district names
  in Korean and English), start, end and APs; then the outbox per channel.
- ``pubwifi alerts run [--once] [--interval S] [--at T] [--drain S] [--rules FILE]``: evaluate
  every rule and send notifications; ``--once`` evaluates once (at ``--at``, default now), then
  keeps delivering retries that fall due within ``--drain`` seconds (default 60) and prints the
  summary as one JSON line. Without ``--once``: every ``--interval`` seconds (default 60), with
  retries sent as they fall due in between.
- ``pubwifi alerts check [--rules FILE] [--inventory FILE]``: load the rules, check the
  maintenance windows' APs, sites and districts against the inventory (default
  ``PUBWIFI_INVENTORY``; skipped, saying so, when that file does not exist) and print one line.
  ``alerts run`` checks them against its inventory too. Problems are ``FILE:LINE: ...``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from collector.alerts.engine import Summary, district_label
from collector.alerts.rules import AlertRules, check_inventory, load_rules, rules_path
from collector.alerts.service import deliver_due, evaluate_and_notify
from collector.alerts.store import Alert, AlertStore
from collector.errors import InputError
from collector.inventory.cache import cached_inventory
from collector.inventory.model import Inventory
from collector.settings import Settings, load_settings
from collector.textwidth import pad
from collector.timeparse import KST, parse_time

WEEK_S = 7 * 86_400
STATE_LABEL = {"firing": "firing 발생", "resolved": "resolved 해소"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("alerts", help="alerts: list, evaluate and notify")
    parser.add_argument("--active", action="store_true", help="only alerts firing now")
    parser.add_argument("--since", metavar="T", help="alerts firing or ended since T")
    parser.add_argument("--ap", metavar="ID", help="only alerts naming this AP")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--inventory", type=Path, metavar="FILE", help="for site/district names")
    parser.set_defaults(func=run_list)
    commands = parser.add_subparsers(dest="alerts_command", metavar="ACTION")

    run = commands.add_parser("run", help="evaluate the rules and send notifications")
    run.add_argument("--once", action="store_true", help="evaluate once, then exit")
    run.add_argument("--interval", type=float, default=60.0, metavar="S")
    run.add_argument("--at", metavar="T", help="evaluate as of T (with --once)")
    run.add_argument(
        "--drain",
        type=float,
        default=60.0,
        metavar="S",
        help="with --once: keep sending retries due within S seconds (default 60)",
    )
    run.add_argument("--rules", type=Path, metavar="FILE", help="rules (default PUBWIFI_ALERTS)")
    run.add_argument("--inventory", type=Path, metavar="FILE", dest="run_inventory")
    run.set_defaults(func=run_run)

    check = commands.add_parser("check", help="validate a rules file")
    check.add_argument("--rules", type=Path, metavar="FILE")
    check.add_argument(
        "--inventory",
        type=Path,
        metavar="FILE",
        dest="check_inventory",
        help="check maintenance targets against this fleet (default PUBWIFI_INVENTORY)",
    )
    check.set_defaults(func=run_check)


def _rules(settings: Settings, explicit: Path | None) -> AlertRules:
    return load_rules(rules_path(explicit, settings.alerts))


def _inventory(settings: Settings, path: Path | None) -> Inventory:
    return cached_inventory(Path(path or settings.inventory), Path(settings.data_dir) / "alerts")


def run_check(args: argparse.Namespace, out: TextIO | None = None) -> int:
    settings = load_settings()
    rules = _rules(settings, args.rules)
    explicit = getattr(args, "check_inventory", None)
    target = Path(explicit or settings.inventory)
    if explicit is not None or target.exists():
        check_inventory(rules, _inventory(settings, target))
        against = f" (maintenance targets in {target})"
    else:
        against = f" (maintenance targets not checked: no inventory {target})"
    (out or sys.stdout).write(
        f"{rules.path}: {len(rules.rules)} rules, {len(rules.channels)} channels, "
        f"{len(rules.maintenance)} maintenance windows: OK{against}\n"
    )
    return 0


def run_run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = load_settings()
    rules = _rules(settings, args.rules)
    if args.at and not args.once:
        raise InputError.at("--at", 0, "only with --once")
    if args.interval <= 0 or args.drain < 0:
        raise InputError.at("--interval", 0, "--interval must be > 0 and --drain >= 0")
    inventory = _inventory(settings, args.run_inventory)
    check_inventory(rules, inventory)  # before anything runs
    if args.once:
        at = float(parse_time(args.at, "--at")) if args.at else time.time()
        summary = evaluate_and_notify(settings, inventory, at, rules=rules, deliver_at=time.time())
        _drain(settings, rules, summary, time.monotonic() + args.drain)
        out.write(json.dumps(summary.as_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")
        return 0
    next_eval = time.monotonic()
    while True:  # until Ctrl-C
        if time.monotonic() >= next_eval:
            inventory = _inventory(settings, args.run_inventory)
            summary = evaluate_and_notify(settings, inventory, time.time(), rules=rules)
            out.write(json.dumps(summary.as_dict(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            out.flush()
            next_eval += args.interval
        else:
            deliver_due(settings, rules, time.time())
        time.sleep(max(0.0, min(next_eval - time.monotonic(), _until_due(settings))))


def _until_due(settings: Settings) -> float:
    store = AlertStore.existing(Path(settings.data_dir))
    if store is None:
        return 3600.0
    with store:
        due = store.next_due()
    return 3600.0 if due is None else max(0.05, due - time.time())


def _drain(settings: Settings, rules: AlertRules, summary: Summary, deadline: float) -> None:
    """Send retries as they fall due until none is pending or the next is past ``deadline``."""
    while True:
        wait = _until_due(settings)
        if wait >= 3600.0 or time.monotonic() + wait > deadline:
            return
        time.sleep(wait)
        more = deliver_due(settings, rules, time.time())
        summary.delivered += more.delivered
        summary.retried += more.retried
        summary.dead += more.dead


# --- listing -----------------------------------------------------------------------------------


def run_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = load_settings()
    since = float(parse_time(args.since, "--since")) if args.since else time.time() - WEEK_S
    store = AlertStore.existing(Path(settings.data_dir))
    alerts: list[Alert] = []
    outbox: dict[str, dict[str, int]] = {}
    if store is not None:
        with store:
            if args.ap:
                alerts = store.of_ap(args.ap, limit=1000)
            else:
                alerts = store.recent(since)
            outbox = store.outbox_counts()
    if args.active:
        alerts = [a for a in alerts if a.state == "firing"]
    elif args.ap:
        alerts = [a for a in alerts if a.state == "firing" or (a.ended_at or 0) >= since]
    if args.json:
        json.dump({"alerts": [a.as_dict() for a in alerts], "outbox": outbox}, out,
                  ensure_ascii=False, indent=1)  # fmt: skip
        out.write("\n")
        return 0
    site_district = _site_districts(settings, args.inventory)
    out.write(render(alerts, outbox, site_district))
    return 0


def _site_districts(settings: Settings, path: Path | None) -> dict[str, str]:
    target = Path(path or settings.inventory)
    if not target.exists():
        return {}
    try:
        inventory = _inventory(settings, target)
    except InputError:
        return {}  # names only; the alerts are listed all the same
    return {site.id: site.district.code for site in inventory.sites.values()}


def _when(at: float | None) -> str:
    return "-" if at is None else dt.datetime.fromtimestamp(at, KST).strftime("%Y-%m-%d %H:%M")


def _where(alert: Alert, site_district: dict[str, str]) -> str:
    if alert.scope == "district":
        return f"district {district_label(alert.target)}"
    if alert.scope == "site":
        code = site_district.get(alert.target)
        return f"site {alert.target}" + (f" ({district_label(code)})" if code else "")
    return f"{alert.scope} {alert.target}"


def render(alerts: list[Alert], outbox: dict[str, dict[str, int]], sites: dict[str, str]) -> str:
    lines = [
        f"{pad('id', 6)}{pad('state', 15)}{pad('severity', 9)}{pad('rule', 24)}"
        f"{pad('scope / target', 44)}{pad('started (KST)', 18)}{pad('ended', 18)}APs\n"
    ]
    for a in alerts:
        shown = ", ".join(a.aps[:3]) + (f" +{len(a.aps) - 3}" if len(a.aps) > 3 else "")
        how = f" [{a.resolution} #{a.parent_id}]" if a.resolution == "subsumed" else ""
        lines.append(
            f"{pad(str(a.id), 6)}{pad(STATE_LABEL.get(a.state, a.state), 15)}"
            f"{pad(a.severity, 9)}{pad(a.rule, 24)}{pad(_where(a, sites), 44)}"
            f"{pad(_when(a.started_at), 18)}{pad(_when(a.ended_at), 18)}"
            f"{len(a.aps)}{': ' + shown if shown else ''}{how}\n"
        )
    if not alerts:
        lines.append("(no alerts)\n")
    for channel, counts in sorted(outbox.items()):
        text = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("delivered", "pending", "dead"))
        lines.append(f"notifications {channel}: {text}\n")
    return "".join(lines)
