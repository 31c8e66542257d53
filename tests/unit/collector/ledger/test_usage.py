"""collector.ledger.usage / usage_cli: per-AP totals, first/last sample and gaps, exactly."""

from __future__ import annotations

import argparse
import io
import json
import random
from pathlib import Path

import pytest
from fake_influxql import FakeInfluxQL
from test_rollup import H0, fleet, polls, store

from collector.errors import InputError
from collector.influx.schema import Band
from collector.ledger.cli import parse_time, register, run_usage
from collector.ledger.rollup import DAY_S, HOUR_S, roll_up
from collector.ledger.usage import ledger_buckets, merge_spans, usage_from_ledger, usage_from_polls


def test_merge_spans_is_a_union() -> None:
    assert merge_spans([(5, 9), (0, 3), (3, 4), (8, 12), (20, 20)]) == [(0, 4), (5, 12)]


def test_totals_first_last_and_gaps(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    ap = aps[0]
    db = FakeInfluxQL()
    store(
        db,
        [
            (ap, Band.GHZ_2_4, H0 + 300, 300, 100, 10, 1),  # [0, 300)
            (ap, Band.GHZ_5, H0 + 300, 300, 50, 5, 0),  # same span, other radio
            (ap, Band.GHZ_2_4, H0 + 600, 300, 7, 1, 0),  # [300, 600)
            (ap, Band.GHZ_2_4, H0 + 1500, 300, 9, 2, 1),  # [1200, 1500): gap 600..1200
            (ap, Band.GHZ_5, H0 + 1800, 300, 3, 3, 3),  # [1500, 1800)
            (ap, Band.GHZ_2_4, H0 + 2100, 400, 1000, 0, 0),  # [1700, 2100): overlaps radios
            (ap, Band.GHZ_2_4, H0 + 3700, 200, 5555, 0, 0),  # [3500, 3700): straddles the end
            (ap, Band.GHZ_5, H0 + 10, 20, 4444, 0, 0),  # [-10, 10): straddles the start
        ],
    )
    report = usage_from_polls(db, H0, H0 + HOUR_S, inventory=aps, slice_s=700)
    first, second = report.aps
    assert (first.ap, first.rx_bytes, first.tx_bytes, first.sessions) == (
        ap.id,
        100 + 50 + 7 + 9 + 3 + 1000,
        10 + 5 + 1 + 2 + 3,
        1 + 1 + 3,
    )
    assert (first.first_sample, first.last_sample) == (H0, H0 + 2100)
    # covered only where both radios are counted: [0, 300) and [1700, 1800)
    assert first.covered_s == 300 + 100 and first.gap_s == HOUR_S - 400
    assert (second.rx_bytes, second.covered_s, second.gap_s, second.first_sample) == (
        0,
        0,
        HOUR_S,
        None,
    )
    total = report.total()
    assert total["rx_bytes"] == first.rx_bytes
    assert total["deltas_left_out"] == 1  # the one ending inside; the other ends after the window
    assert total["aps_with_gaps"] == 2


def test_a_radio_without_covered_time_does_not_zero_the_coverage(tmp_path: Path) -> None:
    """A radio with only ``interval_s=0`` rows (no baseline, or nothing counted) or only rows
    without ``interval_s`` has no covered time: like the ledger, coverage is the intersection
    of the radios that have some; rows without interval_s are counted and left out."""
    aps = fleet(tmp_path, 1)
    ap = aps[0]
    db = FakeInfluxQL()
    store(
        db,
        [
            (ap, Band.GHZ_2_4, H0 + 300, 300, 100, 10, 1),
            (ap, Band.GHZ_2_4, H0 + 600, 300, 200, 20, 2),
            (ap, Band.GHZ_5, H0 + 300, 0, 0, 0, 0),  # first sample of a radio
            (ap, Band.GHZ_6, H0 + 600, None, 999, 999, 9),  # deltas, poll not wholly counted
        ],
    )  # type: ignore[list-item]
    report = usage_from_polls(db, H0, H0 + HOUR_S, inventory=aps)
    (usage,) = report.aps
    assert (usage.rx_bytes, usage.covered_s, report.without_interval) == (300, 600, 1)
    out = FakeInfluxQL()
    roll_up(db, out.write, aps, [H0], edge_s=HOUR_S - 1)
    hourly = {dict(t)["ap"]: f for (m, t, _), f in out.points.items() if m == "ap_usage_hourly"}
    assert (hourly[ap.id]["rx_bytes"], hourly[ap.id]["covered_s"]) == (300, 600)


def test_window_ends_and_slices_never_double_count(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 3)
    deltas = polls(aps, H0, H0 + 6 * HOUR_S, random.Random(2), gap_every=6)
    db = FakeInfluxQL()
    store(db, deltas)
    start, end = H0 + 1234, H0 + 5 * HOUR_S + 17
    inside = [d for d in deltas if start <= d[2] - d[3] and d[2] <= end]
    for slice_s in (300, 3600, 7 * HOUR_S):
        report = usage_from_polls(db, start, end, slice_s=slice_s)
        assert report.total()["rx_bytes"] == sum(d[4] for d in inside)
        assert report.total()["sessions"] == sum(d[6] for d in inside)
        assert report.left_out == sum(
            1 for d in deltas if d[2] >= start and d[2] <= end and d not in inside
        )
    one = usage_from_polls(db, start, end, ap=aps[1].id)
    assert [a.ap for a in one.aps] == [aps[1].id]
    assert one.aps[0].rx_bytes == sum(d[4] for d in inside if d[0] is aps[1])


def test_ledger_reading_matches_the_deltas_for_whole_days(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    deltas = polls(aps, H0 - 3 * HOUR_S, H0 + 2 * DAY_S + 3 * HOUR_S, random.Random(4))
    db = FakeInfluxQL()
    store(db, deltas)
    roll_up(db, db.write, aps, range(H0 - 2 * HOUR_S, H0 + 2 * DAY_S + 2 * HOUR_S, HOUR_S))
    start, end = H0 - 2 * HOUR_S, H0 + 2 * DAY_S + 2 * HOUR_S
    buckets = ledger_buckets(start, end)
    assert [(m, n) for m, _, _, n in buckets] == [
        ("ap_usage_hourly", 2),
        ("ap_usage_daily", 2),
        ("ap_usage_hourly", 2),
    ]
    from_ledger = usage_from_ledger(db, start, end, inventory=aps)
    assert all(a.missing_buckets == 0 for a in from_ledger.aps)
    hourly_only = usage_from_ledger(db, H0, H0 + 2 * DAY_S)
    polls_report = usage_from_polls(db, H0, H0 + 2 * DAY_S)
    assert hourly_only.total()["rx_bytes"] >= polls_report.total()["rx_bytes"]
    whole = [d for d in deltas if d[2] - d[3] >= H0 and d[2] <= H0 + 2 * DAY_S]
    crossing = [d for d in deltas if d[2] - d[3] < H0 < d[2] or d[2] - d[3] < H0 + 2 * DAY_S < d[2]]
    ledger_rx = hourly_only.total()["rx_bytes"]
    assert sum(d[4] for d in whole) <= ledger_rx <= sum(d[4] for d in whole + crossing)
    with pytest.raises(InputError, match="whole hours"):
        ledger_buckets(H0 + 1, H0 + DAY_S)
    assert usage_from_ledger(db, H0, H0 + 3 * DAY_S).aps[0].missing_buckets == 1  # day 3


def test_parse_time_accepts_epoch_iso_and_naive_kst() -> None:
    assert parse_time("1735657200", "--from") == H0
    assert parse_time("2025-01-01T00:00:00+09:00", "--from") == H0
    assert parse_time("2024-12-31T15:00:00Z", "--from") == H0
    assert parse_time("2025-01-01T00:00", "--from") == H0  # naive: KST
    assert parse_time("2025-01-01", "--from") == H0
    with pytest.raises(InputError, match="--to:0: 'soon' is neither"):
        parse_time("soon", "--to")
    with pytest.raises(InputError, match="whole seconds"):
        parse_time("2025-01-01T00:00:00.5", "--to")


def test_cli_json_and_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aps = fleet(tmp_path, 2)
    db = FakeInfluxQL()
    store(db, [(aps[0], Band.GHZ_5, H0 + 600, 300, 123, 45, 6)])
    monkeypatch.setattr("collector.ledger.cli.query_client", lambda settings: db)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    argv = ["usage", "--from", "2025-01-01T00:00", "--to", str(H0 + HOUR_S)]
    args = parser.parse_args([*argv, "--json", "--inventory", str(tmp_path / "inventory.yaml")])
    out = io.StringIO()
    assert run_usage(args, out) == 0
    doc = json.loads(out.getvalue())
    assert (doc["from"], doc["to"], doc["source"]) == (H0, H0 + HOUR_S, "radio_poll")
    row = doc["aps"][0]
    assert row == {
        "ap": aps[0].id,
        "district": aps[0].district.code,
        "rx_bytes": 123,
        "tx_bytes": 45,
        "sessions": 6,
        "first_sample": H0 + 300,
        "last_sample": H0 + 600,
        "covered_s": 300,
        "gap_s": HOUR_S - 300,
    }
    assert doc["total"]["aps"] == 2 and doc["total"]["rx_bytes"] == 123
    table = io.StringIO()
    assert run_usage(parser.parse_args(argv), table) == 0
    assert aps[0].id in table.getvalue() and "total (1 APs)" in table.getvalue()
    with pytest.raises(InputError, match="must be after --from"):
        run_usage(parser.parse_args(["usage", "--from", "10", "--to", "10"]), io.StringIO())
