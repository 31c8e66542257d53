"""ledger.rollup / rollup_due: the ledger derived from stored radio_poll deltas, exactly."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest
from fake_influxql import FakeInfluxQL

from collector.errors import InputError
from collector.influx.schema import RADIO_POLL, Band, radio_tags
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.ledger.due import (
    STATE_FILE,
    due_hours,
    first_hour,
    last_due_hour,
    load_last_hour,
    run_due,
    save_last_hour,
)
from collector.ledger.rollup import DAY_S, HOUR_S, kst_day_start, roll_up

H0 = 1_735_657_200  # 2025-01-01T00:00:00+09:00 (a KST midnight, 15:00 UTC)
Delta = tuple[AccessPoint, Band, int, int, int, int, int]  # ap, band, end, interval, rx, tx, s


def fleet(tmp_path: Path, n: int) -> list[AccessPoint]:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=n)), encoding="utf-8")
    return list(load_inventory(path).aps)


def store(db: FakeInfluxQL, deltas: list[Delta]) -> None:
    lines = []
    for ap, band, end, interval, rx, tx, sessions in deltas:
        prefix = RADIO_POLL.prefix(radio_tags(ap, band))
        values = {"rx_bytes": rx, "tx_bytes": tx, "sessions": sessions, "interval_s": interval}
        lines.append(RADIO_POLL.line(prefix, {**values, "clients": 3}, end))
    db.write(lines)


def ledger(db: FakeInfluxQL, measurement: str) -> dict[tuple[str, int], dict[str, int]]:
    return {
        (dict(tags)["ap"], ts): fields
        for (m, tags, ts), fields in db.points.items()
        if m == measurement
    }


def amount(delta: Delta, index: int) -> int:
    value = delta[index]
    assert isinstance(value, int)
    return value


def polls(
    aps: list[AccessPoint], start: int, end: int, rng: random.Random, gap_every: int = 0
) -> list[Delta]:
    """Two radios per AP, polls about every 300 s with jitter, an occasional long gap."""
    out: list[Delta] = []
    for ap in aps:
        for band in (Band.GHZ_2_4, Band.GHZ_5):
            t = start + rng.randrange(0, 300)
            n = 0
            while True:
                step = rng.randrange(240, 360)
                n += 1
                if gap_every and n % gap_every == 0:
                    step = rng.randrange(3000, 9000)  # crosses one or more hours
                if t + step > end:
                    break
                rx, tx, s = rng.randrange(0, 10**9), rng.randrange(0, 10**8), rng.randrange(0, 40)
                out.append((ap, band, t + step, step, rx, tx, s))
                t += step
    return out


def test_deltas_across_hour_boundaries_apportion_exactly(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    ap = aps[0]
    db = FakeInfluxQL()
    store(
        db,
        [
            (ap, Band.GHZ_2_4, H0 + 60, 120, 120, 1_001, 3),  # [H0-60, H0+60): half/half
            (ap, Band.GHZ_5, H0 + 3600 + 1800, 7200, 7200, 0, 10),  # 3 hours: 1800/3600/1800
            (ap, Band.GHZ_5, H0 + 600, 0, 7, 7, 1),  # zero length: all to the hour of its time
        ],
    )
    out = FakeInfluxQL()
    result = roll_up(db, out.write, aps, range(H0 - HOUR_S, H0 + 2 * HOUR_S, HOUR_S))
    hourly = ledger(out, "ap_usage_hourly")
    assert hourly[(ap.id, H0 - HOUR_S)] == {
        "rx_bytes": 60 + 1800,
        "tx_bytes": 500,
        "sessions": 1 + 2,
        "covered_s": 60,  # only where both radios are counted: [H0 - 60, H0)
        "polls": 0,  # no ap_poll points stored here
        "polls_up": 0,
    }
    assert hourly[(ap.id, H0)]["rx_bytes"] == 60 + 3600 + 7
    assert hourly[(ap.id, H0)]["covered_s"] == 60  # the 2.4 GHz radio: [H0, H0 + 60)
    assert hourly[(ap.id, H0)]["sessions"] == 2 + 5 + 1
    assert hourly[(ap.id, H0 + HOUR_S)]["rx_bytes"] == 1800
    assert sum(v["rx_bytes"] for v in hourly.values()) == 120 + 7200 + 7
    assert sum(v["tx_bytes"] for v in hourly.values()) == 1_001 + 7
    assert hourly[(aps[1].id, H0)] == {
        "rx_bytes": 0,
        "tx_bytes": 0,
        "sessions": 0,
        "covered_s": 0,
        "polls": 0,
        "polls_up": 0,
    }
    assert result.too_long == 0 and result.days == [date(2024, 12, 31)]  # its last hour closed it
    assert ledger(out, "ap_usage_daily")[(ap.id, H0 - DAY_S)]["rx_bytes"] == 1860


def test_ledger_coverage_is_where_every_radio_counted_as_in_usage(tmp_path: Path) -> None:
    """Polls every 300 s on the hour grid: some not wholly counted (deltas, no interval_s),
    a radio missing from some polls, first samples: the ledger's hourly covered_s and totals
    equal ``usage_from_polls`` for each hour, and rows without interval_s count nowhere."""
    from collector.ledger.usage import usage_from_polls

    aps = fleet(tmp_path, 3)
    rng = random.Random(7)
    deltas: list[tuple[AccessPoint, Band, int, int | None, int, int, int]] = []
    expected_covered: dict[tuple[str, int], int] = {}
    for ap in aps:
        for t in range(H0 + 300, H0 + 6 * HOUR_S + 1, 300):
            kind = rng.choice(["all", "all", "all", "partial", "first", "no_5ghz"])
            bands = [Band.GHZ_2_4] if kind == "no_5ghz" else [Band.GHZ_2_4, Band.GHZ_5]
            for band in bands:
                rx, tx, s = rng.randrange(10**9), rng.randrange(10**8), rng.randrange(9)
                if kind == "first":
                    deltas.append((ap, band, t, 0, 0, 0, 0))
                else:
                    deltas.append((ap, band, t, None if kind == "partial" else 300, rx, tx, s))
            hour = (t - 1) - (t - 1) % HOUR_S
            if kind == "all":
                key = (ap.id, hour)
                expected_covered[key] = expected_covered.get(key, 0) + 300
    db = FakeInfluxQL()
    store(db, deltas)  # type: ignore[arg-type]
    out = FakeInfluxQL()
    hours = range(H0, H0 + 6 * HOUR_S, HOUR_S)
    result = roll_up(db, out.write, aps, hours, edge_s=HOUR_S - 1)
    hourly = ledger(out, "ap_usage_hourly")
    # edge_s: every row is read raw, each in the hour holding its timestamp
    partial_rows = sum(1 for d in deltas if d[3] is None and d[2] < H0 + 6 * HOUR_S)
    assert partial_rows and result.without_interval == partial_rows
    for hour in hours:
        usage = {u.ap: u for u in usage_from_polls(db, hour, hour + HOUR_S, inventory=aps).aps}
        for ap in aps:
            point, polled = hourly[(ap.id, hour)], usage[ap.id]
            # a poll without the 5 GHz row covers only the 2.4 GHz radio: not the AP, as the
            # 5 GHz radio reports in every hour here (it would not lower coverage otherwise)
            expected = expected_covered.get((ap.id, hour), 0)
            assert point["covered_s"] == polled.covered_s == expected, (ap.id, hour)
            assert (point["rx_bytes"], point["tx_bytes"], point["sessions"]) == (
                polled.rx_bytes,
                polled.tx_bytes,
                polled.sessions,
            )
            assert polled.rx_bytes == sum(
                d[4]
                for d in deltas
                if d[0] is ap and d[3] is not None and hour < d[2] <= hour + HOUR_S
            )


def test_month_of_daily_points_equals_the_sum_of_deltas(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    rng = random.Random(7)
    days = 31
    deltas = polls(aps, H0, H0 + days * DAY_S, rng, gap_every=50)  # spans inside the month
    db = FakeInfluxQL()
    store(db, deltas)
    out = FakeInfluxQL()
    hours = range(H0, H0 + days * DAY_S, HOUR_S)
    roll_up(db, out.write, aps, hours, lookback_s=4 * HOUR_S, edge_s=400)
    daily = ledger(out, "ap_usage_daily")
    hourly = ledger(out, "ap_usage_hourly")
    assert len(daily) == 2 * days and len(hourly) == 2 * days * 24
    for ap in aps:
        mine = [d for d in deltas if d[0] is ap]
        for i, field in ((4, "rx_bytes"), (5, "tx_bytes"), (6, "sessions")):
            month = sum(v[field] for (a, _), v in daily.items() if a == ap.id)
            assert month == sum(amount(d, i) for d in mine)
            assert month == sum(v[field] for (a, _), v in hourly.items() if a == ap.id)
    for (ap_id, day), v in daily.items():  # each day is the exact sum of its 24 hours
        parts = [hourly[(ap_id, h)] for h in range(day, day + DAY_S, HOUR_S)]
        assert v == {k: sum(p[k] for p in parts) for k in v}


def test_whole_stored_history_adds_up_to_the_deltas(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 3)
    rng = random.Random(11)
    deltas = polls(aps, H0 + 100, H0 + 2 * DAY_S - 100, rng, gap_every=9)
    db = FakeInfluxQL()
    store(db, deltas)
    out = FakeInfluxQL()
    roll_up(db, out.write, aps, range(H0, H0 + 2 * DAY_S, HOUR_S), edge_s=330)
    hourly = ledger(out, "ap_usage_hourly")
    for i, field in ((4, "rx_bytes"), (5, "tx_bytes"), (6, "sessions")):
        assert sum(v[field] for v in hourly.values()) == sum(amount(d, i) for d in deltas)
    days = ledger(out, "ap_usage_daily")
    assert {day for _, day in days} == {H0, H0 + DAY_S}
    assert sum(v["rx_bytes"] for v in days.values()) == sum(d[4] for d in deltas)


def test_rerun_is_idempotent(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    db = FakeInfluxQL()
    store(db, polls(aps, H0, H0 + DAY_S, random.Random(3), gap_every=7))
    out: list[str] = []
    hours = range(H0, H0 + DAY_S, HOUR_S)
    first = roll_up(db, out.extend, aps, hours)
    again: list[str] = []
    second = roll_up(db, again.extend, aps, hours)
    assert out == again and first.lines == second.lines == len(out) == 2 * 24 + 2


def test_a_completed_day_is_recomputed_whole_when_its_hours_are_not_stored(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 1)
    db = FakeInfluxQL()
    store(db, polls(aps, H0, H0 + DAY_S, random.Random(5)))
    out = FakeInfluxQL()
    last = H0 + DAY_S - HOUR_S
    result = roll_up(db, out.write, aps, [last])
    assert len(result.hours) == 24 and len(result.days) == 1 and result.hours_recomputed == 23
    assert roll_up(db, out.write, aps, [last - HOUR_S]).days == []


def test_a_day_is_closed_from_its_stored_hours(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    db = FakeInfluxQL()
    deltas = polls(aps, H0, H0 + DAY_S, random.Random(8), gap_every=5)
    store(db, deltas)
    last = H0 + DAY_S - HOUR_S
    for hour in range(H0, last, HOUR_S):  # hour by hour, as the scheduler does
        assert roll_up(db, db.write, aps, [hour]).days == []
    closing = roll_up(db, db.write, aps, [last])
    assert (closing.hours, closing.hours_from_ledger, closing.hours_recomputed) == ([last], 23, 0)
    daily = ledger(db, "ap_usage_daily")
    assert sum(v["rx_bytes"] for v in daily.values()) == sum(amount(d, 4) for d in deltas)
    hourly = ledger(db, "ap_usage_hourly")
    for (ap_id, day), v in daily.items():
        parts = [hourly[(ap_id, h)] for h in range(day, day + DAY_S, HOUR_S)]
        assert v == {k: sum(p[k] for p in parts) for k in v}
    lost = next(k for k in db.points if k[0] == "ap_usage_hourly" and k[2] == H0 + HOUR_S)
    del db.points[lost]  # e.g. still in the spool
    db.write([])
    again = roll_up(db, db.write, aps, [last])
    assert (again.hours_from_ledger, again.hours_recomputed, len(again.hours)) == (0, 23, 24)
    assert ledger(db, "ap_usage_daily") == daily


def test_delta_longer_than_lookback_is_counted_not_apportioned(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 1)
    ap = aps[0]
    db = FakeInfluxQL()
    store(db, [(ap, Band.GHZ_5, H0 + 3 * HOUR_S + 10, 3 * HOUR_S, 999, 5, 2)])
    out = FakeInfluxQL()
    result = roll_up(db, out.write, aps, range(H0, H0 + 4 * HOUR_S, HOUR_S), lookback_s=HOUR_S)
    assert (result.too_long, result.too_long_rx_bytes, result.too_long_sessions) == (1, 999, 2)
    assert sum(v["rx_bytes"] for v in ledger(out, "ap_usage_hourly").values()) == 0
    wide = roll_up(db, out.write, aps, range(H0, H0 + 4 * HOUR_S, HOUR_S))
    assert wide.too_long == 0
    assert sum(v["rx_bytes"] for v in ledger(out, "ap_usage_hourly").values()) == 999


def test_ap_missing_from_inventory_is_rolled_up_with_stored_tags(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    db = FakeInfluxQL()
    store(db, [(aps[1], Band.GHZ_2_4, H0 + 300, 300, 10, 20, 1)])
    out = FakeInfluxQL()
    result = roll_up(db, out.write, aps[:1], [H0])
    assert result.aps_not_in_inventory == {aps[1].id}
    assert ledger(out, "ap_usage_hourly")[(aps[1].id, H0)]["rx_bytes"] == 10


def test_one_request_per_hour_and_district(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 30)
    db = FakeInfluxQL()
    store(db, polls(aps, H0, H0 + 2 * HOUR_S, random.Random(1)))
    districts = {ap.district.code for ap in aps}
    before = db.requests
    roll_up(db, lambda lines: None, aps, [H0])
    assert db.requests - before == 1 + len(districts)  # SHOW TAG VALUES, then one per district


def test_state_file_round_trip_and_bad_state(tmp_path: Path) -> None:
    assert load_last_hour(tmp_path) is None
    save_last_hour(tmp_path, H0)
    assert load_last_hour(tmp_path) == H0
    (tmp_path / STATE_FILE).write_text('{"last_hour": 12}')
    with pytest.raises(InputError, match=r"rollup.json:1: last_hour must be a whole UTC hour"):
        load_last_hour(tmp_path)
    (tmp_path / STATE_FILE).write_text("garbage")
    with pytest.raises(InputError, match="not a roll-up state"):
        load_last_hour(tmp_path)


def test_hours_are_due_after_the_last_poll_and_grace() -> None:
    assert last_due_hour(H0 + HOUR_S + 300 + 120, 300) == H0
    assert last_due_hour(H0 + HOUR_S + 300 + 119, 300) == H0 - HOUR_S


def test_due_hours_start_at_the_earliest_span_then_follow_the_state(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 1)
    db = FakeInfluxQL()
    store(db, [(aps[0], Band.GHZ_5, H0 + 100, 200, 1, 1, 1)])
    store(db, [(aps[0], Band.GHZ_2_4, H0 + 500, 1000, 1, 1, 1)])  # starts in the hour before
    assert first_hour(db) == H0 - HOUR_S
    now = H0 + 5 * HOUR_S + 30
    assert list(due_hours(db, tmp_path, now, 300)) == [H0 + k * HOUR_S for k in range(-1, 4)]
    save_last_hour(tmp_path, H0 + 2 * HOUR_S)
    assert list(due_hours(db, tmp_path, now, 300, redo_hours=1)) == [
        H0 + 2 * HOUR_S,
        H0 + 3 * HOUR_S,
    ]
    assert list(due_hours(FakeInfluxQL(), tmp_path / "empty", now, 300)) == []


def test_run_due_rolls_day_by_day_and_saves_state(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 1)
    db = FakeInfluxQL()
    deltas = polls(aps, H0, H0 + DAY_S + 3 * HOUR_S, random.Random(9))
    store(db, deltas)
    out = FakeInfluxQL()
    data = tmp_path / "var"
    now = H0 + DAY_S + 3 * HOUR_S + 600
    result = run_due(db, out.write, aps, data, now, 300)
    last = H0 + DAY_S + 2 * HOUR_S  # closed at +3 h; due once its last poll (300 s) + 120 s passed
    assert load_last_hour(data) == last
    assert json.loads((data / STATE_FILE).read_text()) == {"last_hour": last}
    # the earliest span may start before H0 (first poll up to 360 s after H0 - 300 ... ): the
    # first batch is then the last hour of 2024-12-31, which completes (recomputes) that day
    assert kst_day_start(result.hours[0]) in (H0 - DAY_S, H0)
    assert {kst_day_start(h) for h in result.hours} >= {H0, H0 + DAY_S}
    daily = ledger(out, "ap_usage_daily")
    assert (aps[0].id, H0) in daily and (aps[0].id, H0 + DAY_S) not in daily
    day_deltas = [d for d in deltas if d[2] - d[3] >= H0 and d[2] <= H0 + DAY_S]
    crossing = [d for d in deltas if d[2] - d[3] < H0 + DAY_S < d[2]]
    assert daily[(aps[0].id, H0)]["rx_bytes"] >= sum(d[4] for d in day_deltas)
    assert daily[(aps[0].id, H0)]["rx_bytes"] <= sum(d[4] for d in day_deltas + crossing)


def test_the_local_copy_gets_exactly_the_daily_points_written(tmp_path: Path) -> None:
    from collector.ledger.mirror import LedgerMirror
    from collector.ledger.stored import FIELDS

    aps = fleet(tmp_path, 3)
    db = FakeInfluxQL()
    store(db, polls(aps, H0 + 100, H0 + 2 * DAY_S - 100, random.Random(5), gap_every=9))
    out = FakeInfluxQL()
    mirror = LedgerMirror(tmp_path / "copy.sqlite")
    roll_up(
        db, out.write, aps, range(H0, H0 + 2 * DAY_S, HOUR_S), edge_s=330, on_day=mirror.put_day
    )
    daily = ledger(out, "ap_usage_daily")
    for day in (H0, H0 + DAY_S):
        held = mirror.ap_sums(day, day + DAY_S)
        assert held is not None
        assert {ap: tuple(values) for ap, (_, values) in held.items()} == {
            ap: tuple(fields.get(f, 0) for f in FIELDS)
            for (ap, ts), fields in daily.items()
            if ts == day
        }
        assert {ap: d for ap, (d, _) in held.items()} == {ap.id: ap.district.code for ap in aps}
    assert not mirror.holds(H0 + 2 * DAY_S, H0 + 3 * DAY_S)  # a day not closed is not held
