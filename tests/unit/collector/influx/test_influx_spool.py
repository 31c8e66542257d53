"""The disk spool: framing, replay order, reopen after a crash, exact drop counts at the cap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.influx.hooks import CountingMetrics
from collector.influx.segment import HEADER
from collector.influx.spool import Spool


def numbered(start: int, n: int) -> list[str]:
    return [f"m,ap=AP-{i} v={i}i {1_700_000_000 + i}" for i in range(start, start + n)]


def number(line: str) -> int:
    return int(line.split(",ap=AP-")[1].split(" ")[0])


def drain(spool: Spool, batch: int = 7) -> list[str]:
    out: list[str] = []
    while True:
        got = spool.peek(batch)
        if not got.lines:
            return out
        out.extend(got.lines)
        spool.commit(got)


def segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"))


def test_replays_in_order_across_groups_and_segments(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=4096, group_lines=10)
    for start in range(0, 1000, 37):
        spool.append(numbered(start, min(37, 1000 - start)))
    assert len(segments(tmp_path)) > 3
    assert spool.depth_lines == 1000
    assert drain(spool) == numbered(0, 1000)
    assert spool.depth_lines == 0
    assert len(segments(tmp_path)) == 1  # read segments are deleted


def test_uncommitted_batch_is_peeked_again(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(numbered(0, 10))
    first = spool.peek(4)
    spool.release(first)
    assert spool.peek(4).lines == first.lines == numbered(0, 4)


def test_reopen_continues_from_the_committed_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path, group_lines=5)
    spool.append(numbered(0, 12))
    spool.commit(spool.peek(7))  # commits in the middle of the second frame
    spool.close()
    again = Spool(tmp_path, group_lines=5)
    assert again.depth_lines == 5
    again.append(numbered(12, 3))
    assert drain(again) == numbered(7, 8)


def test_commit_prefix_commits_exactly_n_lines(tmp_path: Path) -> None:
    spool = Spool(tmp_path, group_lines=3, segment_bytes=4096)
    for start in range(0, 200, 20):
        spool.append(numbered(start, 20))
    batch = spool.peek(150)
    spool.commit_prefix(batch, 101)
    assert spool.depth_lines == 99
    assert spool.peek(1).lines == numbered(101, 1)


def test_torn_last_group_is_cut_off_and_counted(tmp_path: Path) -> None:
    metrics = CountingMetrics()
    spool = Spool(tmp_path, group_lines=4)
    spool.append(numbered(0, 8))
    spool.append(numbered(8, 4))
    spool.close()
    seg = segments(tmp_path)[-1]
    data = seg.read_bytes()
    seg.write_bytes(data[:-10])  # the last frame lost its end, as if killed mid-write
    again = Spool(tmp_path, metrics=metrics)
    assert (again.recovery.torn_groups, again.recovery.torn_lines) == (1, 4)
    assert (metrics.torn_groups, metrics.torn_lines) == (1, 4)
    again.append(numbered(100, 2))  # appends continue after the good part
    assert drain(again) == numbered(0, 8) + numbered(100, 2)


def test_torn_header_and_bad_crc_are_detected(tmp_path: Path) -> None:
    spool = Spool(tmp_path, group_lines=4)
    spool.append(numbered(0, 8))
    spool.close()
    seg = segments(tmp_path)[-1]
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0xFF  # flip a payload byte of the second frame: CRC mismatch
    seg.write_bytes(bytes(data) + b"PWS")  # and a header torn after 3 bytes
    first_frame = HEADER.size + HEADER.unpack_from(data)[1]
    again = Spool(tmp_path)
    assert again.recovery.torn_groups == 1  # everything from the bad frame on is one cut
    assert again.recovery.torn_bytes == len(data) + 3 - first_frame
    assert seg.stat().st_size == first_frame
    assert drain(again) == numbered(0, 4)


def test_cap_drops_oldest_segments_and_counts_exactly(tmp_path: Path) -> None:
    metrics = CountingMetrics()
    spool = Spool(tmp_path, cap_bytes=20_000, segment_bytes=4096, group_lines=10, metrics=metrics)
    total = 3000
    for start in range(0, total, 50):
        spool.append(numbered(start, 50))
        assert spool.size_bytes <= 20_000 + 4096
    kept = drain(spool)
    assert spool.dropped_lines == metrics.dropped == total - len(kept) > 0
    # What is left is the newest lines, contiguous and in order.
    assert kept == numbered(total - len(kept), len(kept))


def test_cap_does_not_count_committed_lines(tmp_path: Path) -> None:
    spool = Spool(tmp_path, cap_bytes=16_384, segment_bytes=4096, group_lines=10)
    spool.append(numbered(0, 60))
    spool.commit(spool.peek(25))  # 25 of the oldest segment's lines already written
    for start in range(60, 2040, 60):
        spool.append(numbered(start, 60))
    kept = drain(spool)
    assert spool.dropped_lines > 0
    assert 25 + spool.dropped_lines + len(kept) == 2040
    assert kept == numbered(2040 - len(kept), len(kept))


def test_cap_spares_the_batch_in_flight(tmp_path: Path) -> None:
    spool = Spool(tmp_path, cap_bytes=16_384, segment_bytes=4096, group_lines=10)
    spool.append(numbered(0, 40))
    in_flight = spool.peek(40)
    for start in range(40, 1520, 40):
        spool.append(numbered(start, 40))
    spool.commit(in_flight)  # it was written while the spool overflowed
    kept = drain(spool)
    assert in_flight.lines == numbered(0, 40)
    assert spool.dropped_lines > 0
    assert 40 + spool.dropped_lines + len(kept) == 1520
    # The in-flight segment's unread rest survives; after it, the newest lines in order.
    rest = [number(line) for line in kept]
    assert rest == sorted(rest) and rest[-1] == 1519


def test_unwritable_lines_are_set_aside_not_the_group(tmp_path: Path) -> None:
    metrics = CountingMetrics()
    spool = Spool(tmp_path, metrics=metrics)
    kept = spool.append(["m v=1i 1", "m v=2i 2\nm v=3i 3", "", "m v=\udcff 4", "m v=5i 5"])
    assert kept == 2
    assert drain(spool) == ["m v=1i 1", "m v=5i 5"]
    assert metrics.set_aside == {"control_char": 1, "empty": 1, "utf8": 1}


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from collector.influx.spool import Spool
    spool = Spool(Path(sys.argv[1]), segment_bytes=65536, group_lines=50)
    n = 0
    while True:
        spool.append([f"m,ap=AP-{i} v={i}i {1700000000 + i}" for i in range(n, n + 100)])
        n += 100
        print(n, flush=True)
    """
)


def test_kill_9_loses_nothing_acknowledged_and_reopens(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = 0
    while acknowledged < 5000:
        acknowledged = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    spool = Spool(tmp_path, segment_bytes=65536)
    lines = drain(spool, batch=997)
    assert len(lines) >= acknowledged
    assert [number(line) for line in lines] == list(range(len(lines)))


_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 60)),
        st.tuples(st.just("ship"), st.integers(1, 80)),
        st.tuples(st.just("fail"), st.integers(1, 80)),
        st.tuples(st.just("partial"), st.integers(1, 80)),
        st.tuples(st.just("reopen"), st.just(0)),
    ),
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_OPS)
def test_any_mix_of_operations_delivers_in_order_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]]
) -> None:
    directory = tmp_path_factory.mktemp("spool")

    def open_spool() -> Spool:
        return Spool(directory, segment_bytes=4096, group_lines=7, durable=False)

    spool, appended, delivered = open_spool(), 0, []
    for op, n in ops:
        if op == "append":
            spool.append(numbered(appended, n))
            appended += n
        elif op == "reopen":
            spool.close()
            spool = open_spool()
        else:
            batch = spool.peek(n)
            if op == "ship":
                delivered.extend(batch.lines)
                spool.commit(batch)
            elif op == "partial":
                delivered.extend(batch.lines[: n // 2])
                spool.commit_prefix(batch, n // 2)
            else:
                spool.release(batch)
        assert spool.depth_lines == appended - len(delivered)
    delivered.extend(drain(spool))
    assert delivered == numbered(0, appended)
