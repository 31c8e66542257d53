"""A web app over a small fleet whose ledger is in a fake InfluxQL and a real local copy."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "collector"))

from fake_influxql import FakeInfluxQL
from flask import Flask
from flask.testing import FlaskClient

from collector.influx.query import Series
from collector.influx.schema import AP_USAGE_DAILY, AP_USAGE_HOURLY, ap_tags
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.ledger.mirror import LedgerMirror
from collector.ledger.stored import FIELDS
from collector.savings.compute import kst_midnight
from collector.savings.tariff import load_tariffs
from web.app import create_app
from web.snapshot import Health, Refresher, build_snapshot
from web.users import Role, UserStore

PASSWORD = "correct horse battery"
HOSTILE = '"><img src=x onerror="window.__pubwifi_xss=1"><script>window.__pubwifi_xss=2</script>'
TODAY = dt.date(2026, 11, 20)
NOW = kst_midnight(TODAY) + 10 * 3600 + 120  # 10:02 KST


class Ledger(FakeInfluxQL):  # type: ignore[misc]
    """The fake, plus one AP's device strings (what the fake's grammar lacks answers empty)."""

    sys_name = HOSTILE

    def series(self, query: str, *, method: str = "GET") -> list[Series]:
        if '"ap_info"' in query:
            return [
                Series(
                    "ap_info",
                    {},
                    ["time", "model", "firmware", "sys_name"],
                    [[NOW - 60, "AP-515 <b>", "8.10", self.sys_name]],
                )
            ]
        if '"radio_poll"' in query or '"ap_poll"' in query:
            return []
        try:
            return list(super().series(query, method=method))
        except AssertionError:
            if "ap_usage" in query and '"ap" =' in query:  # one AP's points: not aggregated
                return []
            raise


@dataclass
class Web:
    app: Flask
    aps: list[AccessPoint]
    users: UserStore
    refresher: Refresher
    data_dir: Path

    def client(self, role: str | None = None) -> FlaskClient:
        client = self.app.test_client()
        if role is not None:
            login(client, role)
        return client


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    answer = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]


def csrf_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def fill(aps: list[AccessPoint], mirror: LedgerMirror, db: FakeInfluxQL, ledger_dir: Path) -> None:
    rng = random.Random(5)
    day = dt.date(2026, 10, 1)
    while day <= TODAY:
        start = kst_midnight(day)
        hours_today = 10 if day == TODAY else 24
        rows, lines = [], []
        for ap in aps:
            hours = [
                [
                    rng.randrange(10**8),
                    rng.randrange(10**9),
                    rng.randrange(40),
                    3600,
                    12,
                    0 if ap is aps[1] and h == hours_today - 1 else 12,
                ]
                for h in range(hours_today)
            ]
            prefix = AP_USAGE_HOURLY.prefix(ap_tags(ap))
            lines += [
                AP_USAGE_HOURLY.line(prefix, dict(zip(FIELDS, v, strict=True)), start + 3600 * h)
                for h, v in enumerate(hours)
            ]
            if day < TODAY:
                values = [sum(h[i] for h in hours) for i in range(len(FIELDS))]
                rows.append((ap.id, ap.district.code, values))
                lines.append(
                    AP_USAGE_DAILY.line(
                        AP_USAGE_DAILY.prefix(ap_tags(ap)),
                        dict(zip(FIELDS, values, strict=True)),
                        start,
                    )
                )
        if day < TODAY:
            mirror.put_day(start, rows)
        db.write(lines)
        day += dt.timedelta(days=1)
    ledger_dir.mkdir(parents=True, exist_ok=True)
    (ledger_dir / "rollup.json").write_text(
        json.dumps({"last_hour": kst_midnight(TODAY) + 9 * 3600}), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    tmp = tmp_path_factory.mktemp("web")
    path = tmp / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=30)), encoding="utf-8")
    aps = list(load_inventory(path).aps)
    data_dir = tmp / "var"
    mirror = LedgerMirror.in_dir(data_dir)
    db = Ledger()
    fill(aps, mirror, db, data_dir / "ledger")
    book = load_tariffs()
    refresher = Refresher(
        lambda: build_snapshot(
            db, book, aps, ledger_dir=data_dir / "ledger", mirror=mirror, now=NOW
        ),
        lambda: Health(NOW, True, NOW - 30, 0, {"up": 29, "down": 1}),
    )
    refresher.refresh_now()
    users = UserStore.in_dir(data_dir)
    for role in Role:
        users.add(role.label, role, PASSWORD)
    app = create_app(
        secret_key="test-only-key-" + "x" * 20,
        inventory=aps,
        query=db,
        book=book,
        mirror=mirror,
        refresher=refresher,
        users=users,
        data_dir=data_dir,
        testing=True,
    )
    yield Web(app, aps, users, refresher, data_dir)
