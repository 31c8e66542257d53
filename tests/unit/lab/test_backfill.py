"""Backfill: the deltas it writes through the real pipeline add up to ``lab truth``, to the byte.

The pipeline is the real one (open_pipeline: Accountant, baselines, spool, shipper thread) with
an in-memory writer in place of InfluxDB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from _lab_helpers import ENV, generated

from collector.collect.counters import CLOCK_DRIFT, CLOCK_SLACK_S, max_bytes
from collector.collect.pipeline import open_pipeline
from collector.errors import InputError
from collector.influx.writer import WriteResult
from collector.inventory.model import Inventory
from collector.lab.backfill import Backfill, BackfillReport, Window, substeps_for
from collector.lab.traffic import profile_for
from collector.lab.truth import ap_truth
from collector.settings import Settings

SEED = 1
UNTIL = 1_759_244_400 + 437  # not on the step: the window end is aligned down


class CaptureWriter:
    """An :class:`InfluxWriter` keeping every line it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, lines: list[str]) -> WriteResult:
        self.lines.extend(lines)
        return WriteResult(written=len(lines))

    def close(self) -> None:
        """Nothing to close."""


def _fields(lines: list[str], measurement: str) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(ap, timestamp, fields) of each line of ``measurement``."""
    for line in lines:
        head, fields, stamp = line.rsplit(" ", 2)
        if not head.startswith(measurement + ","):
            continue
        tags = dict(part.split("=", 1) for part in head.split(",")[1:])
        values = dict(part.split("=", 1) for part in fields.split(","))
        yield tags["ap"], int(stamp), values


def sums_per_ap(lines: list[str]) -> dict[str, list[int]]:
    """Per AP: [rx_bytes, tx_bytes, sessions] summed over its radio_poll points."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ap, _, values in _fields(lines, "radio_poll"):
        for position, name in enumerate(("rx_bytes", "tx_bytes", "sessions")):
            if name in values:
                totals[ap][position] += int(values[name].rstrip("i"))
    return totals


def run_backfill(
    inventory: Inventory,
    data_dir: Path,
    window: Window,
    writer: CaptureWriter,
    max_substeps: int = 3,
) -> BackfillReport:
    pipeline = open_pipeline(Settings(data_dir=data_dir), inventory, name="backfill", writer=writer)
    try:
        return Backfill(
            inventory, pipeline, window, seed=SEED, environ=ENV, max_substeps=max_substeps
        ).run()
    finally:
        pipeline.close()


def test_window_is_aligned_and_half_open() -> None:
    window = Window.ending(UNTIL, 2, 900)
    assert window.end == 1_759_244_400 and window.start == window.end - 2 * 86_400
    instants = window.instants()
    assert instants[0] == window.start and instants[-1] == window.end and len(instants) == 193
    assert list(window.instants(3))[:2] == [window.start, window.start + 300]
    assert window.hours()[0] <= window.start < window.hours()[0] + 3600
    with pytest.raises(ValueError, match="step dividing a day"):
        Window.ending(UNTIL, 2, 7 * 60)


# Aruba's Counter32 radios report no ifHighSpeed, so nothing bounds them by speed: sub-steps
# keep each delta under 2^32 by the AP's traffic alone (a short window, room for sub-steps);
# Cisco's Counter64 needs none, over two days.
@pytest.mark.parametrize(
    ("platform", "window", "max_substeps"),
    [
        ("cisco_ios_ap", Window.ending(UNTIL, 2, 900), 1),
        ("aruba_instant", Window(UNTIL - UNTIL % 900 - 4 * 3600, UNTIL - UNTIL % 900, 900), 900),
    ],
)
def test_deltas_sum_to_truth_to_the_byte(
    platform: str, window: Window, max_substeps: int, tmp_path: Path
) -> None:
    inventory = generated(12, platform=platform)
    writer = CaptureWriter()
    report = run_backfill(inventory, tmp_path, window, writer, max_substeps)
    sums = sums_per_ap(writer.lines)
    polled = [ap for ap in inventory if ap.status.is_polled]
    answering = [ap for ap in polled if ap.status.value in ("active", "staged")]
    assert report.aps == len(polled) and report.answering == len(answering)
    assert report.spooled_left == 0 and report.written == len(writer.lines)
    assert set(report.deltas) <= {"first_sample", "ok", "wrap"}  # nothing uncounted
    assert report.deltas["first_sample"] > 0 and not report.incomplete
    for ap in answering:
        truth = ap_truth(ap, SEED, window.start, window.end)
        rx, tx, sessions = sums[ap.id]
        assert (rx, tx) == (truth.bytes_in, truth.bytes_out), ap.id
        if platform == "cisco_ios_ap":  # aruba's profile has no sessions counter
            assert sessions == truth.sessions, ap.id
    assert any(sums[ap.id][1] > 2**30 for ap in answering)  # enough traffic to mean something
    if platform == "aruba_instant":  # 32-bit: wraps were crossed and still summed exactly
        assert report.deltas.get("wrap", 0) > 0, report.deltas
        for ap in answering:  # sub-steps by traffic alone: no speed bound for these radios
            assert report.substepped.get(ap.id, 1) == substeps_for(
                profile_for(ap, SEED), window.step_s, 32
            ), ap.id
    stamps = {t for _, t, _ in _fields(writer.lines, "ap_poll")}
    assert min(stamps) == window.start and max(stamps) == window.end


def test_silent_aps_get_down_points(tmp_path: Path) -> None:
    inventory = generated(300, platform="mikrotik_routeros")
    silent = [ap for ap in inventory if ap.status.value in ("failed", "offline")]
    assert silent
    writer = CaptureWriter()
    window = Window.ending(UNTIL, 1, 3600)
    report = run_backfill(inventory, tmp_path, window, writer)
    down = [(ap, v) for ap, _, v in _fields(writer.lines, "ap_poll") if v["up"] == "0i"]
    assert report.silent == len(silent)
    assert len(down) == len(silent) * len(window.instants())


def test_sub_steps_follow_the_counter_rules() -> None:
    ap = next(a for a in generated(40, platform="aruba_instant") if a.status.value == "active")
    profile = profile_for(ap, SEED)
    assert substeps_for(profile, 900, 64, 5765) == 1
    for speed in (688, 5765):
        k = substeps_for(profile, 900, 32, speed)
        span = 900 // k
        assert 900 % k == 0
        assert max_bytes(speed, span, CLOCK_SLACK_S + CLOCK_DRIFT * span) < 2**32  # type: ignore[operator]
        longer = next(900 // j for j in range(k - 1, 0, -1) if 900 % j == 0)
        assert max_bytes(speed, longer, CLOCK_SLACK_S + CLOCK_DRIFT * longer) >= 2**32  # type: ignore[operator]
    busiest = max(
        generated(40, platform="aruba_instant"), key=lambda a: profile_for(a, SEED).tx_per_week
    )
    assert substeps_for(profile_for(busiest, SEED), 6 * 3600, 32) > 1  # traffic alone wraps


def test_continues_exactly_and_refuses_to_rewrite(tmp_path: Path) -> None:
    inventory = generated(12, platform="mikrotik_routeros")
    first, second = Window.ending(UNTIL - 86_400, 1, 900), Window.ending(UNTIL, 1, 900)
    assert second.start == first.end
    writer = CaptureWriter()
    run_backfill(inventory, tmp_path, first, writer)
    report = run_backfill(inventory, tmp_path, second, writer)
    assert "first_sample" not in report.deltas  # continued from the first run's baselines
    sums = sums_per_ap(writer.lines)
    for ap in inventory:
        if ap.status.value == "active":
            truth = ap_truth(ap, SEED, first.start, second.end)
            assert sums[ap.id][:2] == [truth.bytes_in, truth.bytes_out]
    with pytest.raises(InputError, match="already backfilled"):
        run_backfill(inventory, tmp_path, Window.ending(UNTIL - 3600, 1, 900), writer)
