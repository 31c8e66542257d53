"""The Rollout pages (와이파이6 전환): who may read them, that their counts are
``rollout_status``'s, filters and bad filters, the before/after and candidate figures, and that
device strings stay text.

One module-scoped app over 66 generated APs with a 2025 plan (12 replacements, 6 new APs),
evaluated on 2025-08-20 12:00 KST, with sightings and day peaks in the rollout store and
ledger days from 2025-03-01 in the ledger copy, so that every state occurs: verified,
installed (too recent, and with a failed day), regressed, drift (with a hostile model name, and
once outside the programme), overdue, due and planned.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webfixture import PASSWORD, Ledger, login

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory
from collector.ledger.mirror import LedgerMirror
from collector.profiles import load_profiles
from collector.rollout import candidates as cand
from collector.rollout.candidates import candidates
from collector.rollout.plan import plan_items
from collector.rollout.quarters import DAY_S, KST, kst_day
from collector.rollout.status import COUNTED, RolloutStatus, rollout_status, standards_of
from collector.rollout.store import DayObservation, RolloutStore, Sighting
from collector.savings.tariff import load_tariffs
from web import rollout_views as rv
from web.app import create_app
from web.snapshot import Health, Refresher
from web.users import Role, UserStore

HOSTILE_MODEL = "<script>alert(1)</script>"


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=KST).timestamp()


NOW = at("2025-08-20T12:00")
FIRST_DAY = at("2025-03-01T00:00")
#: what the first replacements and new APs of the plan do (the others follow their quarter)
REPLACED = (
    ("verified", "2025-03-20T10:00", "good"),
    ("regressed", "2025-05-10T10:00", "worse"),  # traffic 40 % after
    ("verified", "2025-07-05T10:00", "good"),
    ("installed", "2025-06-01T10:00", "bad day"),  # one day at 93.75 % of polls answered
    ("installed", "2025-08-15T10:00", "good"),  # 4 of the 7 days so far
    ("drift", "2025-08-01T09:15", "hostile"),  # answers with a hostile model name
)
NEW = (("verified", "2025-03-15T10:00", "silent"), ("verified", "2025-08-01T10:00", "good"))
BY_QUARTER = {1: "overdue", 2: "overdue", 3: "due", 4: "planned"}  # on 2025-08-20


@dataclass
class Site:
    app: Flask
    inventory: Inventory
    data_dir: Path
    fates: dict[str, str]  # AP -> the state the seed gives it
    installs: dict[str, tuple[str, str]]  # AP -> (when, how)
    outside: str  # an AP outside the programme that drifts

    def client(self, role: str | None = "viewer") -> FlaskClient:
        client = self.app.test_client()
        if role is not None:
            login(client, role)
        return client

    def status(self, **filters: str) -> RolloutStatus:
        store = RolloutStore.existing(self.data_dir)
        mirror = LedgerMirror.existing(self.data_dir)
        assert store is not None and mirror is not None
        try:
            return rollout_status(self.inventory, store, mirror, load_profiles(), NOW, **filters)
        finally:
            store.close()
            mirror.close()

    def first(self, state: str, kind: str = "replacement") -> str:
        items = {i.ap.id: i for i in plan_items(self.inventory)}
        return next(a for a, f in self.fates.items() if f == state and items[a].kind.value == kind)

    @property
    def regressed(self) -> str:
        return self.first("regressed")

    @property
    def drift(self) -> str:
        return self.first("drift")


def fates_of(inventory: Inventory) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Per planned AP the state the seed gives it, and the installs (and the drift)."""
    fates: dict[str, str] = {}
    installs: dict[str, tuple[str, str]] = {}
    items = plan_items(inventory)
    for kind, scripted in (("replacement", REPLACED), ("new", NEW)):
        mine = [i for i in items if i.kind.value == kind]
        assert len(mine) > len(scripted) + 2
        for item, (state, when, how) in zip(mine, scripted, strict=False):
            fates[item.ap.id] = state
            installs[item.ap.id] = (when, how)
        for item in mine[len(scripted) :]:
            fates[item.ap.id] = BY_QUARTER[item.quarter.number]
    return fates, installs


def seed(inventory: Inventory, data_dir: Path, installs: dict[str, tuple[str, str]]) -> str:
    """Sightings, day peaks and ledger days for the fates of :func:`fates_of`."""
    items = {i.ap.id: i for i in plan_items(inventory)}
    sightings: list[Sighting] = []
    for ap in inventory:
        if ap.status.value == "planned":
            continue  # a new AP answers only once installed
        when, _ = installs.get(ap.id, ("", ""))
        until = at(when) - 900 if when else NOW - 600
        sightings.append(Sighting(ap.id, "snmp", ap.model, "1.0", at("2025-01-01T00:00"), until))
    for ap_id, (when, how) in installs.items():
        item = items[ap_id]
        model = {"silent": "", "hostile": HOSTILE_MODEL}.get(how, item.model)
        source = "ssh" if how == "hostile" else "snmp"
        sightings.append(Sighting(ap_id, source, model, "2.0", at(when), NOW - 600))
    outside = next(ap.id for ap in inventory if ap.id not in items and ap.status.value == "active")
    sightings.append(Sighting(outside, "ssh", "RBcAP2n", "6.49", at("2025-07-01T00:00"), NOW))
    peaks: list[DayObservation] = []
    mirror = LedgerMirror.in_dir(data_dir)
    day = kst_day(FIRST_DAY)
    while day < kst_day(NOW):
        rows = []
        for index, ap in enumerate(inventory):
            when, how = installs.get(ap.id, ("", ""))
            after = how not in ("", "hostile") and day > kst_day(at(when))
            if ap.status.value == "planned" and not after:
                continue
            rx, tx = 10**9 + index * 10**8, 4 * 10**9 + index * 3 * 10**8
            polls, up = 96, 96
            if after and how == "worse":
                rx, tx = int(rx * 0.4), int(tx * 0.4)
            if after and how == "bad day" and day == kst_day(at(when)) + 3 * DAY_S:
                up = 90
            if index % 7 == 3 and ap.id not in installs:
                up = 93  # a flaky legacy AP: a candidate's failures term
            rows.append((ap.id, ap.district.code, [rx, tx, 200 + index, 86_400, polls, up]))
            boots = 1 if index % 11 == 5 and day % (5 * DAY_S) == 0 else 0
            peaks.append(DayObservation(ap.id, day, 12 + index % 40 + (8 if after else 0), boots))
        mirror.put_day(day, rows)
        day += DAY_S
    mirror.close()
    store = RolloutStore.in_data_dir(data_dir)
    store.record(sightings, peaks)
    store.close()
    return outside


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("rollout")
    path = tmp / "inventory.yaml"
    options = GenerateOptions(aps=60, program=2025, replacements=12, new_aps=6, seed=11)
    path.write_text(generate(options), encoding="utf-8")
    inventory = load_inventory(path)
    data_dir = tmp / "var"
    fates, installs = fates_of(inventory)
    outside = seed(inventory, data_dir, installs)
    users = UserStore.in_dir(data_dir)
    for role in Role:
        users.add(role.label, role, PASSWORD)
    app = create_app(
        secret_key="test-only-key-" + "r" * 20,
        inventory=inventory.aps,
        query=Ledger(),
        book=load_tariffs(),
        mirror=LedgerMirror.existing(data_dir),
        refresher=Refresher(lambda: None, lambda: Health(NOW, True, NOW - 30, 0, {})),  # type: ignore[arg-type,return-value]
        users=users,
        data_dir=data_dir,
        testing=True,
    )
    app.extensions["pubwifi.rollout"] = rv.RolloutCache(clock=lambda: NOW)
    yield Site(app, inventory, data_dir, fates, installs, outside)


@pytest.fixture(scope="module")
def viewer(site: Site) -> FlaskClient:
    """One logged-in viewer for the pages read in Korean (logging in hashes a password)."""
    return site.client("viewer")


def text(answer: object) -> str:
    return answer.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def cell(page: str, **attrs: str) -> str:
    """The text of the (first) element carrying ``data-<name>="<value>"`` for every attr."""
    marks = "".join(f'(?=[^>]*data-{k}="{re.escape(v)}")' for k, v in attrs.items())
    found = re.search(rf"<t[dh]{marks}[^>]*>(.*?)</t[dh]>", page, re.S)
    assert found, attrs
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


PAGES = (
    "/rollout",
    "/rollout/installed",
    "/rollout/candidates",
    "/rollout/ap/{regressed}",
    "/rollout/site/{regressed_site}",
    "/rollout/status.json",
    "/rollout/candidates.json",
)


def url(site: Site, path: str) -> str:
    ap = site.inventory.ap(site.regressed)
    return path.format(regressed=ap.id, regressed_site=ap.site.id)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_the_login(site: Site, path: str) -> None:
    answer = site.client(None).get(url(site, path))
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize("role", [r.label for r in Role])
@pytest.mark.parametrize("path", PAGES)
def test_every_role_reads_every_page(site: Site, role: str, path: str) -> None:
    answer = site.client(role).get(url(site, path))
    assert answer.status_code == 200, text(answer)[:800]


def test_the_nav_links_the_area_in_korean_and_english(site: Site) -> None:
    client = site.client()
    page = text(client.get("/rollout/"))
    assert '<a href="/rollout/" class="on">와이파이6 전환</a>' in page
    client.get("/lang/en")
    page = text(client.get("/rollout/candidates"))
    assert '<a href="/rollout/" class="on">Rollout</a>' in page and "Programme progress" in page


def test_the_fixture_has_every_state(site: Site) -> None:
    status = site.status()
    assert {r.ap_id: r.state.value for r in status.rows if r.kind} == site.fates
    for kind in ("replacement", "new"):
        states = status.totals[kind].states
        assert all(states[s] for s in ("verified", "overdue", "due", "planned")), (kind, states)
    assert all(status.totals["replacement"].states[s] for s in ("installed", "regressed", "drift"))
    assert status.drift_outside == 1
    assert status.targets == {"replacement": 450, "new": 280}


def test_the_totals_are_rollout_status(site: Site, viewer: FlaskClient) -> None:
    status = site.status()
    page = text(viewer.get("/rollout"))
    for kind, total in status.totals.items():
        assert cell(page, kind=kind, state="planned_aps") == str(total.planned)
        for state in COUNTED:
            assert cell(page, kind=kind, state=state.value) == str(total.states[state.value])
    done = sum(t.done for t in status.totals.values())
    assert re.search(
        rf'id="kpi-total" data-done="{done}" data-planned="18" data-target="730"', page
    )
    assert re.search(
        r'id="kpi-replacement" data-done="5" data-planned="12" data-target="450"', page
    )
    assert 'id="drift-outside">1<' in page
    # the inventory plans fewer than the press release's figure: the page says so
    assert "인벤토리 계획은 12대, 목표는 450대입니다." in page


def test_the_district_quarter_table_is_the_cells(site: Site, viewer: FlaskClient) -> None:
    status = site.status()
    page = text(viewer.get("/rollout"))
    rows = re.findall(r'<tr data-district="(\d+)">', page)
    assert len(rows) == 25 and "11680" in rows
    assert "강남구" in page and "Gangnam-gu" in page  # Korean and English names
    for (district, quarter), c in status.cells.items():
        row = page[page.index(f'<tr data-district="{district}">') :]
        row = row[: row.index("</tr>")]
        found = re.search(rf'data-quarter="{quarter}" data-planned="(\d+)" data-done="(\d+)"', row)
        assert found and (int(found[1]), int(found[2])) == (c.planned, c.done), (district, quarter)
    footer = page[page.index('<tr data-district="total">') :]
    planned = sum(c.planned for c in status.cells.values())
    assert f'data-quarter="total" data-planned="{planned}"' in footer
    assert 'class="ro-cell ro-t-bad"' in page  # the regressed and drifting cells
    assert "ro-t-late" in page and "ro-t-planned" in page and "ro-t-due" in page


def test_the_map_colours_every_site_by_its_most_urgent_state(
    site: Site, viewer: FlaskClient
) -> None:
    status = site.status()
    page = text(viewer.get("/rollout"))
    start = page.index('<svg class="map"')
    svg = page[start : page.index("</svg>", start)]
    dots = re.findall(r'<a href="/rollout/ap/([^"]+)"><circle [^>]*fill="(#[0-9a-f]{6})"', svg)
    sites = {r.site: [m for m in status.rows if m.site == r.site] for r in status.rows}
    assert len(dots) == len(sites)
    rank = {s: i for i, s in enumerate(rv.SEVERITY)}
    by_ap = {r.ap_id: r for r in status.rows}
    for ap_id, colour in dots:
        urgent = min((m.state.value for m in sites[by_ap[ap_id].site]), key=rank.__getitem__)
        assert colour == rv.COLOURS[urgent], ap_id
    assert dict(dots)[site.drift] == rv.COLOURS["drift"]
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_filters_narrow_every_figure(site: Site, viewer: FlaskClient) -> None:
    client = viewer
    drift = site.inventory.ap(site.drift)
    code = drift.district.code
    page = text(client.get(f"/rollout?district={code}"))
    assert re.findall(r'<tr data-district="(\d+)">', page) == [code]
    status = site.status(district=code)
    assert cell(page, kind="total", state="planned_aps") == str(
        sum(t.planned for t in status.totals.values())
    )
    planned_here = [i.ap.id for i in plan_items(site.inventory) if i.ap.district.code == code]
    assert {r.ap_id for r in status.rows if r.kind} == set(planned_here)
    assert re.findall(r'<tr data-ap="([^"]+)"', page) == [r.ap_id for r in status.rows]
    elsewhere = next(a for a in site.fates if site.inventory.ap(a).district.code != code)
    assert elsewhere not in page
    quarter = drift.replacement.quarter if drift.replacement else ""
    page = text(client.get(f"/rollout?quarter={quarter.lower()}"))  # any case
    heads = re.findall(r'<td class="ro-cell[^"]*" data-quarter="([^"]+)"', page)
    assert set(heads) == {quarter, "total"}
    status = site.status(quarter=quarter)
    for state in COUNTED:
        n = status.totals["replacement"].states[state.value]
        assert cell(page, kind="replacement", state=state.value) == str(n)
    assert cell(page, kind="replacement", state="drift") == "1"
    both = text(client.get(f"/rollout?district={code}&quarter={quarter}"))
    expected = [
        i.ap.id
        for i in plan_items(site.inventory)
        if i.ap.district.code == code and i.quarter.label == quarter
    ]
    assert re.findall(r'<tr data-ap="([^"]+)"', both) == expected


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("district=99999", "not a Seoul district code"),
        ("district=%3Cb%3E", "not a Seoul district code"),
        ("quarter=2025Q5", "not a quarter like 2025Q3"),
        ("quarter=next", "not a quarter like 2025Q3"),
    ],
)
@pytest.mark.parametrize("path", ["/rollout", "/rollout/installed", "/rollout/candidates"])
def test_a_bad_filter_is_a_clear_400(
    site: Site, viewer: FlaskClient, path: str, query: str, why: str
) -> None:
    answer = viewer.get(f"{path}?{query}")
    page = text(answer)
    assert answer.status_code == 400 and why in html.unescape(page)
    assert 'id="filter-error"' in page and "<b>" not in page
    answer = viewer.get(f"/rollout/status.json?{query}")
    assert answer.status_code == 400 and why in answer.get_json()["error"]


def test_device_strings_are_text(site: Site, viewer: FlaskClient) -> None:
    client = viewer
    quarter = site.inventory.ap(site.drift).replacement
    assert quarter is not None
    for path in ("/rollout", f"/rollout?quarter={quarter.quarter}", f"/rollout/ap/{site.drift}"):
        page = text(client.get(path))
        assert HOSTILE_MODEL not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    assert "<script" not in text(client.get(f"/rollout/ap/{site.drift}"))
    data = client.get("/rollout/status.json").get_json()
    assert HOSTILE_MODEL in {a["observed_model"] for a in data["aps"]}  # JSON keeps it as data


def test_the_json_is_status_as_dict(site: Site, viewer: FlaskClient) -> None:
    code = site.inventory.ap(site.regressed).district.code
    answer = viewer.get(f"/rollout/status.json?district={code}")
    assert answer.mimetype == "application/json"
    assert answer.get_json() == json.loads(json.dumps(site.status(district=code).as_dict()))


def test_the_installed_page_lists_each_installed_ap_with_its_figures(
    site: Site, viewer: FlaskClient
) -> None:
    status = site.status()
    installed = [r for r in status.rows if r.installed_at is not None and r.kind is not None]
    assert len(installed) == 7
    page = text(viewer.get("/rollout/installed"))
    listed = re.findall(r'<tr data-ap="([^"]+)" data-state="([^"]+)" data-kind="\w+">', page)
    assert sorted(listed) == sorted((r.ap_id, r.state.value) for r in installed)
    assert listed[0] == (site.regressed, "regressed")  # the most urgent first
    assert 'id="installed-count">7<' in page
    assert re.findall(r'<tr data-site="([^"]+)">', page) == sorted(status.sites)
    page = text(viewer.get("/rollout/installed?sort=traffic"))
    assert re.findall(r'<tr data-ap="([^"]+)"', page)[0] == site.regressed
    assert "-60%" in page  # its traffic per day after, against before


def test_the_ap_page_compares_before_and_after(site: Site, viewer: FlaskClient) -> None:
    row = next(r for r in site.status().rows if r.ap_id == site.regressed)
    assert row.before is not None and row.after is not None
    page = text(viewer.get(f"/rollout/ap/{site.regressed}"))
    assert 'class="badge ro-regressed"' in page and f'href="/aps/{site.regressed}"' in page
    section = page[page.index('id="ap-figures"') : page.index('id="site-figures"')]
    assert section.count("<svg") == 1 and "<rect" in section
    assert '<tr data-metric="traffic"><th scope="row">이용량/일</th>' in section
    table = re.search(r'<tr data-metric="traffic">(.*?)</tr>', section, re.S)
    assert table
    values = [
        re.sub(r"<[^>]+>", "", v).strip()
        for v in re.findall(r"<td[^>]*>(.*?)</td>", table[1], re.S)
    ]
    before, after = row.before.traffic_per_day, row.after.traffic_per_day
    assert values == [f"{before / 1e9:,.2f} GB", f"{after / 1e9:,.2f} GB", "-60%"]
    assert row.note and html.escape(row.note) in page
    new = text(viewer.get(f"/rollout/ap/{site.first('verified', 'new')}"))
    assert "신규 AP에는 “이전”이 없습니다" in new  # a new AP: after only
    assert 'class="badge ro-verified"' in new


def test_the_ap_page_of_an_ap_outside_the_programme(site: Site, viewer: FlaskClient) -> None:
    client = viewer
    assert client.get(f"/rollout/ap/{site.outside}").status_code == 200  # it drifts
    plain = next(a.id for a in site.inventory if a.id != site.outside and a.id not in site.fates)
    answer = client.get(f"/rollout/ap/{plain}")
    assert answer.status_code == 404 and "사업에 포함되지 않은" in text(answer)
    assert client.get("/rollout/ap/AP-NOPE").status_code == 404
    assert client.get("/rollout/site/S-NOPE").status_code == 404


def test_the_candidates_show_every_figure_behind_the_score(site: Site) -> None:
    store = RolloutStore.existing(site.data_dir)
    mirror = LedgerMirror.existing(site.data_dir)
    ranked = candidates(site.inventory, store, mirror, standards_of(load_profiles()), NOW)
    assert store is not None and mirror is not None
    store.close()
    mirror.close()
    assert len(ranked) == 20
    client = site.client()
    client.get("/lang/en")
    page = text(client.get("/rollout/candidates"))
    rows = re.findall(r'<tr data-ap="([^"]+)" data-score="([^"]+)" data-points="([^"]+)">', page)
    assert [r[0] for r in rows] == [c.ap_id for c in ranked]
    for (_, score, points), c in zip(rows, ranked, strict=True):
        assert float(score) == c.score
        assert points == f"{sum(c.points.values()):.2f}"  # the candidate's own points are shown
        assert abs(float(points) - c.score) < 0.06  # the bar's terms add up to the score
    first = page[page.index(f'data-ap="{ranked[0].ap_id}"') :]
    first = first[: first.index("</tr>")]
    assert f"{ranked[0].reboots}</td>" in first and ranked[0].model in first
    title = re.search(r'class="ro-score" title="([^"]+)"', first)
    assert title is not None  # each term's points, in the order of the weights
    shown = [float(v) for v in re.findall(r" (\d+\.\d)(?: ·|$)", html.unescape(title[1]))]
    assert shown == [round(ranked[0].points[t], 1) for t in cand.WEIGHTS]
    explanation = page[page.index('id="score-explanation"') :][:1800]
    assert f"last {cand.WINDOW_DAYS} whole KST days" in explanation
    assert "Wi-Fi 4 150 Mbit/s, Wi-Fi 5 400 Mbit/s" in explanation
    weights = re.findall(r'<tr data-term="(\w+)"><td>.*?</td><td class="num">(\d+)</td>', page)
    assert dict(weights) == {k: str(round(100 * v)) for k, v in cand.WEIGHTS.items()}
    district = text(client.get("/rollout/candidates?district=11680"))
    assert set(re.findall(r'<tr data-ap="AP-(\d+)-', district)) <= {"11680"}


def test_the_computation_is_cached_for_a_minute(site: Site) -> None:
    cache = rv.RolloutCache(clock=lambda: NOW)
    aps = site.inventory.aps
    first = cache.status(aps, None, site.data_dir, rv.Filters())
    assert cache.status(aps, None, site.data_dir, rv.Filters()) is first
    assert cache.status(aps, None, site.data_dir, rv.Filters("11680")) is not first
    later = rv.RolloutCache(clock=iter([NOW, NOW + 61]).__next__)
    one = later.status(aps, None, site.data_dir, rv.Filters())
    assert later.status(aps, None, site.data_dir, rv.Filters()) is not one
