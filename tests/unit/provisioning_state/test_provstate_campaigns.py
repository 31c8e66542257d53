"""The campaign store: creation, both state machines, four eyes, queries, permissions."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from _provstate_helpers import (
    APPROVER,
    CHANGE_TEXT,
    SUBMITTER,
    approved,
    move,
    new_campaign,
    running,
    snapshot_of,
    task_path,
)

from collector.errors import InputError
from provisioning.campaigns import (
    CAMPAIGN_MOVES,
    CAMPAIGN_STATES,
    TASK_MOVES,
    TASK_STATES,
    CampaignStore,
    Snapshot,
    TaskError,
)

NOON_KST = 1733547600  # 2024-12-07T14:00:00+09:00


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CampaignStore]:
    with CampaignStore.open(tmp_path) as opened:
        yield opened


def test_created_campaign_keeps_what_was_reviewed(tmp_path: Path) -> None:
    with CampaignStore.open(tmp_path, clock=lambda: NOON_KST) as store:
        first = new_campaign(store)
        second = new_campaign(store)
    assert first.id == "ssid-rename-20241207T140000"
    assert second.id == "ssid-rename-20241207T140000-2"
    assert first.state == "planned"
    assert first.change_text == CHANGE_TEXT
    assert first.change_sha256 == hashlib.sha256(CHANGE_TEXT.encode()).hexdigest()
    assert first.change_path == "changes/ssid-rename.yaml"
    assert first.waves == (("ap-1",), ("ap-2", "ap-3"))
    assert first.current_wave == 0
    assert first.plan == {"renderer": "ssid", "aps": {"ap-1": ["ssid Seoul_Free_WiFi"]}}
    assert first.created_by == SUBMITTER and first.created_at == NOON_KST


def test_store_files_are_private(tmp_path: Path) -> None:
    CampaignStore.open(tmp_path).close()
    directory = tmp_path / "provisioning"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "campaigns.sqlite").stat().st_mode) == 0o600
    with CampaignStore.open(tmp_path) as store:
        journal = store._db.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = store._db.execute("PRAGMA synchronous").fetchone()[0]
    assert journal == "wal" and synchronous == 2  # FULL


def test_a_campaign_is_seen_by_another_connection(tmp_path: Path, store: CampaignStore) -> None:
    campaign = running(store)
    move(store, campaign.id, "ap-1", "snapshotted")
    with CampaignStore.open(tmp_path) as other:
        assert other.get(campaign.id).state == "running"
        assert other.task(campaign.id, "ap-1").state == "snapshotted"


@pytest.mark.parametrize(
    ("waves", "message"),
    [
        ([], "at least one wave"),
        ([["ap-1"], []], "wave 1 has no AP"),
        ([["ap-1"], ["ap-2", "ap-1"]], "more than one wave"),
        ([[""]], "non-empty"),
    ],
)
def test_bad_waves_are_refused(store: CampaignStore, waves: list[list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        new_campaign(store, waves)
    assert store.list() == []


def test_a_bad_change_name_is_an_input_error(store: CampaignStore) -> None:
    with pytest.raises(InputError, match=r"changes/x y\.yaml:0: change name 'x y'"):
        store.create(
            change_name="x y",
            change_path="changes/x y.yaml",
            change_text="",
            reason="",
            created_by=SUBMITTER,
            waves=[["ap-1"]],
            plan={},
        )


# --- four eyes -------------------------------------------------------------------------------


def test_approver_must_not_be_the_submitter(store: CampaignStore) -> None:
    campaign = new_campaign(store)
    store.submit(campaign.id, SUBMITTER)
    with pytest.raises(PermissionError, match="submitted this campaign and cannot approve"):
        store.approve(campaign.id, SUBMITTER)
    with pytest.raises(PermissionError):  # one person through the web UI
        store.approve(campaign.id, "web:Alice")
    assert store.get(campaign.id).state == "submitted"
    done = store.approve(campaign.id, APPROVER)
    assert done.state == "approved"
    assert done.submitted_by == SUBMITTER and done.approved_by == APPROVER
    assert done.submitted_at is not None and done.approved_at is not None


def test_approval_needs_a_submitted_campaign(store: CampaignStore) -> None:
    campaign = new_campaign(store)
    with pytest.raises(ValueError, match="cannot move from 'planned' to 'approved'"):
        store.approve(campaign.id, APPROVER)
    with pytest.raises(ValueError, match="use submit"):
        store.transition(campaign.id, "approved")


def test_withdrawn_campaign_forgets_its_submitter(store: CampaignStore) -> None:
    campaign = new_campaign(store)
    store.submit(campaign.id, SUBMITTER)
    back = store.transition(campaign.id, "planned")
    assert back.state == "planned" and back.submitted_by is None


# --- the campaign state machine --------------------------------------------------------------

_ROUTES: dict[str, list[str]] = {
    "planned": [],
    "submitted": ["submitted"],
    "approved": ["submitted", "approved"],
    "running": ["submitted", "approved", "running"],
    "halted": ["submitted", "approved", "running", "halted"],
    "failed": ["submitted", "approved", "running", "failed"],
    "completed": ["submitted", "approved", "running", "completed"],
    "rolling_back": ["submitted", "approved", "running", "rolling_back"],
    "rolled_back": ["submitted", "approved", "running", "rolling_back", "rolled_back"],
}


def _campaign_to(store: CampaignStore, to: str, campaign_id: str) -> None:
    if to == "submitted":
        store.submit(campaign_id, SUBMITTER)
    elif to == "approved":
        store.approve(campaign_id, APPROVER)
    else:
        store.transition(campaign_id, to, reason="test")
    if to == "running" and store.task(campaign_id, "ap-1").state == "pending":
        store.advance(campaign_id, "ap-1", "skipped")  # settled: may complete or roll back


@pytest.mark.parametrize("source", sorted(CAMPAIGN_STATES))
def test_every_campaign_move(store: CampaignStore, source: str) -> None:
    for target in sorted(CAMPAIGN_STATES):
        campaign = new_campaign(store, [["ap-1"]])
        for step in _ROUTES[source]:
            _campaign_to(store, step, campaign.id)
        assert store.get(campaign.id).state == source
        if target in CAMPAIGN_MOVES[source]:
            _campaign_to(store, target, campaign.id)
            assert store.get(campaign.id).state == target
        else:
            with pytest.raises(ValueError, match=r"cannot move|use submit"):
                _campaign_to(store, target, campaign.id)
            assert store.get(campaign.id).state == source


def test_halt_keeps_its_reason_until_resumed(store: CampaignStore) -> None:
    campaign = running(store)
    halted = store.halt(campaign.id, "error budget spent: 3 of 2 failed")
    assert halted.state == "halted"
    assert halted.halted_reason == "error budget spent: 3 of 2 failed"
    assert store.transition(campaign.id, "running").halted_reason is None


def test_completion_needs_every_task_settled(store: CampaignStore) -> None:
    campaign = running(store, [["ap-1", "ap-2"]])
    move(store, campaign.id, "ap-1", "snapshotted")
    store.advance(campaign.id, "ap-2", "skipped")
    with pytest.raises(ValueError, match="cannot be completed with tasks 1 snapshotted"):
        store.transition(campaign.id, "completed")
    for to in ("pushed", "saved", "verified"):
        move(store, campaign.id, "ap-1", to)
    assert store.transition(campaign.id, "completed").state == "completed"


def test_rolled_back_needs_every_changed_ap_rolled_back(store: CampaignStore) -> None:
    campaign = running(store, [["ap-1", "ap-2"]])
    for to in ("snapshotted", "pushed", "saved", "verified"):
        move(store, campaign.id, "ap-1", to)
    store.transition(campaign.id, "rolling_back")
    with pytest.raises(ValueError, match="cannot be rolled back with tasks 1 verified"):
        store.transition(campaign.id, "rolled_back")
    move(store, campaign.id, "ap-1", "rollback_failed")
    store.transition(campaign.id, "failed", reason="ap-1 did not take its old config")
    store.transition(campaign.id, "rolling_back")
    move(store, campaign.id, "ap-1", "rolled_back")
    assert store.transition(campaign.id, "rolled_back").state == "rolled_back"  # ap-2: pending


# --- the task state machine ------------------------------------------------------------------


def test_every_task_move(store: CampaignStore) -> None:
    pairs = [(source, target) for source in sorted(TASK_STATES) for target in sorted(TASK_STATES)]
    aps = [f"ap-{i}" for i in range(len(pairs))]
    campaign = running(store, [aps])
    store.transition(campaign.id, "rolling_back")  # every kind of move is allowed in it
    for ap, (source, target) in zip(aps, pairs, strict=True):
        for step in task_path(source):
            move(store, campaign.id, ap, step)
        assert store.task(campaign.id, ap).state == source
        if target in TASK_MOVES[source]:
            assert move(store, campaign.id, ap, target).state == target
        else:
            with pytest.raises(ValueError, match="cannot move"):
                move(store, campaign.id, ap, target)
            assert store.task(campaign.id, ap).state == source


def test_task_moves_record_times_attempts_and_errors(store: CampaignStore) -> None:
    campaign = running(store)
    first = move(store, campaign.id, "ap-1", "snapshotted")
    assert first.attempts == 1 and first.has_snapshot
    assert set(first.times) == {"pending", "snapshotted"}
    failed = store.advance(
        campaign.id, "ap-1", "failed", error=TaskError("verify-mismatch", "ssid is still Old")
    )
    assert failed.error == TaskError("verify-mismatch", "ssid is still Old")
    move(store, campaign.id, "ap-1", "restored")
    move(store, campaign.id, "ap-1", "pending")  # a retry starts over
    again = store.advance(
        campaign.id, "ap-1", "snapshotted", snapshot=Snapshot("hostname ap-1 (2)", {"ssid": "x"})
    )
    assert again.attempts == 2
    assert again.error is not None and again.error.reason == "verify-mismatch"  # the last one
    assert store.snapshot(campaign.id, "ap-1") == Snapshot("hostname ap-1 (2)", {"ssid": "x"})
    assert store.snapshot(campaign.id, "ap-2") is None


def test_move_arguments_are_checked(store: CampaignStore) -> None:
    campaign = running(store)
    with pytest.raises(ValueError, match="snapshot is recorded with the move to 'snapshotted'"):
        store.advance(campaign.id, "ap-1", "snapshotted")
    move(store, campaign.id, "ap-1", "snapshotted")
    with pytest.raises(ValueError, match="only with it"):
        store.advance(campaign.id, "ap-1", "pushed", snapshot=snapshot_of("ap-1"))
    with pytest.raises(ValueError, match="records why"):
        store.advance(campaign.id, "ap-1", "failed")
    with pytest.raises(ValueError, match="short label"):
        store.advance(campaign.id, "ap-1", "failed", error=TaskError("Timed Out!"))
    with pytest.raises(ValueError, match="unknown task state"):
        store.advance(campaign.id, "ap-1", "done")
    with pytest.raises(KeyError):
        store.advance(campaign.id, "ap-9", "skipped")
    with pytest.raises(ValueError, match="not rolling back"):
        move(store, campaign.id, "ap-1", "rolled_back")
    assert store.task(campaign.id, "ap-1").state == "snapshotted"


def test_tasks_move_only_while_the_campaign_runs(store: CampaignStore) -> None:
    campaign = approved(store)
    with pytest.raises(ValueError, match="is approved: its tasks change only while"):
        move(store, campaign.id, "ap-1", "snapshotted")
    store.transition(campaign.id, "running")
    move(store, campaign.id, "ap-1", "snapshotted")
    store.halt(campaign.id, "operator")
    # a halt recorded elsewhere never stops the runner recording what it did
    assert move(store, campaign.id, "ap-1", "pushed").state == "pushed"


# --- queries ---------------------------------------------------------------------------------


def test_tasks_counts_and_lists(store: CampaignStore) -> None:
    campaign = running(store, [["ap-1"], ["ap-2", "ap-3", "ap-4"]])
    other = new_campaign(store, [["ap-9"]])
    for to in ("snapshotted", "pushed", "saved", "verified"):
        move(store, campaign.id, "ap-1", to)
    move(store, campaign.id, "ap-2", "snapshotted")
    store.advance(campaign.id, "ap-3", "skipped")
    assert [t.ap_id for t in store.tasks(campaign.id)] == ["ap-1", "ap-2", "ap-3", "ap-4"]
    assert [t.ap_id for t in store.tasks(campaign.id, wave=1)] == ["ap-2", "ap-3", "ap-4"]
    assert [t.ap_id for t in store.tasks(campaign.id, state="pending")] == ["ap-4"]
    both = store.tasks(campaign.id, wave=1, state=["pending", "skipped"])
    assert [t.ap_id for t in both] == ["ap-3", "ap-4"]
    overall = store.counts(campaign.id)
    assert set(overall) == TASK_STATES
    assert {k: v for k, v in overall.items() if v} == {
        "verified": 1,
        "snapshotted": 1,
        "skipped": 1,
        "pending": 1,
    }
    assert store.counts(campaign.id, wave=0)["verified"] == 1
    assert sum(store.counts(campaign.id, wave=1).values()) == 3
    assert [sum(c.values()) for c in store.wave_counts(campaign.id)] == [1, 3]
    assert [c.id for c in store.list()] == [campaign.id, other.id]
    assert [c.id for c in store.list(states="planned")] == [other.id]
    assert [c.id for c in store.list(states=["running", "halted"])] == [campaign.id]
    with pytest.raises(ValueError, match="unknown state"):
        store.list(states=["runing"])
    with pytest.raises(KeyError):
        store.get("nope")
    with pytest.raises(ValueError, match="no wave 2"):
        store.counts(campaign.id, wave=2)


def test_current_wave(store: CampaignStore) -> None:
    campaign = running(store)
    assert store.set_wave(campaign.id, 1).current_wave == 1
    assert store.set_wave(campaign.id, 2).current_wave == 2  # all waves done
    with pytest.raises(ValueError, match="out of range"):
        store.set_wave(campaign.id, 3)
