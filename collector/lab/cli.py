"""``pubwifi lab``: run the simulated fleet; ``pubwifi lab truth``: print its ground truth.

pubwifi lab --inventory FILE [--seed S] [--snmp-port P] [--ssh-port P]
            [--faults FILE ...] [--fault KIND:AP_ID|FRACTION[:key=value...] ...]
            [--trap-receiver HOST:PORT]
pubwifi lab truth --inventory FILE --from T1 --to T2 [--ap ID] [--seed S] --json
pubwifi lab backfill --inventory FILE --days N [--until T] [--step-minutes M] [--seed S]
                     [--no-rollup]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

from collector.errors import InputError
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory
from collector.lab.faults import FaultPlan, build_plan
from collector.lab.truth import fleet_truth, parse_time
from collector.secrets import UnsetSecretError

log = logging.getLogger(__name__)
DEFAULT_SEED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="run the simulated Seoul fleet (SNMP + SSH) or print its ground truth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser, required=False)  # sub-commands take their own --inventory
    parser.add_argument("--snmp-port", type=int, help="serve every AP's SNMP on this UDP port")
    parser.add_argument("--ssh-port", type=int, help="serve every AP's SSH CLI on this TCP port")
    parser.add_argument(
        "--faults",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="fault rules (YAML); may be given more than once (the rules of every file apply)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND:TARGET",
        help="a fault rule: down:AP-11110-00001, reboot:0.01:every_minutes=30, "
        "link_flap:AP-11110-00002:every_minutes=30:down_seconds=20",
    )
    parser.add_argument(
        "--trap-receiver",
        metavar="HOST:PORT",
        help="send the APs' SNMP notifications (coldStart on reboot faults, linkDown/linkUp on "
        "link_flap faults, authenticationFailure on bad credentials) to this loopback receiver, "
        "e.g. 127.0.0.1:16162 (pubwifi traps); default: none",
    )
    parser.set_defaults(func=run_lab)
    commands = parser.add_subparsers(dest="lab_command", metavar="COMMAND")
    truth = commands.add_parser("truth", help="exact bytes and sessions per AP in [T1, T2)")
    _common(truth)
    truth.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="T1",
        help="epoch seconds or ISO 8601 (no zone: KST)",
    )
    truth.add_argument("--to", dest="end", required=True, metavar="T2")
    truth.add_argument("--ap", action="append", default=[], metavar="ID", help="only this AP")
    truth.add_argument("--json", action="store_true", help="print JSON (the only format)")
    truth.set_defaults(func=run_truth)
    progress = commands.add_parser(
        "rollout-faults",
        help="write a fault file that puts the inventory's rollout programme in progress",
        description=programme_doc(),
    )
    _common(progress)
    progress.add_argument("--days", type=int, default=21, help="over the last N days")
    progress.add_argument("--until", metavar="T", help="end of the span (default now)")
    progress.add_argument("--share", type=float, default=0.7, help="replacements done (0-1)")
    progress.add_argument("-o", "--output", type=Path, required=True, help="the fault file")
    progress.set_defaults(func=run_rollout_faults)
    backfill = commands.add_parser(
        "backfill",
        help="write N days of history through the collector's write path",
        description="Synthesise the samples the collector would have polled from the lab over "
        "[until - N days, until) and write them through the same counters, baselines "
        "(DATA_DIR/backfill), spool and InfluxDB writer as live collection; then roll up the "
        "ledger. The last line of output is a JSON summary.",
    )
    _common(backfill)
    backfill.add_argument("--days", type=int, required=True, metavar="N")
    backfill.add_argument(
        "--until",
        metavar="T",
        help="end of the window, epoch seconds or "
        "ISO 8601 (no zone: KST); default now; aligned down to the step",
    )
    backfill.add_argument(
        "--step-minutes",
        type=int,
        default=15,
        metavar="M",
        help="poll interval to synthesise (default 15; must divide a day)",
    )
    backfill.add_argument(
        "--max-substeps",
        type=int,
        default=3,
        metavar="K",
        help="split a step into at most K samples for 32-bit counters "
        "(default 3); radios needing more get counted ambiguous gaps",
    )
    backfill.add_argument("--no-rollup", action="store_true", help="skip the ledger rollup")
    backfill.add_argument(
        "--faults",
        type=Path,
        metavar="FILE",
        help="fault rules whose events change history (goes_live, swapped_to_wifi6, reboot)",
    )
    backfill.add_argument("--fault", action="append", default=[], metavar="KIND:TARGET")
    backfill.set_defaults(func=run_backfill)


def _common(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--inventory", type=Path, required=required, metavar="FILE")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="traffic model seed")


def run_truth(args: argparse.Namespace) -> int:
    inventory = load_inventory(args.inventory)
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    if end < start:
        raise InputError.at("--to", 0, "must not be before --from")
    aps = list(inventory.aps)
    if args.ap:
        known = {ap.id for ap in aps}
        missing = [ap_id for ap_id in args.ap if ap_id not in known]
        if missing:
            raise InputError.at(str(args.inventory), 0, f"unknown AP id(s): {', '.join(missing)}")
        aps = [inventory.ap(ap_id) for ap_id in args.ap]
    rows = fleet_truth(aps, args.seed, start, end)
    document = {
        "from": int(start // 1),
        "to": int(end // 1),
        "seed": args.seed,
        "aps": [row.as_dict() for row in rows],
        "total": {
            "bytes_in": sum(r.bytes_in for r in rows),
            "bytes_out": sum(r.bytes_out for r in rows),
            "sessions": sum(r.sessions for r in rows),
        },
    }
    json.dump(document, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


def programme_doc() -> str:
    from collector.lab import programme

    return str(programme.__doc__)


def run_rollout_faults(args: argparse.Namespace) -> int:
    from collector.lab.programme import programme_faults

    inventory = load_inventory(args.inventory)
    until = parse_time(args.until, "--until") if args.until else time.time()
    if not 0 <= args.share <= 1 or args.days < 2:
        raise InputError.at("--share/--days", 0, "need 0 <= --share <= 1 and --days >= 2")
    text = programme_faults(inventory, until - args.days * 86_400, until, share=args.share)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {text.count('kind:')} fault rules to {args.output}")
    return 0


def run_backfill(args: argparse.Namespace) -> int:
    from collector.collect.pipeline import open_pipeline
    from collector.influx.query import QueryError
    from collector.lab.backfill import Backfill, Window, rollup_backfilled_hours
    from collector.settings import load_settings

    started = time.perf_counter()
    inventory = load_inventory(args.inventory)
    until = parse_time(args.until, "--until") if args.until else time.time()
    try:
        window = Window.ending(until, args.days, args.step_minutes * 60)
    except ValueError:
        raise InputError.at(
            "--days/--step-minutes",
            0,
            "need --days >= 1 and --step-minutes between 1 and 1440 that divides a day (1440)",
        ) from None
    settings = load_settings()
    pipeline = open_pipeline(settings, inventory, name="backfill")
    try:
        backfill = Backfill(
            inventory,
            pipeline,
            window,
            seed=args.seed,
            progress=_stderr,
            max_substeps=max(1, args.max_substeps),
            faults=build_plan(args.faults, args.fault),
        )
        report = backfill.run()
        if not args.no_rollup:
            _stderr(f"backfill: rolling up {len(window.hours())} hours")
            try:
                report.rollup = rollup_backfilled_hours(settings, inventory, pipeline, window)
            except QueryError as error:
                _stderr(f"backfill: the ledger rollup failed: {error}")
                report.rollup = {"error": str(error)}
            backfill.wait_for_spool(0, 600.0)
            report.written = pipeline.shipper.stats.written
    finally:
        pipeline.close(drain_timeout_s=30.0)
    document = report.as_dict()
    document["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(document, separators=(",", ":")), flush=True)
    failed = report.spooled_left or report.dropped or (report.rollup or {}).get("error")
    return 1 if failed else 0


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_lab(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.inventory is None:
        raise InputError.at("--inventory", 0, "required: the inventory whose APs to serve")
    receiver = None
    if args.trap_receiver is not None:
        from collector.lab.notify import parse_receiver

        receiver = parse_receiver(args.trap_receiver)
    inventory = load_inventory(args.inventory)
    plan = build_plan(args.faults, args.fault)
    unknown = plan.unknown_aps({ap.id for ap in inventory.aps})
    if unknown:
        raise InputError.at("--fault", 0, f"unknown AP id(s): {', '.join(unknown)}")
    return asyncio.run(_serve(inventory, plan, args, started, receiver))


async def _serve(
    inventory: Inventory,
    plan: FaultPlan,
    args: argparse.Namespace,
    started: float,
    receiver: tuple[str, int] | None = None,
) -> int:
    from collector.lab.fleet import Fleet
    from collector.lab.notify import TrapSchedule, TrapSender
    from collector.lab.snmp import SnmpAgent
    from collector.lab.ssh.device import SshCredentials
    from collector.lab.ssh.server import LabSshServer

    fleet = Fleet(
        inventory, seed=args.seed, faults=plan, snmp_port=args.snmp_port, ssh_port=args.ssh_port
    )
    try:
        credentials = SshCredentials.from_env()
    except UnsetSecretError as error:
        raise InputError.at("environment", 0, str(error)) from None
    snmp_ports = {args.snmp_port} if args.snmp_port else {ap.snmp_port for ap in inventory.aps}
    ssh_ports = {args.ssh_port} if args.ssh_port else {ap.ssh_port for ap in inventory.aps}
    sender = TrapSender(receiver) if receiver is not None else None
    hook = sender.auth_failure if sender is not None else None
    agents = [
        SnmpAgent(fleet.resolve_snmp, port=port, on_auth_failure=hook)
        for port in sorted(snmp_ports)
    ]
    servers = [
        LabSshServer(fleet.resolve_ssh, seed=args.seed, credentials=credentials, port=port)
        for port in sorted(ssh_ports)
    ]
    try:
        for agent in agents:
            await agent.start()
        for server in servers:
            await server.start()
    except OSError as error:
        for agent in agents:
            agent.close()
        ports = f"udp {sorted(snmp_ports)} / tcp {sorted(ssh_ports)}"
        raise InputError.at(
            "--snmp-port/--ssh-port", 0, f"cannot listen on {ports}: {error.strerror}"
        ) from None
    print(
        json.dumps(
            {
                "lab": "ready",
                "aps": len(fleet),
                "seed": args.seed,
                "snmp_ports": sorted(snmp_ports),
                "ssh_ports": sorted(ssh_ports),
                "fault_rules": len(plan.rules),
                "trap_receiver": None if receiver is None else f"{receiver[0]}:{receiver[1]}",
                "startup_seconds": round(time.perf_counter() - started, 3),
            }
        ),
        flush=True,
    )
    notifying: asyncio.Task[None] | None = None
    if sender is not None:
        schedule = TrapSchedule(fleet, sender)
        log.info("lab traps: to %s, %d fault events queued", args.trap_receiver, len(schedule))
        notifying = asyncio.create_task(schedule.run(), name="lab-traps")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    if notifying is not None:
        notifying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await notifying
    for agent in agents:
        agent.close()
    for server in servers:
        await server.close()
    if sender is not None:
        sender.report(final=True)
        sender.close()
    return 0
