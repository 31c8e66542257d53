"""What the provisioning pages show, apart from the routes (:mod:`web.provisioning_pages`).

Change files are the ones an engineer placed in ``DATA_DIR/changes`` (or the app's
``PUBWIFI_CHANGES_DIR``): the browser names a file, which is looked up in that directory's
listing; a path from the browser is never opened. Plans are cached per file content for a
minute (planning reads every selected AP's facts and backup).

Running a campaign takes minutes, so the web process never runs one in a request: apply,
resume and rollback start ``pubwifi provision run|resume|rollback ID`` as a detached child
(its own session, output in ``DATA_DIR/provisioning/runs/ID.log``); the child records its
progress in the campaign store, which the pages read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from collector.errors import InputError
from collector.inventory.model import AccessPoint, Inventory
from provisioning import campaigns as cs
from provisioning.campaigns import Campaign, CampaignStore, Runner, sha256_text
from provisioning.change import Change, load_change
from provisioning.plan import Plan, plan_change
from web.users import Role

CHANGE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.ya?ml$")
CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
PLAN_TTL_S = 60.0
RUN_COMMANDS = ("run", "resume", "rollback")
#: States in which the campaign page refreshes itself (something is, or may be, moving).
MOVING = frozenset({cs.RUNNING, cs.ROLLING_BACK})
#: Task states shown as "bad" / "good" in the per-state chips.
BAD_TASKS = frozenset({cs.TASK_FAILED, cs.RESTORE_FAILED, cs.ROLLBACK_FAILED})
GOOD_TASKS = frozenset({cs.VERIFIED, cs.SKIPPED, cs.RESTORED, cs.TASK_ROLLED_BACK})
LOG_TAIL_LINES = 40

# --- change files ------------------------------------------------------------------------------


def changes_dir(data_dir: Path) -> Path:
    """Where the reviewed change files are: ``PUBWIFI_CHANGES_DIR`` or ``DATA_DIR/changes``."""
    configured = current_app.config.get("PUBWIFI_CHANGES_DIR")
    return Path(configured) if configured else data_dir / "changes"


def change_files(folder: Path) -> list[str]:
    """The change file names in ``folder``: plain files (no symlinks) with a safe name."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        p.name
        for p in entries
        if CHANGE_FILE.fullmatch(p.name) and not p.is_symlink() and p.is_file()
    ]


def change_path(folder: Path, name: str) -> Path | None:
    """``folder/name`` when ``name`` is in the listing, else ``None``."""
    return folder / name if name in change_files(folder) else None


def read_text(path: Path) -> str:
    """The file as UTF-8, newlines untouched (its sha256 is the file's)."""
    return path.read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """One change file and its plan (or why it cannot be planned)."""

    name: str
    text: str
    sha256: str
    change: Change | None
    plan: Plan | None
    problems: tuple[str, ...]

    @property
    def selected(self) -> int:
        return len(self.plan.aps) if self.plan else 0

    @property
    def to_apply(self) -> int:
        return len(self.plan.to_apply) if self.plan else 0


def problem_lines(error: InputError, name: str) -> tuple[str, ...]:
    """The problems with the file named by its name only (no server path)."""
    return tuple(
        f"{name}:{p.line}: {p.message}" if p.line else f"{name}: {p.message}"
        for p in error.problems
    )


@dataclass
class ProvisioningState:
    """Per-app state: the inventory as an :class:`Inventory`, cached plans, spawned runs."""

    inventory: Inventory
    plans: dict[tuple[str, str], tuple[float, PlannedChange]] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)  # campaign id -> pid started
    lock: threading.Lock = field(default_factory=threading.Lock)

    def planned(self, folder: Path, name: str, data_dir: Path) -> PlannedChange | None:
        """The change file ``name`` of ``folder`` planned now (or within a minute)."""
        path = change_path(folder, name)
        if path is None:
            return None
        try:
            text = read_text(path)
        except OSError:
            return None
        digest = sha256_text(text)
        now = time.monotonic()
        with self.lock:
            hit = self.plans.get((name, digest))
            if hit is not None and now - hit[0] < PLAN_TTL_S:
                return hit[1]
        result = _plan(path, text, digest, self.inventory, data_dir)
        with self.lock:
            self.plans = {k: v for k, v in self.plans.items() if now - v[0] < PLAN_TTL_S}
            self.plans[(name, digest)] = (now, result)
        return result

    def forget(self, name: str) -> None:
        with self.lock:
            self.plans = {k: v for k, v in self.plans.items() if k[0] != name}

    def child_running(self, campaign_id: str) -> bool:
        """Whether a run this process started for the campaign has not exited yet."""
        with self.lock:
            pid = self.children.get(campaign_id)
        return pid is not None and spawned_live(pid)

    def started(self, campaign_id: str, pid: int) -> None:
        with self.lock:
            self.children[campaign_id] = pid


def _plan(
    path: Path, text: str, digest: str, inventory: Inventory, data_dir: Path
) -> PlannedChange:
    try:
        change = load_change(path)
    except InputError as error:
        return PlannedChange(path.name, text, digest, None, None, problem_lines(error, path.name))
    except (OSError, UnicodeDecodeError) as error:
        return PlannedChange(path.name, text, digest, None, None, (f"{path.name}: {error}",))
    try:
        plan = plan_change(change, inventory, data_dir)
    except InputError as error:
        return PlannedChange(path.name, text, digest, change, None, problem_lines(error, path.name))
    return PlannedChange(path.name, text, digest, change, plan, ())


def inventory_of(aps: Sequence[AccessPoint]) -> Inventory:
    """An :class:`Inventory` over the app's APs (what :func:`plan_change` selects from)."""
    return Inventory(
        path="",
        districts={ap.district.code: ap.district for ap in aps},
        sites={ap.site.id: ap.site for ap in aps},
        snmp_auths={ap.snmp_auth.name: ap.snmp_auth for ap in aps},
        ssh_auths={ap.ssh_auth.name: ap.ssh_auth for ap in aps},
        aps=tuple(aps),
        _by_id={ap.id: ap for ap in aps},
    )


# --- running a campaign ------------------------------------------------------------------------


def inventory_path() -> Path:
    """The inventory file the child run loads: the app's ``PUBWIFI_INVENTORY_PATH``, else the
    ``--inventory`` this ``pubwifi web`` was started with, else the settings' (the same file
    the web UI reads, so the child applies to the fleet the plan was made over)."""
    configured = current_app.config.get("PUBWIFI_INVENTORY_PATH")
    if configured:
        return Path(configured).resolve()
    argv = sys.argv[1:]
    for index, arg in enumerate(argv):
        if arg == "--inventory" and index + 1 < len(argv):
            return Path(argv[index + 1]).resolve()
        if arg.startswith("--inventory="):
            return Path(arg.partition("=")[2]).resolve()
    from collector.settings import load_settings

    return Path(load_settings().inventory).resolve()


def run_argv(command: str, campaign_id: str, inventory: Path) -> list[str]:
    """``pubwifi provision COMMAND ID --inventory FILE`` for this interpreter."""
    if command not in RUN_COMMANDS:
        raise ValueError(f"not a run command: {command!r}")
    return [
        sys.executable,
        "-m",
        "collector.cli",
        "provision",
        command,
        campaign_id,
        "--inventory",
        str(inventory),
    ]


def run_log(data_dir: Path, campaign_id: str) -> Path:
    return data_dir / cs.DIR_NAME / "runs" / f"{campaign_id}.log"


def spawn_detached(argv: list[str], log: Path, env: dict[str, str]) -> int:
    """Start ``argv`` in its own session, output appended to ``log``; returns its pid. A
    thread reaps it when it exits (no zombie is left to look like a live runner)."""
    log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "ab") as out:
        child = subprocess.Popen(  # our own interpreter and module, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[child.pid] = child
    threading.Thread(target=_reap, args=(child,), daemon=True, name=f"reap-{child.pid}").start()
    return child.pid


_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _reap(child: subprocess.Popen[bytes]) -> None:
    child.wait()
    _CHILDREN.pop(child.pid, None)


def spawned_live(pid: int) -> bool:
    """Whether a child :func:`spawn_detached` started (``pid``) is still running."""
    child = _CHILDREN.get(pid)
    return child is not None and child.poll() is None


def child_env(data_dir: Path) -> dict[str, str]:
    """This process's environment (the device secrets' references resolve from it), with the
    data dir the web UI uses."""
    return {**os.environ, "PUBWIFI_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of a run log (text; empty when there is none)."""
    try:
        with path.open("rb") as source:
            source.seek(0, os.SEEK_END)
            size = source.tell()
            source.seek(max(0, size - 64 * 1024))
            data = source.read()
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()[-lines:]


# --- what a campaign page offers -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """A button: ``allowed`` or shown disabled with ``why``."""

    name: str
    allowed: bool
    why: str | None = None
    danger: bool = False


def person(actor: str | None) -> str:
    """The person behind ``web:alice`` / ``os:alice`` (as the store compares them)."""
    if not actor:
        return ""
    return actor.partition(":")[2].strip().casefold() if ":" in actor else actor.casefold()


def changed_aps(counts: dict[str, int]) -> int:
    """How many tasks may differ from their snapshot (what a rollback undoes)."""
    return sum(n for state, n in counts.items() if state in cs.NEEDS_ROLLBACK)


def actions_for(
    campaign: Campaign,
    counts: dict[str, int],
    runner: Runner | None,
    child_running: bool,
    user: str,
    role: Role,
    gettext: Callable[[str], str],
) -> list[Action]:
    """The buttons ``user`` (``role``) sees on the campaign's page, by role and state."""
    _ = gettext
    state = campaign.state
    live = child_running or (runner is not None and runner.live)
    out: list[Action] = []
    if role >= Role.ADMIN and state == cs.SUBMITTED:
        if person(campaign.submitted_by) == person(user):
            why = _("You submitted this campaign: another admin must approve it (four eyes).")
            out.append(Action("approve", False, why))
        else:
            out.append(Action("approve", True))
    if role >= Role.ENGINEER and state == cs.APPROVED:
        if live:
            out.append(Action("apply", False, _("A run has been started.")))
        else:
            out.append(Action("apply", True))
    if role >= Role.ENGINEER and state == cs.RUNNING:
        out.append(Action("halt", True, danger=True))
    if role >= Role.ENGINEER and state in (cs.HALTED, cs.RUNNING):
        if live:
            if state == cs.HALTED:
                why = _("The runner is still finishing the APs in flight.")
                out.append(Action("resume", False, why))
        else:
            out.append(Action("resume", True))
    rollbackable = {cs.RUNNING, cs.HALTED, cs.FAILED, cs.COMPLETED, cs.ROLLING_BACK}
    if role >= Role.ADMIN and state in rollbackable and changed_aps(counts):
        if live:
            why = _("A runner is live: halt it and wait for it to stop first.")
            out.append(Action("rollback", False, why, danger=True))
        else:
            out.append(Action("rollback", True, danger=True))
    return out


def wave_rows(campaign: Campaign, waves: list[dict[str, int]]) -> list[dict[str, Any]]:
    """Per wave: size, the non-zero state counts, and the share settled (for the bar)."""
    rows = []
    for index, counts in enumerate(waves):
        total = sum(counts.values())
        settled = sum(n for s, n in counts.items() if s in GOOD_TASKS)
        bad = sum(n for s, n in counts.items() if s in BAD_TASKS)
        rows.append(
            {
                "number": index + 1,
                "total": total,
                "states": {s: n for s, n in counts.items() if n},
                "good_pct": round(100 * settled / total) if total else 0,
                "bad_pct": round(100 * bad / total) if total else 0,
                "current": index == campaign.current_wave and campaign.state in MOVING,
            }
        )
    return rows


def campaign_json(store: CampaignStore, campaign: Campaign) -> dict[str, Any]:
    """A campaign as the list API shows it."""
    return {
        "id": campaign.id,
        "state": campaign.state,
        "halted_reason": campaign.halted_reason,
        "change": campaign.change_name,
        "change_sha256": campaign.change_sha256,
        "reason": campaign.reason,
        "aps": len(campaign.ap_ids),
        "waves": [len(w) for w in campaign.waves],
        "current_wave": campaign.current_wave,
        "created_at": campaign.created_at,
        "created_by": campaign.created_by,
        "submitted_by": campaign.submitted_by,
        "submitted_at": campaign.submitted_at,
        "approved_by": campaign.approved_by,
        "approved_at": campaign.approved_at,
        "counts": {s: n for s, n in store.counts(campaign.id).items() if n},
    }
