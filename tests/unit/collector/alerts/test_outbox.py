"""Outbox delivery with a fake clock and fake senders: retries, backoff, dead letters, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from collector.alerts.engine import Summary
from collector.alerts.notify import DeliveryError, deliver, email_message
from collector.alerts.rules import (
    AlertRules,
    Channel,
    Delivery,
    Email,
    Kind,
    Rule,
    Severity,
    Webhook,
)
from collector.alerts.store import AlertStore
from collector.metrics import CollectorMetrics

HOOK = Webhook("hook", "http://127.0.0.1:9/", None, 1.0)
RULE = Rule("down", Kind.AP_DOWN, Severity.CRITICAL, True, None, {})
RULES = AlertRules(
    "t", (RULE,), (HOOK,), delivery=Delivery(attempts=3, backoff_s=10, max_backoff_s=15)
)


class FlakySender:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[dict[str, Any]] = []
        self.calls = 0

    def __call__(self, channel: Channel, body: dict[str, Any]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError("HTTP 503")
        self.sent.append(body)


def queued(tmp_path: Path) -> AlertStore:
    store = AlertStore.in_data_dir(tmp_path)
    with store.batch():
        alert = store.open_alert("down", "ap_down", "critical", "ap", "AP-1", ["AP-1"], "x", 0.0)
        store.enqueue(alert.id, "hook", "firing", {"alert_id": alert.id}, 0.0)
    return store


def test_retried_with_backoff_then_delivered_once(tmp_path: Path) -> None:
    store, sender, summary = queued(tmp_path), FlakySender(2), Summary(at=0)
    metrics = CollectorMetrics(CollectorRegistry())
    deliver(store, RULES, 0.0, summary, sender, metrics)  # fails; next at 10
    deliver(store, RULES, 9.9, summary, sender, metrics)  # not due yet
    assert sender.calls == 1 and store.next_due() == 10.0
    deliver(store, RULES, 10.0, summary, sender, metrics)  # fails; next at 10 + 15 (capped)
    assert store.next_due() == 25.0
    deliver(store, RULES, 25.0, summary, sender, metrics)
    deliver(store, RULES, 99.0, summary, sender, metrics)
    assert sender.calls == 3 and len(sender.sent) == 1
    assert sender.sent[0]["notification_id"] == store.messages()[0].id
    assert store.outbox_counts() == {"hook": {"delivered": 1}}
    assert (summary.delivered, summary.retried, summary.dead) == (1, 2, 0)
    value = metrics.registry.get_sample_value
    assert value("pubwifi_alert_notifications_total", {"channel": "hook", "result": "retry"}) == 2


def test_dead_letter_after_the_last_attempt(tmp_path: Path) -> None:
    store, sender, summary = queued(tmp_path), FlakySender(99), Summary(at=0)
    metrics = CollectorMetrics(CollectorRegistry())
    for now in (0.0, 10.0, 25.0, 40.0, 1000.0):
        deliver(store, RULES, now, summary, sender, metrics)
    assert sender.calls == 3 and summary.dead == 1
    assert store.outbox_counts() == {"hook": {"dead": 1}} and store.next_due() is None
    (message,) = store.messages()
    assert message.status == "dead" and message.last_error == "HTTP 503"
    value = metrics.registry.get_sample_value
    assert value("pubwifi_alert_dead_letters_total", {"channel": "hook"}) == 1


def test_channel_removed_from_the_rules_is_a_dead_letter(tmp_path: Path) -> None:
    store, sender, summary = queued(tmp_path), FlakySender(0), Summary(at=0)
    deliver(store, AlertRules("t", (RULE,), ()), 0.0, summary, sender)
    assert sender.calls == 0 and summary.dead == 1


def test_email_is_korean_and_english() -> None:
    mail = Email("m", "127.0.0.1", 25, False, None, None, "a@b.kr", ("n@b.kr",), 1.0)
    body = {
        "state": "firing", "target": "S1", "district_name_ko": "종로구",
        "district_name_en": "Jongno-gu", "severity": "critical", "rule": "ap_down",
        "scope": "site", "ap_count": 2, "started_at": "t", "ended_at": None, "summary": "s",
        "aps": ["A", "B"], "alert_id": 4, "notification_id": 9,
    }  # fmt: skip
    message = email_message(mail, body)
    assert "발생 FIRING" in message["Subject"] and "종로구 Jongno-gu" in message["Subject"]
    assert "경보 발생 / alert firing" in message.get_content()
    assert message["Message-ID"] == "<pubwifi-alert-9@b.kr>"
