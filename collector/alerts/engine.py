"""One evaluation: rules -> AP conditions -> dependency grouping -> alert state changes.

**In service**: only APs whose inventory ``status`` is ``active`` (:data:`IN_SERVICE`) are
alerted on; every other AP in a condition is left out before grouping, and sites and districts
are made of in-service APs only. The inventory already says the others are not carrying the
public service, so their state is known, not news: ``planned`` (not installed), ``staged``
(installed, still being commissioned: its checks are the rollout tracker's verification, and
zero clients or no traffic are expected), ``failed`` and ``offline`` (known down, the repair is
already someone's job), ``decommissioning`` (being taken out of service, and no longer polled).
An alert already firing whose APs all left service is resolved with ``resolution =
out_of_service``.

**Grouping** (rules with ``group: true``), per rule, over the in-service APs:

1. a *down site* is a site whose in-service APs are all in the condition (an offline or failed
   AP of the site does not keep it from being down, nor is it named in the alert);
2. a district with at least ``min_district_sites`` sites that have in-service APs, of which at
   least ``district_share`` are down sites, is ONE ``district`` alert naming every AP of the
   district in the condition;
3. a down site (not in such a district) with at least ``min_site_aps`` in-service APs is ONE
   ``site`` alert;
4. every other AP in the condition is an ``ap`` alert. Rules without grouping give only 4.

**Suppression**: an AP is suppressed at ``now`` by a maintenance window of the rules file (its
AP, site or district) or by the store's suppressions (provisioning campaigns). Grouping looks at
the condition as it is; a would-be alert whose APs are *all* suppressed is not opened (counted in
``suppressed``); one with some APs suppressed fires, naming all. An alert already firing whose
APs become suppressed stays firing until its condition ends (no message meanwhile).

**State**: identity (rule, scope, target). Wanted and firing: kept (APs and summary updated, no
message). Wanted and not firing: opened (``firing`` message). Firing and not wanted: resolved
(``resolved`` message), unless the rule's data could not be read (left as it is, counted in
``rule_errors``). **Subsumption**: a firing alert whose APs all belong to a wider alert of the
same rule opened in the same evaluation (AP -> site or district, site -> district) is closed
with ``resolution = subsumed`` and ``parent_id``; it gets no message of its own, the wider
alert's ``firing`` message lists it under ``subsumes``. (Subsumed into a wider alert that was
already firing: a ``resolved`` message with ``resolution: subsumed``.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from collector.alerts.conditions import ConditionSource
from collector.alerts.rules import AlertRules, Grouping, Rule
from collector.alerts.store import Alert, AlertStore
from collector.districts import DISTRICTS_BY_CODE
from collector.inventory.model import Inventory, Lifecycle

#: The lifecycle states alerted on (module doc, "In service").
IN_SERVICE = frozenset({Lifecycle.ACTIVE})
WIDTH = {"ap": 0, "collector": 0, "site": 1, "district": 2}
#: Builds a message body for (alert, event, ids of the alerts it subsumes).
BodyFor = Callable[[Alert, str, Sequence[int]], dict[str, Any]]


@dataclass
class Summary:
    at: float
    rules: int = 0
    rule_errors: dict[str, str] = field(default_factory=dict)
    opened: int = 0
    resolved: int = 0
    subsumed: int = 0
    kept: int = 0
    suppressed: int = 0  # would-be alerts not opened: all their APs suppressed
    suppressed_aps: int = 0
    firing: int = 0
    messages: int = 0  # queued in the outbox by this evaluation
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Wanted:
    rule: Rule
    scope: str
    target: str
    aps: tuple[str, ...]
    summary: str


class Topology:
    """The in-service APs (:data:`IN_SERVICE`) by site and district, and each one's site and
    district; an AP not in service is in none of these."""

    def __init__(self, inventory: Inventory) -> None:
        self.sites: dict[str, list[str]] = {}
        self.districts: dict[str, list[str]] = {}
        self.site_of: dict[str, str] = {}
        self.district_of: dict[str, str] = {}
        self.site_names = {s.id: s.name for s in inventory.sites.values()}
        for ap in inventory.aps:
            if ap.status not in IN_SERVICE:
                continue
            site, code = ap.site.id, ap.site.district.code
            if site not in self.sites:
                self.sites[site] = []
                self.districts.setdefault(code, []).append(site)
            self.sites[site].append(ap.id)
            self.site_of[ap.id], self.district_of[ap.id] = site, code


def district_label(code: str) -> str:
    d = DISTRICTS_BY_CODE.get(code)
    return f"{code} {d.name_ko} {d.name_en}" if d else code


def group(aps: set[str], topo: Topology, g: Grouping) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(scope, target, APs)`` for the APs of one rule's condition (module doc, 1-4)."""
    down = {s for s, members in topo.sites.items() if all(m in aps for m in members)}
    out: list[tuple[str, str, tuple[str, ...]]] = []
    covered: set[str] = set()
    for code, sites in sorted(topo.districts.items()):
        n_down = sum(s in down for s in sites)
        need = max(1, math.ceil(g.district_share * len(sites) - 1e-9))
        if len(sites) >= g.min_district_sites and n_down >= need:
            members = tuple(sorted(a for s in sites for a in topo.sites[s] if a in aps))
            out.append(("district", code, members))
            covered.update(members)
    for site in sorted(down):
        members = tuple(sorted(topo.sites[site]))
        if len(members) >= g.min_site_aps and not covered.intersection(members):
            out.append(("site", site, members))
            covered.update(members)
    out.extend(("ap", ap, (ap,)) for ap in sorted(aps - covered))
    return out


def _summary(
    rule: Rule, scope: str, target: str, details: Mapping[str, str], topo: Topology
) -> str:
    head = f"{rule.summary}: " if rule.summary else ""
    first = details[min(details)] if details else ""
    if scope == "site":
        district = district_label(topo.district_of[topo.sites[target][0]])
        name = topo.site_names.get(target, "")
        return f"{head}site {target} {name} ({district}): all {len(details)} APs: {first}"
    if scope == "district":
        return f"{head}district {district_label(target)}: {len(details)} APs: {first}"
    return f"{head}{target}: {first}"


def wanted_alerts(
    rules: AlertRules,
    topo: Topology,
    source: ConditionSource,
    suppressed: Mapping[str, str],
    now: float,
    summary: Summary,
) -> tuple[dict[tuple[str, str, str], Wanted], set[tuple[str, str, str]]]:
    """The alerts the conditions call for, and the identities held back by suppression."""
    wanted: dict[tuple[str, str, str], Wanted] = {}
    held: set[tuple[str, str, str]] = set()
    for rule in rules.rules:
        summary.rules += 1
        condition = source.evaluate(rule, now)
        if condition.error is not None:
            summary.rule_errors[rule.id] = condition.error
            continue
        details = {ap: d for ap, d in condition.aps.items() if ap in topo.site_of}
        if rule.group:
            groups = group(set(details), topo, rules.grouping)
        else:
            groups = [("ap", ap, (ap,)) for ap in sorted(details)]
        for scope, target, members in groups:
            identity = (rule.id, scope, target)
            if all(m in suppressed for m in members):
                held.add(identity)
                summary.suppressed += 1
                summary.suppressed_aps += len(members)
                continue
            text = _summary(rule, scope, target, {m: details[m] for m in members}, topo)
            wanted[identity] = Wanted(rule, scope, target, members, text)
        for target, detail in sorted(condition.others.items()):
            head = f"{rule.summary}: " if rule.summary else ""
            wanted[(rule.id, "collector", target)] = Wanted(
                rule, "collector", target, (), f"{head}{target}: {detail}"
            )
    return wanted, held


def suppressed_aps(
    rules: AlertRules, topo: Topology, store: AlertStore, now: float
) -> dict[str, str]:
    out = dict(store.suppressed(now))
    for window in rules.maintenance:
        for ap, site in topo.site_of.items():
            if ap not in out and window.covers(ap, site, topo.district_of[ap], now):
                out[ap] = window.reason or "maintenance"
    return out


def evaluate(
    rules: AlertRules,
    inventory: Inventory | Topology,
    store: AlertStore,
    source: ConditionSource,
    now: float,
    body_for: BodyFor,
) -> Summary:
    """Evaluate every rule at ``now`` and store the changes with their outbox messages."""
    topo = inventory if isinstance(inventory, Topology) else Topology(inventory)
    summary = Summary(at=now)
    suppressed = suppressed_aps(rules, topo, store, now)
    wanted, held = wanted_alerts(rules, topo, source, suppressed, now, summary)
    known = {rule.id for rule in rules.rules}
    channels = [channel.name for channel in rules.channels]
    with store.batch():
        firing = store.active()
        current = {alert.identity: alert for alert in firing}
        opened: list[Alert] = []
        for identity, want in wanted.items():
            alert = current.get(identity)
            if alert is None:
                opened.append(
                    store.open_alert(
                        want.rule.id, want.rule.kind.value, want.rule.severity.value,
                        want.scope, want.target, want.aps, want.summary, now,
                    )
                )  # fmt: skip
            else:
                store.touch(alert.id, want.aps, want.summary, now)
                summary.kept += 1
        subsumes: dict[int, list[int]] = {}
        resolved: list[Alert] = []
        for alert in firing:
            if alert.identity in wanted or alert.identity in held:
                continue
            if alert.rule in known and alert.rule in summary.rule_errors:
                continue  # no data: neither resolved nor re-notified
            kept = [current[i] for i in wanted if i in current]
            parent = _wider(alert, opened) or _wider(alert, kept)
            if parent is not None:
                store.close_alert(alert.id, now, "subsumed", parent.id)
                summary.subsumed += 1
                if parent in opened:
                    subsumes.setdefault(parent.id, []).append(alert.id)
                    continue
            else:
                reason = "cleared" if alert.rule in known else "rule_removed"
                gone = alert.aps and not any(a in topo.site_of for a in alert.aps)
                if reason == "cleared" and gone:
                    reason = "out_of_service"  # the inventory took its APs out of service
                store.close_alert(alert.id, now, reason)
            resolved.append(store.get(alert.id) or alert)
        for alert in opened:
            summary.messages += _enqueue(store, alert, "firing", subsumes.get(alert.id, []),
                                         channels, body_for, now)  # fmt: skip
        for alert in resolved:
            summary.messages += _enqueue(store, alert, "resolved", [], channels, body_for, now)
        summary.opened = len(opened)
        summary.resolved = sum(1 for a in resolved if a.resolution != "subsumed")
        summary.firing = len(store.active())
    return summary


def _wider(alert: Alert, candidates: Sequence[Alert]) -> Alert | None:
    """A wider alert of the same rule naming every AP of ``alert``."""
    if not alert.aps:
        return None
    for other in candidates:
        if (
            other.rule == alert.rule
            and WIDTH[other.scope] > WIDTH[alert.scope]
            and set(alert.aps) <= set(other.aps)
        ):
            return other
    return None


def _enqueue(
    store: AlertStore,
    alert: Alert,
    event: str,
    subsumed: Sequence[int],
    channels: Sequence[str],
    body_for: BodyFor,
    now: float,
) -> int:
    body = body_for(alert, event, subsumed)
    for channel in channels:
        store.enqueue(alert.id, channel, event, body, now)
    return len(channels)
