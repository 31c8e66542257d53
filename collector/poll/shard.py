"""``--shard K/N``: a stable hash gives each AP to exactly one of N collectors.

The hash is SHA-1 of the AP id (not Python's ``hash()``, which changes per process), so every
collector, on any host, agrees without talking to the others. K counts from 1 to N.

Within one collector, ``--workers W`` processes split the shard again: worker J of W owns the
shard's APs whose *other* half of the digest (bytes 8-16, independent of the shard's) gives J,
so changing W never moves an AP between hosts and each worker's part is stable across runs.
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


def _digest(ap_id: str) -> bytes:
    return hashlib.sha1(ap_id.encode(), usedforsecurity=False).digest()


def shard_index(ap_id: str, count: int) -> int:
    """Which of ``count`` shards (0-based) holds ``ap_id``."""
    return int.from_bytes(_digest(ap_id)[:8], "big") % count


def worker_index(ap_id: str, workers: int) -> int:
    """Which of ``workers`` worker processes (0-based) of its shard polls ``ap_id``."""
    return int.from_bytes(_digest(ap_id)[8:16], "big") % workers


def parse_fraction(text: str, flag: str) -> tuple[int, int]:
    """``"K/N"`` with 1 <= K <= N; raises ValueError with a message for people."""
    match = _SHARD.match(text)
    if match is None:
        raise ValueError(f"{flag} must look like K/N (e.g. 1/4), not {text!r}")
    number, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= number <= count:
        raise ValueError(f"{flag} {text}: K must be between 1 and N (N >= 1)")
    return number, count


@dataclass(frozen=True, slots=True)
class Shard:
    number: int  # K, 1..N
    count: int  # N
    worker: int = 1  # J, 1..W: this process's part of the shard
    workers: int = 1  # W

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with 1 <= K <= N; raises ValueError with a message for people."""
        return cls(*parse_fraction(text, "--shard"))

    @property
    def host(self) -> Shard:
        """The whole shard (all its workers)."""
        return Shard(self.number, self.count)

    def part(self, worker: int, workers: int) -> Shard:
        """Worker ``worker`` of ``workers`` of this shard."""
        if workers < 1 or not 1 <= worker <= workers:
            raise ValueError(f"worker {worker}/{workers}: must be between 1 and {workers}")
        return Shard(self.number, self.count, worker, workers)

    @property
    def keeps_fleet_jobs(self) -> bool:
        """Shard 1's first worker keeps the fleet-wide jobs (ledger, alerts, SSH of the shard)."""
        return self.number == 1 and self.worker == 1

    def owns(self, ap_id: str) -> bool:
        digest = _digest(ap_id)
        if int.from_bytes(digest[:8], "big") % self.count != self.number - 1:
            return False
        return self.workers == 1 or (
            int.from_bytes(digest[8:16], "big") % self.workers == self.worker - 1
        )

    def select(self, aps: Iterable[A]) -> Iterator[A]:
        return (ap for ap in aps if self.owns(ap.id))

    @property
    def slug(self) -> str:
        """For file names: ``1of2`` or, for a worker, ``1of2-w2of4``."""
        base = f"{self.number}of{self.count}"
        return base if self.workers == 1 else f"{base}-w{self.worker}of{self.workers}"

    def __str__(self) -> str:
        base = f"{self.number}/{self.count}"
        return base if self.workers == 1 else f"{base} worker {self.worker}/{self.workers}"


ALL = Shard(1, 1)
