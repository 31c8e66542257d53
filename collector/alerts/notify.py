"""Notifications: message bodies, the webhook and email senders, and outbox delivery.

**Webhook body** (``POST``, ``Content-Type: application/json; charset=utf-8``, and
``Authorization: Bearer <token>`` when the channel names a ``token``), the same on every retry::

    {"version": 1, "notification_id": 17, "alert_id": 5, "state": "firing" | "resolved",
     "rule": "ap_down", "kind": "ap_down", "severity": "critical",
     "scope": "ap" | "site" | "district" | "collector", "target": "S11290-0001",
     "target_name": "길음1동 가로등주 1", "district": "11290",
     "district_name_ko": "성북구", "district_name_en": "Seongbuk-gu",
     "started_at": "2025-08-01T10:15:00+09:00", "ended_at": null,
     "summary": "...", "aps": ["AP-11290-00001", ...], "ap_count": 3,
     "resolution": null | "cleared" | "subsumed" | "out_of_service" | "rule_removed",
     "parent_id": null,
     "subsumes": [3, 4]}

``notification_id`` is the outbox row: a receiver de-duplicates on it (delivery is at least
once). Any 2xx answer is delivered; anything else, a timeout or a refused connection is a failed
attempt. **Email** (smtplib; STARTTLS and login when configured): subject and body in Korean and
English, ``Message-ID`` from the notification id. **Delivery**: every due message is sent; a
failure is retried after the channel's backoff (doubling, capped); after ``attempts`` failed sends
the message is a dead letter (kept in the outbox, counted).
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from collector.alerts.engine import Summary, Topology
from collector.alerts.rules import AlertRules, Channel, Email, Webhook
from collector.alerts.store import Alert, AlertStore
from collector.districts import DISTRICTS_BY_CODE
from collector.metrics import CollectorMetrics
from collector.secrets import UnsetSecretError
from collector.timeparse import KST

STATE_KO = {"firing": "발생", "resolved": "해소"}
SCOPE_KO = {"ap": "AP", "site": "사이트", "district": "자치구", "collector": "수집기"}


class DeliveryError(Exception):
    """One failed send (the message says why, never a secret)."""


Sender = Callable[[Channel, dict[str, Any]], None]


def _iso(at: float | None) -> str | None:
    return None if at is None else dt.datetime.fromtimestamp(at, KST).isoformat()


def body_maker(topo: Topology) -> Callable[[Alert, str, Sequence[int]], dict[str, Any]]:
    """The message body for (alert, event, subsumed alert ids), names from the inventory."""

    def body(alert: Alert, event: str, subsumes: Sequence[int]) -> dict[str, Any]:
        code = ""
        name = ""
        if alert.scope == "district":
            code = alert.target
        elif alert.scope == "site":
            name = topo.site_names.get(alert.target, "")
            members = topo.sites.get(alert.target, [])
            code = topo.district_of.get(members[0], "") if members else ""
        elif alert.scope == "ap":
            code = topo.district_of.get(alert.target, "")
            name = topo.site_names.get(topo.site_of.get(alert.target, ""), "")
        district = DISTRICTS_BY_CODE.get(code)
        return {
            "version": 1,
            "alert_id": alert.id,
            "state": event,
            "rule": alert.rule,
            "kind": alert.kind,
            "severity": alert.severity,
            "scope": alert.scope,
            "target": alert.target,
            "target_name": name,
            "district": code or None,
            "district_name_ko": district.name_ko if district else None,
            "district_name_en": district.name_en if district else None,
            "started_at": _iso(alert.started_at),
            "ended_at": _iso(alert.ended_at) if event == "resolved" else None,
            "summary": alert.summary,
            "aps": list(alert.aps),
            "ap_count": len(alert.aps),
            "resolution": alert.resolution if event == "resolved" else None,
            "parent_id": alert.parent_id if event == "resolved" else None,
            "subsumes": list(subsumes),
        }

    return body


# --- senders -----------------------------------------------------------------------------------


def send_webhook(channel: Webhook, body: Mapping[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "pubwifi"}
    if channel.token is not None:
        headers["Authorization"] = f"Bearer {channel.token.resolve().reveal()}"
    request = urllib.request.Request(channel.url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=channel.timeout_s) as answer:  # noqa: S310
            answer.read()
            if not 200 <= answer.status < 300:
                raise DeliveryError(f"HTTP {answer.status}")
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"cannot reach the webhook: {reason}") from None


def email_message(channel: Email, body: Mapping[str, Any]) -> EmailMessage:
    state = str(body["state"])
    where = body["target"]
    if body.get("district_name_ko"):
        where = f"{where} ({body['district_name_ko']} {body['district_name_en']})"
    subject = (
        f"[pubwifi] {STATE_KO[state]} {state.upper()} {body['severity']}: {body['rule']} "
        f"{SCOPE_KO.get(str(body['scope']), body['scope'])} {where}, {body['ap_count']} APs"
    )
    lines = [
        f"경보 {STATE_KO[state]} / alert {state}: {body['rule']} ({body['severity']})",
        f"범위 / scope: {body['scope']} {where} {body.get('target_name') or ''}".rstrip(),
        f"시작 / started: {body['started_at']}",
        f"종료 / ended: {body['ended_at'] or '-'}",
        f"요약 / summary: {body['summary']}",
        f"AP ({body['ap_count']}): {', '.join(body['aps']) or '-'}",
    ]
    if body.get("subsumes"):
        lines.append(f"통합된 경보 / subsumes alerts: {', '.join(map(str, body['subsumes']))}")
    if body.get("resolution"):
        lines.append(f"해소 사유 / resolution: {body['resolution']}")
    lines.append(f"경보 번호 / alert id: {body['alert_id']}")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    domain = channel.sender.rsplit("@", 1)[-1]
    message["Message-ID"] = f"<pubwifi-alert-{body.get('notification_id', 0)}@{domain}>"
    message.set_content("\n".join(lines) + "\n")
    return message


def send_email(channel: Email, body: Mapping[str, Any]) -> None:
    message = email_message(channel, body)
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_s) as smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.username is not None and channel.password is not None:
                smtp.login(channel.username.resolve().reveal(), channel.password.resolve().reveal())
            smtp.send_message(message)
    except smtplib.SMTPException as error:
        raise DeliveryError(f"SMTP: {type(error).__name__}: {error}"[:300]) from None
    except OSError as error:
        raise DeliveryError(f"cannot reach the SMTP server: {error}") from None


def send(channel: Channel, body: dict[str, Any]) -> None:
    """The real sender for either kind of channel."""
    try:
        if isinstance(channel, Webhook):
            send_webhook(channel, body)
        else:
            send_email(channel, body)
    except UnsetSecretError as error:
        raise DeliveryError(str(error)) from None


# --- delivery ----------------------------------------------------------------------------------


def deliver(
    store: AlertStore,
    rules: AlertRules,
    now: float,
    summary: Summary,
    sender: Sender = send,
    metrics: CollectorMetrics | None = None,
) -> None:
    """Send every message due at ``now`` once; retry later or give up (module doc)."""
    channels = {channel.name: channel for channel in rules.channels}
    for message in store.due(now):
        channel = channels.get(message.channel)
        if channel is None:
            _dead(store, message.id, message.channel, now, "channel no longer configured", summary,
                  metrics)  # fmt: skip
            continue
        try:
            sender(channel, {**message.body, "notification_id": message.id})
        except DeliveryError as error:
            failures = message.attempts + 1
            if failures >= rules.delivery.attempts:
                _dead(store, message.id, channel.name, now, str(error), summary, metrics)
            else:
                store.failed(message.id, now, str(error), now + rules.delivery.backoff(failures))
                summary.retried += 1
                if metrics is not None:
                    metrics.alert_notifications.labels(channel.name, "retry").inc()
            continue
        store.delivered(message.id, now)
        summary.delivered += 1
        if metrics is not None:
            metrics.alert_notifications.labels(channel.name, "delivered").inc()


def _dead(
    store: AlertStore,
    message_id: int,
    channel: str,
    now: float,
    error: str,
    summary: Summary,
    metrics: CollectorMetrics | None,
) -> None:
    store.failed(message_id, now, error, None)
    summary.dead += 1
    if metrics is not None:
        metrics.alert_notifications.labels(channel, "dead").inc()
        metrics.alert_dead_letters.labels(channel).inc()
