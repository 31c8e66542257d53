"""A durable, append-only, segmented disk spool of line-protocol lines.

The poller appends; the shipper peeks a batch from the committed position, writes it, and commits.
Layout of ``directory``: segments ``000000000001.seg``, ... and ``committed`` (the read position,
replaced atomically). A segment is a run of frames::

    b"PWSG" | payload length u32 | line count u32 | CRC32 u32 | payload (lines joined by "\\n")

The CRC covers length, count and payload. One :meth:`Spool.append` writes its frames with one
``write`` and one ``fsync``, so ``kill -9`` loses at most the append in progress. On open, every
segment is checked: a torn or corrupt tail is cut off and counted (:class:`Recovery`).

Past ``cap_bytes`` the oldest whole segments are dropped, except the one being appended to and
those a peeked batch still reads, and the lines they held that were not yet committed are
counted exactly. One reader (the shipper) at a time.

Delivery is at-least-once: a crash between a successful write and its commit re-sends that
batch, which InfluxDB stores as the same points (same series and timestamp), not new ones.
"""

from __future__ import annotations

import bisect
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from collector.influx.hooks import NoMetrics, SpoolMetrics
from collector.influx.lineproto import BadPoint, check_line
from collector.influx.segment import (
    Position,
    Recovery,
    Segment,
    decode_frame,
    encode_frame,
    fsync_dir,
    scan_segment,
)

_SUFFIX = ".seg"
_COMMIT_FILE = "committed"


@dataclass(frozen=True, slots=True)
class Batch:
    """Lines peeked from the spool; commit ``end`` once they are written."""

    lines: list[str]
    start: Position
    end: Position


class Spool:
    """See the module docstring."""

    def __init__(
        self,
        directory: Path,
        *,
        cap_bytes: int = 2 * 1024**3,
        segment_bytes: int = 64 * 1024**2,
        group_lines: int = 5000,
        metrics: SpoolMetrics | None = None,
        durable: bool = True,
    ) -> None:
        self.directory = directory
        self.cap_bytes = cap_bytes
        self.segment_bytes = max(4096, min(segment_bytes, cap_bytes // 4))
        self.group_lines = group_lines
        self.metrics: SpoolMetrics = metrics or NoMetrics()
        self.durable = durable
        self.dropped_lines = 0
        self.recovery = Recovery()
        self._lock = threading.Lock()
        self._inflight: Batch | None = None
        self._corrupt: set[tuple[int, int]] = set()
        directory.mkdir(parents=True, exist_ok=True)
        self._segments: list[Segment] = []
        for path in sorted(directory.glob("*" + _SUFFIX)):
            if path.stem.isdigit():
                seg = Segment(int(path.stem), path)
                self._segments.append(scan_segment(seg, self.recovery, durable))
        self._committed = self._read_commit()
        self._forget_committed()
        if not self._segments:
            self._new_segment()
        self._append_file = self._segments[-1].path.open("ab")
        if self.recovery.torn_groups:
            self.metrics.torn_groups_discarded(self.recovery.torn_groups, self.recovery.torn_lines)
        self._report_depth()

    # -- opening ---------------------------------------------------------------------------

    def _read_commit(self) -> Position:
        first = Position(self._segments[0].seq if self._segments else 1, 0)
        try:
            words = (self.directory / _COMMIT_FILE).read_text(encoding="ascii").split()
            pos = Position(int(words[0]), int(words[1]), int(words[2]))
        except (OSError, ValueError, IndexError):
            return first
        for seg in self._segments:
            if seg.seq == pos.seq:
                if pos.offset >= seg.size:
                    return Position(seg.seq, seg.size)
                index = bisect.bisect_left(seg.offsets, pos.offset)
                if index >= len(seg.offsets):
                    return Position(seg.seq, seg.size)
                count = seg.before[index + 1] - seg.before[index]
                return Position(seg.seq, seg.offsets[index], min(pos.line, count))
            if seg.seq > pos.seq:
                return Position(seg.seq, 0)
        return Position(pos.seq, 0) if not self._segments else first

    # -- writing ---------------------------------------------------------------------------

    def append(self, lines: Sequence[str]) -> int:
        """Append ``lines`` durably; lines that cannot travel are set aside. Returns lines kept."""
        good = list(lines)
        try:
            for line in good:
                if not line:
                    raise BadPoint("empty", "empty line")
                check_line(line)
        except BadPoint:
            good = self._set_aside_bad(good)
        if not good:
            return 0
        step = self.group_lines
        frames = [good[i : i + step] for i in range(0, len(good), step)]
        with self._lock:
            seg = self._segments[-1]
            if seg.size >= self.segment_bytes:
                seg = self._new_segment()
            blob = bytearray()
            for frame in frames:
                seg.offsets.append(seg.size + len(blob))
                seg.before.append(seg.before[-1] + len(frame))
                blob += encode_frame(frame)
            self._append_file.write(blob)
            self._append_file.flush()
            if self.durable:
                os.fsync(self._append_file.fileno())
            seg.size += len(blob)
            self._enforce_cap()
            self._report_depth()
        return len(good)

    def _set_aside_bad(self, lines: list[str]) -> list[str]:
        good = []
        for line in lines:
            try:
                if not line:
                    raise BadPoint("empty", "empty line")
                check_line(line)
            except BadPoint as bad:
                self.metrics.points_set_aside(1, bad.reason)
            else:
                good.append(line)
        return good

    def _new_segment(self) -> Segment:
        seq = self._segments[-1].seq + 1 if self._segments else self._committed.seq
        seg = Segment(seq, self.directory / f"{seq:012d}{_SUFFIX}")
        seg.path.touch()
        if self.durable:
            fsync_dir(self.directory)
        if self._segments:
            self._append_file.close()
            self._append_file = seg.path.open("ab")
        self._segments.append(seg)
        return seg

    def _enforce_cap(self) -> None:
        pinned = self._inflight.end.seq if self._inflight else -1
        index = 0
        while self.size_bytes > self.cap_bytes and index < len(self._segments) - 1:
            seg = self._segments[index]
            if seg.seq <= pinned:
                index += 1
                continue
            lost = seg.lines
            if seg.seq == self._committed.seq:
                lost -= seg.lines_before(self._committed)
                self._committed = Position(self._segments[index + 1].seq, 0)
            if lost:
                self.dropped_lines += lost
                self.metrics.points_dropped(lost)
            del self._segments[index]
            seg.path.unlink()
            if self.durable:
                fsync_dir(self.directory)

    # -- reading ---------------------------------------------------------------------------

    def peek(self, max_lines: int) -> Batch:
        """Up to ``max_lines`` lines from the committed position, in order (may be empty)."""
        with self._lock:
            pos = self._committed
            first: Position | None = None
            out: list[str] = []
            for seg in self._segments:
                if seg.seq < pos.seq:
                    continue
                if len(out) >= max_lines:
                    break
                if seg.seq > pos.seq:
                    pos = Position(seg.seq, 0)
                index = bisect.bisect_left(seg.offsets, pos.offset)
                with seg.path.open("rb") as file:
                    while index < len(seg.offsets) and len(out) < max_lines:
                        lines = self._read_frame(file, seg, index)
                        if lines is None and out:
                            break  # a corrupt frame ends the batch; the next peek skips it
                        lines = lines or []
                        take = lines[pos.line : pos.line + max_lines - len(out)]
                        if take and first is None:
                            first = pos
                        out.extend(take)
                        if pos.line + len(take) < len(lines):
                            pos = Position(seg.seq, seg.offsets[index], pos.line + len(take))
                            break
                        index += 1
                        next_offset = seg.offsets[index] if index < len(seg.offsets) else seg.size
                        pos = Position(seg.seq, next_offset)
                    else:
                        continue
                    break
            batch = Batch(out, first or pos, pos)
            self._inflight = batch
            return batch

    def _read_frame(self, file: BinaryIO, seg: Segment, index: int) -> list[str] | None:
        """The lines of one frame; ``None`` (counted as dropped) if corrupted since opening."""
        start = seg.offsets[index]
        end = seg.offsets[index + 1] if index + 1 < len(seg.offsets) else seg.size
        file.seek(start)
        lines = decode_frame(file.read(end - start))
        if lines is not None:
            return lines
        if (seg.seq, start) not in self._corrupt:
            self._corrupt.add((seg.seq, start))
            lost = seg.before[index + 1] - seg.before[index]
            self.dropped_lines += lost
            self.metrics.points_dropped(lost)
        return None

    def commit(self, batch: Batch) -> None:
        """Mark ``batch`` written: it is never peeked again; fully read segments are deleted."""
        with self._lock:
            self._inflight = None
            if batch.end <= self._committed:
                return
            self._committed = batch.end
            self._write_commit()  # before deleting segments, so a crash never rewinds
            self._forget_committed()
            self._report_depth()

    def commit_prefix(self, batch: Batch, n: int) -> None:
        """Commit only the first ``n`` lines of ``batch`` (a write that stopped part-way)."""
        if n >= len(batch.lines):
            self.commit(batch)
            return
        with self._lock:
            end = self._advance(batch.start, n)
        self.commit(Batch(batch.lines[:n], batch.start, end))

    def _advance(self, pos: Position, n: int) -> Position:
        for seg in self._segments:
            if seg.seq < pos.seq:
                continue
            if seg.seq > pos.seq:
                pos = Position(seg.seq, 0)
            base = seg.lines_before(pos)
            if n < seg.lines - base:
                target = base + n
                index = bisect.bisect_right(seg.before, target) - 1
                return Position(seg.seq, seg.offsets[index], target - seg.before[index])
            n -= seg.lines - base
            pos = Position(seg.seq, seg.size)
        return pos

    def release(self, batch: Batch) -> None:
        """Give up on ``batch`` without committing (it will be peeked again)."""
        with self._lock:
            if self._inflight is batch:
                self._inflight = None

    def _forget_committed(self) -> None:
        """Delete segments wholly before the committed position (never the active one)."""
        removed = False
        while len(self._segments) > 1:
            seg = self._segments[0]
            done = seg.seq < self._committed.seq or (
                seg.seq == self._committed.seq and self._committed.offset >= seg.size
            )
            if not done:
                break
            del self._segments[0]
            seg.path.unlink(missing_ok=True)
            removed = True
            if self._committed.seq <= seg.seq:
                self._committed = Position(self._segments[0].seq, 0)
        if removed and self.durable:
            fsync_dir(self.directory)

    def _write_commit(self) -> None:
        pos = self._committed
        tmp = self.directory / (_COMMIT_FILE + ".tmp")
        with tmp.open("w", encoding="ascii") as file:
            file.write(f"{pos.seq} {pos.offset} {pos.line}\n")
            file.flush()
            if self.durable:
                os.fsync(file.fileno())
        tmp.replace(self.directory / _COMMIT_FILE)
        if self.durable:
            fsync_dir(self.directory)

    # -- state -----------------------------------------------------------------------------

    @property
    def size_bytes(self) -> int:
        return sum(seg.size for seg in self._segments)

    @property
    def depth_lines(self) -> int:
        """Lines appended and not yet committed."""
        total = 0
        for seg in self._segments:
            if seg.seq > self._committed.seq:
                total += seg.lines
            elif seg.seq == self._committed.seq:
                total += seg.lines - seg.lines_before(self._committed)
        return total

    def _report_depth(self) -> None:
        self.metrics.spool_depth(self.depth_lines, self.size_bytes)

    def close(self) -> None:
        with self._lock:
            self._append_file.close()
