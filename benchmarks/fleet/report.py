"""The benchmark's summary: medians per variant, the ratio to the peer, and issue 5's targets.

Every figure is the median over that variant's runs (each metric on its own), because the
machine is shared and noisy. A skipped variant shows its reason instead of figures, and a
target that depends on it is reported as not shown, never as met.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fleet.collect import CollectRun, describe
from fleet.exporter import PeerRun
from fleet.ours import PollRun

RSS_LIMIT_MB = 400.0  # issue 17: summed over the collector's processes
INFLUX_CYCLE_LIMIT_S = 10.0
V3_FACTOR = 1.5
PEER_FACTOR = 2.0  # issue 17: one command, first contact included
STEADY_PEER_FACTOR = 2.5
COLLECT_CPU_LIMIT = 50.0  # % of the machine (all its cores)


@dataclass
class Results:
    aps: int
    concurrency: int
    deadline_s: float
    dead_count: int
    titles: dict[str, str]  # variant key -> title, in table order
    ours: dict[str, list[PollRun]] = field(default_factory=dict)
    peer: list[PeerRun] = field(default_factory=list)
    peer_skipped: str = ""
    notes: list[str] = field(default_factory=list)
    collect: CollectRun | None = None
    collect_skipped: str = "not asked (--collect-cycles 0)"
    shards: int = 1  # processes of the sharded variant ("shards")
    cores: int = 1  # usable cores: poll's default worker count


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def measured(runs: Sequence[PollRun]) -> list[PollRun]:
    return [run for run in runs if not run.skipped]


def med(runs: Sequence[PollRun], metric: Callable[[PollRun], float | None]) -> float | None:
    values = [v for v in (metric(run) for run in measured(runs)) if v is not None]
    return median(values) if values else None


def skip_reason(runs: Sequence[PollRun]) -> str:
    return next((run.skipped for run in runs if run.skipped), "not run")


HEADER = (f"{'variant':<34} {'runs':>4} {'APs':>6} {'ok':>6} {'failed':>6} {'cycle s':>8} "
          f"{'APs/s':>7} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7} {'snmpd CPU':>9} "
          f"{'other CPU':>9}")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def poll_row(title: str, runs: Sequence[PollRun]) -> str:
    good = measured(runs)
    if not good:
        return f"{title:<34} skipped: {skip_reason(runs)}"
    server = med(runs, lambda r: r.server_cpu_s)
    return (f"{title:<34} {len(good):>4} {_fmt(med(runs, lambda r: r.aps), 0):>6} "
            f"{_fmt(med(runs, lambda r: r.ok), 0):>6} {_fmt(med(runs, lambda r: r.failed), 0):>6} "
            f"{_fmt(med(runs, lambda r: r.cycle_s)):>8} {_fmt(med(runs, lambda r: r.rate), 0):>7} "
            f"{_fmt(med(runs, lambda r: r.wall_s)):>7} {_fmt(med(runs, lambda r: r.cpu_s)):>7} "
            f"{_fmt(med(runs, lambda r: r.peak_rss_mb), 1):>7} "
            f"{_fmt(med(runs, lambda r: r.snmpd_cpu_s)):>9} {_fmt(server):>9}")


def peer_row(runs: Sequence[PeerRun], skipped: str) -> str:
    title = "(d) peer: snmp_exporter + wrk"
    if not runs:
        return f"{title:<34} skipped: {skipped or 'not run'}"

    def m(metric: Callable[[PeerRun], float]) -> float:
        return median([metric(run) for run in runs])

    wall = m(lambda r: r.wall_s)
    return (f"{title:<34} {len(runs):>4} {m(lambda r: r.targets):>6.0f} "
            f"{m(lambda r: r.completed - r.non200):>6.0f} {m(lambda r: r.failed):>6.0f} "
            f"{wall:>8.2f} {m(lambda r: r.rate):>7.0f} {wall:>7.2f} "
            f"{m(lambda r: r.exporter_cpu_s):>7.2f} {m(lambda r: r.exporter_peak_rss_mb):>7.1f} "
            f"{m(lambda r: r.snmpd_cpu_s):>9.2f} {m(lambda r: r.wrk_cpu_s):>9.2f}")


def summary_table(results: Results) -> list[str]:
    lines = ["", f"== fleet benchmark: {results.aps} APs, {results.concurrency} in flight, "
             f"per-AP deadline {results.deadline_s:g} s (medians) ==", HEADER]
    for key, title in results.titles.items():
        lines.append(poll_row(title, results.ours.get(key, [])))
    lines.append(peer_row(results.peer, results.peer_skipped))
    lines += steady_table(results)
    lines += describe(results.collect) if results.collect else [
        f"(e) pubwifi collect: skipped: {results.collect_skipped}"]
    lines += [
        "columns: cycle s = poll's own cycle time (peer: wrk wall time for all targets); "
        "wall s = whole process incl. start-up and inventory load;",
        "  CPU s / RSS MB = the measured process (ours: pubwifi poll; peer: snmp_exporter); "
        "other CPU = influxd (b) or wrk (d)",
    ]
    return lines


def steady_table(results: Results) -> list[str]:
    """First contact vs steady state (cycles 2.. of the same process) per variant."""
    lines = ["", f"{'first contact vs steady state':<34} {'1st s':>7} {'1st/s':>7} {'1st us':>7}"
             f" {'req/AP':>6} {'steady s':>8} {'APs/s':>7} {'us/AP':>6} {'written s':>15}"]
    for key, title in results.titles.items():
        runs = results.ours.get(key, [])
        if not measured(runs):
            continue
        aps = med(runs, lambda r: r.aps) or 0
        requests = med(runs, lambda r: r.requests)
        first_w = med(runs, lambda r: r.written_s)
        steady_w = med(runs, lambda r: r.steady_written_s)
        written = "-" if first_w is None else f"{first_w:.2f}/{_fmt(steady_w)}"
        lines.append(
            f"{title:<34} {_fmt(med(runs, lambda r: r.cycle_s)):>7} "
            f"{_fmt(med(runs, lambda r: r.rate), 0):>7} "
            f"{_fmt(med(runs, lambda r: r.first_us_per_ap), 0):>7} "
            f"{_fmt(requests / aps if requests and aps else None, 2):>6} "
            f"{_fmt(med(runs, lambda r: r.steady_cycle_s)):>8} "
            f"{_fmt(med(runs, lambda r: r.steady_rate), 0):>7} "
            f"{_fmt(med(runs, lambda r: r.steady_us_per_ap), 0):>6} {written:>15}")
    lines.append("  1st = the first cycle of a new process (first contact unless the discovery "
                 "cache was used); us = CPU microseconds per AP;")
    lines.append("  req/AP = SNMP requests per AP in the first cycle; written s = cycle until "
                 "InfluxDB took every point (first/steady)")
    return lines


def targets(results: Results) -> list[str]:
    """Issue 17's targets (and issue 5's v3 and dead-AP ones), each met / MISSED / not shown."""
    ours_a = results.ours.get("v2c", [])
    lines = ["", "== issue 17 targets (one command, every core) =="]
    first_a = med(ours_a, lambda r: r.rate)
    steady_a = med(ours_a, lambda r: r.steady_rate)
    peer_rate = median([r.rate for r in results.peer]) if results.peer else None
    workers = med(ours_a, lambda r: r.workers)
    who = f"one `poll --once --sink none` ({workers or results.cores:.0f} workers)"
    warm = results.ours.get("warm", [])
    first_w = med(warm, lambda r: r.rate)
    if first_w is not None and peer_rate:
        wall = med(warm, lambda r: r.wall_s)
        startup = med(warm, lambda r: r.startup_s)
        true_first = (f"; true first contact, no discovery cache: {first_a:.0f} APs/s = "
                      f"{first_a / peer_rate:.2f}x" if first_a is not None else "")
        lines.append(_verdict(first_w / peer_rate >= PEER_FACTOR,
                              f"{who} >= {PEER_FACTOR:g}x snmp_exporter, first contact included "
                              f"(a new command, the discovery cache as persisted by default): "
                              f"{first_w:.0f} vs {peer_rate:.0f} APs/s = "
                              f"{first_w / peer_rate:.2f}x (start-up until every worker polled "
                              f"{_fmt(startup)} s, whole command {_fmt(wall)} s){true_first}"))
    else:
        lines.append(_not_shown(f"{who} >= 2x snmp_exporter", warm or ours_a, results))
    if steady_a is not None and peer_rate:
        lines.append(_verdict(steady_a / peer_rate >= STEADY_PEER_FACTOR,
                              f"steady state >= {STEADY_PEER_FACTOR:g}x snmp_exporter: "
                              f"{steady_a:.0f} vs {peer_rate:.0f} APs/s = "
                              f"{steady_a / peer_rate:.2f}x"))
    else:
        lines.append(_not_shown("steady state >= 2.5x snmp_exporter", ours_a, results))
    one = results.ours.get("one", [])
    one_rate = med(one, lambda r: r.steady_rate)
    if one_rate is not None and steady_a is not None:
        lines.append(f"  (figure)   --workers 1 for comparison: steady {one_rate:.0f} APs/s; "
                     f"{workers or results.cores:.0f} workers {steady_a / one_rate:.2f}x that")
    shard_runs = results.ours.get("shards", [])
    shard_rate = med(shard_runs, lambda r: r.steady_rate) or med(shard_runs, lambda r: r.rate)
    if shard_rate is not None and peer_rate:
        lines.append(f"  (figure)   {results.shards} `--shard K/N --workers 1` processes by hand: "
                     f"{shard_rate:.0f} vs {peer_rate:.0f} APs/s = {shard_rate / peer_rate:.2f}x")
    lines.append(_influx_target(results))
    peaks = [(run.peak_rss_mb, key) for key, runs in results.ours.items()
             for run in measured(runs)]
    if results.collect is not None and not results.collect.skipped:
        peaks.append((results.collect.peak_rss_mb, "collect"))
    if peaks:
        peak, where = max(peaks)
        lines.append(_verdict(peak <= RSS_LIMIT_MB, f"summed peak RSS of all collector processes "
                              f"<= {RSS_LIMIT_MB:g} MB: {peak:.1f} MB (largest over all runs, in "
                              f"{where})"))
    else:
        lines.append("  not shown  summed peak RSS <= 400 MB: no poll run succeeded")
    lines.append(_collect_target(results))
    lines += ["", "== issue 5 targets still held =="]
    lines.append(_v3_target(results))
    lines.append(_dead_target(results))
    return lines


def _influx_target(results: Results) -> str:
    name = f"full cycle with InfluxDB writes <= {INFLUX_CYCLE_LIMIT_S:g} s"
    runs = results.ours.get("influx", [])
    first = med(runs, lambda r: r.written_s if r.written_s is not None else r.cycle_s)
    steady = med(runs, lambda r: r.steady_written_s if r.steady_written_s is not None
                 else r.steady_cycle_s)
    if first is None:
        return _not_shown(name, runs, results)
    if steady is None:
        return _verdict(first <= INFLUX_CYCLE_LIMIT_S, f"{name}: first contact {first:.2f} s")
    return _verdict(steady <= INFLUX_CYCLE_LIMIT_S, f"{name} (steady state, until InfluxDB "
                    f"took every point): {steady:.2f} s; first contact {first:.2f} s")


def _collect_target(results: Results) -> str:
    run = results.collect
    name = (f"`pubwifi collect` keeps a 60 s schedule for 10 cycles, none missed or overlapping, "
            f"CPU < {COLLECT_CPU_LIMIT:g} % of the machine ({results.cores} cores)")
    if run is None or run.skipped:
        return f"  not shown  {name}: {run.skipped if run else results.collect_skipped}"
    kept = (len(run.cycles) >= run.cycles_asked and run.missed == 0 and run.overlapped == 0)
    machine = run.cpu_percent / max(1, results.cores)
    met = kept and machine < COLLECT_CPU_LIMIT
    shown = f"{name}: --interval {run.interval_s:g}, {len(run.cycles)}/{run.cycles_asked} "
    return _verdict(met, shown + f"cycles, {run.missed} missed, {run.overlapped} overlapping, "
                    f"CPU {machine:.1f} % of the machine on average ({run.cpu_percent:.1f} % "
                    "of one core)")


def _v3_target(results: Results) -> str:
    name = f"v3 steady state within {V3_FACTOR:g}x of v2c"
    v2c_runs = results.ours.get("v2c", [])
    v2c = med(v2c_runs, lambda r: r.steady_cycle_s) or med(v2c_runs, lambda r: r.cycle_s)
    v3_runs = results.ours.get("v3", [])
    steady = med(v3_runs, lambda r: r.steady_cycle_s)
    first = med(v3_runs, lambda r: r.cycle_s)
    if v2c is None or first is None:
        return _not_shown(name, v3_runs if first is None else results.ours.get("v2c", []),
                          results)
    if steady is not None:
        v2c_first = med(v2c_runs, lambda r: r.cycle_s) or 0.0
        return _verdict(steady <= V3_FACTOR * v2c,
                        f"{name}: {steady:.2f} s vs {v2c:.2f} s = {steady / v2c:.2f}x "
                        f"(first contact {first:.2f} s vs {v2c_first:.2f} s)")
    text = f"{name}: first contact only (poll has no --repeat): {first:.2f} s vs v2c {v2c:.2f} s"
    if first <= V3_FACTOR * v2c:
        return _verdict(True, f"{text} = {first / v2c:.2f}x (steady state is at most this)")
    return f"  not shown  {text} = {first / v2c:.2f}x; steady state not measurable in one cycle"


def _dead_target(results: Results) -> str:
    """Paired per round (the dead-AP run follows the all-alive run), so machine noise cancels.

    Two figures: the first cycle of a new process (first contact: nothing is known about which
    APs are dead, so the last dead AP's deadline can only start near the end of the cycle) and
    steady state (cycles 2.. of the same process: APs silent last cycle are asked first, so
    their deadlines run out while the rest is polled). The verdict is on steady state, which is
    what a running collector does every cycle; first contact is printed beside it.
    """
    name = f"{results.dead_count} dead APs add at most the per-AP deadline"
    runs = list(zip(results.ours.get("v2c", []), results.ours.get("dead", []), strict=False))
    pairs = [(alive.cycle_s, dead.cycle_s) for alive, dead in runs
             if not alive.skipped and not dead.skipped]
    if not pairs:
        return _not_shown(name, results.ours.get("dead", []) or results.ours.get("v2c", []),
                          results)
    first_added = median([dead - alive for alive, dead in pairs])
    alive_m, dead_m = median([p[0] for p in pairs]), median([p[1] for p in pairs])
    first = (f"first contact {first_added:+.2f} s (cycles {dead_m:.2f} s vs all alive "
             f"{alive_m:.2f} s)")
    steady_pairs = [(alive.steady_cycle_s, dead.steady_cycle_s) for alive, dead in runs
                    if not alive.skipped and not dead.skipped
                    and alive.steady_cycle_s is not None and dead.steady_cycle_s is not None]
    tail = (f"median of {len(pairs)} paired runs; deadline {results.deadline_s:g} s; "
            f"{results.dead_count} x deadline would be "
            f"{results.dead_count * results.deadline_s:.0f} s")
    if not steady_pairs:
        return _verdict(first_added <= results.deadline_s, f"{name}: {first}; {tail}")
    added = median([dead - alive for alive, dead in steady_pairs])
    s_alive = median([p[0] for p in steady_pairs])
    s_dead = median([p[1] for p in steady_pairs])
    return _verdict(added <= results.deadline_s,
                    f"{name} (steady state): {added:+.2f} s (cycles {s_dead:.2f} s vs all "
                    f"alive {s_alive:.2f} s); {first}; {tail}")


def _verdict(met: bool, text: str) -> str:
    return f"  {'met' if met else 'MISSED':<9}  {text}"


def _not_shown(name: str, runs: Sequence[PollRun], results: Results) -> str:
    reason = skip_reason(runs) if runs else (results.peer_skipped or "not run")
    return f"  not shown  {name}: {reason}"
