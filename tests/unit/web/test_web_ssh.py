"""The AP page's SSH facts and configuration history; the config page is for engineers."""

from __future__ import annotations

import dataclasses
import time

import pytest
from webfixture import HOSTILE, Web

from collector.ssh.configrepo import ConfigRepo
from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts
from collector.ssh.factstore import FactStore


@pytest.fixture(scope="module")
def swept(web: Web) -> tuple[str, list[str]]:
    """Two sweeps of AP 0: facts, then a config changed by hand between them."""
    ap = web.aps[0]
    store = FactStore.in_data_dir(web.data_dir)
    facts = ApFacts(
        hostname=HOSTILE,
        model="C9120AXI",
        serial="FCW2233L0AB",
        firmware="17.9.5.47",
        uptime_s=3 * 86400,
        radios=(RadioFacts("Dot11Radio1", "5GHz", 36, 20.0, True, 7),),
        ssids=(SsidFacts(HOSTILE, 5, 100), SsidFacts("Seoul_Secure", 2, 101)),
    )
    store.record(ap.id, time.time() - 120, dataclasses.replace(facts, firmware="17.9.4.27"), 1.0)
    store.record(ap.id, time.time() - 60, facts, 1.2)
    store.commit()
    store.close()
    repo = ConfigRepo.open(web.data_dir / "configs")
    commits = []
    for channel, source in ((36, "sweep"), (149, "provision:ch149-20261207T010000")):
        repo.stage(ap.id, f"hostname ap\n{HOSTILE}\ninterface Dot11Radio1\n channel {channel}\n")
        commit = repo.commit(when=time.time() - 100 + channel / 10, source=source)
        assert commit is not None
        commits.append(commit)
    repo.close()
    return ap.id, commits


def test_the_ap_page_shows_ssh_facts_and_history_as_text(
    web: Web, swept: tuple[str, list[str]]
) -> None:
    ap_id, commits = swept
    page = web.client("viewer").get(f"/aps/{ap_id}").get_data(as_text=True)
    assert "FCW2233L0AB" in page and "17.9.5.47" in page
    assert HOSTILE not in page and "&lt;script&gt;window.__pubwifi_xss=2&lt;/script&gt;" in page
    assert commits[0][:10] in page and commits[1][:10] in page
    assert f"/aps/{ap_id}/config?commit=" not in page  # a viewer sees the list, not the texts
    assert "17.9.4.27</span> → <span" in page  # the firmware change is listed ...
    assert "model: <span" not in page  # ... the first sight of each value is not
    assert "/provisioning/campaigns/ch149-20261207T010000" in page  # who pushed that version


def test_the_config_page_is_for_engineers_and_shows_the_diff(
    web: Web, swept: tuple[str, list[str]]
) -> None:
    ap_id, commits = swept
    assert web.client("viewer").get(f"/aps/{ap_id}/config").status_code == 403
    engineer = web.client("engineer")
    page = engineer.get(f"/aps/{ap_id}").get_data(as_text=True)
    assert f"/aps/{ap_id}/config?commit={commits[1]}" in page
    newest = engineer.get(f"/aps/{ap_id}/config").get_data(as_text=True)
    assert '<span class="add">+ channel 149</span>' in newest
    assert '<span class="del">- channel 36</span>' in newest
    assert HOSTILE not in newest
    first = engineer.get(f"/aps/{ap_id}/config?commit={commits[0]}").get_data(as_text=True)
    assert "channel 36" in first and "+ channel 149" not in first
    assert engineer.get(f"/aps/{ap_id}/config?commit=../../etc").status_code == 400
    assert engineer.get(f"/aps/{ap_id}/config?commit={'0' * 40}").status_code == 404
    assert engineer.get(f"/aps/{web.aps[1].id}/config").status_code == 404  # none backed up
