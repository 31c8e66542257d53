"""Only APs in service (inventory ``status: active``) are alerted on; grouping over them only.

An AP the inventory already marks offline, failed, staged, planned or decommissioning is known
not to carry the public service: it is in no alert, and it does not keep a site whose in-service
APs are all down from being one site alert (collector/alerts/engine.py, "In service").
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from alert_fakes import FakeConditions

from collector.alerts.engine import IN_SERVICE, Topology, evaluate
from collector.alerts.rules import AlertRules, Kind, Rule, Severity
from collector.alerts.store import AlertStore
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory, Lifecycle

DOWN = Rule("down", Kind.AP_DOWN, Severity.CRITICAL, True, None, {"polls": 3})
QUIET = Rule("quiet", Kind.ZERO_CLIENTS, Severity.WARNING, False, None, {})
RULES = AlertRules("test", (DOWN, QUIET), ())

HEAD = """\
version: 1
auths:
  snmp:
    legacy-v2c: {version: 2c, community: "${PUBWIFI_SNMP_COMMUNITY}"}
  ssh:
    city-ssh: {user: "${PUBWIFI_SSH_USER}", password: "${PUBWIFI_SSH_PASSWORD}"}
defaults: {snmp_auth: legacy-v2c, ssh_auth: city-ssh, status: active}
sites:
"""
SITE = (
    "  {id}: {{name: {id}, district: {district}, dong: 세종로, lat: 37.57, lon: 126.97, "
    "mount: smart_pole, footfall: high}}\n"
)
AP = (
    "  - {{id: {id}, site: {site}, address: {address}, platform: net-snmp, "
    "model: OpenWrt-AX, standard: wifi6, installed: 2023-05-01, status: {status}}}\n"
)


def inventory(tmp_path: Path, sites: Mapping[str, tuple[str, list[str]]]) -> Inventory:
    """``{site: (district, [status of each AP])}``; AP ids are ``{site}-{k}`` (k from 1)."""
    text = HEAD + "".join(SITE.format(id=s, district=d) for s, (d, _) in sites.items())
    text += "aps:\n"
    n = 0
    for site, (_, statuses) in sites.items():
        for k, status in enumerate(statuses, start=1):
            n += 1
            text += AP.format(id=f"{site}-{k}", site=site, address=f"127.16.0.{n}", status=status)
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    return load_inventory(path)


@pytest.fixture
def store(tmp_path: Path) -> AlertStore:
    return AlertStore.in_data_dir(tmp_path / "data")


def firing(store: AlertStore) -> dict[tuple[str, str, str], tuple[str, ...]]:
    return {a.identity: tuple(sorted(a.aps)) for a in store.active()}


def test_only_active_is_in_service() -> None:
    assert frozenset({Lifecycle.ACTIVE}) == IN_SERVICE


@pytest.mark.parametrize("status", ["offline", "failed", "staged", "decommissioning", "planned"])
def test_an_ap_not_in_service_is_never_alerted(
    tmp_path: Path, store: AlertStore, status: str
) -> None:
    inv = inventory(tmp_path, {"S11680-0006": ("11680", ["active", status])})
    cond = FakeConditions()
    cond.aps["down"] = {"S11680-0006-2"}  # the AP not in service: no answer, as expected
    cond.aps["quiet"] = {"S11680-0006-2"}
    summary = evaluate(RULES, inv, store, cond, 100.0, lambda a, e, s: {})
    assert firing(store) == {} and summary.opened == 0


def test_an_active_ap_down_is_alerted_beside_an_offline_one(
    tmp_path: Path, store: AlertStore
) -> None:
    inv = inventory(tmp_path, {"S11680-0006": ("11680", ["active", "active", "offline"])})
    cond = FakeConditions()
    cond.aps["down"] = {"S11680-0006-1", "S11680-0006-3"}
    evaluate(RULES, inv, store, cond, 100.0, lambda a, e, s: {})
    assert firing(store) == {("down", "ap", "S11680-0006-1"): ("S11680-0006-1",)}


@pytest.mark.parametrize("offline_down", [True, False])
def test_site_with_every_in_service_ap_down_is_one_site_alert_despite_an_offline_ap(
    tmp_path: Path, store: AlertStore, offline_down: bool
) -> None:
    inv = inventory(
        tmp_path,
        {
            "S11680-0006": ("11680", ["active", "offline", "active", "failed"]),
            "S11680-0007": ("11680", ["active", "active"]),  # up: no district alert
        },
    )
    cond = FakeConditions()
    cond.aps["down"] = {"S11680-0006-1", "S11680-0006-3"}
    if offline_down:  # the offline AP does not answer either (or it was never polled)
        cond.aps["down"] |= {"S11680-0006-2", "S11680-0006-4"}
    evaluate(RULES, inv, store, cond, 100.0, lambda a, e, s: {})
    assert firing(store) == {("down", "site", "S11680-0006"): ("S11680-0006-1", "S11680-0006-3")}


def test_district_grouping_counts_only_sites_with_aps_in_service(
    tmp_path: Path, store: AlertStore
) -> None:
    inv = inventory(
        tmp_path,
        {
            "S11680-0006": ("11680", ["active", "active"]),
            "S11680-0007": ("11680", ["active"]),
            "S11680-0008": ("11680", ["offline", "offline"]),  # no AP in service: not a site
        },
    )
    topo = Topology(inv)
    assert sorted(topo.districts["11680"]) == ["S11680-0006", "S11680-0007"]
    cond = FakeConditions()
    cond.aps["down"] = {"S11680-0006-1", "S11680-0006-2", "S11680-0007-1"}
    evaluate(RULES, inv, store, cond, 100.0, lambda a, e, s: {})
    assert firing(store) == {
        ("down", "district", "11680"): ("S11680-0006-1", "S11680-0006-2", "S11680-0007-1")
    }


def test_a_firing_alert_resolves_out_of_service_when_its_ap_goes_offline(
    tmp_path: Path, store: AlertStore
) -> None:
    cond = FakeConditions()
    cond.aps["down"] = {"S11680-0006-1"}
    active = inventory(tmp_path, {"S11680-0006": ("11680", ["active", "active"])})
    evaluate(RULES, active, store, cond, 100.0, lambda a, e, s: {})
    (alert,) = store.active()
    offline = inventory(tmp_path, {"S11680-0006": ("11680", ["offline", "active"])})
    summary = evaluate(RULES, offline, store, cond, 200.0, lambda a, e, s: {})
    assert firing(store) == {} and summary.resolved == 1
    done = store.get(alert.id)
    assert done is not None and done.resolution == "out_of_service"
