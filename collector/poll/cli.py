"""``pubwifi poll --once``: poll every AP of an inventory once, as fast as it can.

Its last line of output is JSON: ``{"aps":..,"ok":..,"failed":..,"seconds":..,"samples":..}``
(plus failure reasons and conditions such as platform mismatches).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.errors import InputError, Problem
from collector.inventory.model import AccessPoint, Inventory
from collector.poll.backoff import BackOff
from collector.poll.discovery_cache import DiscoveryCache
from collector.poll.runner import PollStats, Runner, RunnerOptions
from collector.poll.shard import ALL, Shard
from collector.poll.sink import NullSink, Sink
from collector.secrets import UnsetSecretError

if TYPE_CHECKING:
    from collector.collect.pipeline import Pipeline
    from collector.snmp.gufo_backend import GufoEngine

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "poll",
        help="poll the APs of an inventory over SNMP",
        description="Poll every AP once over SNMP (v2c or v3 authPriv) and print a JSON summary.",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        required=True,
        help="poll every AP once and exit (scheduled polling: pubwifi collect)",
    )
    parser.add_argument("--inventory", default="inventory.yaml", metavar="FILE")
    parser.add_argument(
        "--sink",
        choices=("none", "influx"),
        default="none",
        help="where samples go (default: none, i.e. counted and dropped)",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        default=ALL,
        metavar="K/N",
        help="poll only the APs a stable hash gives to shard K of N (K: 1..N)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=100,
        metavar="N",
        help="requests in flight to answering APs (default 100)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=2.0,
        metavar="S",
        help="per-AP deadline in seconds, retries included (default 2)",
    )
    parser.add_argument(
        "--repeat",
        type=_positive_int,
        default=1,
        metavar="N",
        help="poll N cycles in this process (sessions, keys and discovery "
        "kept); one JSON line per cycle, the last one last (default 1)",
    )
    parser.add_argument(
        "--rediscover",
        action="store_true",
        help="ignore the saved discovery cache: detect and discover every AP "
        "again (first contact); the cache is still written",
    )
    parser.add_argument(
        "--drain-timeout",
        type=_positive_float,
        default=30.0,
        metavar="S",
        help="with --sink influx: wait up to S seconds for the spool to reach "
        "InfluxDB before exiting; what is left waits on disk (default 30)",
    )
    parser.set_defaults(func=run)


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def make_sink(kind: str) -> Sink:
    """The sink for ``--sink none``; ``influx`` is opened by :func:`run` (it needs settings)."""
    if kind == "none":
        return NullSink()
    raise InputError(Problem("--sink", 0, f"unknown sink {kind!r}"))


def data_name(shard: Shard) -> str:
    """Where a shard keeps its baselines and spool under the data directory."""
    return f"collector-{shard.number}of{shard.count}"


def check_secrets(inventory: Inventory, aps: list[AccessPoint]) -> None:
    """Every SNMP secret the selected APs use must be set; all missing ones are listed."""
    problems: dict[str, Problem] = {}
    for ap in aps:
        for ref in ap.snmp_auth.refs():
            if ref.env not in problems:
                try:
                    ref.resolve()
                except UnsetSecretError:
                    message = f"environment variable {ref.env} is not set"
                    problems[ref.env] = Problem(
                        inventory.path, ap.line, f"snmp auth {ap.snmp_auth.name!r}: {message}"
                    )
    if problems:
        raise InputError(list(problems.values()))


def run(args: argparse.Namespace) -> int:
    from collector.inventory.load import load_inventory
    from collector.profiles import load_profiles
    from collector.settings import load_settings
    from collector.snmp.gufo_backend import GufoEngine

    inventory = load_inventory(args.inventory)
    aps = [ap for ap in args.shard.select(inventory) if ap.status.is_polled]
    check_secrets(inventory, aps)
    settings = load_settings()
    pipeline = None
    if args.sink == "influx":
        from collector.collect.pipeline import open_pipeline

        pipeline = open_pipeline(settings, inventory, name=data_name(args.shard))
        sink: Sink = pipeline.sink
    else:
        sink = make_sink(args.sink)
    options = RunnerOptions(concurrency=args.concurrency, deadline_s=args.timeout)
    engine = GufoEngine(
        request_timeout=args.timeout / 2,
        retries=1,
        session_reserve=1024 + options.pending_limit,
        want_sessions=len(aps),
    )
    profiles = load_profiles()
    cache = DiscoveryCache(discovery_path(settings.data_dir, args.shard), profiles)
    runner = Runner(engine, profiles, options, backoff=BackOff(), discovery=cache)
    if not args.rediscover:
        runner.ap_poller.restore(cache.load({ap.id for ap in aps}))
        cache.mark_saved(runner.ap_poller)
    log.info(
        "polling %d of %d APs (shard %s), %d cycle(s); %d APs known from %s",
        len(aps),
        len(inventory),
        args.shard,
        args.repeat,
        len(runner.ap_poller.known),
        cache.path,
    )
    try:
        stats = asyncio.run(_cycles(args, aps, runner, engine, sink, pipeline))
    finally:
        if pipeline is not None:
            pipeline.close(drain_timeout_s=args.drain_timeout)
        runner.save_discovery()
    return 0 if stats.aps == 0 or stats.ok > 0 else 1


async def _cycles(
    args: argparse.Namespace,
    aps: list[AccessPoint],
    runner: Runner,
    engine: GufoEngine,
    sink: Sink,
    pipeline: Pipeline | None,
) -> PollStats:
    """Run ``--repeat`` cycles; print each cycle's JSON line as soon as it ends."""
    stats = PollStats()
    for cycle in range(1, args.repeat + 1):
        cpu = time.process_time()
        requests = engine.requests
        stats = await runner.poll_once(aps, sink)
        summary = stats.summary()
        summary["cycle"] = cycle
        if pipeline is not None:
            pipeline.sink.end_cycle()
            summary["written_s"] = round(
                stats.seconds + await _drained(pipeline, args.drain_timeout), 3
            )
            summary["written"] = pipeline.shipper.stats.written
            summary["spooled"] = pipeline.sink.spool.depth_lines
        summary["cpu_seconds"] = round(time.process_time() - cpu, 3)
        summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        summary["shard"] = str(args.shard)
        summary["engine"] = {
            "sessions_opened": engine.sessions_opened,
            "sessions_kept": engine.kept_sessions,
            "retries_after_timeout": engine.retries_after_timeout,
            "reopened_after_report": engine.reopened_after_report,
            "requests": engine.requests - requests,  # this cycle's
            "ports_exhausted": engine.ports_exhausted,
            "sessions_reaimed": engine.sessions_reaimed,
            "gets_split": engine.gets_split,
        }
        print(json.dumps(summary, separators=(",", ":")), flush=True)
    return stats


async def _drained(pipeline: Pipeline, timeout_s: float) -> float:
    """Seconds until the shipper has emptied the spool into InfluxDB (at most ``timeout_s``)."""
    started = time.perf_counter()
    deadline = started + timeout_s
    while pipeline.sink.spool.depth_lines and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


def discovery_path(data_dir: Path, shard: Shard) -> Path:
    """Where a shard keeps its discovery cache (``DATA_DIR/discovery-KofN.json``)."""
    return Path(data_dir) / f"discovery-{shard.number}of{shard.count}.json"


__all__ = ["discovery_path", "make_sink", "register", "run"]
