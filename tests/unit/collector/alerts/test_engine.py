"""Dependency grouping, suppression, resolution and de-duplication, with fake conditions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from alert_fakes import FakeConditions, topology

from collector.alerts.engine import Summary, evaluate
from collector.alerts.rules import (
    AlertRules,
    Grouping,
    Kind,
    Maintenance,
    Rule,
    Severity,
    Webhook,
)
from collector.alerts.store import Alert, AlertStore

DOWN = Rule("down", Kind.AP_DOWN, Severity.CRITICAL, True, None, {"polls": 3})
QUIET = Rule("quiet", Kind.ZERO_CLIENTS, Severity.WARNING, False, None, {})
HOOK = Webhook("hook", "http://127.0.0.1:9/", None, 1.0)
# district 11110: site A (5 APs), site B (2 APs); district 11140: site C (3), site D (1)
TOPO = topology({"11110": {"A": 5, "B": 2}, "11140": {"C": 3, "D": 1}})
A = {f"A-{k}" for k in range(1, 6)}


def body(alert: Alert, event: str, subsumes: Sequence[int]) -> dict[str, Any]:
    return {"id": alert.id, "state": event, "subsumes": list(subsumes)}


@pytest.fixture
def store(tmp_path: Path) -> AlertStore:
    return AlertStore.in_data_dir(tmp_path)


def run(
    store: AlertStore, cond: FakeConditions, now: float, rules: AlertRules | None = None
) -> Summary:
    rules = rules or AlertRules("test", (DOWN, QUIET), (HOOK,))
    return evaluate(rules, TOPO, store, cond, now, body)


def firing(store: AlertStore) -> set[tuple[str, str, str]]:
    return {a.identity for a in store.active()}


def test_whole_site_down_is_one_site_alert_then_resolved(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = set(A)
    s = run(store, cond, 100.0)
    assert firing(store) == {("down", "site", "A")} and s.opened == 1
    (alert,) = store.active()
    assert set(alert.aps) == A and alert.started_at == 100.0
    cond.aps["down"] = set()
    s = run(store, cond, 200.0)
    assert firing(store) == set() and s.resolved == 1
    done = store.get(alert.id)
    assert done is not None and done.ended_at == 200.0 and done.resolution == "cleared"
    assert [(m.alert_id, m.event) for m in store.messages()] == [
        (alert.id, "firing"),
        (alert.id, "resolved"),
    ]


def test_four_of_five_down_are_four_ap_alerts(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = set(sorted(A)[:4])
    run(store, cond, 100.0)
    assert firing(store) == {("down", "ap", ap) for ap in sorted(A)[:4]}


def test_every_site_of_a_district_down_is_one_district_alert(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = {"C-1", "C-2", "C-3", "D-1"}
    run(store, cond, 100.0)
    assert firing(store) == {("down", "district", "11140")}
    assert set(store.active()[0].aps) == {"C-1", "C-2", "C-3", "D-1"}


def test_district_share(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = {"C-1", "C-2", "C-3"}  # C of {C, D}: half the sites
    half = AlertRules("t", (DOWN,), (), grouping=Grouping(district_share=0.5))
    run(store, cond, 100.0, half)
    assert firing(store) == {("down", "district", "11140")}


def test_ungrouped_rule_gives_ap_alerts(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["quiet"] = set(A)
    run(store, cond, 100.0)
    assert firing(store) == {("quiet", "ap", ap) for ap in A}


def test_de_duplicated_across_evaluations(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = set(A) | {"B-1"}
    run(store, cond, 100.0)
    s = run(store, cond, 160.0)
    s2 = run(store, cond, 220.0)
    assert s.opened == s2.opened == 0 and s.kept == 2
    assert len(store.active()) == 2 and len(store.messages()) == 2
    assert store.active()[0].last_seen == 220.0


def test_ap_alerts_subsumed_by_a_new_site_alert(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = {"A-1", "A-2"}
    run(store, cond, 100.0)
    first = {a.id for a in store.active()}
    cond.aps["down"] = set(A)
    s = run(store, cond, 200.0)
    (site,) = store.active()
    assert site.identity == ("down", "site", "A") and s.subsumed == 2 and s.resolved == 0
    for alert_id in first:
        old = store.get(alert_id)
        assert old is not None and old.resolution == "subsumed" and old.parent_id == site.id
    # the site alert's one message lists them; they get none of their own
    events = [(m.alert_id, m.event) for m in store.messages()]
    assert events.count((site.id, "firing")) == 1 and len(events) == 3
    assert sorted(store.messages(site.id)[0].body["subsumes"]) == sorted(first)


def test_site_back_partly_becomes_ap_alerts(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = set(A)
    run(store, cond, 100.0)
    cond.aps["down"] = {"A-1"}
    run(store, cond, 200.0)
    assert firing(store) == {("down", "ap", "A-1")}


def test_maintenance_and_store_suppressions(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = set(A) | {"C-1"}
    window = Maintenance(frozenset(), frozenset({"A"}), frozenset(), 0, 150, "pole work")
    rules = AlertRules("t", (DOWN,), (HOOK,), (window,))
    store.suppress(["C-1"], until=150.0, reason="campaign tx14")
    s = run(store, cond, 100.0, rules)
    assert firing(store) == set() and s.suppressed == 2 and s.suppressed_aps == 6
    assert store.messages() == []
    s = run(store, cond, 150.0, rules)  # both ended
    assert firing(store) == {("down", "site", "A"), ("down", "ap", "C-1")}


def test_rule_without_data_leaves_its_alerts(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = {"B-1"}
    run(store, cond, 100.0)
    cond.errors["down"] = "cannot reach InfluxDB"
    s = run(store, cond, 200.0)
    assert firing(store) == {("down", "ap", "B-1")} and s.rule_errors == {
        "down": "cannot reach InfluxDB"
    }


def test_collector_target_and_unknown_aps(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = {"NOT-IN-INVENTORY"}
    health = Rule("health", Kind.COLLECTOR_HEALTH, Severity.CRITICAL, False, None, {})
    cond.others["health"] = {"collector": "no ap_poll point"}
    run(store, cond, 100.0, AlertRules("t", (DOWN, health), ()))
    assert firing(store) == {("health", "collector", "collector")}


def test_one_ap_alert_list(store: AlertStore) -> None:
    cond = FakeConditions()
    cond.aps["down"] = set(A)
    run(store, cond, 100.0)
    assert [a.scope for a in store.of_ap("A-3")] == ["site"]
    assert store.of_ap("B-1") == []
