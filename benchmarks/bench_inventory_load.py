"""Benchmark: load and validate a 34,000-AP inventory (issue 17 target: at most 0.5 s).

    .venv/bin/python benchmarks/bench_inventory_load.py [--aps 34000] [--runs 5] [--workers 2]

Generates the file with `pubwifi inventory generate` (mixed platforms), then times, several
times each and as medians (wall and CPU):

- the strict load (YAML parse, schema check, references, inheritance: `load_inventory`), what
  happens once per change of the file;
- what a collector does on every start: the file hashed against the compiled cache
  (`collector.inventory.cache`) and the whole inventory loaded from it;
- what each of ``--workers`` worker processes loads: its own part only.

Each cached figure includes hashing the file (a changed file is never served from the cache)
and is checked to hold the same APs as the strict load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from collector.inventory import load_inventory
from collector.inventory.cache import cached_inventory, cached_part
from collector.inventory.generate import GenerateOptions, generate
from collector.poll.shard import Shard
from collector.workers.compile import main as compile_layout

TARGET_S = 0.5


def timed(runs: int, what: Callable[[], object]) -> tuple[list[float], list[float], object]:
    walls, cpus = [], []
    result: object = None
    for _ in range(runs):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = what()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return walls, cpus, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aps", type=int, default=34_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.yaml"
        cache = Path(tmp) / "cache"
        path.write_text(generate(GenerateOptions(aps=args.aps)), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        walls, cpus, strict = timed(args.runs, lambda: load_inventory(path))
        rows = [("strict load (once per change of the file)", walls, cpus)]
        compile_layout([str(path), str(cache), "1", "1", str(args.workers)])
        walls, cpus, whole = timed(args.runs, lambda: cached_inventory(path, cache))
        assert [ap.id for ap in whole.aps] == [ap.id for ap in strict.aps]  # type: ignore[attr-defined]
        rows.append(("hash + compiled cache, whole (every start)", walls, cpus))
        part = Shard(1, 1).part(1, args.workers)
        walls, cpus, mine = timed(
            args.runs, lambda: cached_part(path, cache, part.slug, part.owns)
        )
        assert all(part.owns(ap.id) for ap in mine.aps)  # type: ignore[attr-defined]
        rows.append((f"hash + one worker's part of {args.workers}", walls, cpus))
    print(f"inventory load, {args.aps} APs ({size_mb:.1f} MB), medians over {args.runs} runs:")
    for title, walls, cpus in rows:
        print(f"  {title:<46} {statistics.median(walls):6.3f} s wall  "
              f"{statistics.median(cpus):6.3f} s CPU")
    start = statistics.median(rows[1][1])
    verdict = "met" if start <= TARGET_S else "MISSED"
    print(f"target: load + validation at start <= {TARGET_S} s: {start:.3f} s ({verdict}; the "
          f"strict checks ran when the cache was made, and a changed file or code makes a new "
          f"one)")


if __name__ == "__main__":
    main()
