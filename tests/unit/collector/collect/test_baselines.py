"""collector.collect.baselines: atomic, durable, and never crashing on a bad file."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.collect.baselines import DEFAULT_NAME, BaselineStore
from collector.collect.counters import Reason, Sample, counter_delta

T0 = 1_735_657_200.0


def sample(value: int, up: int = 360_000, wall: float = T0, **kw) -> Sample:
    return Sample(value, 64, up, wall, **kw)


def test_missing_file_is_an_empty_store_and_creates_the_data_dir(tmp_path: Path):
    store = BaselineStore.open(tmp_path / "var" / "data")
    assert len(store) == 0 and store.problems == []
    assert (tmp_path / "var" / "data").is_dir()


def test_round_trip_keeps_every_field(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    full = Sample(2**64 - 1, 64, 2**32 - 1, T0 + 0.125, discontinuity_ticks=77, speed_mbps=1200)
    store.put("AP-1", "rx_bytes.1", full)
    store.put("AP-1", "tx_bytes.1", Sample(5, 32, 0, T0))
    store.put("AP-2", "sessions", sample(9))
    assert store.flush() is True
    again = BaselineStore.open(tmp_path)
    assert len(again) == 3 and again.problems == []
    assert again.get("AP-1", "rx_bytes.1") == full
    assert again.get("AP-1", "tx_bytes.1") == Sample(5, 32, 0, T0)
    assert again.get("AP-3", "sessions") is None


def test_flush_writes_only_when_something_changed(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    assert store.flush() is False
    store.put("AP-1", "rx", sample(1))
    assert store.flush() is True
    assert store.flush() is False
    assert store.flushes == 1


def test_flush_leaves_no_temporary_files(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    for i in range(3):
        store.put("AP-1", "rx", sample(i))
        store.flush()
    assert sorted(p.name for p in tmp_path.iterdir()) == [DEFAULT_NAME]


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path, monkeypatch):
    store = BaselineStore.open(tmp_path)
    store.put("AP-1", "rx", sample(1))
    store.flush()
    before = (tmp_path / DEFAULT_NAME).read_bytes()
    store.put("AP-1", "rx", sample(2))

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        store.flush()
    assert (tmp_path / DEFAULT_NAME).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [DEFAULT_NAME]


def test_restart_loses_no_traffic(tmp_path: Path):
    """A collector that stops and starts again takes the next delta from the saved baseline."""
    before = BaselineStore.open(tmp_path)
    before.put("AP-1", "rx", sample(1_000, up=360_000, wall=T0))
    before.flush()
    del before
    after = BaselineStore.open(tmp_path)
    d = counter_delta(after.get("AP-1", "rx"), sample(51_000, up=390_000, wall=T0 + 300))
    assert (d.delta, d.reason, d.lost_seconds) == (50_000, Reason.OK, 0.0)


KILLED_WRITER = """
import sys
from pathlib import Path
from collector.collect.baselines import BaselineStore
from collector.collect.counters import Sample
store = BaselineStore.open(Path(sys.argv[1]))
generation = 0
while True:
    generation += 1
    for ap in range(2000):
        store.put(f"AP-{ap}", "rx", Sample(generation, 64, generation, 1e9 + generation))
    store.flush()
    print(generation, flush=True)
"""


def _kill_writer_at_a_random_moment(directory: Path, rnd: random.Random) -> bool:
    """Run the writer, SIGKILL it; True if it died inside a flush (a temporary was left)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(directory)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "1\n"  # ready: one whole generation is on disk
    time.sleep(rnd.uniform(0, 0.03))  # not synchronisation: a random moment to kill at
    proc.kill()
    proc.wait(timeout=10)
    proc.stdout.close()
    return any(p.name.startswith(".") for p in directory.iterdir())


def test_kill_9_during_flushes_leaves_a_loadable_file(tmp_path: Path):
    """A writer killed inside a flush leaves the old or the new file, never a torn one."""
    rnd = random.Random(4)
    killed_mid_flush = 0
    for trial in range(30):
        directory = tmp_path / str(trial)
        directory.mkdir()
        killed_mid_flush += _kill_writer_at_a_random_moment(directory, rnd)
        store = BaselineStore.open(directory)
        assert store.problems == [] and store.load_failures == 0
        values = {store.get(f"AP-{ap}", "rx").value for ap in range(2000)}  # type: ignore[union-attr]
        assert len(values) == 1 and min(values) >= 1  # one whole generation
        assert sorted(p.name for p in directory.iterdir()) == [DEFAULT_NAME]  # no temporaries
        if killed_mid_flush:
            break
    assert killed_mid_flush, "no kill landed inside a flush in 30 trials"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not json\n", "first line is not JSON"),
        ('{"format": "other", "version": 1, "entries": 0}\n', "not a baselines file"),
        ('{"format": "pubwifi-baselines", "version": 9, "entries": 0}\n', "unsupported"),
        ('{"format": "pubwifi-baselines", "version": 1}\n', "no valid 'entries'"),
        (
            '{"format": "pubwifi-baselines", "version": 1, "entries": 2}\n'
            '["AP-1","rx",1,64,0,1.0,null,null]\n',
            "truncated baselines: header says 2, file has 1",
        ),
        ("", "first line is not JSON"),
    ],
)
def test_unusable_file_is_set_aside_counted_and_reported(tmp_path: Path, caplog, content, message):
    (tmp_path / DEFAULT_NAME).write_text(content)
    with caplog.at_level(logging.ERROR):
        store = BaselineStore.open(tmp_path)
    assert len(store) == 0 and store.load_failures == 1
    [problem] = store.problems
    assert message in str(problem) and str(problem).startswith(f"{tmp_path / DEFAULT_NAME}:")
    assert "starting without baselines" in caplog.text
    assert (tmp_path / (DEFAULT_NAME + ".corrupt")).read_text() == content
    assert not (tmp_path / DEFAULT_NAME).exists()


def test_undecodable_bytes_are_reported_not_raised(tmp_path: Path):
    (tmp_path / DEFAULT_NAME).write_bytes(b"\xff\xfe\x00garbage")
    store = BaselineStore.open(tmp_path)
    assert store.load_failures == 1 and "cannot read baselines" in str(store.problems[0])


BAD_LINES = [
    ('["AP-1","rx",1,64,0,1.0,null]', "8 fields"),
    ('["","rx",1,64,0,1.0,null,null]', "non-empty strings"),
    ('["AP-1","rx","1",64,0,1.0,null,null]', "value must be an integer"),
    ('["AP-1","rx",true,64,0,1.0,null,null]', "value must be an integer"),
    ('["AP-1","rx",1,48,0,1.0,null,null]', "width must be 32 or 64"),
    ('["AP-1","rx",4294967296,32,0,1.0,null,null]', "outside Counter32"),
    ('["AP-1","rx",1,64,0,NaN,null,null]', "finite number"),
    ('["AP-1","rx",1,64,0,1.0,1.5,null]', "discontinuity_ticks must be an integer"),
    ('{"ap": "AP-1"}', "8 fields"),
    ("[1,2", "Expecting"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_bad_line_is_skipped_with_its_line_number(tmp_path: Path, line, message):
    good = '["AP-1","tx",5,64,100,1.5,null,1000]'
    header = '{"format": "pubwifi-baselines", "version": 1, "entries": 2}'
    (tmp_path / DEFAULT_NAME).write_text(f"{header}\n{good}\n{line}\n")
    store = BaselineStore.open(tmp_path)
    assert store.bad_entries == 1 and store.load_failures == 0
    [problem] = store.problems
    assert str(problem).startswith(f"{tmp_path / DEFAULT_NAME}:3: bad baseline entry skipped")
    assert message in str(problem)
    assert store.get("AP-1", "tx") == Sample(5, 64, 100, 1.5, None, 1000)


def test_forget_aps_drops_removed_aps_and_persists(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    for ap in ("A", "B", "C"):
        store.put(ap, "rx", sample(1))
    store.flush()
    assert store.forget_aps({"A", "C"}) == 1
    assert store.flush() is True
    assert len(BaselineStore.open(tmp_path)) == 2


def test_file_is_json_lines_with_a_header(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    store.put("AP-1", "rx", sample(3, discontinuity_ticks=4, speed_mbps=5))
    store.flush()
    lines = (tmp_path / DEFAULT_NAME).read_text().splitlines()
    assert json.loads(lines[0]) == {
        "format": "pubwifi-baselines",
        "version": 1,
        "entries": 1,
        "journal": 1,
    }
    assert json.loads(lines[1]) == ["AP-1", "rx", 3, 64, 360_000, T0, 4, 5]


def test_commit_journals_changes_that_survive_without_a_snapshot(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    store.put("AP-1", "rx", sample(1))
    store.flush()  # snapshot generation 1
    store.put("AP-1", "rx", sample(7))
    store.put("AP-2", "tx", sample(9))
    assert store.commit() == 2
    assert store.commit() == 0  # nothing new
    # a crash here: no snapshot since, but the journal has both changes
    again = BaselineStore.open(tmp_path)
    assert again.get("AP-1", "rx") == sample(7)
    assert again.get("AP-2", "tx") == sample(9)


def test_snapshot_supersedes_older_journals(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    store.put("AP-1", "rx", sample(1))
    store.commit()
    store.put("AP-1", "rx", sample(2))
    store.flush()  # includes the journaled change; the old journal is gone
    assert not list(tmp_path.glob("*.journal.0"))
    store.put("AP-1", "rx", sample(3))
    store.commit()
    assert BaselineStore.open(tmp_path).get("AP-1", "rx") == sample(3)


def test_stale_journal_left_by_a_crash_is_not_replayed(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    store.put("AP-1", "rx", sample(1))
    store.commit()  # journal generation 0 holds value 1
    journal = next(tmp_path.glob("*.journal.0"))
    saved = journal.read_text()
    store.put("AP-1", "rx", sample(5))
    store.flush()  # snapshot (journal 1) has 5, journal 0 deleted
    journal.write_text(saved)  # as if the crash came before the delete
    assert BaselineStore.open(tmp_path).get("AP-1", "rx") == sample(5)


def test_torn_journal_tail_is_ignored_and_counted(tmp_path: Path):
    store = BaselineStore.open(tmp_path)
    store.put("AP-1", "rx", sample(1))
    store.commit()
    journal = next(tmp_path.glob("*.journal.0"))
    with journal.open("a") as out:
        out.write('["AP-1","rx",99,64')  # cut off mid-append
    again = BaselineStore.open(tmp_path)
    assert again.get("AP-1", "rx") == sample(1)
    assert again.torn_journal_lines == 1 and again.bad_entries == 0
