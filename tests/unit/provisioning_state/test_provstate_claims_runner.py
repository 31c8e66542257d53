"""AP claims, the runner lease, crash safety and several writing processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _provstate_helpers import approved, move, new_campaign, running, spawn

from provisioning.audit import AuditLog
from provisioning.campaigns import CampaignStore, runner_is_live

HOST = socket.gethostname()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CampaignStore]:
    with CampaignStore.open(tmp_path) as opened:
        yield opened


# --- claims ----------------------------------------------------------------------------------


def test_two_campaigns_never_hold_one_ap(store: CampaignStore) -> None:
    first = running(store, [["ap-1", "ap-2"]])
    second = approved(store, [["ap-2", "ap-3"]])
    assert store.claim(first.id, ["ap-1", "ap-2"]) == []
    assert store.claim(second.id, ["ap-2", "ap-3"]) == ["ap-2"]
    assert store.claimed(second.id) == ["ap-3"]  # the free one is claimed
    assert store.holders(["ap-1", "ap-2", "ap-3", "ap-4"]) == {
        "ap-1": first.id,
        "ap-2": first.id,
        "ap-3": second.id,
    }
    assert store.claim(first.id, ["ap-2"]) == []  # claiming again is a no-op


def test_all_or_none_claims_nothing_on_a_conflict(store: CampaignStore) -> None:
    first = running(store, [["ap-1"]])
    second = approved(store, [["ap-1", "ap-2"]])
    store.claim(first.id, ["ap-1"])
    assert store.claim(second.id, ["ap-1", "ap-2"], all_or_none=True) == ["ap-1"]
    assert store.claimed(second.id) == []


def test_claims_outlive_halts_and_crashes_and_end_with_the_campaign(tmp_path: Path) -> None:
    with CampaignStore.open(tmp_path) as store:
        first = running(store, [["ap-1"]])
        second = approved(store, [["ap-1"]])
        store.claim(first.id, ["ap-1"])
        store.halt(first.id, "operator")
    with CampaignStore.open(tmp_path) as store:  # the process that claimed is gone
        assert store.claim(second.id, ["ap-1"]) == ["ap-1"]
        store.transition(first.id, "running")
        store.advance(first.id, "ap-1", "skipped")
        store.transition(first.id, "completed")
        assert store.claimed(first.id) == []
        assert store.claim(second.id, ["ap-1"]) == []
        assert store.holders(["ap-1"]) == {"ap-1": second.id}


def test_a_failed_campaign_keeps_its_aps_until_released(store: CampaignStore) -> None:
    first = running(store, [["ap-1"]])
    second = approved(store, [["ap-1"]])
    store.claim(first.id, ["ap-1"])
    store.transition(first.id, "failed", reason="restore failed on ap-1")
    assert store.claim(second.id, ["ap-1"]) == ["ap-1"]
    assert store.release(first.id) == 1
    assert store.claim(second.id, ["ap-1"]) == []


def test_claims_are_checked(store: CampaignStore) -> None:
    planned = new_campaign(store, [["ap-1"]])
    with pytest.raises(ValueError, match="APs are claimed from approval"):
        store.claim(planned.id, ["ap-1"])
    campaign = running(store, [["ap-1"]])
    with pytest.raises(ValueError, match=r"does not change AP\(s\) \['ap-9'\]"):
        store.claim(campaign.id, ["ap-1", "ap-9"])
    assert store.claimed(campaign.id) == []


def test_concurrent_claims_from_two_processes_have_one_winner(tmp_path: Path) -> None:
    with CampaignStore.open(tmp_path) as store:
        ids = [approved(store, [["ap-1", f"own-{i}"]]).id for i in range(2)]
    code = (
        "import sys; from pathlib import Path; from provisioning.campaigns import CampaignStore\n"
        "s = CampaignStore.open(Path(sys.argv[1]))\n"
        "print(','.join(s.claim(sys.argv[2], ['ap-1', sys.argv[3]])) or 'won')\n"
    )
    children = [spawn(code, str(tmp_path), cid, f"own-{i}") for i, cid in enumerate(ids)]
    outputs = sorted(child.communicate(timeout=60)[0].strip() for child in children)
    assert outputs == ["ap-1", "won"]
    with CampaignStore.open(tmp_path) as store:
        assert len(store.holders(["ap-1"])) == 1
        assert all(store.holders([f"own-{i}"]) for i in range(2))


# --- the runner lease ------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen(["sleep", "0"])
    child.wait()
    return child.pid


def test_a_dead_runners_lease_is_taken_over(store: CampaignStore) -> None:
    campaign = running(store)
    dead = _dead_pid()
    assert store.acquire_runner(campaign.id, dead, HOST)
    lease = store.runner(campaign.id)
    assert lease is not None and lease.pid == dead and not lease.live
    assert store.acquire_runner(campaign.id, os.getpid(), HOST)
    lease = store.runner(campaign.id)
    assert lease is not None and lease.pid == os.getpid() and lease.live


def test_a_live_runner_keeps_its_lease(store: CampaignStore) -> None:
    campaign = running(store)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        assert store.acquire_runner(campaign.id, sleeper.pid, HOST)
        assert store.acquire_runner(campaign.id, sleeper.pid, HOST)  # its own again: fine
        assert not store.acquire_runner(campaign.id, os.getpid(), HOST)
        assert not store.release_runner(campaign.id, os.getpid(), HOST)  # not ours
    finally:
        sleeper.kill()
        sleeper.wait()
    assert store.acquire_runner(campaign.id, os.getpid(), HOST)
    assert store.release_runner(campaign.id, os.getpid(), HOST)
    assert store.runner(campaign.id) is None


def test_another_hosts_lease_needs_force(store: CampaignStore) -> None:
    campaign = running(store)
    assert store.acquire_runner(campaign.id, 4242, "other-host")
    assert not store.acquire_runner(campaign.id, os.getpid(), HOST)
    assert store.acquire_runner(campaign.id, os.getpid(), HOST, force=True)


def test_a_reused_pid_is_not_the_runner() -> None:
    # This process is alive, but it is not the process recorded with that identity.
    assert runner_is_live(os.getpid(), HOST, None, this_host=HOST)
    assert not runner_is_live(os.getpid(), HOST, "other-boot:123", this_host=HOST)
    assert not runner_is_live(_dead_pid(), HOST, None, this_host=HOST)


def test_lease_arguments_are_checked(store: CampaignStore) -> None:
    campaign = running(store, [["ap-1"]])
    with pytest.raises(ValueError, match="process id > 0"):
        store.acquire_runner(campaign.id, 0, HOST)
    store.advance(campaign.id, "ap-1", "skipped")
    store.acquire_runner(campaign.id, os.getpid(), HOST)
    store.transition(campaign.id, "completed")
    assert store.runner(campaign.id) is None  # the end of a campaign ends its lease
    with pytest.raises(ValueError, match="nothing to run"):
        store.acquire_runner(campaign.id, os.getpid(), HOST)


# --- crash safety and concurrency ------------------------------------------------------------


def test_a_killed_runner_loses_nothing_and_can_be_resumed(tmp_path: Path) -> None:
    with CampaignStore.open(tmp_path) as store:
        campaign = running(store)
    code = "import sys, _provstate_helpers as h; h.child_push_then_wait(*sys.argv[1:])"
    child = spawn(code, str(tmp_path), campaign.id, "ap-1")
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "pushed", child.stderr
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with CampaignStore.open(tmp_path) as store:
        task = store.task(campaign.id, "ap-1")
        assert task.state == "pushed" and task.has_snapshot
        assert store.get(campaign.id).state == "running"
        lease = store.runner(campaign.id)
        assert lease is not None and lease.pid == child.pid and not lease.live
        assert store.acquire_runner(campaign.id, os.getpid(), HOST)  # resume
        assert move(store, campaign.id, "ap-1", "saved").state == "saved"


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    aps = [f"ap-{i:02}" for i in range(40)]
    with CampaignStore.open(tmp_path) as store:
        campaign = running(store, [aps])
    code = "import sys, _provstate_helpers as h; h.child_writer(*sys.argv[1:])"
    children = [spawn(code, str(tmp_path), campaign.id, ",".join(aps[half::2])) for half in (0, 1)]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    with CampaignStore.open(tmp_path) as store:
        assert store.counts(campaign.id)["verified"] == len(aps)
    log = AuditLog.in_data_dir(tmp_path)
    result = log.verify()
    assert result.ok, result.reason
    assert result.entries == 4 * len(aps)
    assert [e.seq for e in log.entries()] == list(range(1, 4 * len(aps) + 1))
