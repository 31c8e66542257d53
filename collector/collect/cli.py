"""``pubwifi collect``: scheduled SNMP collection into InfluxDB, in its own process.

Shard 1 of N also keeps the fleet-wide jobs: the ledger rollup (every 5 minutes) and the alert
evaluation (every minute, :func:`collector.alerts.service.evaluate_and_notify`; ``--no-alerts``
switches it off). The alert rules are loaded and checked against the inventory at start, so a
bad rules file is a ``FILE:LINE`` error before collection begins; each evaluation reads the file
again (an edit applies at the next minute; a broken edit is logged and counted, collection
goes on).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.errors import InputError, Problem
from collector.inventory.model import AccessPoint
from collector.poll.cli import (
    check_secrets,
    data_name,
    freeze_startup_objects,
    own_shard,
    share,
)
from collector.poll.shard import ALL, Shard
from collector.workers.child import is_worker, report, watch_parent
from collector.workers.options import add_worker_options, is_parent, worker_count

if TYPE_CHECKING:
    from collector.collect.pipeline import Pipeline
    from collector.inventory.model import Inventory
    from collector.metrics import CollectorMetrics
    from collector.settings import Settings
    from collector.ssh.schedule import SshSchedule

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 10


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "collect",
        help="poll every AP on a schedule and write traffic and sessions to InfluxDB",
        description="Scheduled SNMP collection: each AP is polled at a stable phase of the "
        "interval; exact counter deltas go through a disk spool to InfluxDB; the collector's "
        "own metrics are on /metrics.",
    )
    parser.add_argument(
        "--inventory",
        default=None,
        metavar="FILE",
        help="the fleet (default: PUBWIFI_INVENTORY or inventory.yaml)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="polling interval (default: PUBWIFI_POLL_INTERVAL or 300; >= 10)",
    )
    parser.add_argument(
        "--counter32-interval",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="shorter period for platforms with only 32-bit octet counters, "
        "so a busy radio cannot wrap twice between polls (default 20)",
    )
    parser.add_argument(
        "--shard",
        type=Shard.parse,
        default=ALL,
        metavar="K/N",
        help="collect only the APs a stable hash gives to shard K of N",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        metavar="PORT",
        help="/metrics port (default: PUBWIFI_METRICS_PORT + K - 1)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="requests in flight to answering APs, shared by the workers "
        "(default: PUBWIFI_POLL_CONCURRENCY or 256)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="per-AP deadline (default: PUBWIFI_POLL_TIMEOUT or 2)",
    )
    parser.add_argument(
        "--ssh-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="SSH collection (facts, client counts, config backups) of each AP once per "
        "interval (default: PUBWIFI_SSH_INTERVAL or 21600 = 6 h)",
    )
    parser.add_argument(
        "--no-ssh", action="store_true", help="SNMP only: no scheduled SSH collection"
    )
    parser.add_argument(
        "--no-alerts",
        action="store_true",
        help="do not evaluate alert rules here (shard 1 does by default; see pubwifi alerts run)",
    )
    parser.add_argument(
        "--max-cycles",
        type=int,
        default=None,
        metavar="N",
        help="stop after N cycles (tests, benchmarks); default: run until SIGTERM",
    )
    add_worker_options(parser, "collect")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from collector.collect.layout import adopt_other_layouts
    from collector.collect.phases import PhasePlan
    from collector.collect.pipeline import open_pipeline
    from collector.collect.scheduler import Collector, run_forever
    from collector.metrics import CollectorMetrics
    from collector.poll.backoff import BackOff
    from collector.poll.cli import discovery_cache, load_fleet
    from collector.poll.runner import Runner, RunnerOptions
    from collector.profiles import load_profiles
    from collector.settings import load_settings
    from collector.snmp.gufo_backend import GufoEngine

    settings = load_settings()
    interval = args.interval if args.interval is not None else float(settings.poll_interval_s)
    if interval < MIN_INTERVAL_S:
        raise InputError(Problem("--interval", 0, f"must be at least {MIN_INTERVAL_S} s"))
    port = args.metrics_port or settings.metrics_port + args.shard.number - 1
    if is_parent(args):
        from collector.collect.workers import run_parent

        return run_parent(args, settings, worker_count(args), port)
    watch_parent()
    shard = own_shard(args)
    inventory_path = Path(args.inventory or settings.inventory)
    # the fleet-wide jobs and the shard's SSH collection (worker 1) need every AP
    whole = shard.keeps_fleet_jobs or (shard.worker == 1 and not args.no_ssh)
    inventory = load_fleet(inventory_path, settings.data_dir, shard, whole)
    aps = [ap for ap in shard.select(inventory) if ap.status.is_polled]
    check_secrets(inventory, aps)
    profiles = load_profiles()
    plan = PhasePlan(_periods(aps, profiles, interval, args.counter32_interval))

    from prometheus_client import CollectorRegistry

    metrics = CollectorMetrics(CollectorRegistry())
    metrics.poll_interval.set(interval)
    if not is_worker():  # a worker's metrics are served by its parent
        metrics.serve("127.0.0.1", port)
        adopt_other_layouts(settings.data_dir, shard)
    pipeline = open_pipeline(settings, inventory, metrics, name=data_name(shard))
    options = RunnerOptions(
        concurrency=share(args.concurrency or settings.poll_concurrency, args),
        deadline_s=args.timeout or settings.poll_timeout_s,
    )
    engine = GufoEngine(
        request_timeout=options.deadline_s / 2,
        retries=1,
        session_reserve=1024 + options.pending_limit,
        want_sessions=len(aps),
    )
    cache = discovery_cache(settings.data_dir, shard, profiles)
    runner = Runner(engine, profiles, options, backoff=BackOff(), discovery=cache)
    runner.ap_poller.restore(cache.load({ap.id for ap in aps}))
    cache.mark_saved(runner.ap_poller)
    ssh = None
    if not args.no_ssh and shard.worker == 1:  # one process per shard keeps the config history
        ssh_aps = (
            aps
            if shard.workers == 1
            else [ap for ap in shard.host.select(inventory) if ap.status.is_polled]
        )
        ssh = _ssh_schedule(settings, inventory, ssh_aps, pipeline, metrics, args)
    alerts = None if args.no_alerts else alerts_job(settings, inventory, metrics, shard)
    collector = Collector(
        plan,
        runner,
        pipeline,
        metrics,
        interval,
        rollup=_rollup(settings, inventory, pipeline, interval, shard),
        ssh=ssh,
        alerts=alerts,
        label="" if shard.workers == 1 else f"worker {shard.worker}/{shard.workers}",
        on_cycle=_report_cycle if is_worker() else None,
    )
    log.info(
        "collecting %d APs (shard %s) every %.0f s; metrics on 127.0.0.1:%d/metrics",
        len(plan),
        shard,
        interval,
        port,
    )
    freeze_startup_objects()
    if is_worker():
        report("ready", aps=len(plan))
    try:
        return run_forever(collector, max_cycles=args.max_cycles)
    finally:
        if collector.ssh is not None:
            collector.ssh.close()
        pipeline.close()
        runner.save_discovery()


def _report_cycle(cycle: dict[str, object]) -> None:
    report("cycle", **cycle)


def _ssh_schedule(
    settings: Settings,
    inventory: Inventory,
    aps: list[AccessPoint],
    pipeline: Pipeline,
    metrics: CollectorMetrics,
    args: argparse.Namespace,
) -> SshSchedule | None:
    """SSH collection of the shard's APs over its own interval, or None when not configured."""
    from collector.ssh.cli import check_ssh_secrets
    from collector.ssh.configrepo import ConfigRepo
    from collector.ssh.factstore import FactStore
    from collector.ssh.profile import load_ssh_profiles
    from collector.ssh.schedule import SshSchedule
    from collector.ssh.sweep import ApCollector, SweepRecorder, select

    interval = args.ssh_interval if args.ssh_interval is not None else settings.ssh_interval_s
    if interval < MIN_INTERVAL_S:
        raise InputError(Problem("--ssh-interval", 0, f"must be at least {MIN_INTERVAL_S} s"))
    profiles = load_ssh_profiles()
    chosen = select(aps, profiles)
    if not chosen:
        return None
    try:
        check_ssh_secrets(inventory, chosen)
    except InputError as error:
        hint = Problem("--no-ssh", 0, "or collect over SNMP only with --no-ssh")
        raise InputError([*error.problems, hint]) from None
    data_dir = Path(settings.data_dir).resolve()
    collector = ApCollector.in_data_dir(data_dir, settings.ssh_timeout_s, profiles)
    facts = FactStore.in_data_dir(data_dir)
    repo = ConfigRepo.open(data_dir / "configs")

    def recorder() -> SweepRecorder:
        spool = pipeline.sink.spool.append
        return SweepRecorder(facts, repo, data_dir, spool=spool, metrics=metrics)

    log.info("ssh: %d APs every %.0f s", len(chosen), interval)
    return SshSchedule(chosen, interval, collector, recorder, concurrency=settings.ssh_concurrency)


def alerts_job(
    settings: Settings,
    inventory: Inventory,
    metrics: CollectorMetrics,
    shard: Shard,
    clock: Callable[[], float] = time.time,
) -> Callable[[], object] | None:
    """The alert job: one evaluation of the whole fleet's rules (shard 1 of N only).

    The rules are loaded and checked against the inventory now (``InputError``, with a hint
    at ``--no-alerts``); the job itself loads them afresh each minute.
    """
    if not shard.keeps_fleet_jobs:
        return None  # alerts cover the whole fleet; one collector process evaluates them
    from collector.alerts.rules import check_inventory, load_rules
    from collector.alerts.service import evaluate_and_notify

    try:
        check_inventory(load_rules(settings.alerts), inventory)
    except InputError as error:
        hint = Problem("--no-alerts", 0, "or collect without evaluating alerts: --no-alerts")
        raise InputError([*error.problems, hint]) from None

    def job() -> object:
        return evaluate_and_notify(settings, inventory, clock(), metrics=metrics)

    return job


def _periods(
    aps: list[AccessPoint], profiles: dict[str, Any], interval: float, counter32: float
) -> list[tuple[float, list[AccessPoint]]]:
    normal = [ap for ap in aps if profiles[ap.platform].counter_bits == 64]
    narrow = [ap for ap in aps if profiles[ap.platform].counter_bits == 32]
    groups = [(interval, normal)]
    if narrow:
        groups.append((min(interval, counter32), narrow))
    return groups


def _rollup(
    settings: Settings, inventory: Inventory, pipeline: Pipeline, interval: float, shard: Shard
) -> Callable[[], object] | None:
    """The ledger job: roll up closed hours from what InfluxDB holds (shard 1 of N only)."""
    if not shard.keeps_fleet_jobs:
        return None  # the ledger covers the whole fleet; one collector process keeps it
    from collector.ledger.cli import query_client
    from collector.ledger.due import run_due
    from collector.ledger.mirror import LedgerMirror

    query = query_client(settings)
    state_dir = Path(settings.data_dir) / "ledger"
    state_dir.mkdir(parents=True, exist_ok=True)
    mirror = LedgerMirror.in_dir(settings.data_dir)

    report = _monthly_report(settings, inventory, query, state_dir, pipeline, mirror)
    progress = _rollout_progress(settings, inventory, pipeline, mirror)

    def job() -> object:
        try:  # first: a ledger catching up on a long gap must not hold the snapshot back
            progress()
        except Exception:  # a failed snapshot waits for the next hour; the ledger goes on
            log.exception("rollout progress snapshot failed")
        result = run_due(
            query,
            pipeline.sink.spool.append,
            inventory,
            state_dir,
            time.time(),
            int(interval),
            on_day=mirror.put_day,
        )
        log.info("ledger rollup: %s", result)
        report()
        return result

    return job


def _rollout_progress(
    settings: Settings, inventory: Inventory, pipeline: Pipeline, mirror: Any
) -> Callable[[], object]:
    """The Wi-Fi 6 programme as ``rollout_progress`` points, hourly (for Grafana)."""
    from collector.profiles import load_profiles
    from collector.rollout.progress import ProgressSnapshots
    from collector.rollout.state import ApRollout
    from collector.rollout.status import rollout_status
    from collector.rollout.store import RolloutStore

    profiles = load_profiles()
    data_dir = Path(settings.data_dir)

    def rows(now: float) -> list[ApRollout]:
        store = RolloutStore.existing(data_dir)
        try:
            return rollout_status(inventory, store, mirror, profiles, now).rows
        finally:
            if store is not None:
                store.close()

    return ProgressSnapshots(rows, pipeline.sink.spool.append)


def _monthly_report(
    settings: Settings,
    inventory: Inventory,
    query: Any,
    state_dir: Path,
    pipeline: Pipeline,
    mirror: Any = None,
) -> Callable[[], object]:
    """Last month's report, once the ledger has closed the month and the spool is shipped.

    Runs after each rollup (every 5 minutes and at start): the report is due from the 1st at
    06:00 KST (:func:`collector.reports.schedule.due_month`); it waits while the ledger has not
    rolled the month's last hour up or rolled-up points still wait in the spool, so a collector
    that comes back after days first catches up, then reports.
    """
    from collector.ledger.due import load_last_hour
    from collector.reports.build import month_window, parse_month
    from collector.reports.cli import produce, report_root
    from collector.reports.schedule import MonthlyReportJob, due_month
    from collector.savings.tariff import load_tariffs

    root = report_root(settings, None)

    def make(month: str) -> object:
        book = load_tariffs(settings.tariffs)
        return produce(
            query,
            book,
            inventory.aps,
            month,
            root,
            reason="scheduled (1st, 06:00 KST)",
            mirror=mirror,
        )

    job = MonthlyReportJob(root, make)

    def run() -> object:
        month = due_month(time.time(), root)
        if month is None:
            return None
        _, end = month_window(*parse_month(month))
        last = load_last_hour(state_dir)
        if last is None or last + 3600 < end or pipeline.sink.spool.depth_lines > 0:
            log.info("monthly report %s waits for the ledger to close the month", month)
            return None
        return job()

    return run
