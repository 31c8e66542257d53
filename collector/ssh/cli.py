"""``pubwifi ssh``: sweep the fleet over SSH, and manage the host keys it trusts.

pubwifi ssh sweep --once [--inventory FILE] [--shard K/N] [--concurrency N] [--timeout S]
                  [--sink influx|none]
pubwifi ssh facts AP [--json]
pubwifi ssh hostkeys [--changed] [--json]
pubwifi ssh hostkeys trust AP [--inventory FILE]
pubwifi ssh hostkeys forget AP [--inventory FILE]

Logins come from the inventory's ``auths.ssh`` (``${ENV}`` references only). Host keys are in
``DATA_DIR/ssh/known_hosts`` (OpenSSH format); a changed key is refused before any credential
is sent and stays refused until ``hostkeys trust``. The sweep's last output line is JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.errors import InputError, Problem
from collector.poll.shard import ALL, Shard

if TYPE_CHECKING:
    from collector.inventory.model import AccessPoint, Inventory
    from collector.ssh.knownhosts import KnownHosts

log = logging.getLogger(__name__)
KST = dt.timezone(dt.timedelta(hours=9), "KST")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ssh",
        help="collect facts and configuration backups over SSH; manage host keys",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="ssh_command", metavar="COMMAND", required=True)
    sweep = commands.add_parser("sweep", help="collect every AP over SSH once")
    sweep.add_argument("--once", action="store_true", required=True, help="one sweep, then exit")
    _inventory_option(sweep)
    sweep.add_argument("--shard", type=Shard.parse, default=ALL, metavar="K/N")
    sweep.add_argument(
        "--concurrency", type=int, default=None, metavar="N", help="sessions at once (default 64)"
    )
    sweep.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="per-AP deadline (default 30)"
    )
    sweep.add_argument(
        "--sink",
        choices=("influx", "none"),
        default="influx",
        help="where ap_facts points go (none: facts store and config repository only)",
    )
    sweep.set_defaults(func=run_sweep)

    facts = commands.add_parser("facts", help="an AP's latest SSH facts")
    facts.add_argument("ap", metavar="AP")
    facts.add_argument("--json", action="store_true")
    facts.set_defaults(func=run_facts)

    keys = commands.add_parser("hostkeys", help="list trusted and changed host keys")
    keys.add_argument("--changed", action="store_true", help="only keys refused as changed")
    keys.add_argument("--json", action="store_true")
    keys.set_defaults(func=run_hostkeys)
    key_commands = keys.add_subparsers(dest="hostkeys_command", metavar="ACTION")
    trust = key_commands.add_parser("trust", help="trust the changed key an AP now shows")
    trust.add_argument("ap", metavar="AP")
    _inventory_option(trust)
    trust.set_defaults(func=run_trust)
    forget = key_commands.add_parser("forget", help="forget an AP's key (a replaced unit)")
    forget.add_argument("ap", metavar="AP")
    _inventory_option(forget)
    forget.set_defaults(func=run_forget)


def _inventory_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inventory",
        default=None,
        metavar="FILE",
        help="the fleet (default: PUBWIFI_INVENTORY or inventory.yaml)",
    )


def run_sweep(args: argparse.Namespace) -> int:
    from collector.inventory.load import load_inventory
    from collector.settings import load_settings
    from collector.ssh.configrepo import ConfigRepo
    from collector.ssh.factstore import FactStore
    from collector.ssh.profile import load_ssh_profiles
    from collector.ssh.sweep import ApCollector, SweepRecorder, select, sweep_once

    started = time.perf_counter()
    settings = load_settings()
    inventory = load_inventory(args.inventory or settings.inventory)
    profiles = load_ssh_profiles()
    aps = select(args.shard.select(inventory), profiles)
    check_ssh_secrets(inventory, aps)
    data_dir = Path(settings.data_dir).resolve()
    collector = ApCollector.in_data_dir(data_dir, args.timeout or settings.ssh_timeout_s, profiles)
    known_hosts = collector.known_hosts
    facts = FactStore.in_data_dir(data_dir)
    repo = ConfigRepo.open(data_dir / "configs")
    pipeline = None
    if args.sink == "influx":
        from collector.collect.pipeline import open_pipeline

        name = f"ssh-{args.shard.number}of{args.shard.count}"
        pipeline = open_pipeline(settings, inventory, name=name)
    spool = pipeline.sink.spool.append if pipeline is not None else None
    try:
        with SweepRecorder(facts, repo, data_dir, spool=spool) as recorder:
            summary = sweep_once(
                aps,
                collector,
                recorder,
                concurrency=args.concurrency or settings.ssh_concurrency,
                progress=lambda done, total: print(f"ssh: {done}/{total} APs", file=sys.stderr),
            )
    finally:
        facts.close()
        known_hosts.close()
        if pipeline is not None:
            pipeline.close(drain_timeout_s=60.0)
    document = summary.as_dict()
    document["seconds"] = round(time.perf_counter() - started, 3)
    if pipeline is not None:
        document["spooled_left"] = pipeline.sink.spool.depth_lines
    print(json.dumps(document, separators=(",", ":")), flush=True)
    return 0 if summary.ok or not summary.aps else 1


def check_ssh_secrets(inventory: Inventory, aps: list[AccessPoint]) -> None:
    """Every SSH secret the selected APs use must be set; all missing ones are listed."""
    from collector.secrets import UnsetSecretError

    problems: dict[str, Problem] = {}
    for ap in aps:
        for ref in ap.ssh_auth.refs():
            if ref.env in problems:
                continue
            try:
                ref.resolve()
            except UnsetSecretError:
                problems[ref.env] = Problem(
                    inventory.path,
                    ap.line,
                    f"ssh auth {ap.ssh_auth.name!r}: environment variable {ref.env} is not set",
                )
    if problems:
        raise InputError(list(problems.values()))


def run_facts(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from collector.settings import load_settings
    from collector.ssh.factstore import FactStore

    path = Path(load_settings().data_dir) / "ssh" / "facts.sqlite"
    if not path.exists():
        raise InputError.at(str(path), 0, "no SSH facts yet: run 'pubwifi ssh sweep --once'")
    store = FactStore(path, readonly=True)
    try:
        stored = store.get(args.ap)
        attempt = store.attempt(args.ap)
        changes = store.changes(args.ap)
    finally:
        store.close()
    if stored is None and attempt is None:
        raise InputError.at(str(path), 0, f"no SSH facts for AP {args.ap!r}")
    if args.json:
        document = {
            "ap": args.ap,
            "collected_at": stored.collected_at if stored else None,
            "facts": asdict(stored.facts) if stored else None,
            "last_attempt": asdict(attempt) if attempt else None,
            "changes": [asdict(c) for c in changes],
        }
        print(json.dumps(document, ensure_ascii=False, indent=1))
        return 0
    if attempt is not None and not attempt.ok:
        print(f"last attempt {_kst(attempt.at)}: FAILED ({attempt.reason})")
    if stored is not None:
        f = stored.facts
        print(f"{args.ap}  collected {_kst(stored.collected_at)}")
        for label, value in (
            ("hostname", f.hostname),
            ("model", f.model),
            ("serial", f.serial),
            ("firmware", f.firmware),
            ("uptime", _duration(f.uptime_s)),
            ("clients", f.clients),
        ):
            print(f"  {label:<9} {value if value is not None else '-'}")
        for radio in f.radios:
            power = f"{radio.tx_power_dbm:g} dBm" if radio.tx_power_dbm is not None else "-"
            print(
                f"  radio     {radio.name:<12} {radio.band:<7} channel {radio.channel or '-':<4}"
                f" {power:<8} clients {radio.clients if radio.clients is not None else '-'}"
            )
        for ssid in f.ssids:
            print(f"  ssid      {ssid.name:<32} clients {ssid.clients}")
    for change in changes[-10:]:
        print(f"  changed   {_kst(change.seen_at)} {change.field}: {change.old} -> {change.new}")
    return 0


def run_hostkeys(args: argparse.Namespace) -> int:
    from collector.settings import load_settings
    from collector.ssh.knownhosts import KnownHosts, fingerprint

    store = KnownHosts.in_data_dir(Path(load_settings().data_dir))
    changed = store.changed()
    if args.json:
        rows = [
            {
                "ap": c.ap_id,
                "host": c.host,
                "known": fingerprint(c.known),
                "seen": fingerprint(c.seen),
                "first_seen": c.first_seen,
                "last_seen": c.last_seen,
                "times": c.times,
            }
            for c in changed
        ]
        print(json.dumps({"trusted": len(store), "changed": rows}, indent=1))
        return 0
    if not args.changed:
        print(f"{len(store)} hosts trusted in {store.path}")
    if not changed:
        print("no changed host keys")
        return 0
    print(f"{len(changed)} changed host key(s), refused (no credential was sent):")
    print(f"  {'AP':<18} {'host':<24} {'first seen (KST)':<20} {'times':>5}  seen key")
    for c in changed:
        print(
            f"  {c.ap_id:<18} {c.host:<24} {_kst(c.first_seen):<20} {c.times:>5}  "
            f"{fingerprint(c.seen)} (trusted: {fingerprint(c.known)})"
        )
    print("trust one after checking it on site: pubwifi ssh hostkeys trust AP")
    return 0


def _host_of(args: argparse.Namespace, store: KnownHosts) -> str:
    from collector.inventory.load import load_inventory
    from collector.settings import load_settings
    from collector.ssh.knownhosts import host_entry

    settings = load_settings()
    inventory = load_inventory(args.inventory or settings.inventory)
    try:
        ap = inventory.ap(args.ap)
    except KeyError:
        raise InputError.at(inventory.path, 0, f"no AP {args.ap!r} in the inventory") from None
    return host_entry(str(ap.address), ap.ssh_port)


def run_trust(args: argparse.Namespace) -> int:
    from collector.settings import load_settings
    from collector.ssh.knownhosts import KnownHosts, fingerprint

    store = KnownHosts.in_data_dir(Path(load_settings().data_dir))
    host = _host_of(args, store)
    try:
        change = store.trust(host)
    except KeyError:
        raise InputError.at(
            str(store.changed_path), 0, f"{args.ap} ({host}) has no changed key to trust"
        ) from None
    print(f"{args.ap} ({host}): now trusting {fingerprint(change.seen)}")
    log.warning("ssh host key of %s (%s) re-trusted by an engineer", args.ap, host)
    return 0


def run_forget(args: argparse.Namespace) -> int:
    from collector.settings import load_settings
    from collector.ssh.knownhosts import KnownHosts

    store = KnownHosts.in_data_dir(Path(load_settings().data_dir))
    host = _host_of(args, store)
    if not store.forget(host):
        raise InputError.at(str(store.path), 0, f"{args.ap} ({host}) has no trusted key")
    print(f"{args.ap} ({host}): key forgotten; the next key it shows is recorded as new")
    return 0


def _kst(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, KST).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h {rest // 60}m"
