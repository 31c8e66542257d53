"""Durable counter baselines, so a collector restart loses no traffic.

The last :class:`~collector.collect.counters.Sample` of every (AP, counter) is kept in memory and
written to one JSON-lines file under the data directory by :meth:`BaselineStore.flush`: a
temporary file in the same directory, fsync, ``os.replace`` (via ``Path.replace``), fsync of
the directory. A crash leaves either the old file or the new one, never a mix.

File format (version 1): a header line
``{"format": "pubwifi-baselines", "version": 1, "entries": N}`` then one JSON array per line:
``[ap, counter, value, width, uptime_ticks, wall_time, discontinuity_ticks, speed_mbps]``.

Loading never crashes the collector. An unreadable or truncated file, or a bad line, is
reported as ``FILE:LINE: what is wrong`` in :attr:`BaselineStore.problems`, logged, and counted
in :attr:`BaselineStore.bad_entries` / :attr:`BaselineStore.load_failures`; an unusable file is
moved aside (``*.corrupt``) and the store starts empty, so each counter's next sample is a
``first_sample`` (one interval lost per counter, and visible as such).

Ordering contract for callers: make baselines durable before (or in the same step as) the
points computed from them. A crash in between then loses those points as a visible gap in
covered time; the other order would count that interval twice after a restart.

Between snapshots, :meth:`BaselineStore.commit` appends just the changed entries to a journal
(``NAME.journal.G``, fsync'd), which is cheap enough to do before every spool group. The
snapshot header names the first journal generation ``G`` it does not contain; loading replays
journals from ``G`` on, later entries winning. A torn last journal line (a crash mid-append) is
ignored and counted.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from collector.collect.counters import Sample
from collector.errors import Problem

log = logging.getLogger(__name__)

FORMAT = "pubwifi-baselines"
VERSION = 1
DEFAULT_NAME = "baselines.jsonl"

Key = tuple[str, str]  # (ap, counter), e.g. ("AP-11110-0001", "rx_bytes.2")


class BaselineStore:
    """The last sample per (ap, counter), loaded on start and flushed atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.bad_entries = 0  # lines skipped on load
        self.load_failures = 0  # whole files set aside on load
        self.flushes = 0
        self._samples: dict[Key, Sample] = {}
        self._dirty = False
        self._pending: dict[Key, Sample] = {}  # changed since the last commit
        self._generation = 0  # journal generation being appended to
        self.torn_journal_lines = 0

    @classmethod
    def open(cls, data_dir: Path, name: str = DEFAULT_NAME) -> BaselineStore:
        """Create the directory if needed and load ``data_dir/name`` if it exists."""
        data_dir.mkdir(parents=True, exist_ok=True)
        store = cls(data_dir / name)
        store.remove_temporaries()
        store.load()
        return store

    def __len__(self) -> int:
        return len(self._samples)

    def get(self, ap: str, counter: str) -> Sample | None:
        return self._samples.get((ap, counter))

    def items(self) -> Iterator[tuple[Key, Sample]]:
        return iter(list(self._samples.items()))

    def retire(self) -> list[Path]:
        """Rename the snapshot and its journals ``*.adopted`` (another store took them over):
        they are never loaded again, and kept for a person to look at. Returns the new paths."""
        moved = []
        for path in [self.path, *self.path.parent.glob(f"{self.path.name}.journal.*")]:
            if path.exists() and not path.name.endswith(".adopted"):
                target = path.with_name(path.name + ".adopted")
                path.replace(target)
                moved.append(target)
        _fsync_dir(self.path.parent)
        self._samples, self._pending, self._dirty = {}, {}, False
        return moved

    def put(self, ap: str, counter: str, sample: Sample) -> None:
        self._samples[(ap, counter)] = sample
        self._pending[(ap, counter)] = sample
        self._dirty = True

    def _journal(self, generation: int) -> Path:
        return self.path.with_name(f"{self.path.name}.journal.{generation}")

    def commit(self) -> int:
        """Append the entries changed since the last commit to the journal, fsync'd."""
        if not self._pending:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._journal(self._generation).open("a", encoding="utf-8") as out:
            out.writelines(_entry_line(key, s) for key, s in self._pending.items())
            out.flush()
            os.fsync(out.fileno())
        written = len(self._pending)
        self._pending = {}
        return written

    def forget_aps(self, keep: set[str]) -> int:
        """Drop baselines of APs not in ``keep`` (left the inventory); returns how many."""
        gone = [key for key in self._samples if key[0] not in keep]
        for key in gone:
            del self._samples[key]
        self._dirty = self._dirty or bool(gone)
        return len(gone)

    def remove_temporaries(self) -> int:
        """Delete temporary files a crashed flush left behind; returns how many."""
        stale = list(self.path.parent.glob(f"{self._temp_prefix}*"))
        for leftover in stale:
            leftover.unlink(missing_ok=True)
        return len(stale)

    @property
    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def load(self) -> None:
        """Replace memory with the file's content; a missing file is an empty store."""
        self._samples = {}
        self._dirty = False
        self._pending = {}
        self._load_snapshot()
        self._replay_journals()

    def _load_snapshot(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self._set_aside(1, f"cannot read baselines: {exc}")
            return
        lines = text.split("\n")
        header = _parse_header(lines[0])
        if isinstance(header, str):
            self._set_aside(1, header)
            return
        entries, self._generation = header
        samples = dict(self._parse_entries(lines[1:]))
        if len(samples) + self.bad_entries != entries:
            self._set_aside(
                len(lines), f"truncated baselines: header says {entries}, file has {len(samples)}"
            )
            return
        self._samples = samples

    def _replay_journals(self) -> None:
        """Apply journals from the snapshot's generation on; delete older ones."""
        generations = []
        for path in self.path.parent.glob(f"{self.path.name}.journal.*"):
            suffix = path.name.rsplit(".", 1)[-1]
            if suffix.isdigit():
                generations.append(int(suffix))
        for generation in sorted(generations):
            journal = self._journal(generation)
            if generation < self._generation:
                journal.unlink(missing_ok=True)
                continue
            self._generation = generation
            lines = journal.read_text(encoding="utf-8", errors="replace").split("\n")
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    key, sample = _parse_entry(line)
                except (ValueError, TypeError):
                    if number == len(lines):  # the last, unterminated line: a torn append
                        self.torn_journal_lines += 1
                        continue
                    self.bad_entries += 1
                    self._problem(number, f"bad journal entry skipped in {journal.name}")
                    continue
                self._samples[key] = sample
                self._dirty = True

    def flush(self) -> bool:
        """Write all baselines atomically if anything changed; True if written."""
        if not self._dirty:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=self._temp_prefix, dir=self.path.parent)
        tmp = Path(tmp_name)
        next_generation = self._generation + 1
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(_header_line(len(self._samples), next_generation))
                out.writelines(_entry_line(key, s) for key, s in self._samples.items())
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(self.path)  # os.replace: atomic on POSIX
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        self._journal(self._generation).unlink(missing_ok=True)  # all in the snapshot now
        self._generation = next_generation
        self._pending = {}
        self._dirty = False
        self.flushes += 1
        return True

    def _parse_entries(self, lines: list[str]) -> Iterator[tuple[Key, Sample]]:
        for number, line in enumerate(lines, start=2):
            if not line.strip():
                continue
            try:
                yield _parse_entry(line)
            except (ValueError, TypeError) as exc:
                self._problem(number, f"bad baseline entry skipped: {exc}")
                self.bad_entries += 1

    def _set_aside(self, line: int, message: str) -> None:
        self.load_failures += 1
        self._samples = {}
        aside = self.path.with_name(self.path.name + ".corrupt")
        try:
            self.path.replace(aside)
            where = f"moved to {aside.name}"
        except OSError as exc:
            where = f"could not move it aside: {exc}"
        self._problem(line, f"{message}; starting without baselines ({where})")

    def _problem(self, line: int, message: str) -> None:
        problem = Problem(str(self.path), line, message)
        self.problems.append(problem)
        log.error("%s", problem)


def _header_line(entries: int, journal: int) -> str:
    header = {"format": FORMAT, "version": VERSION, "entries": entries, "journal": journal}
    return json.dumps(header) + "\n"


def _parse_header(line: str) -> tuple[int, int] | str:
    """The entry count and first journal generation, or what is wrong with the header."""
    try:
        header: Any = json.loads(line)
    except ValueError:
        return "not a baselines file (first line is not JSON)"
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return f"not a baselines file (expected format {FORMAT!r})"
    if header.get("version") != VERSION:
        return f"unsupported baselines version {header.get('version')!r} (expected {VERSION})"
    entries = header.get("entries")
    if not isinstance(entries, int) or isinstance(entries, bool) or entries < 0:
        return "baselines header has no valid 'entries' count"
    journal = header.get("journal", 0)
    if not _is_int(journal) or journal < 0:
        return "baselines header has no valid 'journal' generation"
    return entries, journal


def _entry_line(key: Key, s: Sample) -> str:
    row = [*key, s.value, s.width, s.uptime_ticks, s.wall_time, s.discontinuity_ticks]
    return json.dumps([*row, s.speed_mbps], separators=(",", ":")) + "\n"


def _parse_entry(line: str) -> tuple[Key, Sample]:
    row: Any = json.loads(line)
    if not isinstance(row, list) or len(row) != 8:
        raise ValueError("expected a list of 8 fields")
    ap, counter, value, width, uptime, wall, disc, speed = row
    if not (isinstance(ap, str) and isinstance(counter, str) and ap and counter):
        raise ValueError("ap and counter must be non-empty strings")
    for name, item, optional in (
        ("value", value, False),
        ("width", width, False),
        ("uptime_ticks", uptime, False),
        ("discontinuity_ticks", disc, True),
        ("speed_mbps", speed, True),
    ):
        if not (_is_int(item) or (optional and item is None)):
            raise ValueError(f"{name} must be an integer, not {item!r}")
    if not isinstance(wall, int | float) or isinstance(wall, bool) or not math.isfinite(wall):
        raise ValueError(f"wall_time must be a finite number, not {wall!r}")
    return (ap, counter), Sample(value, width, uptime, float(wall), disc, speed)


def _is_int(item: object) -> bool:
    return isinstance(item, int) and not isinstance(item, bool)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
