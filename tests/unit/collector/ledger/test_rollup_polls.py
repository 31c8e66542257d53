"""ledger.rollup availability: ``polls`` / ``polls_up`` from ``ap_poll`` in the ledger points."""

from __future__ import annotations

import random
from pathlib import Path

from fake_influxql import FakeInfluxQL

from collector.collect.accounting import Accountant
from collector.collect.baselines import BaselineStore
from collector.influx.schema import AP_POLL, RADIO_POLL, Band, ap_tags, radio_tags
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint, Inventory
from collector.ledger.rollup import DAY_S, HOUR_S, polls_statement, roll_up
from collector.poll.sample import CounterValue, RadioSample, Sample, down

H0 = 1_735_657_200  # 2025-01-01T00:00:00+09:00 (a KST midnight, 15:00 UTC)
NS = 1_000_000_000
Poll = tuple[AccessPoint, int, int]  # ap, time, up
Point = dict[tuple[str, int], dict[str, int]]


def load(tmp_path: Path, n: int) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=n)), encoding="utf-8")
    return load_inventory(path)


def fleet(tmp_path: Path, n: int) -> list[AccessPoint]:
    return list(load(tmp_path, n).aps)


def store_polls(db: FakeInfluxQL, polls: list[Poll]) -> None:
    lines = []
    for ap, t, up in polls:
        values = {"up": up, "uptime_s": 1000 + t - H0, "response_ms": 3.5} if up else {"up": 0}
        lines.append(AP_POLL.line(AP_POLL.prefix(ap_tags(ap)), values, t))
    db.write(lines)


def store_delta(db: FakeInfluxQL, ap: AccessPoint, end: int, interval: int, rx: int) -> None:
    values = {"rx_bytes": rx, "tx_bytes": 1, "sessions": 1, "interval_s": interval}
    db.write([RADIO_POLL.line(RADIO_POLL.prefix(radio_tags(ap, Band.GHZ_5)), values, end)])


def ledger(db: FakeInfluxQL, measurement: str) -> Point:
    return {
        (dict(tags)["ap"], ts): fields
        for (m, tags, ts), fields in db.points.items()
        if m == measurement
    }


def random_polls(
    aps: list[AccessPoint], start: int, end: int, rng: random.Random, step: int = 300
) -> list[Poll]:
    """A poll every ``step`` s per AP (its own phase); about one in six unanswered."""
    out: list[Poll] = []
    for ap in aps:
        for t in range(start + rng.randrange(step), end, step):
            out.append((ap, t, 0 if rng.random() < 1 / 6 else 1))
    return out


def availability(points: Point, ap: AccessPoint, ts: int) -> tuple[int, int]:
    return points[(ap.id, ts)]["polls"], points[(ap.id, ts)]["polls_up"]


def expected(polls: list[Poll], ap: AccessPoint, low: int, high: int) -> tuple[int, int]:
    mine = [up for who, t, up in polls if who is ap and low <= t < high]
    return len(mine), sum(mine)


def test_polls_statement_text() -> None:
    assert polls_statement(H0, {"district": "11110"}) == (
        'SELECT count("up") AS "polls",sum("up") AS "polls_up" FROM "ap_poll" '
        f"WHERE time >= {H0}s AND time < {H0 + HOUR_S}s AND \"district\" = '11110' "
        'GROUP BY "ap","site","district","mount","platform","standard"'
    )


def test_hour_counts_polls_and_up_ones_by_poll_time(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 3)
    ap, silent, never = aps
    db = FakeInfluxQL()
    store_delta(db, ap, H0 + 300, 300, 1000)
    store_polls(
        db,
        [
            (ap, H0 - 1, 1),  # the hour before
            (ap, H0, 1),  # the hour's first second: this hour
            (ap, H0 + 300, 0),  # unanswered: a poll, not an up one
            (ap, H0 + 600, 1),
            (ap, H0 + HOUR_S - 1, 0),
            (ap, H0 + HOUR_S, 1),  # the next hour's first second
            (silent, H0 + 100, 0),  # never answered in the hour, no deltas at all
            (silent, H0 + 400, 0),
        ],
    )
    out = FakeInfluxQL()
    result = roll_up(db, out.write, aps, [H0 - HOUR_S, H0, H0 + HOUR_S])
    hourly = ledger(out, "ap_usage_hourly")
    assert availability(hourly, ap, H0) == (4, 2)
    assert availability(hourly, ap, H0 - HOUR_S) == availability(hourly, ap, H0 + HOUR_S) == (1, 1)
    assert hourly[(silent.id, H0)] == {
        "rx_bytes": 0,
        "tx_bytes": 0,
        "sessions": 0,
        "covered_s": 0,
        "polls": 2,
        "polls_up": 0,
    }
    for hour in (H0 - HOUR_S, H0, H0 + HOUR_S):  # an AP without ap_poll points: zeros, a point
        assert availability(hourly, never, hour) == (0, 0)
    # the other fields are what they were without ap_poll points
    assert hourly[(ap.id, H0)]["rx_bytes"] == 1000 and hourly[(ap.id, H0)]["covered_s"] == 300
    assert result.aps_not_in_inventory == set() and result.bad_tags == 0


def test_polls_do_not_change_the_other_fields(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 4)
    rng = random.Random(3)
    with_polls, without = FakeInfluxQL(), FakeInfluxQL()
    for db in (with_polls, without):
        for ap in aps:
            for end in range(H0 + 200, H0 + DAY_S, 290):
                store_delta(db, ap, end, 290, end % 9973)
    store_polls(with_polls, random_polls(aps, H0, H0 + DAY_S, rng))
    a, b = FakeInfluxQL(), FakeInfluxQL()
    hours = range(H0, H0 + DAY_S, HOUR_S)
    roll_up(with_polls, a.write, aps, hours)
    roll_up(without, b.write, aps, hours)
    for measurement in ("ap_usage_hourly", "ap_usage_daily"):
        got, base = ledger(a, measurement), ledger(b, measurement)
        assert got.keys() == base.keys()
        for key, fields in got.items():
            assert {k: v for k, v in fields.items() if not k.startswith("polls")} == {
                k: v for k, v in base[key].items() if not k.startswith("polls")
            }
            assert base[key]["polls"] == base[key]["polls_up"] == 0


def test_daily_is_the_sum_of_its_hours_in_one_call_and_from_stored_hours(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 3)
    rng = random.Random(11)
    polls = random_polls(aps[:2], H0 - 2 * HOUR_S, H0 + 2 * DAY_S, rng)  # aps[2]: none
    db = FakeInfluxQL()
    store_polls(db, polls)
    store_delta(db, aps[0], H0 + 500, 300, 7)
    whole = FakeInfluxQL()
    roll_up(db, whole.write, aps, range(H0, H0 + 2 * DAY_S, HOUR_S))
    daily, hourly = ledger(whole, "ap_usage_daily"), ledger(whole, "ap_usage_hourly")
    assert len(daily) == 3 * 2 and len(hourly) == 3 * 48
    for ap in aps:
        for day in (H0, H0 + DAY_S):
            point = daily[(ap.id, day)]
            assert availability(daily, ap, day) == expected(polls, ap, day, day + DAY_S)
            parts = [hourly[(ap.id, h)] for h in range(day, day + DAY_S, HOUR_S)]
            assert point == {k: sum(p[k] for p in parts) for k in point}
    assert daily[(aps[2].id, H0)]["polls"] == 0
    assert daily[(aps[0].id, H0)]["polls"] > daily[(aps[0].id, H0)]["polls_up"] > 0

    # hour by hour, as the scheduler does: the day is closed from the 23 stored hours
    for hour in range(H0, H0 + DAY_S - HOUR_S, HOUR_S):
        assert roll_up(db, db.write, aps, [hour]).days == []
    closing = roll_up(db, db.write, aps, [H0 + DAY_S - HOUR_S])
    assert (closing.hours_from_ledger, closing.hours_recomputed) == (23, 0)
    assert {k: v for k, v in ledger(db, "ap_usage_daily").items() if k[1] == H0} == {
        k: v for k, v in daily.items() if k[1] == H0
    }


def test_hours_stored_without_polls_make_the_day_recomputed(tmp_path: Path) -> None:
    """Hourly points written before polls/polls_up existed: the day is recomputed, and its
    hourly points written again with them."""
    aps = fleet(tmp_path, 2)
    polls = random_polls(aps, H0, H0 + DAY_S, random.Random(5))
    db = FakeInfluxQL()
    store_polls(db, polls)
    store_delta(db, aps[1], H0 + 4000, 300, 99)
    for hour in range(H0, H0 + DAY_S - HOUR_S, HOUR_S):
        roll_up(db, db.write, aps, [hour])
    legacy = [k for k in db.points if k[0] == "ap_usage_hourly" and k[2] == H0 + 5 * HOUR_S]
    for key in legacy:  # as an older version wrote it
        db.points[key] = {k: v for k, v in db.points[key].items() if not k.startswith("polls")}
    db.write([])
    closing = roll_up(db, db.write, aps, [H0 + DAY_S - HOUR_S])
    assert (closing.hours_from_ledger, closing.hours_recomputed, len(closing.hours)) == (0, 23, 24)
    daily, hourly = ledger(db, "ap_usage_daily"), ledger(db, "ap_usage_hourly")
    for ap in aps:
        assert availability(daily, ap, H0) == expected(polls, ap, H0, H0 + DAY_S)
        rewritten = H0 + 5 * HOUR_S
        assert availability(hourly, ap, rewritten) == expected(
            polls, ap, rewritten, rewritten + HOUR_S
        )
    assert daily[(aps[1].id, H0)]["rx_bytes"] == 99
    # now every hour has the fields: closing again sums the stored hours, to the same day
    again = roll_up(db, db.write, aps, [H0 + DAY_S - HOUR_S])
    assert (again.hours_from_ledger, again.hours_recomputed) == (23, 0)
    assert ledger(db, "ap_usage_daily") == daily


def test_a_district_with_polls_but_no_deltas_and_aps_outside_the_inventory(
    tmp_path: Path,
) -> None:
    aps = fleet(tmp_path, 40)
    districts = sorted({ap.district.code for ap in aps})
    assert len(districts) >= 2
    dark = [ap for ap in aps if ap.district.code == districts[0]]  # never answered
    lit = [ap for ap in aps if ap.district.code != districts[0]]
    db = FakeInfluxQL()
    store_delta(db, lit[0], H0 + 300, 300, 5)
    store_polls(db, [(ap, H0 + 10, 0) for ap in dark] + [(lit[0], H0 + 300, 1)])
    store_polls(db, [(lit[1], H0 + 20, 1), (lit[1], H0 + 320, 0)])
    out = FakeInfluxQL()
    inventory = [ap for ap in aps if ap is not lit[1]]
    before = db.requests
    result = roll_up(db, out.write, inventory, [H0])
    assert db.requests - before == 1 + len({ap.district.code for ap in [*dark, lit[0], lit[1]]})
    hourly = ledger(out, "ap_usage_hourly")
    assert all(availability(hourly, ap, H0) == (1, 0) for ap in dark)
    assert result.aps_not_in_inventory == {lit[1].id} and result.bad_tags == 0
    assert hourly[(lit[1].id, H0)] == {
        "rx_bytes": 0,
        "tx_bytes": 0,
        "sessions": 0,
        "covered_s": 0,
        "polls": 2,
        "polls_up": 1,
    }


def test_rerun_is_idempotent(tmp_path: Path) -> None:
    aps = fleet(tmp_path, 2)
    db = FakeInfluxQL()
    store_polls(db, random_polls(aps, H0, H0 + DAY_S, random.Random(9)))
    hours = range(H0, H0 + DAY_S, HOUR_S)
    first: list[str] = []
    second: list[str] = []
    roll_up(db, first.extend, aps, hours)
    roll_up(db, second.extend, aps, hours)
    assert first == second and len(first) == 2 * 24 + 2
    assert all("polls=" in line and "polls_up=" in line for line in first)


def test_the_accountants_ap_poll_points_are_what_the_ledger_counts(tmp_path: Path) -> None:
    """Through the collector's own write path: answered polls (up=1, with radios) and
    unanswered ones (``down`` samples, up=0)."""
    inventory = load(tmp_path, 2)
    aps = list(inventory.aps)
    accountant = Accountant(inventory, BaselineStore.open(tmp_path / "baselines"))
    db = FakeInfluxQL()
    answered = unanswered = 0
    for n, t in enumerate(range(H0 + 7, H0 + 2 * HOUR_S, 300)):
        for ap in aps:
            if ap is aps[1] and n % 3 == 0:
                sample = down(ap.id, t * NS, "timeout", ap.platform)
                unanswered += 1
            else:
                rx = CounterValue(1000 * n, 64)
                radio = RadioSample("1", None, "5GHz", rx, CounterValue(10 * n, 64))
                sample = Sample(
                    ap.id,
                    t * NS,
                    True,
                    uptime=10_000 + (t - H0) * 100,
                    radios=(radio,),
                    platform=ap.platform,
                )
                answered += 1
            db.write(accountant.account(sample).lines)
    out = FakeInfluxQL()
    roll_up(db, out.write, aps, [H0, H0 + HOUR_S])
    hourly = ledger(out, "ap_usage_hourly")
    stored = [f for (m, _, _), f in db.points.items() if m == "ap_poll"]
    assert len(stored) == answered + unanswered
    assert sum(v["polls"] for v in hourly.values()) == answered + unanswered
    assert sum(v["polls_up"] for v in hourly.values()) == answered == sum(f["up"] for f in stored)
    assert availability(hourly, aps[0], H0) == (12, 12)
    assert availability(hourly, aps[1], H0) == (12, 8)
