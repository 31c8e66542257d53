"""The Alerts area (경보): what is firing, what was resolved, the traps behind it.

Every page needs a login (any role reads; the notification outbox is for engineers). It shows
what :mod:`collector.alerts` keeps (``DATA_DIR/alerts/alerts.sqlite``) and the AP events of
:mod:`collector.events` (traps, ``DATA_DIR/events/events.sqlite``); nothing is computed here.

- ``/alerts``: firing alerts (site and district alerts first: one line for many APs), those
  resolved in the last 7 days, the events of the last 24 hours, the outbox's counts;
- ``/alerts/<id>``: one alert: its APs, the AP alerts it took over, its notifications;
- ``/alerts.json``: the same as JSON.

Summaries and event details come from devices (sysName, trap varbinds): autoescaped text, never
marked safe.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, jsonify
from flask import render_template as render
from flask.typing import ResponseReturnValue
from flask_login import current_user

from collector.alerts.store import Alert, AlertStore, Message
from collector.events import Event, EventStore
from web.app import context, requires
from web.users import Role

alerts = Blueprint("alerts", __name__)
RECENT_S = 7 * 86400
EVENTS_S = 86400
SCOPE_ORDER = {"district": 0, "site": 1, "collector": 2, "ap": 3}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass
class AlertsView:
    firing: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    outbox: dict[str, dict[str, int]] = field(default_factory=dict)
    evaluated: bool = False  # the alert store exists (the engine has run at least once)


@contextmanager
def _stores() -> Iterator[tuple[AlertStore | None, EventStore | None]]:
    data_dir = context().data_dir
    store, events = AlertStore.existing(data_dir), EventStore.existing(data_dir)
    try:
        yield store, events
    finally:
        for opened in (store, events):
            if opened is not None:
                opened.close()


def firing_count() -> int:
    """Firing alerts, for the navigation's badge (0 when alerting has never run)."""
    store = AlertStore.existing(context().data_dir)  # the alert store only: every page asks
    if store is None:
        return 0
    try:
        return len(store.active())
    finally:
        store.close()


def alerts_view(now: float) -> AlertsView:
    with _stores() as (store, events):
        view = AlertsView(evaluated=store is not None)
        if store is not None:
            view.firing = sorted(
                store.active(),
                key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), SCOPE_ORDER.get(a.scope, 9),
                               a.started_at),
            )  # fmt: skip
            view.resolved = [a for a in store.recent(now - RECENT_S) if a.state == "resolved"][:200]
            view.outbox = store.outbox_counts()
        if events is not None:
            view.events = list(reversed(events.between(now - EVENTS_S, now + 1)))[:200]
    return view


def target_link(alert: Alert) -> tuple[str, str] | None:
    """``(endpoint, value)`` of the page for an alert's target (none for the collector)."""
    return {
        "ap": ("pages.access_point", "ap_id"),
        "district": ("pages.district", "code"),
    }.get(alert.scope)


@alerts.get("/alerts")
@requires(Role.VIEWER)
def index() -> ResponseReturnValue:
    now = time.time()
    return render(
        "alerts.html",
        view=alerts_view(now),
        now=now,
        by_id=context().by_id,
        engineer=current_user.role >= Role.ENGINEER,
    )


@alerts.get("/alerts/<int:alert_id>")
@requires(Role.VIEWER)
def alert(alert_id: int) -> ResponseReturnValue:
    with _stores() as (store, _):
        if store is None:
            abort(404)
        found = store.get(alert_id)
        if found is None:
            abort(404)
        messages: list[Message] = store.messages(alert_id)
        taken_over = [a for a in store.recent(found.started_at - 1) if a.parent_id == found.id]
    return render(
        "alert.html",
        alert=found,
        messages=messages if current_user.role >= Role.ENGINEER else [],
        taken_over=taken_over,
        by_id=context().by_id,
        now=time.time(),
    )


@alerts.get("/alerts.json")
@requires(Role.VIEWER)
def as_json() -> ResponseReturnValue:
    view = alerts_view(time.time())
    body: dict[str, Any] = {
        "evaluated": view.evaluated,
        "firing": [a.as_dict() for a in view.firing],
        "resolved": [a.as_dict() for a in view.resolved],
        "events": [
            {"ap": e.ap_id, "at": e.at, "kind": e.kind, "source": e.source, "detail": e.detail}
            for e in view.events
        ],
        "outbox": view.outbox,
    }
    return jsonify(body)


def ap_alerts(ap_id: str) -> tuple[list[Alert], list[Event]]:
    """An AP's alerts (its own, its site's, its district's) and its latest events."""
    with _stores() as (store, events):
        return (
            store.of_ap(ap_id, limit=20) if store is not None else [],
            events.of_ap(ap_id, limit=20) if events is not None else [],
        )


#: Columns that the standard traps carry, by OID prefix: shown by name (the stored detail keeps
#: the numeric OIDs exactly as the device sent them).
_OID_NAMES = {
    "1.3.6.1.2.1.2.2.1.1": "ifIndex",
    "1.3.6.1.2.1.2.2.1.2": "ifDescr",
    "1.3.6.1.2.1.2.2.1.7": "ifAdminStatus",
    "1.3.6.1.2.1.2.2.1.8": "ifOperStatus",
    "1.3.6.1.2.1.31.1.1.1.1": "ifName",
    "1.3.6.1.6.3.18.1.3": "snmpTrapAddress",
    "1.3.6.1.6.3.18.1.4": "snmpTrapCommunity",
    "1.3.6.1.6.3.1.1.4.3": "snmpTrapEnterprise",
    "1.3.6.1.2.1.1.3": "sysUpTime",
}
_IF_STATUS = {"1": "up", "2": "down", "3": "testing", "5": "dormant", "6": "notPresent"}


def readable_detail(detail: str) -> str:
    """``1.3.6.1.2.1.2.2.1.8.2=2`` -> ``ifOperStatus.2=down(2)``; other lines as they are."""
    out = []
    for line in detail.splitlines():
        oid, sep, value = line.partition("=")
        for prefix, name in _OID_NAMES.items():
            if sep and (oid == prefix or oid.startswith(prefix + ".")):
                index = oid[len(prefix) :]
                if name in ("ifAdminStatus", "ifOperStatus") and value in _IF_STATUS:
                    value = f"{_IF_STATUS[value]}({value})"
                line = f"{name}{index}={value}"
                break
        out.append(line)
    return "\n".join(out)
