"""``pubwifi provision``: plan a change, apply it in waves, follow, resume, roll back.

pubwifi provision plan CHANGE [--json] [--inventory FILE]
pubwifi provision apply CHANGE [--yes] [--inventory FILE] [--concurrency N] [--no-snmp]
pubwifi provision submit CHANGE            (a campaign waiting for an approver)
pubwifi provision approve ID               (not by the person who submitted it)
pubwifi provision run ID                   (an approved campaign)
pubwifi provision status [ID] [--json]
pubwifi provision list [--json]
pubwifi provision resume ID                (after a halt, a crash or kill -9)
pubwifi provision halt ID [--reason TEXT]
pubwifi provision rollback ID

``plan`` touches no device. ``apply`` shows the plan, asks (``--yes`` skips the question) and
records the campaign as submitted by you and approved by the command line on your behalf
(``policy:cli``: whoever runs this on the collector host is trusted with the fleet); the web UI
keeps four eyes: an admin who is not the submitter approves. Every step is in the audit log
(``pubwifi audit``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.errors import InputError

if TYPE_CHECKING:
    from provisioning.apply import Applier, RunReport
    from provisioning.campaigns import Campaign, CampaignStore
    from provisioning.change import Change

log = logging.getLogger(__name__)
KST = dt.timezone(dt.timedelta(hours=9), "KST")
CLI_APPROVER = "policy:cli"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "provision",
        help="change APs safely: plan, canary waves, verification, rollback",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="provision_command", metavar="COMMAND", required=True)
    plan = commands.add_parser("plan", help="what a change would do, per AP (touches nothing)")
    plan.add_argument("change", type=Path, metavar="CHANGE")
    plan.add_argument("--json", action="store_true")
    plan.add_argument("--diffs", action="store_true", help="print every AP's config diff")
    _inventory(plan)
    plan.set_defaults(func=run_plan)

    apply = commands.add_parser("apply", help="plan, then run the campaign's waves")
    apply.add_argument("change", type=Path, metavar="CHANGE")
    apply.add_argument("--yes", action="store_true", help="do not ask before pushing")
    _inventory(apply)
    _runner(apply)
    apply.set_defaults(func=run_apply)

    submit = commands.add_parser("submit", help="record a campaign for an approver")
    submit.add_argument("change", type=Path, metavar="CHANGE")
    _inventory(submit)
    submit.set_defaults(func=run_submit)

    approve = commands.add_parser("approve", help="approve a submitted campaign")
    approve.add_argument("id", metavar="ID")
    approve.set_defaults(func=run_approve)

    for name, func, text in (
        ("run", run_run, "apply an approved campaign"),
        ("resume", run_run, "continue a halted or interrupted campaign"),
        ("rollback", run_rollback, "every changed AP back to its snapshot"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("id", metavar="ID")
        _inventory(sub)
        _runner(sub)
        sub.set_defaults(func=func)

    halt = commands.add_parser("halt", help="stop a running campaign after the APs in flight")
    halt.add_argument("id", metavar="ID")
    halt.add_argument("--reason", default="halted by an operator")
    halt.set_defaults(func=run_halt)

    status = commands.add_parser("status", help="a campaign's waves and APs (or all)")
    status.add_argument("id", nargs="?", metavar="ID")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=run_status)
    listing = commands.add_parser("list", help="every campaign")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)


def _inventory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inventory", default=None, metavar="FILE")


def _runner(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=32, metavar="N")
    parser.add_argument("--no-snmp", action="store_true", help="verify over SSH only")
    parser.add_argument(
        "--ignore-window", action="store_true", help="run outside the maintenance window (audited)"
    )


# --- commands --------------------------------------------------------------------------------
def run_plan(args: argparse.Namespace) -> int:
    _, plan = _plan(args)
    if args.json:
        print(json.dumps(plan.as_json(), ensure_ascii=False, indent=1))
        return 0
    for line in plan.summary_lines():
        print(line)
    for ap in plan.aps:
        flags = f"  [{', '.join(sorted(ap.flags))}]" if ap.flags else ""
        print(f"\n{ap.ap_id} ({ap.platform}){flags}")
        for problem in ap.problems:
            print(f"  ! {problem}")
        for command in ap.commands:
            print(f"  > {command}")
        if args.diffs and ap.diff:
            print("".join(f"  {line}\n" for line in ap.diff.splitlines()))
    return 0


def run_apply(args: argparse.Namespace) -> int:
    change, plan = _plan(args)
    for line in plan.summary_lines():
        print(line)
    if not plan.to_apply:
        print("nothing to apply")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError.at("--yes", 0, "not a terminal: pass --yes to apply without asking")
        answer = input(f"apply {change.name} to {len(plan.to_apply)} APs? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not applied")
            return 1
    store, audit = _stores()
    actor = _actor()
    campaign = _create(store, audit, change, plan, actor)
    store.submit(campaign.id, actor)
    audit.append(actor, "submit", campaign=campaign.id)
    store.approve(campaign.id, CLI_APPROVER)
    audit.append(CLI_APPROVER, "approve", campaign=campaign.id, detail={"for": actor})
    print(f"campaign {campaign.id}")
    return _execute(args, store, audit, campaign.id, change)


def run_submit(args: argparse.Namespace) -> int:
    change, plan = _plan(args)
    store, audit = _stores()
    actor = _actor()
    campaign = _create(store, audit, change, plan, actor)
    store.submit(campaign.id, actor)
    audit.append(actor, "submit", campaign=campaign.id)
    print(f"campaign {campaign.id} submitted; approve: pubwifi provision approve {campaign.id}")
    return 0


def run_approve(args: argparse.Namespace) -> int:
    store, audit = _stores()
    actor = _actor()
    try:
        store.approve(args.id, actor)
    except PermissionError as error:
        raise InputError.at(args.id, 0, str(error)) from None
    audit.append(actor, "approve", campaign=args.id)
    print(f"campaign {args.id} approved; run it: pubwifi provision run {args.id}")
    return 0


def run_run(args: argparse.Namespace) -> int:
    store, audit = _stores()
    campaign = _get(store, args.id)
    change = _change_of(campaign)
    return _execute(args, store, audit, campaign.id, change)


def run_rollback(args: argparse.Namespace) -> int:
    from provisioning.apply import Halted

    store, audit = _stores()
    campaign = _get(store, args.id)
    applier = _applier(args, store, audit)
    try:
        report = applier.rollback(campaign.id)
    except Halted as error:
        raise InputError.at(args.id, 0, str(error)) from None
    except ValueError as error:
        raise InputError.at(args.id, 0, str(error)) from None
    wave = report.waves[0]
    print(
        f"rollback {campaign.id}: {wave.restored} APs back to their snapshot, "
        f"{wave.restore_failed} failed; campaign {report.state}"
    )
    print(json.dumps(report.as_dict(), separators=(",", ":")))
    return 0 if report.state == "rolled_back" else 1


def run_halt(args: argparse.Namespace) -> int:
    store, audit = _stores()
    campaign = _get(store, args.id)
    try:
        store.halt(campaign.id, args.reason)
    except ValueError as error:
        raise InputError.at(args.id, 0, str(error)) from None
    audit.append(_actor(), "halt", campaign=campaign.id, detail={"reason": args.reason})
    print(f"campaign {campaign.id} halts after the APs in flight: {args.reason}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    store, _ = _stores()
    if args.id is None:
        return run_list(args)
    campaign = _get(store, args.id)
    waves = store.wave_counts(campaign.id)
    tasks = store.tasks(campaign.id)
    if args.json:
        document = {
            "id": campaign.id,
            "state": campaign.state,
            "halted_reason": campaign.halted_reason,
            "change": campaign.change_name,
            "current_wave": campaign.current_wave,
            "waves": waves,
            "counts": store.counts(campaign.id),
            "aps": [
                {
                    "ap": t.ap_id,
                    "wave": t.wave,
                    "state": t.state,
                    "error": t.error.reason if t.error else None,
                    "detail": t.error.detail if t.error else None,
                }
                for t in tasks
            ],
        }
        print(json.dumps(document, ensure_ascii=False, indent=1))
        return 0
    print(
        f"{campaign.id}  {campaign.state}"
        + (f": {campaign.halted_reason}" if campaign.halted_reason else "")
    )
    print(f"  change {campaign.change_name}: {campaign.reason}")
    print(
        f"  submitted by {campaign.submitted_by or '-'}, approved by {campaign.approved_by or '-'}"
    )
    for index, counts in enumerate(waves):
        shown = ", ".join(f"{state} {n}" for state, n in counts.items() if n)
        marker = "*" if index == campaign.current_wave and campaign.state == "running" else " "
        print(f" {marker}wave {index + 1}: {sum(counts.values())} APs: {shown}")
    failed = [t for t in tasks if t.error is not None]
    for task in failed[:20]:
        assert task.error is not None
        print(f"    {task.ap_id} {task.state}: {task.error.reason} {task.error.detail[:120]}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    store, _ = _stores()
    campaigns = store.list()
    if getattr(args, "json", False):
        rows = [
            {
                "id": c.id,
                "state": c.state,
                "change": c.change_name,
                "aps": len(c.ap_ids),
                "created_at": c.created_at,
                "created_by": c.created_by,
            }
            for c in campaigns
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    if not campaigns:
        print("no campaigns")
    for c in campaigns:
        when = dt.datetime.fromtimestamp(c.created_at, KST).strftime("%Y-%m-%d %H:%M")
        print(f"{c.id:<44} {c.state:<12} {len(c.ap_ids):>6} APs  {when}  {c.created_by}")
    return 0


# --- wiring ---------------------------------------------------------------------------------
def _plan(args: argparse.Namespace) -> tuple[Change, Any]:
    from collector.inventory.load import load_inventory
    from collector.settings import load_settings
    from provisioning.change import load_change
    from provisioning.plan import plan_change

    settings = load_settings()
    change = load_change(args.change)
    inventory = load_inventory(args.inventory or settings.inventory)
    return change, plan_change(change, inventory, Path(settings.data_dir).resolve())


def _stores() -> tuple[CampaignStore, Any]:
    from collector.settings import load_settings
    from provisioning.audit import AuditLog
    from provisioning.campaigns import CampaignStore

    data_dir = Path(load_settings().data_dir).resolve()
    return CampaignStore.open(data_dir), AuditLog.in_data_dir(data_dir)


def _actor() -> str:
    from provisioning.audit import os_actor

    return os_actor()


def _get(store: CampaignStore, campaign_id: str) -> Campaign:
    try:
        return store.get(campaign_id)
    except KeyError:
        raise InputError.at(campaign_id, 0, "no such campaign (pubwifi provision list)") from None


def _create(store: CampaignStore, audit: Any, change: Change, plan: Any, actor: str) -> Campaign:
    text = Path(change.path).read_bytes().decode("utf-8")
    document = plan.as_json()
    campaign = store.create(
        change_name=change.name,
        change_path=str(Path(change.path).resolve()),
        change_text=text,
        reason=change.reason,
        created_by=actor,
        waves=plan.waves(),
        plan={"summary": plan.summary_lines(), "flags": document["flags"]},
    )
    audit.append(actor, "plan", campaign=campaign.id, detail={"aps": len(plan.to_apply)})
    return campaign


def _change_of(campaign: Campaign) -> Change:
    """The change exactly as reviewed: the campaign's stored text, not today's file."""
    import tempfile

    from provisioning.change import load_change

    original = Path(campaign.change_path)
    if original.exists() and original.read_bytes().decode("utf-8") == campaign.change_text:
        return load_change(original)
    with tempfile.TemporaryDirectory() as folder:  # the file changed since: use what was approved
        copy = Path(folder) / original.name
        copy.write_text(campaign.change_text, encoding="utf-8")
        return load_change(copy)


def _applier(args: argparse.Namespace, store: CampaignStore, audit: Any) -> Applier:
    from collector.inventory.load import load_inventory
    from collector.settings import load_settings
    from collector.ssh.sweep import ApCollector
    from provisioning.apply import Applier
    from provisioning.snmpcheck import snmp_problems

    settings = load_settings()
    data_dir = Path(settings.data_dir).resolve()
    inventory = load_inventory(args.inventory or settings.inventory)
    collector = ApCollector.in_data_dir(data_dir, settings.ssh_timeout_s)
    return Applier(
        inventory=inventory,
        data_dir=data_dir,
        store=store,
        audit=audit,
        collector=collector,
        actor=_actor(),
        environ=dict(os.environ),
        concurrency=args.concurrency,
        snmp_verify=None if args.no_snmp else snmp_problems,
        progress=lambda text: print(text, flush=True),
    )


def _execute(
    args: argparse.Namespace, store: CampaignStore, audit: Any, campaign_id: str, change: Change
) -> int:
    from provisioning.apply import Halted

    applier = _applier(args, store, audit)
    try:
        report: RunReport = applier.run(
            campaign_id, change, ignore_window=getattr(args, "ignore_window", False)
        )
    except Halted as error:
        raise InputError.at(campaign_id, 0, str(error)) from None
    if report.halted_reason:
        print(f"campaign {campaign_id} {report.state}: {report.halted_reason}")
        print(
            f"untouched APs stay as they are; continue: pubwifi provision resume {campaign_id}; "
            f"undo: pubwifi provision rollback {campaign_id}"
        )
    else:
        print(f"campaign {campaign_id} {report.state}")
    print(json.dumps(report.as_dict(), separators=(",", ":")), flush=True)
    return 0 if report.state == "completed" else 1
