"""The one call the collector's scheduler and ``pubwifi alerts run`` make: evaluate, then notify.

:func:`evaluate_and_notify` loads the rules (``rules`` given, else ``PUBWIFI_ALERTS``, else the
packaged file, then checked against the inventory: an ``InputError`` when a maintenance window
names an AP, site or district it does not have), reads the stored data (InfluxDB through the
ledger's InfluxQL client, the local stores), stores the alert changes and their outbox messages
in one transaction, sends what is due, and sets the alert metrics when given. It never raises
for unreachable data or receivers: those are counted in the
:class:`~collector.alerts.engine.Summary`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from collector.alerts.conditions import ConditionSource, StoredConditions
from collector.alerts.engine import Summary, Topology, evaluate
from collector.alerts.notify import Sender, body_maker, deliver, send
from collector.alerts.rules import AlertRules, Kind, check_inventory, load_rules
from collector.alerts.signals import RowClient, StoredSignals
from collector.alerts.store import AlertStore
from collector.inventory.model import Inventory
from collector.ledger.cli import query_client
from collector.metrics import CollectorMetrics
from collector.settings import Settings

log = logging.getLogger(__name__)
SCOPES = ("ap", "site", "district")


def evaluate_and_notify(
    settings: Settings,
    inventory: Inventory,
    now: float,
    *,
    rules: AlertRules | None = None,
    metrics: CollectorMetrics | None = None,
    client: RowClient | None = None,
    source: ConditionSource | None = None,
    sender: Sender = send,
    deliver_at: float | None = None,
) -> Summary:
    """Evaluate every rule at ``now``, store the changes, deliver due notifications.

    ``deliver_at``: the wall-clock time for delivery and backoff when ``now`` is not it (an
    evaluation as of a past time); default ``now``.
    """
    if rules is None:  # read afresh each time (an edited file applies at the next evaluation)
        rules = load_rules(settings.alerts)
        check_inventory(rules, inventory)
    data_dir = Path(settings.data_dir)
    with AlertStore.in_data_dir(data_dir) as store:
        if source is None:
            signals = StoredSignals(
                client or query_client(settings),
                data_dir,
                [ap.id for ap in inventory.aps if ap.status.is_polled],
                lambda ap, at: store.change_expected(ap, at) is not None,
            )
            source = StoredConditions(signals, settings.poll_interval_s)
        if metrics is not None:
            init_channels(metrics, rules)
        topo = Topology(inventory)
        summary = evaluate(rules, topo, store, source, now, body_maker(topo))
        deliver(store, rules, now if deliver_at is None else deliver_at, summary, sender, metrics)
        if metrics is not None:
            set_firing(metrics, rules, store)
    for rule_id, error in summary.rule_errors.items():
        log.warning("alert rule %s not evaluated: %s", rule_id, error)
    return summary


def deliver_due(
    settings: Settings,
    rules: AlertRules,
    now: float,
    *,
    metrics: CollectorMetrics | None = None,
    sender: Sender = send,
) -> Summary:
    """Only the delivery step (retries between evaluations)."""
    summary = Summary(at=now)
    with AlertStore.in_data_dir(Path(settings.data_dir)) as store:
        deliver(store, rules, now, summary, sender, metrics)
    return summary


def init_channels(metrics: CollectorMetrics, rules: AlertRules) -> None:
    """Export every channel's notification counters at 0 before its first send: an
    ``increase()`` (the PubwifiAlertNotificationsFailing rule) sees nothing of a series that
    is born at 1, so a first dead letter would go unnoticed without this."""
    for channel in rules.channels:
        metrics.alert_dead_letters.labels(channel.name)
        for result in ("delivered", "retry", "dead"):
            metrics.alert_notifications.labels(channel.name, result)


def set_firing(metrics: CollectorMetrics, rules: AlertRules, store: AlertStore) -> None:
    counts: dict[tuple[str, str], int] = {}
    for alert in store.active():
        key = (alert.rule, alert.scope)
        counts[key] = counts.get(key, 0) + 1
    for rule in rules.rules:
        scopes = ("collector",) if rule.kind is Kind.COLLECTOR_HEALTH else SCOPES
        for scope in scopes:
            counts.setdefault((rule.id, scope), 0)
    for (rule_id, scope), n in counts.items():
        metrics.alerts_firing.labels(rule_id, scope).set(n)
