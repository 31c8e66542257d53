"""The spool's on-disk format: segments of CRC-framed groups of lines, and their index.

A frame is ``b"PWSG" | payload length u32 | line count u32 | CRC32 u32 | payload``, the payload
being the lines joined by ``"\\n"`` in UTF-8; the CRC covers length, count and payload.
"""

from __future__ import annotations

import bisect
import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"PWSG"
HEADER = struct.Struct("<4sIII")


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where a reader is: segment number, byte offset of a frame, line within the frame."""

    seq: int
    offset: int
    line: int = 0


@dataclass(slots=True)
class Recovery:
    """What reopening found: frames cut off by a crash or corruption."""

    torn_groups: int = 0
    torn_lines: int = 0  # lines of torn frames whose header was still readable
    torn_bytes: int = 0


@dataclass(slots=True)
class Segment:
    seq: int
    path: Path
    size: int = 0
    offsets: list[int] = field(default_factory=list)  # start of each frame
    before: list[int] = field(default_factory=lambda: [0])  # lines before frame i; [-1] = total

    @property
    def lines(self) -> int:
        return self.before[-1]

    def lines_before(self, pos: Position) -> int:
        """Lines of this segment that come before ``pos`` (``pos.seq`` is this segment)."""
        index = bisect.bisect_left(self.offsets, pos.offset)
        return self.before[index] + pos.line


def encode_frame(lines: Sequence[str]) -> bytes:
    payload = "\n".join(lines).encode("utf-8")
    head = struct.pack("<II", len(payload), len(lines))
    crc = zlib.crc32(payload, zlib.crc32(head))
    return HEADER.pack(MAGIC, len(payload), len(lines), crc) + payload


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def decode_frame(data: bytes) -> list[str] | None:
    """The lines of one whole frame, or ``None`` if its header or CRC is wrong."""
    magic, length, count, crc = HEADER.unpack_from(data)
    payload = data[HEADER.size :]
    head = struct.pack("<II", length, count)
    if magic != MAGIC or len(payload) != length or zlib.crc32(payload, zlib.crc32(head)) != crc:
        return None
    return payload.decode("utf-8").split("\n")


def scan_segment(seg: Segment, recovery: Recovery, durable: bool) -> Segment:
    """Index a segment's frames, cutting off a torn or corrupt tail."""
    with seg.path.open("r+b") as file:
        data = file.read()
        offset = 0
        while offset < len(data):
            header = data[offset : offset + HEADER.size]
            ok = len(header) == HEADER.size
            magic, length, count, crc = HEADER.unpack(header) if ok else (b"", 0, 0, 0)
            end = offset + HEADER.size + length
            ok = ok and magic == MAGIC and end <= len(data)
            if ok:
                head = struct.pack("<II", length, count)
                ok = zlib.crc32(data[offset + HEADER.size : end], zlib.crc32(head)) == crc
            if not ok:
                recovery.torn_groups += 1
                recovery.torn_lines += count if magic == MAGIC else 0
                recovery.torn_bytes += len(data) - offset
                file.truncate(offset)
                if durable:
                    os.fsync(file.fileno())
                break
            seg.offsets.append(offset)
            seg.before.append(seg.before[-1] + count)
            offset = end
        seg.size = offset
    return seg
