"""Where samples go after a poll: a one-method seam.

HOOK for the InfluxDB integration: implement :class:`Sink` (``emit`` receives batches of
samples; turn them into counter deltas and line protocol, hand them to the spool) and return
it from :func:`collector.poll.cli.make_sink` for ``--sink influx``. The poller never writes to
InfluxDB itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from collector.poll.sample import Sample


class Sink(Protocol):
    async def emit(self, samples: Sequence[Sample]) -> None:
        """Take a batch of samples (up and down). Must not keep the list object."""
        ...


class NullSink:
    """Counts and drops samples (``--sink none``, benchmarks)."""

    def __init__(self) -> None:
        self.samples = 0

    async def emit(self, samples: Sequence[Sample]) -> None:
        self.samples += len(samples)


class ListSink:
    """Keeps every sample (tests)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []

    async def emit(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)
