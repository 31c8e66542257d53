"""Benchmark: load and validate a 34,000-AP inventory (target: at most 1.5 s).

    .venv/bin/python benchmarks/bench_inventory_load.py [--aps 34000] [--runs 5]

Generates the file with `pubwifi inventory generate` (mixed platforms), then times
`load_inventory` end to end (YAML parse, schema check, references, inheritance) several times
and prints each run and the median, wall and CPU.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from collector.inventory import load_inventory
from collector.inventory.generate import GenerateOptions, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aps", type=int, default=34_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.yaml"
        path.write_text(generate(GenerateOptions(aps=args.aps)), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        walls, cpus = [], []
        for run in range(1, args.runs + 1):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            inventory = load_inventory(path)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            walls.append(wall)
            cpus.append(cpu)
            print(
                f"run {run}: {len(inventory)} APs, {len(inventory.sites)} sites "
                f"loaded in {wall:.3f} s wall, {cpu:.3f} s CPU"
            )
    median = statistics.median(walls)
    print(
        f"inventory load ({args.aps} APs, {size_mb:.1f} MB): median {median:.3f} s wall, "
        f"{statistics.median(cpus):.3f} s CPU over {args.runs} runs "
        f"(target <= 1.5 s: {'met' if median <= 1.5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
