"""``pubwifi poll --once``: poll every AP of an inventory once, as fast as it can.

Its last line of output is JSON: ``{"aps":..,"ok":..,"failed":..,"seconds":..,"samples":..}``
(plus failure reasons and conditions such as platform mismatches).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.errors import InputError, Problem
from collector.poll.shard import ALL, Shard
from collector.workers.child import is_worker, report
from collector.workers.memory import peak_rss_mb
from collector.workers.options import add_worker_options, is_parent, worker_count

# The polling machinery is imported where it is used: the parent of worker processes never
# loads it (it holds no APs), so its memory stays small (see collector.poll.workers).
if TYPE_CHECKING:
    from collector.collect.pipeline import Pipeline
    from collector.inventory.model import AccessPoint, Inventory
    from collector.poll.discovery_cache import DiscoveryCache
    from collector.poll.runner import PollStats, Runner
    from collector.poll.sink import Sink
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
        help="requests in flight to answering APs, shared by the workers (default 100)",
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
    add_worker_options(parser, "poll")
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
    from collector.poll.sink import NullSink

    if kind == "none":
        return NullSink()
    raise InputError(Problem("--sink", 0, f"unknown sink {kind!r}"))


def data_name(shard: Shard) -> str:
    """Where a shard (or a worker of one) keeps its baselines and spool under the data
    directory: ``collector-KofN`` or ``collector-KofN-wJofW``."""
    return f"collector-{shard.slug}"


def own_shard(args: argparse.Namespace) -> Shard:
    """This process's part: ``--shard`` itself, or a worker's part of it."""
    shard: Shard = args.shard
    return shard if args.worker is None else shard.part(*args.worker)


def freeze_startup_objects() -> None:
    """Move what start-up made (the inventory, profiles, restored discoveries: about a million
    objects at 34,000 APs, none of them garbage) out of the cyclic collector's reach, so its
    full collections during polling do not walk them again and again (``gc.freeze``)."""
    gc.collect()
    gc.freeze()


def share(concurrency: int, args: argparse.Namespace) -> int:
    """A worker's part of the command's ``--concurrency`` (all of it for a single process)."""
    if args.worker is None:
        return concurrency
    workers: int = args.worker[1]
    return max(1, -(-concurrency // workers))


def load_fleet(path: Path, data_dir: Path, shard: Shard, whole: bool = False) -> Inventory:
    """The inventory from its compiled cache: a worker's own part only, unless ``whole``."""
    from collector.inventory.cache import cached_inventory, cached_part

    cache_dir = inventory_cache_dir(data_dir)
    if whole or shard.workers == 1:
        return cached_inventory(path, cache_dir)
    return cached_part(path, cache_dir, shard.slug, shard.owns)


def inventory_cache_dir(data_dir: Path) -> Path:
    """The collector's compiled inventory (:mod:`collector.inventory.cache`)."""
    return Path(data_dir) / "inventory"


def check_secrets(inventory: Inventory, aps: list[AccessPoint]) -> None:
    """Every SNMP secret the selected APs use must be set; all missing ones are listed."""
    from collector.secrets import UnsetSecretError

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
    from collector.settings import load_settings

    settings = load_settings()
    if is_parent(args):
        from collector.poll.workers import run_parent

        return run_parent(args, settings, worker_count(args))
    from collector.poll.backoff import BackOff
    from collector.poll.runner import Runner, RunnerOptions
    from collector.profiles import load_profiles
    from collector.snmp.gufo_backend import GufoEngine

    shard = own_shard(args)
    inventory = load_fleet(Path(args.inventory), settings.data_dir, shard)
    aps = [ap for ap in shard.select(inventory) if ap.status.is_polled]
    check_secrets(inventory, aps)
    pipeline = None
    if args.sink == "influx":
        from collector.collect.layout import adopt_other_layouts
        from collector.collect.pipeline import open_pipeline

        if args.worker is None:  # a parent adopts for its workers before starting them
            adopt_other_layouts(settings.data_dir, shard)
        pipeline = open_pipeline(settings, inventory, name=data_name(shard))
        sink: Sink = pipeline.sink
    else:
        sink = make_sink(args.sink)
    options = RunnerOptions(concurrency=share(args.concurrency, args), deadline_s=args.timeout)
    engine = GufoEngine(
        request_timeout=args.timeout / 2,
        retries=1,
        session_reserve=1024 + options.pending_limit,
        want_sessions=len(aps),
    )
    profiles = load_profiles()
    cache = discovery_cache(settings.data_dir, shard, profiles)
    runner = Runner(engine, profiles, options, backoff=BackOff(), discovery=cache)
    if not args.rediscover:
        runner.ap_poller.restore(cache.load({ap.id for ap in aps}))
        cache.mark_saved(runner.ap_poller)
    log.info(
        "polling %d of %d APs (shard %s), %d cycle(s); %d APs known from %s",
        len(aps),
        len(inventory),
        shard,
        args.repeat,
        len(runner.ap_poller.known),
        cache.path,
    )
    freeze_startup_objects()
    start: dict[str, object] = {  # what start-up loaded (printed with the first cycle)
        "inventory_aps": len(inventory),
        "known_at_start": len(runner.ap_poller.known),
        "known_from_other_layouts": cache.from_fallbacks,
        "startup_rss_mb": round(peak_rss_mb(), 1),
    }
    if is_worker():
        report("ready", aps=len(aps))
    try:
        stats = asyncio.run(_cycles(args, shard, aps, runner, engine, sink, pipeline, start))
    finally:
        if pipeline is not None:
            pipeline.close(drain_timeout_s=args.drain_timeout)
        runner.save_discovery()
    return 0 if stats.aps == 0 or stats.ok > 0 else 1


async def _cycles(
    args: argparse.Namespace,
    shard: Shard,
    aps: list[AccessPoint],
    runner: Runner,
    engine: GufoEngine,
    sink: Sink,
    pipeline: Pipeline | None,
    start: dict[str, object],
) -> PollStats:
    """Run ``--repeat`` cycles; print each cycle's JSON line as soon as it ends."""
    from collector.poll.runner import PollStats

    stats = PollStats()
    for cycle in range(1, args.repeat + 1):
        cpu = time.process_time()
        requests = engine.requests
        started_at = time.time()
        stats = await runner.poll_once(aps, sink)
        summary = stats.summary()
        summary["cycle"] = cycle
        summary["started_at"] = round(started_at, 3)
        summary["ended_at"] = round(started_at + stats.seconds, 3)
        if pipeline is not None:
            pipeline.sink.end_cycle()
            summary["written_s"] = round(
                stats.seconds + await _drained(pipeline, args.drain_timeout), 3
            )
            summary["written"] = pipeline.shipper.stats.written
            summary["spooled"] = pipeline.sink.spool.depth_lines
        summary["cpu_seconds"] = round(time.process_time() - cpu, 3)
        summary["peak_rss_mb"] = round(peak_rss_mb(), 1)
        summary["shard"] = str(shard)
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
        if cycle == 1:
            summary["start"] = start
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
    """Where a shard (or worker) keeps its discovery cache (``DATA_DIR/discovery-KofN.json``,
    ``DATA_DIR/discovery-KofN-wJofW.json``)."""
    return Path(data_dir) / f"discovery-{shard.slug}.json"


def discovery_cache(data_dir: Path, shard: Shard, profiles: dict[str, Any]) -> DiscoveryCache:
    """The shard's discovery cache; the files of its other worker layouts fill what it lacks."""
    from collector.poll.discovery_cache import DiscoveryCache

    own = discovery_path(data_dir, shard)
    host = shard.host.slug
    others = sorted(Path(data_dir).glob(f"discovery-{host}.json")) + sorted(
        Path(data_dir).glob(f"discovery-{host}-w*.json")
    )
    return DiscoveryCache(own, profiles, fallbacks=[p for p in others if p != own])


__all__ = ["discovery_cache", "discovery_path", "make_sink", "own_shard", "register", "run"]
