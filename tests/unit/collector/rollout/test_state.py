"""One AP's rollout state from sightings and ledger days: every transition, at its date."""

from __future__ import annotations

import datetime as dt

import pytest

from collector.inventory.model import Inventory
from collector.rollout.plan import Kind, PlanItem, plan_items
from collector.rollout.quarters import DAY_S, KST, Quarter, kst_date, kst_day
from collector.rollout.state import Day, State, evaluate
from collector.rollout.store import Sighting

STANDARDS = {"AIR-AP1832I": "wifi5", "C9120AXI": "wifi6", "IAP-215": "wifi5", "AP-515": "wifi6"}


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=KST).timestamp()


def replacement(inventory: Inventory, quarter: str = "2025Q3") -> PlanItem:
    item = next(i for i in plan_items(inventory) if i.kind is Kind.REPLACEMENT)
    return PlanItem(item.ap, item.kind, Quarter.parse(quarter), item.model, item.standard)


def seen(item: PlanItem, model: str, first: str, last: str = "2026-01-01T00:00") -> Sighting:
    return Sighting(item.ap.id, "snmp", model, "fw", at(first), at(last))


def days(start: str, count: int, **values: int) -> dict[int, Day]:
    first = kst_day(at(start))
    fields = {"rx": 1000, "tx": 3000, "sessions": 10, "polls": 96, "up": 96, "peak": 5}
    fields.update(values)
    return {
        first + k * DAY_S: Day(
            first + k * DAY_S,
            fields["rx"],
            fields["tx"],
            fields["sessions"],
            fields["polls"],
            fields["up"],
            fields["peak"],
        )
        for k in range(count)
    }


def test_quarters_are_kst_calendar_quarters() -> None:
    q = Quarter.parse("2025Q3")
    assert kst_date(q.start) == "2025-07-01" and kst_date(q.end) == "2025-10-01"
    assert Quarter.parse("2025Q4").end == Quarter.parse("2026Q1").start
    with pytest.raises(ValueError, match="not a quarter"):
        Quarter.parse("2025Q5")


@pytest.mark.parametrize(
    ("now", "state", "since"),
    [
        ("2025-06-30T23:59", State.PLANNED, None),
        ("2025-07-01T00:00", State.DUE, "2025-07-01"),
        ("2025-09-30T23:59", State.DUE, "2025-07-01"),
        ("2025-10-01T00:00", State.OVERDUE, "2025-10-01"),
    ],
)
def test_before_the_planned_model_answers(
    inventory: Inventory, now: str, state: State, since: str | None
) -> None:
    item = replacement(inventory)
    old = seen(item, item.ap.model, "2025-01-01T00:00")
    row = evaluate(item.ap, item, [old], {}, at(now), STANDARDS)
    assert row is not None and row.state is state
    assert (kst_date(row.since) if row.since else None) == since
    assert row.observed_model == item.ap.model and row.observed_standard == "wifi5"


def test_installed_then_verified_after_seven_good_days(inventory: Inventory) -> None:
    item = replacement(inventory)
    history = [
        seen(item, item.ap.model, "2025-06-01T00:00", "2025-07-10T09:45"),
        seen(item, item.model, "2025-07-10T10:00"),
    ]
    ledger = days("2025-06-26", 14) | days("2025-07-10", 15)
    row = evaluate(item.ap, item, history, ledger, at("2025-07-17T12:00"), STANDARDS)
    assert row is not None and row.state is State.INSTALLED
    assert kst_date(row.installed_at or 0) == "2025-07-10" and "6 of the 7 days" in row.note
    row = evaluate(item.ap, item, history, ledger, at("2025-07-18T00:00"), STANDARDS)
    assert row is not None and row.state is State.VERIFIED
    assert kst_date(row.since or 0) == "2025-07-18"
    assert row.before is not None and row.before.days == 14
    assert row.before.traffic_per_day == 4000 and row.before.poll_success == 1.0
    assert row.after is not None and row.after.days == 7 and row.after.peak_clients == 5


def test_one_bad_day_keeps_it_installed_and_says_which(inventory: Inventory) -> None:
    item = replacement(inventory)
    history = [seen(item, item.model, "2025-07-10T10:00")]
    ledger = days("2025-06-26", 14) | days("2025-07-10", 15)
    bad = kst_day(at("2025-07-13T00:00"))
    ledger[bad] = Day(bad, 1000, 3000, 10, 96, 90, 5)  # 93.75 % answered, overall still fine
    row = evaluate(item.ap, item, history, ledger, at("2025-07-25T00:00"), STANDARDS)
    assert row is not None and row.state is State.INSTALLED
    assert row.note == "not verified: 2025-07-13: 93.8% of polls answered"


@pytest.mark.parametrize(
    ("after", "why"),
    [
        ({"up": 86}, "poll success 89.6% after vs 100.0% before"),
        ({"rx": 500, "tx": 1500}, "traffic per day 50% of before"),
    ],
)
def test_worse_than_before_is_regressed(
    inventory: Inventory, after: dict[str, int], why: str
) -> None:
    item = replacement(inventory)
    history = [seen(item, item.model, "2025-07-10T10:00")]
    ledger = days("2025-06-26", 14) | days("2025-07-10", 1) | days("2025-07-11", 14, **after)
    row = evaluate(item.ap, item, history, ledger, at("2025-07-30T00:00"), STANDARDS)
    assert row is not None and row.state is State.REGRESSED and row.note == why


def test_drift_when_neither_the_inventory_nor_the_plan_answers(inventory: Inventory) -> None:
    item = replacement(inventory)
    history = [
        seen(item, item.model, "2025-07-10T10:00", "2025-07-20T00:00"),
        seen(item, "CW9166I", "2025-07-20T00:15"),
    ]
    row = evaluate(item.ap, item, history, {}, at("2025-08-01T00:00"), STANDARDS)
    assert row is not None and row.state is State.DRIFT
    assert kst_date(row.since or 0) == "2025-07-20" and "CW9166I" in row.note
    outside = next(ap for ap in inventory if ap.replacement is None and ap.new_in is None)
    swap = Sighting(
        outside.id, "ssh", "C9120AXI", None, at("2025-07-01T00:00"), at("2025-07-02T00:00")
    )
    drifted = evaluate(outside, None, [swap], {}, at("2025-08-01T00:00"), STANDARDS)
    assert drifted is not None and drifted.state is State.DRIFT and drifted.kind is None
    same = Sighting(
        outside.id, "snmp", outside.model, None, at("2025-07-01T00:00"), at("2025-07-02T00:00")
    )
    assert evaluate(outside, None, [same], {}, at("2025-08-01T00:00"), STANDARDS) is None


def test_a_new_ap_is_installed_when_it_first_answers(inventory: Inventory) -> None:
    item = next(i for i in plan_items(inventory) if i.kind is Kind.NEW)
    assert item.ap.status.value == "planned"
    row = evaluate(item.ap, item, [], {}, at("2026-02-01T00:00"), STANDARDS)
    assert row is not None and row.state is State.OVERDUE and "not polled" in row.note
    answered = Sighting(
        item.ap.id, "snmp", "", None, at("2025-05-02T08:00"), at("2025-06-01T00:00")
    )
    ledger = days("2025-05-03", 14)
    row = evaluate(item.ap, item, [answered], ledger, at("2025-06-01T00:00"), STANDARDS)
    assert row is not None and row.state is State.VERIFIED and row.before is None
    assert kst_date(row.installed_at or 0) == "2025-05-02" and row.after is not None


def test_status_as_of_an_earlier_time_sees_only_what_was_seen_by_then(
    inventory: Inventory,
) -> None:
    from collector.rollout.status import rollout_status

    item = replacement(inventory)
    later = Sighting(
        item.ap.id, "snmp", item.model, None, at("2025-07-10T10:00"), at("2025-08-01T00:00")
    )
    old = Sighting(
        item.ap.id, "snmp", item.ap.model, None, at("2025-01-01T00:00"), at("2025-07-10T09:45")
    )

    class Store:
        def sightings(self) -> dict[str, list[Sighting]]:
            return {item.ap.id: [old, later]}

    def state(now: str) -> State:
        status = rollout_status(inventory, Store(), None, {}, at(now))  # type: ignore[arg-type]
        return next(r.state for r in status.rows if r.ap_id == item.ap.id)

    assert state("2025-07-01T00:00") is not State.INSTALLED  # installed only on 07-10
    assert state("2025-07-11T00:00") is State.INSTALLED
