"""The Provisioning pages: each role on each page, CSRF, submit, four-eyes approval, the buttons
by state (apply, halt, resume, rollback spawn or record what they should), the audit page."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from webfixture import HOSTILE, PASSWORD, Web, csrf_of, login

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provisioning"))

from provisioning_lab import config_text, device, facts_of

from collector.ssh.configrepo import ConfigRepo
from collector.ssh.factstore import FactStore
from collector.ssh.mask import MaskKey, mask_config
from provisioning import campaigns as cs
from provisioning.audit import AuditLog, VerifyResult
from provisioning.campaigns import CampaignStore, Snapshot
from web import provisioning_views as pv
from web.users import Role

CHANGE = "tx17-test.yaml"
WITH_FACTS = 20


@dataclass
class Site:
    web: Web
    inventory: Path
    ids: list[str]

    @property
    def data_dir(self) -> Path:
        return self.web.data_dir

    def client(self, role: str | None = None) -> FlaskClient:
        return self.web.client(role)

    def store(self) -> CampaignStore:
        return CampaignStore.open(self.data_dir)

    def audit(self) -> AuditLog:
        return AuditLog.in_data_dir(self.data_dir)


def seed_sweep(data_dir: Path, aps: list[Any]) -> None:
    """Facts and masked backups for ``aps``, as a sweep leaves them (confirmed just now)."""
    now = time.time()
    facts = FactStore.in_data_dir(data_dir)
    repo = ConfigRepo.open(data_dir / "configs")
    key = MaskKey(b"k" * 32)
    for ap in aps:
        state = device(ap.platform, ap.id)
        facts.record(ap.id, now - 60, facts_of(state), 1.0)
        repo.stage(ap.id, mask_config(ap.platform, config_text(state), key))
    facts.commit()
    facts.close()
    repo.commit(when=now - 120)
    repo.close()


def change_text(ids: list[str], name: str = "tx17-test", reason: str = "lower power") -> str:
    return (
        f"name: {name}\n"
        f'reason: "{reason} (NET-9)"\n'
        "intent: {kind: tx_power, band: 5GHz, dbm: 17}\n"
        f"select: {{ids: [{', '.join(ids)}]}}\n"
        "waves: {canary: 2, then: [50, 50]}\n"
        "error_budget: {max_failed_percent: 25}\n"
    )


@pytest.fixture(scope="module")
def site(web: Web) -> Iterator[Site]:
    seed_sweep(web.data_dir, web.aps[:WITH_FACTS])
    changes = web.data_dir / "changes"
    changes.mkdir()
    ids = [ap.id for ap in web.aps[:24]]
    (changes / CHANGE).write_text(change_text(ids), encoding="utf-8")
    hostile = HOSTILE.replace('"', "'")
    (changes / "hostile.yaml").write_text(
        change_text(ids[:3], name="hostile", reason=hostile), encoding="utf-8"
    )
    (changes / "broken.yaml").write_text(f"name: '{hostile}'\nreason: x\n", encoding="utf-8")
    (changes / "notes.txt").write_text("not a change file", encoding="utf-8")
    web.users.add("admin2", Role.ADMIN, PASSWORD)
    inventory = web.data_dir.parent / "inventory.yaml"
    web.app.config["PUBWIFI_INVENTORY_PATH"] = str(inventory)
    yield Site(web, inventory, ids)
    web.app.config.pop("PUBWIFI_INVENTORY_PATH", None)


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], Path, dict[str, str]]]:
    calls: list[tuple[list[str], Path, dict[str, str]]] = []

    def fake(argv: list[str], log: Path, env: dict[str, str]) -> int:
        calls.append((argv, log, env))
        return 4242

    monkeypatch.setattr(pv, "spawn_detached", fake)
    return calls


def page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def post(client: FlaskClient, path: str, form_page: str, **data: str) -> Any:
    token = csrf_of(page(client, form_page))
    return client.post(path, data={"csrf_token": token, **data})


def submit(site: Site, role: str = "engineer") -> str:
    client = site.client(role)
    html = page(client, f"/provisioning/changes/{CHANGE}")
    sha = html.split('name="sha256" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        f"/provisioning/changes/{CHANGE}/submit", data={"csrf_token": csrf_of(html), "sha256": sha}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"].rsplit("/", 1)[-1]


def act(site: Site, role: str, campaign_id: str, action: str, **data: str) -> Any:
    client = site.client(role)
    where = f"/provisioning/campaigns/{campaign_id}"
    return post(client, f"{where}/{action}", where, **data)


def approved(site: Site) -> str:
    campaign_id = submit(site)
    assert act(site, "admin", campaign_id, "approve").status_code == 303
    return campaign_id


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "engineer", "admin"])
def test_every_role_on_every_page(site: Site, role: str) -> None:
    campaign_id = submit(site)
    client = site.client(role)
    for route in (
        "/provisioning",
        f"/provisioning/changes/{CHANGE}",
        f"/provisioning/changes/{CHANGE}?flag=no_facts",
        f"/provisioning/changes/{CHANGE}?page=2",
        "/provisioning/changes/broken.yaml",
        f"/provisioning/campaigns/{campaign_id}",
        f"/provisioning/campaigns/{campaign_id}?state=pending",
        "/api/provisioning/campaigns",
        f"/api/provisioning/campaigns/{campaign_id}",
    ):
        answer = client.get(route)
        assert answer.status_code == 200, (role, route, answer.status_code)
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert client.get("/audit").status_code == (403 if role == "viewer" else 200)
    listing = page(client, "/provisioning")
    assert 'href="/provisioning"' in listing  # the nav link
    form = f'action="/provisioning/changes/{CHANGE}/submit"'
    assert (form in page(client, f"/provisioning/changes/{CHANGE}")) == (role != "viewer")


def test_nothing_without_a_login(site: Site) -> None:
    client = site.client()
    for route in ("/provisioning", f"/provisioning/changes/{CHANGE}", "/audit"):
        answer = client.get(route)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], route
    assert client.get("/api/provisioning/campaigns").status_code == 401
    assert client.post(f"/provisioning/changes/{CHANGE}/submit").status_code in (302, 400)


def test_the_listing_plans_each_change_file(site: Site) -> None:
    html = page(site.client("viewer"), "/provisioning")
    assert CHANGE in html and "hostile.yaml" in html and "broken.yaml" in html
    assert "notes.txt" not in html  # not a change file
    row = html.split(CHANGE, 2)[2].split("</tr>", 1)[0]
    assert "<strong>20</strong>" in row and ">24<" in row  # to change, selected
    assert "no_facts" in row or "사실" in row


def test_the_plan_shows_commands_and_a_colored_diff(site: Site) -> None:
    client = site.client("viewer")
    client.get("/lang/en")
    html = page(client, f"/provisioning/changes/{CHANGE}")
    assert "24 APs selected, 20 to change" in html
    assert "waves: 2 -&gt; 9 -&gt; 9 APs" in html
    assert '<span class="add">+' in html and '<span class="del">-' in html
    assert "set txpower" in html or "tx-power" in html or "txpower" in html
    assert "sha256" in html and 'name="sha256"' not in html  # no submit form for a viewer
    flagged = page(client, f"/provisioning/changes/{CHANGE}?flag=no_facts")
    assert flagged.count('class="applan') == 4


def test_device_and_file_strings_stay_text(site: Site) -> None:
    client = site.client("engineer")
    for route in ("/provisioning", "/provisioning/changes/hostile.yaml"):
        html = page(client, route)
        assert "<script>window" not in html and "<img src=x" not in html, route
        assert "&lt;script&gt;" in html, route
    broken = page(client, "/provisioning/changes/broken.yaml")
    assert "<script>window" not in broken and "broken.yaml:" in broken
    assert str(site.data_dir) not in broken  # problems name the file, not the server path


def test_only_listed_files_are_opened(site: Site) -> None:
    client = site.client("admin")
    for name in ("notes.txt", "..%2Fusers.sqlite", "missing.yaml", "%2Fetc%2Fpasswd"):
        assert client.get(f"/provisioning/changes/{name}").status_code == 404, name
    assert client.get("/provisioning/campaigns/nope").status_code == 404
    assert client.get("/api/provisioning/campaigns/nope").status_code == 404
    outside = site.data_dir / "outside.yaml"
    outside.write_text(change_text(site.ids[:2], name="outside"), encoding="utf-8")
    (site.data_dir / "changes" / "link.yaml").symlink_to(outside)
    assert client.get("/provisioning/changes/link.yaml").status_code == 404


# --- submit and approve --------------------------------------------------------------------------


def test_a_post_without_its_csrf_token_is_refused(site: Site) -> None:
    campaign_id = submit(site)
    client = site.client("admin")
    assert client.post(f"/provisioning/changes/{CHANGE}/submit").status_code == 400
    for action in ("approve", "apply", "halt", "resume", "rollback"):
        answer = client.post(f"/provisioning/campaigns/{campaign_id}/{action}")
        assert answer.status_code == 400, action
    assert site.store().get(campaign_id).state == cs.SUBMITTED


def test_submit_creates_a_submitted_campaign_and_audits_it(site: Site) -> None:
    before = len(site.store().list())
    campaign_id = submit(site)
    store = site.store()
    assert len(store.list()) == before + 1
    campaign = store.get(campaign_id)
    assert campaign.state == cs.SUBMITTED
    assert campaign.submitted_by == "web:engineer" and campaign.created_by == "web:engineer"
    assert len(campaign.ap_ids) == WITH_FACTS and [len(w) for w in campaign.waves] == [2, 9, 9]
    text = (site.data_dir / "changes" / CHANGE).read_bytes().decode("utf-8")
    assert campaign.change_text == text and campaign.change_sha256 == cs.sha256_text(text)
    actions = [(e.actor, e.action) for e in site.audit().entries(campaign=campaign_id)]
    assert actions == [("web:engineer", "plan"), ("web:engineer", "submit")]
    html = page(site.client("viewer"), f"/provisioning/campaigns/{campaign_id}")
    assert "badge pv-submitted" in html and campaign.change_sha256 in html
    listed = site.client("viewer").get("/api/provisioning/campaigns").get_json()["campaigns"]
    assert listed[0]["id"] == campaign_id  # newest first
    assert listed[0]["counts"] == {"pending": WITH_FACTS}


def test_a_viewer_may_not_submit_and_a_changed_file_is_not_submitted(site: Site) -> None:
    viewer = site.client("viewer")
    html = page(viewer, f"/provisioning/changes/{CHANGE}")
    answer = viewer.post(
        f"/provisioning/changes/{CHANGE}/submit", data={"csrf_token": csrf_of(html), "sha256": "x"}
    )
    assert answer.status_code == 403
    engineer = site.client("engineer")
    html = page(engineer, f"/provisioning/changes/{CHANGE}")
    before = len(site.store().list())
    answer = engineer.post(
        f"/provisioning/changes/{CHANGE}/submit",
        data={"csrf_token": csrf_of(html), "sha256": "0" * 64},  # not what is in the file now
    )
    assert answer.status_code == 303
    assert len(site.store().list()) == before
    assert "검토하세요" in page(engineer, f"/provisioning/changes/{CHANGE}")  # flashed


def test_approval_by_the_submitter_is_refused_and_by_another_admin_accepted(site: Site) -> None:
    campaign_id = submit(site, role="admin")
    admin = site.client("admin")
    admin.get("/lang/en")
    html = page(admin, f"/provisioning/campaigns/{campaign_id}")
    assert "You submitted this campaign" in html
    button = html.split('action="/provisioning/campaigns/' + campaign_id + '/approve"', 1)[1]
    assert "disabled" in button.split("</form>", 1)[0]
    answer = act(site, "admin", campaign_id, "approve")
    assert answer.status_code == 303
    assert site.store().get(campaign_id).state == cs.SUBMITTED
    assert act(site, "engineer", campaign_id, "approve").status_code == 403
    assert site.store().get(campaign_id).state == cs.SUBMITTED
    assert act(site, "admin2", campaign_id, "approve").status_code == 303
    campaign = site.store().get(campaign_id)
    assert campaign.state == cs.APPROVED and campaign.approved_by == "web:admin2"
    entries = [(e.actor, e.action, e.result) for e in site.audit().entries(campaign=campaign_id)]
    assert ("web:admin", "approve", "refused") in entries
    assert entries[-1] == ("web:admin2", "approve", "ok")
    html = page(site.client("engineer"), f"/provisioning/campaigns/{campaign_id}")
    assert "badge pv-approved" in html and f"/{campaign_id}/apply" in html
    viewer = page(site.client("viewer"), f"/provisioning/campaigns/{campaign_id}")
    assert f"/{campaign_id}/apply" not in viewer and "badge pv-approved" in viewer


# --- apply, halt, resume, rollback ---------------------------------------------------------------


def test_apply_spawns_a_detached_run(site: Site, spawned: list[Any]) -> None:
    campaign_id = approved(site)
    assert act(site, "viewer", campaign_id, "apply").status_code == 403
    assert not spawned
    assert act(site, "engineer", campaign_id, "apply").status_code == 303
    [(argv, log, env)] = spawned
    assert argv == [
        sys.executable,
        "-m",
        "collector.cli",
        "provision",
        "run",
        campaign_id,
        "--inventory",
        str(site.inventory.resolve()),
    ]
    assert log == site.data_dir / "provisioning" / "runs" / f"{campaign_id}.log"
    assert env["PUBWIFI_DATA_DIR"] == str(site.data_dir)
    last = site.audit().entries(campaign=campaign_id)[-1]
    assert (last.actor, last.action, last.result, last.detail) == (
        "web:engineer",
        "apply",
        "started",
        {"pid": 4242},
    )


def test_apply_is_refused_before_approval(site: Site, spawned: list[Any]) -> None:
    campaign_id = submit(site)
    assert act(site, "engineer", campaign_id, "apply").status_code == 303
    assert not spawned
    assert act(site, "engineer", campaign_id, "nonsense").status_code == 404


def test_halt_records_the_halt_and_resume_spawns(site: Site, spawned: list[Any]) -> None:
    campaign_id = approved(site)
    site.store().transition(campaign_id, cs.RUNNING)  # as the child does when it starts
    html = page(site.client("viewer"), f"/provisioning/campaigns/{campaign_id}")
    assert '<meta http-equiv="refresh" content="5">' in html
    assert site.client("viewer").get(f"/provisioning/campaigns/{campaign_id}").headers["Refresh"]
    assert act(site, "viewer", campaign_id, "halt").status_code == 403
    answer = act(site, "engineer", campaign_id, "halt", reason="radar <b>alarm</b>")
    assert answer.status_code == 303
    campaign = site.store().get(campaign_id)
    assert campaign.state == cs.HALTED and campaign.halted_reason == "radar <b>alarm</b>"
    last = site.audit().entries(campaign=campaign_id)[-1]
    assert (last.actor, last.action, last.detail) == (
        "web:engineer",
        "halt",
        {"reason": "radar <b>alarm</b>"},
    )
    html = page(site.client("engineer"), f"/provisioning/campaigns/{campaign_id}")
    assert "radar &lt;b&gt;alarm&lt;/b&gt;" in html and "http-equiv" not in html
    assert f"/{campaign_id}/resume" in html and f"/{campaign_id}/rollback" not in html
    assert act(site, "engineer", campaign_id, "resume").status_code == 303
    assert spawned[-1][0][4:6] == ["resume", campaign_id]
    assert site.audit().entries(campaign=campaign_id)[-1].action == "resume"


def test_rollback_is_an_admins_and_needs_changed_aps(site: Site, spawned: list[Any]) -> None:
    campaign_id = approved(site)
    store = site.store()
    store.transition(campaign_id, cs.RUNNING)
    first = store.get(campaign_id).waves[0][0]
    store.advance(campaign_id, first, cs.SNAPSHOTTED, snapshot=Snapshot("cfg", {}))
    store.halt(campaign_id, "a test halt")
    assert f"/{campaign_id}/rollback" not in page(
        site.client("engineer"), f"/provisioning/campaigns/{campaign_id}"
    )
    assert act(site, "engineer", campaign_id, "rollback").status_code == 403
    html = page(site.client("admin"), f"/provisioning/campaigns/{campaign_id}")
    assert f"/{campaign_id}/rollback" in html
    assert act(site, "admin", campaign_id, "rollback").status_code == 303
    assert spawned[-1][0][4:6] == ["rollback", campaign_id]
    last = site.audit().entries(campaign=campaign_id)[-1]
    assert (last.actor, last.action, last.result) == ("web:admin", "rollback", "started")


def test_a_live_runner_blocks_a_second_run(site: Site, spawned: list[Any]) -> None:
    campaign_id = approved(site)
    store = site.store()
    store.transition(campaign_id, cs.RUNNING)
    import os
    import socket

    assert store.acquire_runner(campaign_id, os.getpid(), socket.gethostname())
    html = page(site.client("engineer"), f"/provisioning/campaigns/{campaign_id}")
    assert f"/{campaign_id}/resume" not in html and f"pid {os.getpid()}" in html
    assert act(site, "engineer", campaign_id, "resume").status_code == 303
    assert not spawned
    detail = site.client("viewer").get(f"/api/provisioning/campaigns/{campaign_id}").get_json()
    assert detail["runner"]["live"] is True and detail["state"] == "running"
    assert len(detail["tasks"]) == WITH_FACTS
    store.release_runner(campaign_id, os.getpid(), socket.gethostname())


def test_the_real_spawn_detaches_and_logs(tmp_path: Path) -> None:
    log = tmp_path / "runs" / "x.log"
    pid = pv.spawn_detached([sys.executable, "-c", "import os; print(os.getsid(0))"], log, {})
    deadline = time.monotonic() + 10
    while pv.spawned_live(pid):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert log.read_text().strip() == str(pid)  # its own session
    assert log.stat().st_mode & 0o777 == 0o600


def test_the_inventory_comes_from_the_web_command_line(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(site.web.app.config, "PUBWIFI_INVENTORY_PATH")
    monkeypatch.setattr(sys, "argv", ["pubwifi", "web", "--inventory", "fleet.yaml"])
    with site.web.app.test_request_context():
        assert pv.inventory_path() == Path("fleet.yaml").resolve()
    monkeypatch.setattr(sys, "argv", ["pubwifi", "web", "--inventory=/x/y.yaml"])
    with site.web.app.test_request_context():
        assert pv.inventory_path() == Path("/x/y.yaml")


# --- the audit page ------------------------------------------------------------------------------


def test_the_audit_page_shows_the_chain_status_and_filters(site: Site) -> None:
    campaign_id = submit(site)
    client = site.client("engineer")
    client.get("/lang/en")
    html = page(client, "/audit")
    count = len(site.audit().entries())
    assert f"Chain intact: {count} entries verified." in html
    assert html.index(campaign_id) < html.index("web:engineer</td><td>plan")  # newest first
    only = page(client, f"/audit?campaign={campaign_id}")
    assert only.count('<tr><td class="num">') == 2
    assert "No entry." in page(client, "/audit?since=2099-01-01")
    assert "YYYY-MM-DD" in page(client, "/audit?since=yesterday")
    assert "No entry." in page(client, "/audit?ap=AP-NOPE")


def test_the_audit_page_shows_a_broken_chain(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = VerifyResult(False, 3, 4, "entry 4 was modified: its hash does not match", 4)
    monkeypatch.setattr(AuditLog, "verify", lambda self: broken)
    client = site.client("admin")
    client.get("/lang/en")
    html = page(client, "/audit")
    assert "Chain broken at entry 4 (line 4): entry 4 was modified" in html
    assert "3 entries before it check out." in html


def test_korean_labels(site: Site) -> None:
    client = site.client("engineer")
    login(client, "engineer")
    client.get("/lang/ko")
    html = page(client, "/provisioning")
    assert "설정 배포" in html and "캠페인" in html
    assert "감사 기록" in page(client, "/audit")
