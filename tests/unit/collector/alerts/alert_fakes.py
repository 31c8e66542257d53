"""Fakes for the alert engine: a topology given outright and conditions given outright."""

from __future__ import annotations

from collections.abc import Mapping

from collector.alerts.conditions import Condition
from collector.alerts.engine import Topology
from collector.alerts.rules import Rule


def topology(districts: Mapping[str, Mapping[str, int]]) -> Topology:
    """``{district: {site: n_aps}}``; AP ids are ``{site}-{k}``."""
    topo = Topology.__new__(Topology)
    topo.sites, topo.districts, topo.site_of, topo.district_of = {}, {}, {}, {}
    topo.site_names = {}
    for code, sites in districts.items():
        for site, n in sites.items():
            topo.districts.setdefault(code, []).append(site)
            topo.site_names[site] = f"site {site}"
            topo.sites[site] = [f"{site}-{k}" for k in range(1, n + 1)]
            for ap in topo.sites[site]:
                topo.site_of[ap], topo.district_of[ap] = site, code
    return topo


class FakeConditions:
    """Per rule id: the APs in the condition now (set by the test between evaluations)."""

    def __init__(self) -> None:
        self.aps: dict[str, set[str]] = {}
        self.errors: dict[str, str] = {}
        self.others: dict[str, dict[str, str]] = {}

    def evaluate(self, rule: Rule, now: float) -> Condition:
        if rule.id in self.errors:
            return Condition(error=self.errors[rule.id])
        return Condition(
            {ap: "no answer" for ap in self.aps.get(rule.id, set())},
            self.others.get(rule.id, {}),
        )
