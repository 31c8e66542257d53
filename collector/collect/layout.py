"""Changing ``--workers`` loses nothing: the new layout adopts what the old one left.

Each worker keeps its counter baselines and spool under its own data directory
(``collector-KofN`` for one process, ``collector-KofN-wJofW`` for worker J of W). When a
collector starts with another W than last time, :func:`adopt_other_layouts` (run by the parent
before any worker starts, or by a single process before it opens its write path) takes over
every other layout's directory of the same shard:

- **baselines**: each (AP, counter) goes to the worker that now owns the AP (unless that store
  already has a baseline for it), written durably; the old files are renamed ``*.adopted``. So
  the first poll after the change is an exact delta, not a ``first_sample``.
- **spool**: lines not yet in InfluxDB are moved, whole, to ``adopted/NAME-TIME/`` under the
  new worker 1's directory; its write path ships them in order beside its own spool
  (:func:`collector.collect.pipeline.open_pipeline`) and removes the directory once empty.

A directory another live collector holds (its lock) is waited for (its workers may still be
draining), then an error; it is never adopted while held.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from collector.collect import dirlock
from collector.collect.baselines import BaselineStore
from collector.influx.spool import Spool
from collector.poll.cli import data_name
from collector.poll.shard import Shard

log = logging.getLogger(__name__)

ADOPTED = "adopted"


@dataclass
class Adoption:
    directories: list[str] = field(default_factory=list)
    baselines: int = 0  # (AP, counter) entries moved
    spooled_lines: int = 0  # lines moved for shipping


def layout_names(shard: Shard) -> set[str]:
    """The data directories of ``shard``'s current layout (its ``workers`` count)."""
    host = shard.host
    return {data_name(host.part(j, shard.workers)) for j in range(1, shard.workers + 1)}


def other_layouts(data_dir: Path, shard: Shard) -> list[Path]:
    """Directories of the same shard under another worker count."""
    base = f"collector-{shard.host.slug}"
    pattern = re.compile(rf"^{re.escape(base)}(-w\d+of\d+)?$")
    current = layout_names(shard)
    root = Path(data_dir)
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.iterdir()
        if path.is_dir() and pattern.match(path.name) and path.name not in current
    )


def adopt_other_layouts(data_dir: Path, shard: Shard, wait_s: float = dirlock.WAIT_S) -> Adoption:
    """Take over every other layout's baselines and spool (module doc)."""
    done = Adoption()
    for old in other_layouts(data_dir, shard):
        with contextlib.closing(dirlock.hold(old, wait_s, write_pid=False)):
            moved = _adopt_baselines(Path(data_dir), old, shard)
            lines = _adopt_spool(Path(data_dir), old, shard)
        if moved or lines:
            done.directories.append(old.name)
            done.baselines += moved
            done.spooled_lines += lines
            log.info(
                "adopted %s for %d worker(s): %d counter baselines, %d spooled lines",
                old.name,
                shard.workers,
                moved,
                lines,
            )
    return done


def _adopt_baselines(data_dir: Path, old: Path, shard: Shard) -> int:
    source = BaselineStore.open(old)
    if not len(source):
        return 0
    host = shard.host
    targets = {
        j: BaselineStore.open(data_dir / data_name(host.part(j, shard.workers)))
        for j in range(1, shard.workers + 1)
    }
    owners: dict[str, int] = {}
    moved = 0
    for (ap, counter), sample in source.items():
        j = owners.get(ap)
        if j is None:
            j = owners[ap] = next((k for k in targets if host.part(k, shard.workers).owns(ap)), 0)
        target = targets.get(j)
        if target is None or target.get(ap, counter) is not None:
            continue  # not this shard's AP any more, or the new layout already has newer
        target.put(ap, counter, sample)
        moved += 1
    for target in targets.values():
        target.flush()  # durable before the old files are retired
    source.retire()
    return moved


def _adopt_spool(data_dir: Path, old: Path, shard: Shard) -> int:
    spool_dir = old / "spool"
    if not spool_dir.is_dir():
        return 0
    spool = Spool(spool_dir)
    lines = spool.depth_lines
    spool.close()
    if not lines:
        return 0
    first = data_dir / data_name(shard.host.part(1, shard.workers))
    target = first / ADOPTED / f"{old.name}-{time.strftime('%Y%m%dT%H%M%S')}"
    target.parent.mkdir(parents=True, exist_ok=True)
    spool_dir.replace(target)
    return lines


def adopted_spools(base: Path) -> list[Path]:
    """Spools moved under ``base`` by an adoption, oldest first."""
    root = base / ADOPTED
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
