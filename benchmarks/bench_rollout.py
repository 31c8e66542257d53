"""Issue 14's target: ``pubwifi rollout status`` for 34,280 APs in at most 2 s.

    .venv/bin/python benchmarks/bench_rollout.py [--aps 34000] [--days 60] [--runs 5]

Everything in a temporary directory:

1. ``pubwifi inventory generate --aps N --program 2025`` (450 replacements and 280 new APs on
   top: 34,280 APs at the default size).
2. A realistic data directory: a ledger copy (``LedgerMirror``) with ``--days`` KST days of
   every AP ending 2025-09-30, and a rollout store with one SNMP sighting per AP plus, for
   two thirds of the programme, the planned model first seen at a seeded time in its quarter
   (or earlier), with daily peak clients for every AP and day.
3. ``pubwifi rollout status`` as a child process, ``--runs`` times, as of 2025-10-01: the first
   run parses the inventory YAML and caches it (``collector/inventory/cache.py``), later runs
   read the cache. Prints every run's wall time (the process's whole life: interpreter start,
   imports, inventory, store, ledger, states, the text table), the median of the warm runs,
   and the target as met or MISSED. Also ``--json`` once (the full per-AP export).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from collector.inventory.load import load_inventory
from collector.ledger.mirror import LedgerMirror
from collector.rollout.plan import plan_items
from collector.rollout.quarters import DAY_S, KST, kst_day
from collector.rollout.store import DayObservation, RolloutStore, Sighting

BIN = Path(sys.executable).with_name("pubwifi")
TARGET_S = 2.0
END = dt.datetime(2025, 10, 1, tzinfo=KST)


def fill(data_dir: Path, inventory_path: Path, days: int) -> tuple[int, int]:
    inventory = load_inventory(inventory_path)
    rng = random.Random(14)
    end_day = int(END.timestamp())
    first_day = end_day - days * DAY_S
    mirror = LedgerMirror.in_dir(data_dir)
    store = RolloutStore.in_data_dir(data_dir)
    aps = list(inventory)
    for day in range(first_day, end_day, DAY_S):
        rows = [
            (ap.id, ap.district.code, [2_000_000_000, 900_000_000, 100, 86_400, 96, 95])
            for ap in aps
        ]
        mirror.put_day(day, rows)
        store.record([], [DayObservation(ap.id, day, rng.randrange(40)) for ap in aps])
    sightings = [
        Sighting(ap.id, "snmp", ap.model, "fw", first_day + 600.0, end_day - 300.0)
        for ap in aps
        if ap.status.is_polled
    ]
    installed = 0
    for item in plan_items(inventory):
        if rng.random() < 2 / 3:
            at = max(first_day + 86_400.0, item.quarter.start + rng.random() * 80 * DAY_S)
            at = min(at, end_day - DAY_S)
            sightings.append(Sighting(item.ap.id, "snmp", item.model, "fw", at, end_day - 300.0))
            installed += 1
    store.record(sightings)
    store.close()
    mirror.close()
    return len(aps), installed


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, len(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aps", type=int, default=34_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        root = Path(tmp)
        inventory = root / "inventory.yaml"
        subprocess.run(
            [
                str(BIN),
                "inventory",
                "generate",
                "--aps",
                str(args.aps),
                "--program",
                "2025",
                "-o",
                str(inventory),
            ],
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        total, installed = fill(root / "var", inventory, args.days)
        print(
            f"fleet: {total:,} APs, {installed} programme APs seen installed; "
            f"ledger copy {args.days} days x {total:,} APs filled in "
            f"{time.perf_counter() - started:.1f} s"
        )
        env = {
            **os.environ,
            "PUBWIFI_DATA_DIR": str(root / "var"),
            "PUBWIFI_INVENTORY": str(inventory),
        }
        command = [str(BIN), "rollout", "status", "--at", END.isoformat()]
        walls = []
        for run in range(1, args.runs + 1):
            wall, size = timed(command, env)
            walls.append(wall)
            label = "cold (YAML parse + cache write)" if run == 1 else "warm (cached inventory)"
            print(f"run {run}: {wall:.3f} s  {label}, {size:,} bytes of text")
        warm = statistics.median(walls[1:]) if len(walls) > 1 else walls[0]
        json_wall, json_size = timed([*command, "--json"], env)
        print(f"--json: {json_wall:.3f} s, {json_size:,} bytes")
        day = kst_day(END.timestamp() - 1)
        verdict = "met" if warm <= TARGET_S else "MISSED"
        print(
            f"rollout status, {total:,} APs, as of {dt.datetime.fromtimestamp(day, KST).date()}"
            f" +1 day: median warm {warm:.3f} s (target <= {TARGET_S:.0f} s): {verdict}"
        )
        return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
