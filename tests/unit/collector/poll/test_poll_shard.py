"""--shard K/N: every AP in exactly one shard, stable across processes, roughly even."""

from __future__ import annotations

import subprocess
import sys

import pytest

from collector.poll.shard import Shard, shard_index

IDS = [f"SEL-{district}-{n:05d}" for district in range(25) for n in range(400)]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16])
def test_every_ap_in_exactly_one_shard(count: int) -> None:
    shards = [Shard(k, count) for k in range(1, count + 1)]
    for ap_id in IDS:
        assert sum(shard.owns(ap_id) for shard in shards) == 1
    sizes = [sum(shard.owns(ap_id) for ap_id in IDS) for shard in shards]
    assert sum(sizes) == len(IDS)
    assert max(sizes) - min(sizes) < 0.1 * len(IDS) / count + 30


def test_stable_across_processes() -> None:
    """Not Python's hash(): another interpreter (other PYTHONHASHSEED) agrees."""
    sample = IDS[:200]
    here = [shard_index(ap_id, 5) for ap_id in sample]
    code = (
        "import sys; from collector.poll.shard import shard_index;"
        "print(','.join(str(shard_index(i, 5)) for i in sys.argv[1:]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *sample],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert out.stdout.strip() == ",".join(map(str, here))


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "1-4", ""])
def test_bad_shard_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="shard"):
        Shard.parse(text)


def test_parse() -> None:
    assert Shard.parse(" 2 / 4 ") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"


@pytest.mark.parametrize(("count", "workers"), [(1, 2), (2, 2), (3, 4), (1, 7)])
def test_workers_split_each_shard_exactly_and_evenly(count: int, workers: int) -> None:
    for k in range(1, count + 1):
        host = Shard(k, count)
        parts = [host.part(j, workers) for j in range(1, workers + 1)]
        mine = [ap_id for ap_id in IDS if host.owns(ap_id)]
        for ap_id in IDS:
            owners = sum(part.owns(ap_id) for part in parts)
            assert owners == (1 if host.owns(ap_id) else 0)  # never an AP of another host
        sizes = [sum(part.owns(ap_id) for ap_id in mine) for part in parts]
        assert max(sizes) - min(sizes) < 0.15 * len(mine) / workers + 30, sizes


def test_changing_the_worker_count_never_moves_an_ap_between_hosts() -> None:
    for ap_id in IDS[:500]:
        hosts = {k for k in (1, 2, 3) if Shard(k, 3).owns(ap_id)}
        for workers in (1, 2, 5):
            parts = {
                k for k in (1, 2, 3) for j in range(1, workers + 1)
                if Shard(k, 3).part(j, workers).owns(ap_id)
            }
            assert parts == hosts


def test_worker_names_and_the_fleet_jobs() -> None:
    part = Shard(1, 2).part(2, 4)
    assert str(part) == "1/2 worker 2/4" and part.slug == "1of2-w2of4"
    assert part.host == Shard(1, 2) and Shard(1, 2).slug == "1of2"
    assert Shard(1, 3).part(1, 2).keeps_fleet_jobs and Shard(1, 1).keeps_fleet_jobs
    assert not Shard(1, 3).part(2, 2).keeps_fleet_jobs and not Shard(2, 3).keeps_fleet_jobs
    with pytest.raises(ValueError, match="worker 3/2"):
        Shard(1, 1).part(3, 2)
