"""The Rollout area (와이파이6 전환) in a real browser (Debian's chromium + chromedriver through
selenium), served by the real ``pubwifi web`` (waitress).

One module-scoped site: 3,000 generated APs with the 2025 programme (150 replacements, 90 new
APs: ``pubwifi inventory generate --program 2025``), a rollout store and a ledger copy seeded as
the collector leaves them (sightings of the planned models, day peaks and ledger days around
each install and over the last 30 days), evaluated at the real time: most APs of the programme
installed and verified, some regressed, some with a failed day, some drifting (one answers with
an XSS string as its model), the rest overdue. A viewer logs in, opens the area from the nav,
reads the totals (they are ``pubwifi rollout status --json``'s), the district x quarter table
and the map, the candidates, and clicks through to one AP's before/after charts (and from a map
dot). Screenshots of each step are in the module's tmp directory (``rollout-*.png``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsers import PASSWORD, click_and_wait, log_in, no_script_ran, run
from browsers import shot as save_shot
from procs import LAB_SECRETS, pubwifi, start, stop, wait_for_line
from servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.needs("chromium", "chromedriver")]

HOSTILE = '"><img src=x onerror="window.__pubwifi_xss=1"><script>window.__pubwifi_xss=2</script>'


def seed(data_dir: Path, inventory_path: Path, now: float) -> None:
    """What the collector would have recorded: per programme AP a fate (verified, one failed
    day, regressed, drift, overdue), its sightings, and its days around the install; every
    AP's last 30 days (the candidates' window)."""
    from collector.inventory.load import load_inventory
    from collector.ledger.mirror import LedgerMirror
    from collector.rollout.plan import Kind, plan_items
    from collector.rollout.quarters import DAY_S, kst_day
    from collector.rollout.store import DayObservation, RolloutStore, Sighting

    inventory = load_inventory(inventory_path)
    rng = random.Random(3)
    sightings: list[Sighting] = []
    peaks: list[DayObservation] = []
    days: dict[int, list[tuple[str, str, list[int]]]] = {}
    start_2025 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=9))).timestamp()
    drifted = False
    gains: dict[
        str, tuple[int, float]
    ] = {}  # installed AP -> (install day, traffic after / before)
    bad_days: set[tuple[str, int]] = set()

    def day_row(ap: Any, day: int, scale: float, up: int = 96, peak: int = 20) -> None:
        base = 1.5e9 + (zlib.crc32(ap.id.encode()) % 40) * 1e8
        jitter = 0.85 + (zlib.crc32(f"{ap.id}/{day}".encode()) % 300) / 1000
        rx, tx = int(base * 0.3 * scale * jitter), int(base * 0.7 * scale * jitter)
        sessions = int(300 * jitter * (1.2 if scale > 1 else 1.0))
        days.setdefault(day, []).append(
            (ap.id, ap.district.code, [rx, tx, sessions, 86_400, 96, up])
        )
        peaks.append(DayObservation(ap.id, day, peak, 0))

    for item in plan_items(inventory):
        ap, fate = item.ap, rng.random()
        if item.kind is Kind.REPLACEMENT:
            fate_name = (
                "verified"
                if fate < 0.55
                else "bad day"
                if fate < 0.63
                else "regressed"
                if fate < 0.70
                else "drift"
                if fate < 0.74
                else "overdue"
            )
        else:
            fate_name = "verified" if fate < 0.6 else "overdue"
        old_from = start_2025 - 400 * DAY_S
        if fate_name == "overdue":
            if ap.status.value != "planned":
                sightings.append(Sighting(ap.id, "snmp", ap.model, "1", old_from, now - 300))
            continue
        if fate_name == "drift":
            model = HOSTILE if not drifted else "RBcAP2n"
            drifted = True
            first = item.quarter.start + rng.randrange(60) * DAY_S
            sightings.append(Sighting(ap.id, "snmp", ap.model, "1", old_from, first - 600))
            sightings.append(Sighting(ap.id, "ssh", model, "9", first, now - 300))
            continue
        install = item.quarter.start + rng.randrange(80) * DAY_S + 10 * 3600
        if item.kind is Kind.REPLACEMENT:
            sightings.append(Sighting(ap.id, "snmp", ap.model, "1", old_from, install - 600))
        sightings.append(Sighting(ap.id, "snmp", item.model, "2", install, now - 300))
        gain = 0.45 if fate_name == "regressed" else rng.uniform(1.05, 1.7)
        gains[ap.id] = (kst_day(install), gain)
        if fate_name == "bad day":
            bad_days.add((ap.id, kst_day(install) + 3 * DAY_S))
    # the ledger holds every day of 2025 for the programme's APs (a new AP: from its install)
    first_day, last_day = kst_day(start_2025), kst_day(start_2025 + 395 * DAY_S)
    for item in plan_items(inventory):
        ap = item.ap
        install_day, gain = gains.get(ap.id, (None, 1.0))
        for day in range(first_day, last_day, DAY_S):
            after = install_day is not None and day > install_day
            if item.kind is Kind.NEW and not after:
                continue
            day_row(
                ap,
                day,
                gain if after else 1.0,
                up=90 if (ap.id, day) in bad_days else 96,
                peak=int((18 + zlib.crc32(ap.id.encode()) % 20) * (1.4 if after else 1.0)),
            )
    outside = [ap for ap in inventory if ap.replacement is None and ap.new_in is None][:2]
    for ap in outside:
        sightings.append(Sighting(ap.id, "ssh", "AP-635", "10", now - 20 * DAY_S, now - 300))
    today = kst_day(now)
    for k in range(1, 31):
        day = today - k * DAY_S
        for ap in inventory:
            if ap.status.value == "planned" or not ap.status.is_polled:
                continue
            r = random.Random(f"{ap.id}-{k}")
            days.setdefault(day, []).append(
                (
                    ap.id,
                    ap.district.code,
                    [
                        r.randrange(10**8, 4 * 10**9),
                        r.randrange(10**9, 9 * 10**9),
                        r.randrange(50, 900),
                        86_400,
                        96,
                        96 - (r.randrange(8) if r.random() < 0.1 else 0),
                    ],
                )
            )
            peaks.append(DayObservation(ap.id, day, r.randrange(3, 70), int(r.random() < 0.03)))
    mirror = LedgerMirror.in_dir(data_dir)
    for day, rows in sorted(days.items()):
        merged: dict[str, tuple[str, str, list[int]]] = {}
        for row in rows:
            merged.setdefault(row[0], row)
        mirror.put_day(day, list(merged.values()))
    mirror.close()
    store = RolloutStore.in_data_dir(data_dir)
    store.record(sightings, peaks)
    store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("webrollout")
    data_dir = tmp / "var"
    inventory = tmp / "fleet.yaml"
    web_port = free_port()
    env = {
        **os.environ,
        **LAB_SECRETS,
        "PUBWIFI_DATA_DIR": str(data_dir),
        "PUBWIFI_INVENTORY": str(inventory),
        "PUBWIFI_INFLUX_URL": f"http://127.0.0.1:{free_port()}",  # no InfluxDB: pages still work
        "PUBWIFI_METRICS_PORT": str(free_port()),
        "PUBWIFI_WEB_SECRET_KEY": "browser-test-key-" + "r" * 24,
    }
    run(
        pubwifi(
            "inventory", "generate", "--aps", "3000", "--seed", "7", "--program", "2025",
            "--replacements", "150", "--new-aps", "90", "-o", str(inventory),
        ),
        env,
    )  # fmt: skip
    seed(data_dir, inventory, time.time())
    status = json.loads(
        run(pubwifi("rollout", "status", "--json", "--inventory", str(inventory)), env)
    )
    run(pubwifi("web", "user", "add", "kim", "--role", "viewer"), env, PASSWORD + "\n")
    log = tmp / "web.log"
    web = start(
        pubwifi("web", "--inventory", str(inventory), "--port", str(web_port), "--refresh", "600"),
        env,
        log,
    )
    try:
        wait_for_line(log, "web: http", web, 60)
        yield {"base": f"http://127.0.0.1:{web_port}", "status": status, "shots": tmp}
    finally:
        stop(web)
    assert "Traceback" not in log.read_text()


def shot(driver: Any, folder: Path, name: str, full: bool = True) -> None:
    """A screenshot of the whole page: ``FOLDER/rollout-NAME.png``."""
    save_shot(driver, folder / f"rollout-{name}.png", full=full, max_height=5000)


def test_a_viewer_reads_the_programme_and_one_aps_before_and_after(
    browser: Any, site: dict[str, Any]
) -> None:
    from selenium.webdriver.common.by import By

    base, status, shots = site["base"], site["status"], site["shots"]
    log_in(browser, base, "kim")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "와이파이6 전환"), "/rollout")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("와이파이6 전환")

    # the totals are the CLI's, against the press release's target
    for kind, total in status["totals"].items():
        for state in ("planned_aps", "overdue", "installed", "verified", "regressed", "drift"):
            td = browser.find_element(
                By.CSS_SELECTOR, f'table.ro-totals td[data-kind="{kind}"][data-state="{state}"]'
            )
            assert td.text.replace(",", "") == str(total[state]), (kind, state)
    assert status["totals"]["replacement"]["target"] == 450
    kpi = browser.find_element(By.ID, "kpi-replacement")
    assert "/ 450" in kpi.text and kpi.get_attribute("data-target") == "450"
    assert browser.find_elements(By.CSS_SELECTOR, "#kpi-replacement .ro-bar .seg")

    # the district x quarter table: 25 districts, 4 quarters, the cells' sums are the plan's
    rows = browser.find_elements(By.CSS_SELECTOR, "table.ro-matrix tbody tr")
    assert (
        len(rows) == 25
        and "강남구" in browser.find_element(By.CSS_SELECTOR, "table.ro-matrix").text
    )
    heads = browser.find_elements(By.CSS_SELECTOR, "table.ro-matrix thead th")
    assert [h.text for h in heads[1:5]] == [f"2025년 {q}분기" for q in range(1, 5)]
    planned = sum(c["planned_aps"] for c in status["cells"])
    total = browser.find_element(By.CSS_SELECTOR, 'tfoot td[data-quarter="total"]')
    assert total.get_attribute("data-planned") == str(planned) == "240"

    # the map: a dot per site, coloured by state, with its legend
    dots = browser.find_elements(By.CSS_SELECTOR, "svg.map circle")
    assert len(dots) == len({a["site"] for a in status["aps"]}) > 100
    assert len({d.get_attribute("fill") for d in dots}) >= 4
    assert "불일치" in browser.find_element(By.CSS_SELECTOR, ".ro-map-legend").text
    shot(browser, shots, "1-progress")

    # a filter: one district's row and its APs
    code = status["aps"][0]["district"]
    browser.get(f"{base}/rollout?district={code}")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.ro-matrix tbody tr")) == 1
    listed = browser.find_elements(By.CSS_SELECTOR, "table.ro-aps tbody tr")
    assert len(listed) == min(50, sum(a["district"] == code for a in status["aps"]))
    shot(browser, shots, "2-district", full=False)

    # the candidates, and the weights behind their score
    browser.get(base + "/rollout")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "교체 후보"), "/rollout/candidates")
    candidates = browser.find_elements(By.CSS_SELECTOR, "table.ro-candidates tbody tr")
    assert len(candidates) == 20
    scores = [float(r.get_attribute("data-score")) for r in candidates]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert "가중" in browser.find_element(By.ID, "score-explanation").text
    shot(browser, shots, "3-candidates")

    # before / after: the installed APs, then one of them
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "전환 전후 비교"), "/installed")
    installed = browser.find_elements(By.CSS_SELECTOR, "table.ro-installed tbody tr")
    assert installed and installed[0].get_attribute("data-state") == "regressed"
    shot(browser, shots, "4-installed")
    verified = browser.find_element(
        By.CSS_SELECTOR, 'table.ro-installed tr[data-state="verified"][data-kind="replacement"] a'
    )
    ap_id = verified.text
    click_and_wait(browser, verified, f"/rollout/ap/{ap_id}")
    assert browser.find_element(By.CSS_SELECTOR, "h1 .badge").text == "검증"
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart.pairs")
    assert len(charts) >= 1 and charts[0].find_elements(By.TAG_NAME, "rect")
    figures = browser.find_element(By.CSS_SELECTOR, "#ap-figures table.ro-figures").text
    assert "이용량/일" in figures and "폴링 응답률" in figures and "GB" in figures
    shot(browser, shots, "5-ap")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "AP 상세 ›"), f"/aps/{ap_id}")
    assert ap_id in browser.find_element(By.TAG_NAME, "h1").text

    # a map dot opens its AP; English; no script of a device string ever ran
    browser.get(base + "/rollout")
    dot = browser.find_element(By.CSS_SELECTOR, "svg.map a")
    click_and_wait(browser, dot, "/rollout/ap/")
    browser.get(base + "/lang/en?next=/rollout")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Wi-Fi 6 rollout")
    shot(browser, shots, "6-progress-en", full=False)
    browser.get(base + "/rollout?quarter=2025Q1")
    drift = [a for a in status["aps"] if a["observed_model"] == HOSTILE]
    assert drift
    browser.get(f"{base}/rollout/ap/{drift[0]['ap_id']}")
    assert HOSTILE in browser.find_element(By.CSS_SELECTOR, "dd.device").text
    shot(browser, shots, "7-drift-en", full=False)
    no_script_ran(browser)
