"""The Provisioning pages in a real browser (Debian's chromium + chromedriver through selenium),
served by the real ``pubwifi web`` (waitress).

One module-scoped site: 40 generated APs (``pubwifi inventory generate``), SSH facts and masked
config backups for 30 of them as a sweep leaves them, a change file in ``DATA_DIR/changes`` and
two users made with ``pubwifi web user add``: the engineer ``eng`` and the admin ``boss``. The
engineer opens the change, reads the plan and submits it; the admin approves it; the campaign
shows ``approved`` and an Apply button. Applying needs the lab: it is tested elsewhere.
Screenshots of each step: ``var/test-artifacts/web/provisioning-*.png``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsers import ARTIFACTS, PASSWORD, click_and_wait, log_in, no_script_ran, run
from browsers import shot as save_shot
from procs import LAB_SECRETS, pubwifi, start, stop, wait_for_line
from servers import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "provisioning"))

pytestmark = [pytest.mark.integration, pytest.mark.needs("chromium", "chromedriver")]

CHANGE = """\
# Lower the 5 GHz power of every active AP (a browser test's change file).
name: tx17-fleet
reason: "Lower 5 GHz power to reduce co-channel interference (ticket NET-4242)"
intent:
  kind: tx_power
  band: 5GHz
  dbm: 17
select:
  status: [active]
waves: {canary: 2, then: [50, 50]}
error_budget: {max_failed_percent: 25, halt_on_verify_failure: true}
verify: {within_s: 60, snmp: true, cli: true}
"""


def seed_sweep(data_dir: Path, inventory: Path, count: int) -> None:
    """Facts and masked backups for the first ``count`` APs, as ``pubwifi ssh sweep`` leaves
    them (lab devices' states, confirmed a minute ago)."""
    from provisioning_lab import config_text, device, facts_of

    from collector.inventory.load import load_inventory
    from collector.ssh.configrepo import ConfigRepo
    from collector.ssh.factstore import FactStore
    from collector.ssh.mask import MaskKey, mask_config

    now = time.time()
    facts = FactStore.in_data_dir(data_dir)
    repo = ConfigRepo.open(data_dir / "configs")
    key = MaskKey(b"b" * 32)
    for ap in list(load_inventory(inventory))[:count]:
        state = device(ap.platform, ap.id)
        facts.record(ap.id, now - 60, facts_of(state), 1.0)
        repo.stage(ap.id, mask_config(ap.platform, config_text(state), key))
    facts.commit()
    facts.close()
    repo.commit(when=now - 120)
    repo.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("webprov")
    data_dir = tmp / "var"
    inventory = tmp / "fleet.yaml"
    web_port = free_port()
    env = {
        **os.environ,
        **LAB_SECRETS,
        "PUBWIFI_DATA_DIR": str(data_dir),
        "PUBWIFI_INFLUX_URL": f"http://127.0.0.1:{free_port()}",  # no InfluxDB: pages still work
        "PUBWIFI_METRICS_PORT": str(free_port()),
        "PUBWIFI_WEB_SECRET_KEY": "browser-test-key-" + "p" * 24,
    }
    run(pubwifi("inventory", "generate", "--aps", "40", "--seed", "7", "-o", str(inventory)), env)
    seed_sweep(data_dir, inventory, 30)
    (data_dir / "changes").mkdir(parents=True)
    (data_dir / "changes" / "tx17-fleet.yaml").write_text(CHANGE, encoding="utf-8")
    run(pubwifi("web", "user", "add", "eng", "--role", "engineer"), env, PASSWORD + "\n")
    run(pubwifi("web", "user", "add", "boss", "--role", "admin"), env, PASSWORD + "\n")
    log = tmp / "web.log"
    web = start(
        pubwifi("web", "--inventory", str(inventory), "--port", str(web_port), "--refresh", "600"),
        env,
        log,
    )
    try:
        wait_for_line(log, "web: http", web, 60)
        yield {"base": f"http://127.0.0.1:{web_port}", "data_dir": data_dir, "log": log}
    finally:
        stop(web)
    assert "Traceback" not in log.read_text()


def shot(driver: Any, name: str, full: bool = True) -> None:
    """A screenshot of the whole page: ``var/test-artifacts/web/provisioning-NAME.png``."""
    save_shot(driver, ARTIFACTS / f"provisioning-{name}.png", full=full, max_height=4000)


def test_engineer_submits_and_another_admin_approves(browser: Any, site: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    base = site["base"]
    log_in(browser, base, "eng")
    browser.find_element(By.LINK_TEXT, "설정 배포").click()  # the nav link (Korean by default)
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("설정 배포")
    row = browser.find_element(By.CSS_SELECTOR, "table.data tbody tr")
    assert "tx17-fleet.yaml" in row.text and "NET-4242" in row.text
    shot(browser, "1-index")

    row.find_element(By.LINK_TEXT, "tx17-fleet.yaml").click()
    assert "/provisioning/changes/tx17-fleet.yaml" in browser.current_url
    summary = browser.find_element(By.CSS_SELECTOR, "pre.config").text
    assert "to change" in summary and "waves: 2 ->" in summary
    counted = re.search(r"(\d+) APs selected, (\d+) to change", summary)
    assert counted, summary
    selected, to_change = int(counted[1]), int(counted[2])
    assert 0 < to_change <= 30 < selected
    first = browser.find_elements(By.CSS_SELECTOR, "details.applan:not(.skip)")[0]
    first.find_element(By.TAG_NAME, "summary").click()  # open one AP: commands and diff
    assert first.find_elements(By.CSS_SELECTOR, "pre.diff span.add")
    assert first.find_elements(By.CSS_SELECTOR, "pre.diff span.del")
    shot(browser, "2-plan")

    click_and_wait(browser, "form.stack button.primary", "/provisioning/campaigns/tx17-fleet-")
    campaign_url = browser.current_url
    assert (
        browser.find_element(By.CSS_SELECTOR, "h1 .badge")
        .get_attribute("class")
        .endswith("pv-submitted")
    )
    assert "web:eng" in browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert not browser.find_elements(By.CSS_SELECTOR, "form.action")  # an engineer: no approve
    shot(browser, "3-submitted")

    log_in(browser, base, "boss")
    browser.get(campaign_url)
    approve = browser.find_element(By.CSS_SELECTOR, "form.action button")
    assert approve.get_attribute("value") == "approve" and approve.is_enabled()
    click_and_wait(browser, "form.action button", campaign_url)
    assert browser.current_url == campaign_url
    badge = browser.find_element(By.CSS_SELECTOR, "h1 .badge")
    assert badge.get_attribute("class").endswith("pv-approved") and badge.text == "승인됨"
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "web:eng" in facts and "web:boss" in facts
    apply = browser.find_element(By.CSS_SELECTOR, "form.action button")
    assert apply.get_attribute("value") == "apply" and apply.is_enabled()
    assert apply.text == "적용"
    shot(browser, "4-approved")

    browser.find_element(By.LINK_TEXT, "English").click()
    shot(browser, "5-approved-en", full=False)
    browser.get(base + "/audit")
    verified = browser.find_element(By.CSS_SELECTOR, "p.flash").text
    assert verified.startswith("✔ Chain intact: 3 entries verified.")
    cells = browser.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(4)")
    assert [td.text for td in cells] == ["approve", "submit", "plan"]  # newest first
    shot(browser, "6-audit")
    browser.get(base + "/provisioning")
    assert "tx17-fleet-" in browser.find_elements(By.CSS_SELECTOR, "table.data")[1].text
    shot(browser, "8-index-with-campaign", full=False)
    no_script_ran(browser)


def test_the_submitter_cannot_approve_their_own_campaign(
    browser: Any, site: dict[str, Any]
) -> None:
    from selenium.webdriver.common.by import By

    base = site["base"]
    log_in(browser, base, "boss")
    browser.get(base + "/lang/en?next=/provisioning/changes/tx17-fleet.yaml")
    click_and_wait(browser, "form.stack button.primary", "/provisioning/campaigns/tx17-fleet-")
    approve = browser.find_element(By.CSS_SELECTOR, "form.action button")
    assert approve.get_attribute("value") == "approve" and not approve.is_enabled()
    why = browser.find_element(By.CSS_SELECTOR, "form.action .why").text
    assert "You submitted this campaign" in why
    shot(browser, "7-own-approval-refused", full=False)
