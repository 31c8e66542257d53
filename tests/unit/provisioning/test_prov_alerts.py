"""A campaign keeps the alert engine quiet about its own work: each wave's APs are suppressed and
their config changes expected while the wave runs, and the suppression is lifted when the run
ends. The waves are a fake (no SSH): what is checked is the Applier's wiring to the AlertStore.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from collector.alerts.store import AlertStore
from collector.inventory.model import Inventory
from collector.ssh.sweep import ApCollector
from provisioning import campaigns as cs
from provisioning.apply import ALERT_MARGIN_S, SESSION_S, Applier, WaveReport, expected_wave_s
from provisioning.audit import AuditLog
from provisioning.campaigns import CampaignStore
from provisioning.change import Change, load_change

EXAMPLE = Path(__file__).resolve().parents[3] / "provisioning" / "examples" / "tx14-jongno.yaml"
WAVES = [["AP-1", "AP-2"], ["AP-3", "AP-4", "AP-5"]]


@dataclass
class Seen:
    """What the alert store said while a wave ran."""

    suppressed: dict[str, str]
    expected: dict[str, str | None]
    until: float


@dataclass
class FakeWaves(Applier):
    """Each wave 'skips' its APs (no SSH) and looks at the alert store meanwhile."""

    seen: list[Seen] = field(default_factory=list)
    fail_in_wave: int | None = None

    def _wave(self, campaign_id: str, change: Change, index: int, ap_ids: list[str]) -> WaveReport:
        now = time.time()
        with AlertStore.in_data_dir(self.data_dir) as alerts:
            until = alerts._read("SELECT max(until) FROM suppressions")[0][0]
            self.seen.append(
                Seen(
                    alerts.suppressed(now),
                    {ap: alerts.change_expected(ap, now + 1) for ap in ("AP-1", "AP-3")},
                    float(until),
                )
            )
        if index == self.fail_in_wave:
            raise RuntimeError("the wave blew up")
        for ap_id in ap_ids:
            self.store.advance(campaign_id, ap_id, cs.SKIPPED)
        return WaveReport(index, len(ap_ids), skipped=len(ap_ids))


def approved(store: CampaignStore) -> str:
    campaign = store.create(
        change_name="tx14-jongno",
        change_path=EXAMPLE,
        change_text=EXAMPLE.read_text(encoding="utf-8"),
        reason="test",
        created_by="os:alice",
        waves=WAVES,
        plan={},
    )
    store.submit(campaign.id, "os:alice")
    store.approve(campaign.id, "os:bob")
    return campaign.id


def applier(tmp_path: Path, **kwargs: Any) -> FakeWaves:
    store = CampaignStore.open(tmp_path)
    return FakeWaves(
        inventory=cast(Inventory, None),
        data_dir=tmp_path,
        store=store,
        audit=AuditLog.in_data_dir(tmp_path),
        collector=cast(ApCollector, None),
        actor="os:carol",
        concurrency=2,
        **kwargs,
    )


def test_each_wave_is_suppressed_and_expected_then_lifted(tmp_path: Path) -> None:
    run = applier(tmp_path)
    campaign = approved(run.store)
    change = load_change(EXAMPLE)
    started = time.time()
    report = run.run(campaign, change)
    assert report.state == cs.COMPLETED
    first, second = run.seen
    reason = f"campaign {campaign}"
    assert first.suppressed == {"AP-1": reason, "AP-2": reason}  # only the wave running
    assert first.expected == {"AP-1": campaign, "AP-3": None}
    assert second.suppressed == {ap: reason for ap in WAVES[1]}  # wave 1's APs alert again
    assert second.expected["AP-3"] == campaign
    # wave 2: 3 APs at concurrency 2 = 2 batches of (session + verify) x 2, plus the margin
    budget = 2 * 2 * (SESSION_S + change.verify.within_s) + ALERT_MARGIN_S
    assert expected_wave_s(3, 2, change.verify.within_s) == 2 * 2 * (SESSION_S + 60)
    assert started + budget <= second.until <= time.time() + budget
    with AlertStore.in_data_dir(tmp_path) as alerts:
        assert alerts.suppressed(time.time()) == {}  # lifted at the end, not left to expire
        assert alerts.change_expected("AP-3", second.until - 1) == campaign  # history kept


def test_a_run_that_raises_lifts_its_suppression_too(tmp_path: Path) -> None:
    run = applier(tmp_path, fail_in_wave=0)
    campaign = approved(run.store)
    with pytest.raises(RuntimeError, match="blew up"):
        run.run(campaign, load_change(EXAMPLE))
    assert set(run.seen[0].suppressed) == {"AP-1", "AP-2"}
    with AlertStore.in_data_dir(tmp_path) as alerts:
        assert alerts.suppressed(time.time()) == {}


def test_lift_ends_only_that_campaigns_suppressions(tmp_path: Path) -> None:
    now = time.time()
    with AlertStore.in_data_dir(tmp_path) as alerts:
        alerts.suppress(["AP-1", "AP-2"], now + 3600, reason="campaign a", start=now - 10)
        alerts.suppress(["AP-3"], now + 3600, reason="campaign b", start=now - 10)
        assert alerts.lift("campaign a", now) == 2
        assert alerts.suppressed(now) == {"AP-3": "campaign b"}
        assert alerts.suppressed(now - 5) == {
            "AP-1": "campaign a",
            "AP-2": "campaign a",
            "AP-3": "campaign b",
        }  # what was in force before the lift is still on record
        assert alerts.lift("campaign a", now) == 0
