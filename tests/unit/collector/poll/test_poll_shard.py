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
