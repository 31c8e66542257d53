"""Each role on each route, CSRF, escaping, throttling, and the figures the pages show."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from webfixture import HOSTILE, NOW, PASSWORD, Web, csrf_of, login

from collector.savings.compute import kst_midnight, savings
from web.cli import first_admin
from web.users import UserStore

READ_ROUTES = [
    "/",
    "/districts",
    "/districts?sort=availability",
    "/districts/11680",
    "/savings",
    "/reports",
    "/search?q=gangnam",
    "/map.svg",
    "/password",
    "/api/overview",
    "/api/districts",
    "/api/districts/11680",
    "/api/savings",
    "/api/reports",
    "/api/search?q=AP",
]


def ap_routes(web: Web) -> list[str]:
    return [
        f"/aps/{web.aps[0].id}",
        f"/aps/{web.aps[0].id}?view=hour",
        f"/aps/{web.aps[0].id}?view=month",
        f"/api/aps/{web.aps[0].id}",
    ]


@pytest.mark.parametrize("role", ["viewer", "engineer", "admin"])
def test_every_role_reads_every_page(web: Web, role: str) -> None:
    client = web.client(role)
    for route in [*READ_ROUTES, *ap_routes(web)]:
        answer = client.get(route)
        assert answer.status_code == 200, (role, route, answer.status_code)
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    users = client.get("/users")
    assert users.status_code == (200 if role == "admin" else 403)


def test_nothing_without_a_login(web: Web) -> None:
    client = web.client()
    for route in [*READ_ROUTES, *ap_routes(web), "/users"]:
        answer = client.get(route)
        if route.startswith("/api/"):
            assert answer.status_code == 401, route
        else:
            assert answer.status_code == 302 and "/login" in answer.headers["Location"], route
    assert client.get("/healthz").get_json() == {"ok": True, "snapshot": True}


def test_a_post_without_its_csrf_token_is_refused(web: Web) -> None:
    client = web.client("admin")
    assert client.post("/reports", data={"month": "2026-10"}).status_code == 400
    assert (
        client.post(
            "/users", data={"name": "eve", "role": "admin", "password": "x" * 12}
        ).status_code
        == 400
    )
    assert web.users.get("eve") is None
    assert client.post("/logout").status_code == 400


def test_a_viewer_may_not_produce_a_report_and_an_engineer_may(web: Web) -> None:
    viewer = web.client("viewer")
    token = csrf_of(viewer.get("/reports").get_data(as_text=True))
    refused = viewer.post("/reports", data={"month": "2026-10", "csrf_token": token})
    assert refused.status_code == 403
    engineer = web.client("engineer")
    page = engineer.get("/reports").get_data(as_text=True)
    made = engineer.post(
        "/reports", data={"month": "2026-10", "lang": "ko", "csrf_token": csrf_of(page)}
    )
    assert made.status_code == 303
    listing = engineer.get("/api/reports").get_json()["reports"]
    mine = [r for r in listing if r["month"] == "2026-10"]
    assert mine and "engineer" in mine[0]["reason"]
    names = {f["name"] for f in mine[0]["files"]}
    assert {"report-2026-10.pdf", "report-2026-10.xlsx", "manifest.json"} <= names
    pdf = engineer.get(f"/reports/2026-10/r{mine[0]['revision']}/report-2026-10.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert engineer.get("/reports/2026-10/r1/..%2Fmanifest.json").status_code == 404
    assert engineer.get("/reports/2026-10/r1/inventory.yaml").status_code == 404


def test_device_strings_are_text(web: Web) -> None:
    page = web.client("viewer").get(f"/aps/{web.aps[0].id}").get_data(as_text=True)
    assert HOSTILE not in page and "<script>window.__pubwifi_xss" not in page
    assert "&lt;script&gt;window.__pubwifi_xss=2&lt;/script&gt;" in page
    assert "AP-515 &lt;b&gt;" in page
    api = web.client("viewer").get(f"/api/aps/{web.aps[0].id}").get_json()
    assert api["reported"]["sys_name"] == HOSTILE  # data, unchanged


def test_failed_logins_are_throttled(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    codes = [
        client.post(
            "/login", data={"name": "viewer", "password": "wrong" * 3, "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    right = client.post(
        "/login", data={"name": "viewer", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429  # even the right password waits
    web.app.extensions["pubwifi"].throttle.succeeded("viewer", "127.0.0.1")


def test_the_session_cookie_is_httponly_and_lax(web: Web) -> None:
    client = web.client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login", data={"name": "admin", "password": PASSWORD, "csrf_token": token}
    )
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_overview_figures_are_the_ledgers(web: Web) -> None:
    data = web.client("viewer").get("/api/overview").get_json()
    start = kst_midnight(web.refresher.snapshot().districts["11680"].days[0][0].replace(day=1))
    end = data["ledger_end"]
    table = savings(
        web.app.extensions["pubwifi"].query,
        start,
        end,
        web.app.extensions["pubwifi"].book,
        by="district",
        inventory=web.aps,
        mirror=web.app.extensions["pubwifi"].mirror,
    )
    month = data["city"]["month"]
    assert (month["bytes"], month["sessions"], month["krw"]) == (
        table.total.total_bytes,
        table.total.sessions,
        table.total.krw,
    )
    assert sum(d["bytes"] for d in data["city"]["days"]) == month["bytes"]
    states = data["city"]["aps_by_state"]
    assert states == {"up": len(web.aps) - 1, "down": 1, "unknown": 0}
    assert data["collector"]["last_cycle"] == NOW - 30


def test_districts_sort_and_search(web: Web) -> None:
    client = web.client("viewer")
    rows = client.get("/api/districts?sort=usage").get_json()["districts"]
    assert len(rows) == 25
    used = [r["month"]["bytes"] for r in rows]
    assert used == sorted(used, reverse=True)
    ap = web.aps[3]
    for text in (ap.id.lower(), ap.site.name, ap.district.name_ko, str(ap.address)):
        found = client.get("/api/search", query_string={"q": text}).get_json()
        assert ap.id in {a["ap"] for a in found["aps"]}, text
    go = client.get("/search", query_string={"q": ap.id, "go": "1"})
    assert go.status_code == 302 and go.headers["Location"].endswith(f"/aps/{ap.id}")


def test_korean_by_default_and_english_on_request(web: Web) -> None:
    client = web.client("viewer")
    korean = client.get("/").get_data(as_text=True)
    assert '<html lang="ko">' in korean and "개요" in korean and "억 원" in korean
    client.get("/lang/en?next=/")
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Overview" in english and "KRW" in english


def test_the_first_admin_has_a_private_one_time_password(tmp_path: Path) -> None:
    path = first_admin(tmp_path)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    password = path.read_text(encoding="utf-8").strip()
    store = UserStore.in_dir(tmp_path)
    user = store.verify("admin", password)
    assert user is not None and user.must_change
    assert store.verify("admin", password + "x") is None
    assert first_admin(tmp_path) == path  # still one-time: not made again
    store.set_password("admin", "a new password of mine")
    assert first_admin(tmp_path) is None


def test_a_one_time_password_must_be_changed_first(web: Web) -> None:
    web.users.add("newbie", web.users.get("viewer").role, PASSWORD, must_change=True)  # type: ignore[union-attr]
    client = web.client()
    login(client, "newbie")
    assert client.get("/").headers["Location"].endswith("/password")
    token = csrf_of(client.get("/password").get_data(as_text=True))
    changed = client.post(
        "/password",
        data={
            "old": PASSWORD,
            "new": "my own password 1",
            "again": "my own password 1",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200
