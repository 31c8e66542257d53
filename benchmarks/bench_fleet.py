"""Issue 5's fleet benchmark: `pubwifi poll` beside Prometheus snmp_exporter on 34,000 APs.

    .venv/bin/python benchmarks/bench_fleet.py [--aps 34000] [--rounds 3] [--concurrency 100]
                                               [--deadline 2] [--dead N] [--repeat 3]
                                               [--collect-cycles 10] [--collect-interval 60]
                                               [--quick] [--json FILE]

One run, everything on loopback, every server started here and stopped by its pid:
1. net-snmp's snmpd on ``udp:0.0.0.0:PORT`` answers every 127.16.x.y address (v2c community and
   a v3 authPriv SHA-256/AES user, loopback sources only; fresh random benchmark-only secrets).
2. ``pubwifi inventory generate --platform net-snmp`` writes the v2c and v3 inventories; a copy
   of the v2c one sends ``--dead`` APs (default 1,000 per 34,000) to a UDP port that never answers.
3. Measured, alternating ``ours, peer, ours, ...`` (``--rounds`` peer runs, one more of ours):
   (a) ``pubwifi poll --once --sink none`` (v2c) as a newcomer runs it: one command, its
   default worker processes (one per usable core); then a new command that starts from the
   discovery cache (a) saved (the default on every run but the first: issue 17's "first
   contact" figure), the same with ``--workers 1``, the dead-AP case, and with ``--shards N``
   that many ``--shard K/N --workers 1`` processes by hand (the way before workers); (b) the
   same with ``--sink influx`` into a local InfluxDB 1.x; (c) SNMPv3 authPriv. Each ``poll``
   runs ``--repeat`` cycles (``--rediscover``: the first is true first contact, the others
   steady state). (d)
   snmp_exporter 0.21 GETting the same 8 objects for every target, driven by wrk with
   ``--concurrency`` requests in flight, each target once. Each run is a child process: CPU
   seconds and peak RSS from ``os.wait4`` (servers: /proc).
   (e) After the rounds, ``pubwifi collect --interval 60 --max-cycles 10`` on the whole v2c
   fleet into the same InfluxDB: cycles kept, missed or overlapping, CPU %, peak RSS.
4. Prints a line per run, then the medians, the ratio to the peer, snmpd's CPU, and issue 17's
   targets (and issue 5's v3 and dead-AP ones) as met / MISSED / not shown. Peak RSS is the
   sum over a command's processes (the parent and its workers). A variant whose command fails
   is skipped with its reason.

``--quick`` (2,000 APs, 1 round, no collect case unless ``--collect-cycles`` is given) is the
smoke run used by tests/integration. Needs Debian's
snmpd and snmp; the peer needs prometheus-snmp-exporter and wrk, (b) needs influxdb.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(ROOT / "tests" / "integration")]

from fleet import exporter, snmpd  # noqa: E402
from fleet.collect import describe as describe_collect  # noqa: E402
from fleet.collect import measure_collect  # noqa: E402
from fleet.inventories import BlackHole, make_fleet  # noqa: E402
from fleet.ours import (  # noqa: E402
    PollRun,
    Variant,
    measure_poll,
    measure_sharded,
    poll_argv,
    poll_help,
)
from fleet.procs import free_udp_port  # noqa: E402
from fleet.report import Results, summary_table, targets  # noqa: E402
from fleet.sidecars import Influx, start_influx  # noqa: E402

FLEET_APS = 34000
DEAD_PER_FLEET = 1000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aps", type=int, default=FLEET_APS, help="APs in the fleet (34000)")
    parser.add_argument("--rounds", type=int, default=3, help="peer runs; ours runs one more")
    parser.add_argument("--concurrency", type=int, default=100, help="requests in flight (100)")
    parser.add_argument("--deadline", type=float, default=2.0, help="per-AP deadline s (2)")
    parser.add_argument("--dead", type=int, default=None,
                        help="dead APs in the dead-AP case (default 1,000 per 34,000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="cycles per poll process: 1st = first contact, others steady (3)")
    parser.add_argument("--collect-cycles", type=int, default=None,
                        help="cycles of the `pubwifi collect` case (10; 0 skips it; --quick: 0)")
    parser.add_argument("--collect-interval", type=float, default=60.0,
                        help="--interval of the collect case in seconds (60)")
    parser.add_argument("--shards", type=int, default=1,
                        help="also run N `--shard K/N --workers 1` processes by hand (the way "
                        "before workers; default 1: not run)")
    parser.add_argument("--skip-one-process", action="store_true",
                        help="skip the `--workers 1` variant")
    parser.add_argument("--collect-only", action="store_true",
                        help="only the `pubwifi collect` case (e), e.g. to repeat it on a "
                        "quiet machine; its targets alone are judged")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 APs, 1 round")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.aps, args.rounds = 2000, 1
    if args.collect_cycles is None:
        args.collect_cycles = 0 if args.quick else 10
    if args.dead is None:
        args.dead = round(args.aps * DEAD_PER_FLEET / FLEET_APS)
    if min(args.aps, args.rounds, args.concurrency, args.repeat, args.shards) < 1:
        parser.error("--aps, --rounds, --repeat, --concurrency and --shards must be at least 1")
    if args.collect_cycles < 0 or args.collect_interval < 10:
        parser.error("--collect-cycles must be >= 0 and --collect-interval >= 10")
    return args


def benchmark_credentials() -> snmpd.SnmpCredentials:
    """Fresh random secrets for this run only; they reach children by environment, never argv."""
    return snmpd.SnmpCredentials(
        community="bench-" + secrets.token_hex(8), user="bench" + secrets.token_hex(4),
        auth_key=secrets.token_hex(16), priv_key=secrets.token_hex(16),
    )


def child_env(creds: snmpd.SnmpCredentials, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PUBWIFI_SNMP_COMMUNITY": creds.community, "PUBWIFI_SNMP_V3_USER": creds.user,
        "PUBWIFI_SNMP_V3_AUTH_KEY": creds.auth_key, "PUBWIFI_SNMP_V3_PRIV_KEY": creds.priv_key,
        "PUBWIFI_SSH_USER": "bench", "PUBWIFI_SSH_PASSWORD": secrets.token_hex(8),
        "PUBWIFI_DATA_DIR": str(workdir / "data"),
    }


def describe_poll(title: str, run: PollRun) -> str:
    if run.skipped:
        return f"  {title}: skipped: {run.skipped}"
    steady = f", steady cycle {run.steady_cycle_s:.2f} s" if run.steady_cycle_s else ""
    if run.steady_written_s is not None:
        steady += f" (all in InfluxDB after {run.steady_written_s:.2f} s)"
    server = f", influxd CPU {run.server_cpu_s:.2f} s" if run.server_cpu_s is not None else ""
    if run.shard_peak_rss_mb is not None:
        server += f" (peak RSS summed; largest process {run.shard_peak_rss_mb:.1f} MB)"
    return (f"  {title}: {run.aps} APs, {run.ok} ok, {run.failed} failed, cycle {run.cycle_s:.2f}"
            f" s ({run.rate:.0f} APs/s){steady}, wall {run.wall_s:.2f} s, CPU {run.cpu_s:.2f} s,"
            f" peak RSS {run.peak_rss_mb:.1f} MB, snmpd CPU {run.snmpd_cpu_s:.2f} s{server}")


def describe_peer(run: exporter.PeerRun) -> str:
    return (f"  (d) peer snmp_exporter: {run.completed}/{run.targets} answered, {run.non200} "
            f"non-200, {run.socket_errors} socket errors, {run.wall_s:.2f} s ({run.rate:.0f} "
            f"targets/s), exporter CPU {run.exporter_cpu_s:.2f} s, peak RSS "
            f"{run.exporter_peak_rss_mb:.1f} MB, wrk CPU {run.wrk_cpu_s:.2f} s, snmpd CPU "
            f"{run.snmpd_cpu_s:.2f} s, p99 {run.latency_p99_ms:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = snmpd.binaries_missing()
    if missing:
        print("cannot run: " + ", ".join(missing) + " not installed", file=sys.stderr)
        return 2
    pubwifi = str(Path(sys.executable).with_name("pubwifi"))
    if not Path(pubwifi).exists():
        pubwifi = shutil.which("pubwifi") or "pubwifi"
    help_text = poll_help(pubwifi)
    repeat = help_text is not None and "--repeat" in help_text
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="pubwifi-bench-fleet-"))
        if not args.keep:
            stack.callback(shutil.rmtree, workdir, True)
        creds = benchmark_credentials()
        agent = snmpd.start_snmpd(workdir / "snmpd", free_udp_port(), creds)
        stack.callback(agent.stop)
        hole = BlackHole()
        stack.callback(hole.close)
        env = child_env(creds, workdir)
        print(f"snmpd pid {agent.pid} on udp:0.0.0.0:{agent.port}; dead APs go to udp port "
              f"{hole.port} (never answers); work dir {workdir}", flush=True)
        fleet = make_fleet(workdir, pubwifi, args.aps, agent.port, args.dead, hole.port, env)
        print(f"inventories: {len(fleet.addresses)} polled APs from {fleet.addresses[0]} to "
              f"{fleet.addresses[-1]}; {fleet.dead_count} dead in the dead-AP copy", flush=True)
        influx: Influx | None = None
        influx_skip = ""
        try:
            influx = start_influx(workdir / "influxd")
            stack.callback(influx.stop)
            env.update(influx.environ())
            print(f"influxd pid {influx.pid} at {influx.url}", flush=True)
        except RuntimeError as error:
            influx_skip = f"InfluxDB not available: {error}"
        cores = len(os.sched_getaffinity(0))
        variants = [
            Variant("v2c", f"(a) ours v2c, no sink ({cores} workers)", fleet.v2c,
                    repeat=args.repeat),  # one command as a newcomer runs it: the default
            Variant("warm", "    same, new process, cache warm", fleet.v2c, repeat=1,
                    rediscover=False),  # starts from the discovery cache (a) just saved
            Variant("one", "    same, one process (--workers 1)", fleet.v2c,
                    repeat=args.repeat, workers=1),
            Variant("dead", f"    same, {fleet.dead_count} dead APs", fleet.dead,
                    repeat=args.repeat),  # paired with (a)
            Variant("influx", "(b) ours v2c -> InfluxDB", fleet.v2c, sink="influx",
                    repeat=args.repeat),
            Variant("v3", "(c) ours v3 authPriv", fleet.v3, repeat=args.repeat),
        ]
        if args.skip_one_process:
            variants = [v for v in variants if v.key != "one"]
        if args.shards > 1:  # by hand, as before workers: --shard K/N processes of one worker
            variants.insert(4, Variant("shards", f"    same, {args.shards} --shard processes",
                                       fleet.v2c, repeat=args.repeat, shards=args.shards,
                                       workers=1))
        results = Results(aps=len(fleet.addresses), concurrency=args.concurrency,
                          deadline_s=args.deadline, dead_count=fleet.dead_count,
                          titles={v.key: v.title for v in variants}, shards=args.shards,
                          cores=cores)
        peer_missing = exporter.binaries_missing()
        results.peer_skipped = ("not installed: " + ", ".join(peer_missing)) if peer_missing else ""
        if not peer_missing:
            peer_dir = workdir / "peer"
            peer_dir.mkdir()
            config = exporter.write_config(peer_dir, creds.community, args.deadline / 2, 1)
            paths = exporter.write_paths(peer_dir, fleet.addresses, agent.port)
        timeout_s = max(300.0, args.aps / 50)

        def ours_round(label: str) -> None:
            for variant in variants:
                runs = results.ours.setdefault(variant.key, [])
                if help_text is None:
                    run = PollRun(variant.key, skipped="`pubwifi poll --help` failed: poll is "
                                  "not available yet")
                elif runs and runs[-1].skipped:
                    continue  # it failed once; the reason is already recorded
                elif variant.sink == "influx" and influx is None:
                    run = PollRun(variant.key, skipped=influx_skip)
                elif variant.shards > 1:
                    run = measure_sharded(
                        poll_argv(pubwifi, variant, args.concurrency, args.deadline, repeat),
                        variant, env, agent.pid, timeout_s)
                else:
                    run = measure_poll(
                        poll_argv(pubwifi, variant, args.concurrency, args.deadline, repeat),
                        variant, env, agent.pid, timeout_s,
                        server_pid=influx.pid if variant.sink == "influx" and influx else None,
                    )
                runs.append(run)
                print(f"[{label}]" + describe_poll(variant.title, run), flush=True)

        for round_no in range(1, 0 if args.collect_only else args.rounds + 1):
            ours_round(f"ours {round_no}")
            if not peer_missing:
                try:
                    peer = exporter.measure_peer(
                        peer_dir, config, paths, len(fleet.addresses), args.concurrency,
                        args.wrk_threads, agent.pid)
                    results.peer.append(peer)
                    print(f"[peer {round_no}]" + describe_peer(peer), flush=True)
                except RuntimeError as error:
                    results.peer_skipped = f"snmp_exporter/wrk run failed: {error}"
                    print(f"[peer {round_no}]  skipped: {results.peer_skipped}", flush=True)
                    peer_missing = ["failed"]
        if not args.collect_only:
            ours_round(f"ours {args.rounds + 1}")
        if args.collect_cycles and help_text is not None:
            if influx is None:
                results.collect_skipped = influx_skip
            else:
                print(f"[collect] pubwifi collect --interval {args.collect_interval:g} for "
                      f"{args.collect_cycles} cycles ...", flush=True)
                results.collect = measure_collect(
                    pubwifi, fleet.v2c, len(fleet.addresses), env, workdir / "collect-data",
                    args.collect_interval, args.collect_cycles, args.concurrency, args.deadline)
                for line in describe_collect(results.collect):
                    print("[collect] " + line, flush=True)
        if influx is not None:
            results.notes.append(influx.points_note())
        if not agent.alive():
            results.notes.append("snmpd exited during the run:\n" + agent.log_tail())
    if not repeat:
        results.notes.append("`pubwifi poll` has no --repeat: first contact only "
                             "(one cycle per process)")
    for line in summary_table(results) + targets(results):
        print(line)
    for note in results.notes:
        print("note: " + note)
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
