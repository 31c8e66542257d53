"""The Alerts pages (경보): firing site alerts before AP ones, resolved and taken-over alerts,
trap events with device strings kept as text, the AP page's alerts and events, who sees the
notification outbox, and the navigation's count."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from webfixture import HOSTILE, Web

from collector.alerts.store import AlertStore
from collector.events import Event, EventStore


@pytest.fixture(scope="module")
def alerted(web: Web) -> dict[str, object]:
    now = time.time()
    site = web.aps[0].site
    site_aps = [a.id for a in web.aps if a.site == site]
    other = next(a for a in web.aps if a.site != site)
    with AlertStore.in_data_dir(web.data_dir) as store:
        ap_alert = store.open_alert(
            "ap_down", "ap_down", "warning", "ap", site_aps[0], site_aps[:1],
            "AP down for 3 polls", now - 900,
        )  # fmt: skip
        site_alert = store.open_alert(
            "ap_down", "ap_down", "critical", "site", site.id, site_aps,
            f"all {len(site_aps)} APs of the site down", now - 600,
        )  # fmt: skip
        store.close_alert(ap_alert.id, now - 600, "subsumed", site_alert.id)
        old = store.open_alert(
            "reboot_loop", "reboot_loop", "warning", "ap", other.id, [other.id],
            "3 reboots in 1 h", now - 7200,
        )  # fmt: skip
        store.close_alert(old.id, now - 3600)
        store.enqueue(site_alert.id, "ops-webhook", "firing", {"id": site_alert.id}, now - 600)
    with EventStore.in_dir(web.data_dir) as events:
        events.record(
            [
                Event(other.id, now - 300, "cold_start", "trap"),
                Event(other.id, now - 200, "link_down", "trap", HOSTILE),
            ]
        )
    return {"site": site, "site_aps": site_aps, "other": other.id, "site_alert": site_alert.id,
            "ap_alert": ap_alert.id}  # fmt: skip


def english(web: Web, role: str) -> FlaskClient:
    client = web.client(role)
    client.get("/lang/en?next=/")
    return client


def test_alerts_need_a_login(web: Web, alerted: dict[str, object]) -> None:
    answer = web.client().get("/alerts")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_site_alert_is_one_line_first_and_the_ap_alert_it_took_over_is_resolved(
    web: Web, alerted: dict[str, object]
) -> None:
    page = english(web, "viewer").get("/alerts").get_data(as_text=True)
    firing = page[page.index("Firing") : page.index("Resolved")]
    assert firing.count("<tr>") == 2  # the header and the one site alert
    assert f"all {len(alerted['site_aps'])} APs of the site down" in firing  # type: ignore[arg-type]
    resolved = page[page.index("Resolved") : page.index("Events")]
    assert f"/alerts/{alerted['site_alert']}" in resolved  # the AP alert: taken over by it
    assert "3 reboots in 1 h" not in firing
    assert page.count('class="badge down">1</span>') == 1  # the navigation's firing count


def test_trap_details_are_text(web: Web, alerted: dict[str, object]) -> None:
    page = web.client("viewer").get("/alerts").get_data(as_text=True)
    assert HOSTILE not in page and str(escape(HOSTILE)) in page
    ap_page = english(web, "viewer").get(f"/aps/{alerted['other']}").get_data(as_text=True)
    assert HOSTILE not in ap_page and str(escape(HOSTILE)) in ap_page
    assert "link down" in ap_page.lower() or "link_down" in ap_page
    assert "/alerts/" in ap_page[ap_page.index('id="alerts"') :]


def test_an_ap_page_shows_its_site_alert(web: Web, alerted: dict[str, object]) -> None:
    site_aps: list[str] = alerted["site_aps"]  # type: ignore[assignment]
    page = web.client("viewer").get(f"/aps/{site_aps[-1]}").get_data(as_text=True)
    section = page[page.index('id="alerts"') :]
    assert f"/alerts/{alerted['site_alert']}" in section


def test_the_outbox_is_for_engineers(web: Web, alerted: dict[str, object]) -> None:
    path = f"/alerts/{alerted['site_alert']}"
    assert "ops-webhook" not in web.client("viewer").get(path).get_data(as_text=True)
    page = web.client("engineer").get(path).get_data(as_text=True)
    assert "ops-webhook" in page
    for ap in alerted["site_aps"]:  # type: ignore[attr-defined]
        assert ap in page
    assert f"/alerts/{alerted['ap_alert']}" in page  # the AP alert it took over
    assert web.client("viewer").get("/alerts/999999").status_code == 404


def test_json(web: Web, alerted: dict[str, object]) -> None:
    body = web.client("viewer").get("/alerts.json").get_json()
    assert [a["scope"] for a in body["firing"]] == ["site"]
    assert {a["resolution"] for a in body["resolved"]} == {"subsumed", "cleared"}
    assert [e["kind"] for e in body["events"]] == ["link_down", "cold_start"]
    assert body["events"][0]["detail"] == HOSTILE  # JSON carries the data as it came


def test_trap_details_name_the_standard_columns() -> None:
    from web.alert_pages import readable_detail

    detail = "1.3.6.1.2.1.2.2.1.1.2=2\n1.3.6.1.2.1.2.2.1.8.2=2\n1.3.6.1.2.1.2.2.1.2.2=eth0\nx=y"
    assert readable_detail(detail) == "ifIndex.2=2\nifOperStatus.2=down(2)\nifDescr.2=eth0\nx=y"
    assert readable_detail("1.3.6.1.2.1.2.2.1.10.2=5") == "1.3.6.1.2.1.2.2.1.10.2=5"  # not ifIndex
