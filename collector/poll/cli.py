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
from typing import Any

from collector.errors import InputError, Problem
from collector.inventory.model import AccessPoint, Inventory
from collector.poll.backoff import BackOff
from collector.poll.runner import Runner, RunnerOptions
from collector.poll.shard import ALL, Shard
from collector.poll.sink import NullSink, Sink
from collector.secrets import UnsetSecretError

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "poll", help="poll the APs of an inventory over SNMP",
        description="Poll every AP once over SNMP (v2c or v3 authPriv) and print a JSON summary.",
    )
    parser.add_argument("--once", action="store_true", required=True,
                        help="poll every AP once and exit (scheduled polling: pubwifi collect)")
    parser.add_argument("--inventory", default="inventory.yaml", metavar="FILE")
    parser.add_argument("--sink", choices=("none", "influx"), default="none",
                        help="where samples go (default: none, i.e. counted and dropped)")
    parser.add_argument("--shard", type=_shard, default=ALL, metavar="K/N",
                        help="poll only the APs a stable hash gives to shard K of N (K: 1..N)")
    parser.add_argument("--concurrency", type=_positive_int, default=100, metavar="N",
                        help="requests in flight to answering APs (default 100)")
    parser.add_argument("--timeout", type=_positive_float, default=2.0, metavar="S",
                        help="per-AP deadline in seconds, retries included (default 2)")
    parser.add_argument("--drain-timeout", type=_positive_float, default=30.0, metavar="S",
                        help="with --sink influx: wait up to S seconds for the spool to reach "
                        "InfluxDB before exiting; what is left waits on disk (default 30)")
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
    from collector.snmp.gufo_backend import GufoEngine

    inventory = load_inventory(args.inventory)
    aps = [ap for ap in args.shard.select(inventory) if ap.status.is_polled]
    check_secrets(inventory, aps)
    pipeline = None
    if args.sink == "influx":
        from collector.pipeline import open_pipeline
        from collector.settings import load_settings

        pipeline = open_pipeline(load_settings(), inventory, name=data_name(args.shard))
        sink: Sink = pipeline.sink
    else:
        sink = make_sink(args.sink)
    options = RunnerOptions(concurrency=args.concurrency, deadline_s=args.timeout)
    engine = GufoEngine(
        request_timeout=args.timeout / 2, retries=1,
        session_reserve=1024 + options.pending_limit,
    )
    runner = Runner(engine, load_profiles(), options, backoff=BackOff())
    log.info("polling %d of %d APs (shard %s)", len(aps), len(inventory), args.shard)
    cpu = time.process_time()
    stats = asyncio.run(runner.poll_once(aps, sink))
    if pipeline is not None:
        pipeline.sink.end_cycle()
        pipeline.close(drain_timeout_s=args.drain_timeout)
    summary = stats.summary()
    if pipeline is not None:
        summary["written"] = pipeline.shipper.stats.written
        summary["spooled"] = pipeline.sink.spool.depth_lines
    summary["cpu_seconds"] = round(time.process_time() - cpu, 3)
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary["shard"] = str(args.shard)
    summary["engine"] = {
        "sessions_opened": engine.sessions_opened, "sessions_kept": engine.kept_sessions,
        "retries_after_timeout": engine.retries_after_timeout,
        "reopened_after_report": engine.reopened_after_report,
    }
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return 0 if stats.aps == 0 or stats.ok > 0 else 1


__all__ = ["make_sink", "register", "run"]
