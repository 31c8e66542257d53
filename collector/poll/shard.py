"""``--shard K/N``: a stable hash gives each AP to exactly one of N collectors.

The hash is SHA-1 of the AP id (not Python's ``hash()``, which changes per process), so every
collector, on any host, agrees without talking to the others. K counts from 1 to N.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from collector.inventory.model import AccessPoint

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
A = TypeVar("A", bound=AccessPoint)


def shard_index(ap_id: str, count: int) -> int:
    """Which of ``count`` shards (0-based) holds ``ap_id``."""
    digest = hashlib.sha1(ap_id.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True, slots=True)
class Shard:
    number: int  # K, 1..N
    count: int  # N

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with 1 <= K <= N; raises ValueError with a message for people."""
        match = _SHARD.match(text)
        if match is None:
            raise ValueError(f"--shard must look like K/N (e.g. 1/4), not {text!r}")
        number, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 1 <= number <= count:
            raise ValueError(f"--shard {text}: K must be between 1 and N (N >= 1)")
        return cls(number, count)

    def owns(self, ap_id: str) -> bool:
        return shard_index(ap_id, self.count) == self.number - 1

    def select(self, aps: Iterable[A]) -> Iterator[A]:
        return (ap for ap in aps if self.owns(ap.id))

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"


ALL = Shard(1, 1)
