"""Shared helpers of the campaign-store and audit tests (imported by name: no conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from provisioning.campaigns import (
    PENDING,
    SNAPSHOTTED,
    TASK_MOVES,
    Campaign,
    CampaignStore,
    Snapshot,
    Task,
    TaskError,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
CHANGE_TEXT = "name: ssid-rename\nset:\n  ssid: Seoul_Free_WiFi\n"
SUBMITTER = "os:alice"
APPROVER = "web:bob"
STEPS = (("snapshotted", "snapshot"), ("pushed", "push"), ("saved", "save"), ("verified", "verify"))


def new_campaign(
    store: CampaignStore, waves: Sequence[Sequence[str]] = (("ap-1",), ("ap-2", "ap-3"))
) -> Campaign:
    return store.create(
        change_name="ssid-rename",
        change_path=Path("changes/ssid-rename.yaml"),
        change_text=CHANGE_TEXT,
        reason="rename the SSID city-wide",
        created_by=SUBMITTER,
        waves=waves,
        plan={"renderer": "ssid", "aps": {"ap-1": ["ssid Seoul_Free_WiFi"]}},
    )


def approved(store: CampaignStore, waves: Sequence[Sequence[str]] | None = None) -> Campaign:
    campaign = new_campaign(store) if waves is None else new_campaign(store, waves)
    store.submit(campaign.id, SUBMITTER)
    return store.approve(campaign.id, APPROVER)


def running(store: CampaignStore, waves: Sequence[Sequence[str]] | None = None) -> Campaign:
    return store.transition(approved(store, waves).id, "running")


def snapshot_of(ap: str) -> Snapshot:
    return Snapshot(config=f"hostname {ap}\nwpa-psk <masked:0123abcd>\n", values={"ssid": "Old"})


def move(store: CampaignStore, campaign_id: str, ap: str, to: str) -> Task:
    """One task move with whatever it needs (a snapshot, an error)."""
    snapshot = snapshot_of(ap) if to == SNAPSHOTTED else None
    error = TaskError("timeout", "no answer in 30 s") if to.endswith("failed") else None
    return store.advance(campaign_id, ap, to, snapshot=snapshot, error=error)


def task_path(target: str) -> list[str]:
    """The shortest legal route from ``pending`` to ``target``."""
    routes: dict[str, list[str]] = {PENDING: []}
    todo = deque([PENDING])
    while todo:
        state = todo.popleft()
        for nxt in sorted(TASK_MOVES[state]):
            if nxt not in routes:
                routes[nxt] = [*routes[state], nxt]
                todo.append(nxt)
    return routes[target]


def child_env() -> dict[str, str]:
    paths = [str(REPO), str(HERE), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python child running ``code`` (with this folder importable), stdout piped."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def child_push_then_wait(data_dir: str, campaign_id: str, ap: str) -> None:
    """Child of the crash test: take the lease, record ``pushed``, say so, then hang."""
    store = CampaignStore.open(Path(data_dir))
    assert store.acquire_runner(campaign_id, os.getpid(), _host())
    move(store, campaign_id, ap, SNAPSHOTTED)
    move(store, campaign_id, ap, "pushed")
    print("pushed", flush=True)
    time.sleep(120)  # killed here


def child_writer(data_dir: str, campaign_id: str, aps: str) -> None:
    """Child of the concurrency test: drive its APs to ``verified``, auditing every step."""
    from provisioning.audit import AuditLog

    store = CampaignStore.open(Path(data_dir))
    log = AuditLog.in_data_dir(Path(data_dir))
    for ap in aps.split(","):
        for to, action in STEPS:
            move(store, campaign_id, ap, to)
            log.append("os:worker", action, campaign=campaign_id, ap=ap)
    print("done", flush=True)


def _host() -> str:
    import socket

    return socket.gethostname()
