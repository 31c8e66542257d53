"""The inventory, compiled once for a collector's workers before any of them starts.

The parent checks that the whole inventory's cache and each worker's part
(:func:`collector.inventory.cache.cached_part`) exist for the file as it is now; if one is
missing, a child process (``python -m collector.workers.compile``) makes them: the strict
load runs there, once, with its memory peak, and exits. A file with problems is reported
there as ``FILE:LINE: ...`` lines and the child's exit status (2) ends the command before any
worker starts. Each worker then loads only its part (the one that keeps the fleet-wide jobs:
the whole).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from collector.inventory.cache import cache_path, cached_inventory, part_path, write_part
from collector.poll.shard import Shard


def part_names(host: Shard, workers: int) -> list[tuple[str, Shard]]:
    parts = [host.part(j, workers) for j in range(1, workers + 1)]
    return [(part.slug, part) for part in parts]


def prepare(path: Path, cache_dir: Path, host: Shard, workers: int) -> int:
    """0 when every cache file the workers need exists (made now in a child if not), else
    the child's exit status after it printed the inventory's problems."""
    wanted = [cache_path(path, cache_dir)] + [
        part_path(path, cache_dir, name) for name, _ in part_names(host, workers)
    ]
    if all(p.exists() for p in wanted):
        return 0
    argv = [sys.executable, "-m", "collector.workers.compile", str(path), str(cache_dir),
            str(host.number), str(host.count), str(workers)]  # fmt: skip
    return subprocess.run(argv, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    """``python -m collector.workers.compile FILE CACHE_DIR K N WORKERS``."""
    from collector.errors import EXIT_BAD_INPUT, InputError

    words = sys.argv[1:] if argv is None else argv
    path, cache_dir = Path(words[0]), Path(words[1])
    host = Shard(int(words[2]), int(words[3]))
    try:
        whole = cached_inventory(path, cache_dir)
    except InputError as error:
        for problem in error.problems[:50]:
            print(problem, file=sys.stderr)
        if len(error.problems) > 50:
            print(f"... and {len(error.problems) - 50} more problems", file=sys.stderr)
        return EXIT_BAD_INPUT
    for name, part in part_names(host, int(words[4])):
        write_part(path, cache_dir, name, whole, part.owns)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
