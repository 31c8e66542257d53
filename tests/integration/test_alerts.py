"""Alerting over a real influxd, from lab history with one site down, to real receivers.

A 100-AP generated Cisco fleet; ``pubwifi lab backfill`` of one day ending at ``OUTAGE_END`` with
a ``down`` fault on every AP of one site (the one with most APs, in a district that has other
sites), then of the next day without the fault (a backfill continues from the previous one).
``pubwifi alerts run --once --at T`` (the real CLI) inside the outage gives exactly one site
alert; again inside it, nothing new; after it, its resolution. A real aiosmtpd SMTP server and
a real HTTP webhook receiver (``http.server`` in a thread) each get exactly one message per
state change. A receiver failing twice then answering gets the message after retries; one that
always fails leaves a dead letter, counted.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from procs import run_cli as run
from servers import Server, create_database, free_port, influxd, running

from collector.inventory.load import load_inventory

pytestmark = [pytest.mark.integration, pytest.mark.needs("/usr/bin/influxd")]

OUTAGE_END = "2025-08-01T12:00:00+09:00"
AFTER = "2025-08-02T12:00:00+09:00"
SECRETS = {
    "PUBWIFI_SNMP_COMMUNITY": "alerts-community",
    "PUBWIFI_SNMP_V3_USER": "alertsuser",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "alerts-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "alerts-priv-key",
}


def at(text: str, hours: float) -> str:
    return (dt.datetime.fromisoformat(text) + dt.timedelta(hours=hours)).isoformat()


class Receiver:
    """An HTTP webhook receiver answering ``statuses`` in turn (then 200), recording bodies."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                owner.attempts += 1
                status = owner.statuses.pop(0) if owner.statuses else 200
                if status == 200:
                    owner.bodies.append(json.loads(data))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()  # the socket listens already: bound in the constructor
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("alerts")
    server: Server = influxd(tmp / "influxd")
    inventory = tmp / "inventory.yaml"
    with running(server):
        create_database(server, "pubwifi")
        env = {
            **os.environ,
            **SECRETS,
            "PUBWIFI_DATA_DIR": str(tmp / "var"),
            "PUBWIFI_INFLUX_URL": server.url,
            "PUBWIFI_INFLUX_DATABASE": "pubwifi",
            "PUBWIFI_INVENTORY": str(inventory),
        }
        run("inventory", "generate", "--aps", "100", "--platform", "cisco_ios_ap",
            "--seed", "3", "-o", str(inventory), env=env)  # fmt: skip
        inv = load_inventory(inventory)
        by_site: dict[str, list[str]] = {}
        for ap in inv.aps:
            by_site.setdefault(ap.site.id, []).append(ap.id)
        district_sites: dict[str, set[str]] = {}
        for ap in inv.aps:
            district_sites.setdefault(ap.site.district.code, set()).add(ap.site.id)
        site = max(
            (s for s in by_site if len(district_sites[inv.sites[s].district.code]) >= 2),
            key=lambda s: (len(by_site[s]), s),
        )
        assert len(by_site[site]) >= 3, by_site
        faults = tmp / "faults.yaml"
        faults.write_text(
            "faults:\n" + "".join(f"  - {{kind: down, ap: {a}}}\n" for a in by_site[site]),
            encoding="utf-8",
        )
        backfill = ("lab", "backfill", "--inventory", str(inventory), "--days", "1", "--no-rollup")
        run(*backfill, "--until", OUTAGE_END, "--faults", str(faults), env=env)
        run(*backfill, "--until", AFTER, env=env)
        yield {"env": env, "tmp": tmp, "site": site, "aps": sorted(by_site[site])}


def rules_file(path: Path, channels: list[str]) -> Path:
    path.write_text(
        "version: 1\n"
        "delivery: {attempts: 3, backoff_s: 0.2, max_backoff_s: 0.5}\n"
        "channels:\n" + "".join(f"  - {c}\n" for c in channels) + "rules:\n"
        "  - {id: ap_down, kind: ap_down, severity: critical, polls: 3, window_s: 7200,"
        " group: true}\n",
        encoding="utf-8",
    )
    return path


def test_site_outage_is_one_alert_and_one_message_per_state_change(
    fleet: dict[str, Any],
) -> None:
    hook = Receiver([])
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()  # returns once the server answers
    try:
        rules = rules_file(
            fleet["tmp"] / "rules.yaml",
            [
                f"{{name: noc-hook, kind: webhook, url: '{hook.url}'}}",
                f"{{name: noc-mail, kind: email, host: 127.0.0.1, port: {smtp.port},"
                " sender: pubwifi@seoul.example, to: [noc@seoul.example]}",
            ],
        )
        env = {**fleet["env"], "PUBWIFI_ALERTS": str(rules)}
        once = ("alerts", "run", "--once", "--drain", "5")
        first = json.loads(run(*once, "--at", at(OUTAGE_END, -2), env=env).stdout)
        assert first["opened"] == 1 and first["firing"] == 1 and first["delivered"] == 2, first
        listed = json.loads(run("alerts", "--active", "--json", env=env).stdout)["alerts"]
        assert [(a["rule"], a["scope"], a["target"]) for a in listed] == [
            ("ap_down", "site", fleet["site"])
        ]
        assert listed[0]["aps"] == fleet["aps"]
        again = json.loads(run(*once, "--at", at(OUTAGE_END, -1), env=env).stdout)
        assert again["opened"] == 0 and again["kept"] == 1 and again["messages"] == 0
        after = json.loads(run(*once, "--at", at(OUTAGE_END, 3), env=env).stdout)
        assert after["resolved"] == 1 and after["firing"] == 0 and after["opened"] == 0, after

        assert [(b["state"], b["scope"], b["target"]) for b in hook.bodies] == [
            ("firing", "site", fleet["site"]),
            ("resolved", "site", fleet["site"]),
        ]
        assert hook.bodies[0]["aps"] == fleet["aps"] and hook.bodies[1]["ended_at"]
        assert len(mailbox.messages) == 2
        subjects = [str(email.header.make_header(email.header.decode_header(m["Subject"])))
                    for m in mailbox.messages]  # fmt: skip
        assert "발생 FIRING" in subjects[0] and "해소 RESOLVED" in subjects[1]
        table = run("alerts", "--since", "2025-07-01", env=env).stdout
        assert f"site {fleet['site']}" in table and "resolved 해소" in table
        assert "notifications noc-hook: 2 delivered, 0 pending, 0 dead" in table
    finally:
        smtp.stop()
        hook.close()


def test_retries_then_delivered_and_dead_letter(fleet: dict[str, Any]) -> None:
    flaky, broken = Receiver([503, 503]), Receiver([500] * 10)
    try:
        rules = rules_file(
            fleet["tmp"] / "retry-rules.yaml",
            [
                f"{{name: flaky, kind: webhook, url: '{flaky.url}'}}",
                f"{{name: broken, kind: webhook, url: '{broken.url}'}}",
            ],
        )
        env = {**fleet["env"], "PUBWIFI_ALERTS": str(rules),
               "PUBWIFI_DATA_DIR": str(fleet["tmp"] / "var-retry")}  # fmt: skip
        done = run("alerts", "run", "--once", "--drain", "30", "--at", at(OUTAGE_END, -2), env=env)
        summary = json.loads(done.stdout)
        assert summary["opened"] == 1 and summary["delivered"] == 1 and summary["dead"] == 1
        assert flaky.attempts == 3 and [b["state"] for b in flaky.bodies] == ["firing"]
        assert broken.attempts == 3 and broken.bodies == []
        outbox = json.loads(run("alerts", "--json", env=env).stdout)["outbox"]
        assert outbox == {"flaky": {"delivered": 1}, "broken": {"dead": 1}}
    finally:
        flaky.close()
        broken.close()
