"""Changing --workers: the new layout adopts the old one's baselines and unshipped spool."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from collector.collect.baselines import BaselineStore
from collector.collect.counters import Sample
from collector.collect.layout import adopt_other_layouts, adopted_spools, other_layouts
from collector.errors import InputError
from collector.influx.spool import Spool
from collector.poll.shard import Shard

T0 = 1_735_657_200.0
IDS = [f"AP-{n:04d}" for n in range(60)]


def _old_single_process(data_dir: Path, lines: int = 3) -> None:
    """What `--workers 1` left: every AP's baselines (some in the journal) and a spool."""
    store = BaselineStore.open(data_dir / "collector-1of1")
    for n, ap in enumerate(IDS):
        store.put(ap, "rx_bytes.1", Sample(1000 + n, 64, 500, T0))
    store.flush()
    store.put(IDS[0], "tx_bytes.1", Sample(7, 64, 500, T0))
    store.commit()  # journal only, as after a crash between snapshots
    spool = Spool(data_dir / "collector-1of1" / "spool")
    spool.append([f"ap_poll,ap=AP-{n:04d} up=1i {1_735_657_200 + n}" for n in range(lines)])
    spool.close()


def test_each_worker_gets_its_aps_baselines_and_worker_1_the_spool(tmp_path: Path) -> None:
    _old_single_process(tmp_path)
    two = Shard(1, 1).part(1, 2)
    done = adopt_other_layouts(tmp_path, two)
    assert done.directories == ["collector-1of1"]
    assert done.baselines == len(IDS) + 1 and done.spooled_lines == 3
    seen = set()
    for j in (1, 2):
        part = Shard(1, 1).part(j, 2)
        store = BaselineStore.open(tmp_path / f"collector-1of1-w{j}of2")
        keys = {key for key, _ in store.items()}
        assert all(part.owns(ap) for ap, _ in keys)
        seen |= keys
        for (ap, counter), value in store.items():
            if counter == "rx_bytes.1":
                assert value.value == 1000 + IDS.index(ap)  # the very reading, not a new start
    assert len(seen) == len(IDS) + 1 and (IDS[0], "tx_bytes.1") in seen
    old = tmp_path / "collector-1of1"
    assert not (old / "baselines.jsonl").exists() and (old / "baselines.jsonl.adopted").exists()
    assert len(BaselineStore.open(old)) == 0  # never loaded again
    (moved,) = adopted_spools(tmp_path / "collector-1of1-w1of2")
    assert Spool(moved).depth_lines == 3 and not (old / "spool").exists()
    assert adopt_other_layouts(tmp_path, two).directories == []  # nothing left to adopt


def test_going_back_to_one_process_merges_the_workers(tmp_path: Path) -> None:
    _old_single_process(tmp_path)
    adopt_other_layouts(tmp_path, Shard(1, 1).part(1, 3))
    assert {p.name for p in other_layouts(tmp_path, Shard(1, 1))} == {
        "collector-1of1-w1of3", "collector-1of1-w2of3", "collector-1of1-w3of3",
    }  # fmt: skip
    done = adopt_other_layouts(tmp_path, Shard(1, 1))
    assert done.baselines == len(IDS) + 1
    assert len(BaselineStore.open(tmp_path / "collector-1of1")) == len(IDS) + 1


def test_a_newer_baseline_in_the_new_layout_wins(tmp_path: Path) -> None:
    _old_single_process(tmp_path)
    ap = IDS[5]
    owner = next(j for j in (1, 2) if Shard(1, 1).part(j, 2).owns(ap))
    newer = BaselineStore.open(tmp_path / f"collector-1of1-w{owner}of2")
    newer.put(ap, "rx_bytes.1", Sample(99_999, 64, 900, T0 + 60))
    newer.flush()
    adopt_other_layouts(tmp_path, Shard(1, 1).part(1, 2))
    store = BaselineStore.open(tmp_path / f"collector-1of1-w{owner}of2")
    assert dict(store.items())[(ap, "rx_bytes.1")].value == 99_999


def test_other_shards_and_hosts_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "collector-2of3").mkdir()
    (tmp_path / "collector-1of3-w1of2").mkdir()
    (tmp_path / "collector-10of30").mkdir()
    assert [p.name for p in other_layouts(tmp_path, Shard(1, 3))] == ["collector-1of3-w1of2"]


def test_a_directory_another_collector_holds_is_an_error(tmp_path: Path) -> None:
    _old_single_process(tmp_path)
    lock = (tmp_path / "collector-1of1" / "lock").open("a+")
    lock.write("4242")
    lock.flush()
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with pytest.raises(InputError, match=r"another collector \(pid 4242\)"):
            adopt_other_layouts(tmp_path, Shard(1, 1).part(1, 2), wait_s=0.3)
    finally:
        lock.close()
    assert (tmp_path / "collector-1of1" / "baselines.jsonl").exists()  # untouched
