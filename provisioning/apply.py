"""Running a campaign: waves of APs, each snapshot -> push -> save -> verify, restored on failure.

Per AP, in ONE SSH session (:meth:`Applier._change_ap`, on a worker thread):

1. **snapshot**: read the AP's facts and running-config now (not the plan's: the AP may have
   changed since), render the change again from them (so the undo restores what the AP really
   has), and record the masked config and the undo in the campaign store *before* touching
   anything (``snapshotted``);
2. **push** the commands (``${ENV}`` references resolved only here, in memory) -> ``pushed``;
3. **save** -> ``saved``;
4. **verify**: read facts and config again until the expectation holds or ``verify.within_s``
   passes -> ``verified``; otherwise the AP is **restored** (its undo pushed and saved, checked
   against the snapshot) -> ``failed`` -> ``restored`` | ``restore_failed``.

After each wave, the wave's verified APs are also checked over SNMP (radio channel and tx power
as the agent reports them); the error budget is judged (more than ``max_failed_percent`` of the
wave failed, or any verification failed with ``halt_on_verify_failure``) and the campaign halts
there: untouched APs stay ``pending`` and the report says why. The verified APs' new masked
configs are committed to the configuration history as ``provision:<campaign>``, so the next
sweep does not list them as changed outside pubwifi.

Crash safety: every step is recorded durably before the next begins. :meth:`Applier.run` on a
campaign left ``running`` by a dead process (``resume``) continues where it stopped: a
``snapshotted`` AP (the push may or may not have happened) is read again and pushed only if it
is not already at the target; ``pushed``/``saved`` APs are saved and verified; ``verified``
APs are left alone. So every AP is changed exactly once.

Rollback pushes each changed AP's recorded undo and checks that its masked running-config is
the snapshot again, byte for byte.

Alerts (:mod:`collector.alerts`): before each wave (and before a rollback) its APs, and only
those (the previous wave's suppression is lifted), are suppressed in the alert store
(``DATA_DIR/alerts/alerts.sqlite``, reason ``campaign <id>``) and their config changes expected
(``expect_change``, so "config changed outside pubwifi" does not fire for the campaign's own
pushes, restores and undos), from now for the wave's expected duration
(:func:`expected_wave_s`: one session plus ``verify.within_s`` per AP, twice for a restore, per
batch of ``concurrency`` APs) plus :data:`ALERT_MARGIN_S`. When the run ends (completed,
halted, failed, or raising) the suppressions still in force are lifted at once
(:meth:`~collector.alerts.store.AlertStore.lift`): an AP that is down after its campaign is an
alert. A run killed outright lifts nothing: its suppressions expire on their own at the
reserved time. The expected-change windows are kept as written (they only cover the
campaign's own time). Writing to the alert store never stops a campaign: a failure is logged.

Firmware changes (:attr:`Rendered.reload`) end the session on purpose: the push is
:meth:`~collector.ssh.session.CliSession.push_reload` (the reload dropping the session is the
expected end), ``saved`` follows at once (a reload saves nothing extra), and verification logs
in again and again (:meth:`Applier._verify_reconnect`) until the AP answers with the target
version or ``verify.within_s`` passes. Their undo is a reload too: it re-installs the image of
the snapshot's version and checks that version *and* the snapshot's config; with no image for
that version (:attr:`Rendered.undo_problem`) the restore or rollback fails saying so.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collector.alerts.store import AlertStore
from collector.inventory.model import AccessPoint, Inventory
from collector.ssh.configrepo import ConfigRepo, ConfigRepoBusy
from collector.ssh.facts import ApFacts
from collector.ssh.mask import MaskKey, mask_config
from collector.ssh.parse import FactsParseError, parse_facts
from collector.ssh.profile import SshProfile
from collector.ssh.session import SessionError, open_session
from collector.ssh.sweep import ApCollector, read_device, refused
from provisioning import campaigns as cs
from provisioning.audit import AuditLog
from provisioning.campaigns import CampaignStore, Snapshot, TaskError
from provisioning.change import Change
from provisioning.intents import PLATFORMS, Expectation, Rendered, TargetError, Unrenderable
from provisioning.plan import render_for
from provisioning.variables import resolve_secrets

log = logging.getLogger(__name__)

VERIFY_POLL_S = 1.0
SESSION_S = 30.0  # login and the reads around the push, on top of verify.within_s
ALERT_MARGIN_S = 600.0  # on top of a wave's expected duration: SNMP checks, slow logins


def expected_wave_s(aps: int, concurrency: int, within_s: float) -> float:
    """How long a wave of ``aps`` APs may take: per batch of ``concurrency``, one session and
    the verification, and as much again for a restore."""
    batches = -(-aps // max(1, concurrency))
    return batches * 2 * (SESSION_S + within_s)


class Halted(Exception):
    """The campaign stopped (budget, window, an operator): the reason."""


@dataclass
class WaveReport:
    index: int
    size: int
    verified: int = 0
    skipped: int = 0
    failed: int = 0
    restored: int = 0
    restore_failed: int = 0
    verify_failures: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class RunReport:
    campaign: str
    state: str
    waves: list[WaveReport] = field(default_factory=list)
    halted_reason: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "state": self.state,
            "halted_reason": self.halted_reason,
            "seconds": round(self.seconds, 3),
            "waves": [asdict(w) for w in self.waves],
        }


@dataclass
class Applier:
    """Everything a run needs; one per process."""

    inventory: Inventory
    data_dir: Path
    store: CampaignStore
    audit: AuditLog
    collector: ApCollector
    actor: str
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    concurrency: int = 32
    snmp_verify: (
        Callable[[list[AccessPoint], dict[str, Expectation]], dict[str, list[str]]] | None
    ) = None
    progress: Callable[[str], None] = lambda text: None

    @property
    def profiles(self) -> Mapping[str, SshProfile]:
        return self.collector.profiles

    @property
    def mask_key(self) -> MaskKey:
        return self.collector.mask_key

    # --- campaigns ------------------------------------------------------------------------
    def run(self, campaign_id: str, change: Change, *, ignore_window: bool = False) -> RunReport:
        """Apply (or resume) ``campaign_id``: wave by wave from its current wave. Outside the
        change's maintenance window nothing starts unless ``ignore_window`` (audited)."""
        started = time.monotonic()
        campaign = self.store.get(campaign_id)
        if change.window is not None and not change.window.contains(time.time()):
            if not ignore_window:
                w = change.window
                raise Halted(
                    f"outside the maintenance window ({','.join(w.days)} {w.start}-{w.end} KST): "
                    "wait for it, or pass --ignore-window"
                )
            self._audit("ignore-window", campaign_id)
            change = dataclasses.replace(change, window=None)
        report = RunReport(campaign_id, cs.RUNNING)
        self._lease(campaign_id)
        try:
            resumed = campaign.state in (cs.RUNNING, cs.HALTED)
            if campaign.state in (cs.APPROVED, cs.HALTED):
                campaign = self.store.transition(campaign_id, cs.RUNNING)
            elif campaign.state != cs.RUNNING:
                raise Halted(f"campaign {campaign_id} is {campaign.state}: nothing to apply")
            busy = set(self.store.claim(campaign_id, campaign.ap_ids))
            holders = self.store.holders(busy)
            for ap_id in sorted(busy):  # never two campaigns on one AP: this one leaves it alone
                if self.store.task(campaign_id, ap_id).state == cs.PENDING:
                    why = TaskError("busy", f"in campaign {holders.get(ap_id, '?')}")
                    self.store.advance(campaign_id, ap_id, cs.TASK_FAILED, error=why)
                    self.store.advance(campaign_id, ap_id, cs.RESTORED)
            if resumed:
                self._audit("resume", campaign_id, detail={"wave": campaign.current_wave})
            first = campaign.current_wave
            for index in range(first, len(campaign.waves)):
                self.store.set_wave(campaign_id, index)
                wave = [ap for ap in campaign.waves[index] if ap not in busy]
                self._quiet_alerts(campaign_id, wave, change.verify.within_s)
                result = self._wave(campaign_id, change, index, wave)
                report.waves.append(result)
                self.progress(_wave_line(result))
                reason = self._judge(change, result, judged=resumed and index == first)
                if reason is None:
                    reason = self._outside_window(change, index, len(campaign.waves))
                if reason is not None:
                    self.store.halt(campaign_id, reason)
                    self._audit("halt", campaign_id, result="halted", detail={"reason": reason})
                    report.state, report.halted_reason = cs.HALTED, reason
                    return report
                if self.store.get(campaign_id).state == cs.HALTED:  # an operator's halt
                    report.state = cs.HALTED
                    report.halted_reason = self.store.get(campaign_id).halted_reason
                    return report
            self._settle(campaign_id)
            unsettled = [t for t in self.store.tasks(campaign_id) if t.state in cs.UNSETTLED]
            if unsettled:
                reason = f"{len(unsettled)} AP(s) could not be restored: see their tasks"
                final = self.store.transition(campaign_id, cs.FAILED, reason=reason)
                report.halted_reason = reason
            else:
                final = self.store.transition(campaign_id, cs.COMPLETED)
            self._audit("complete", campaign_id, result=final.state)
            report.state = final.state
            return report
        finally:
            report.seconds = time.monotonic() - started
            self._lift_alerts(campaign_id)
            self.store.release_runner(campaign_id, os.getpid(), socket.gethostname())
            log.info("campaign %s: ran %.1f s", campaign_id, report.seconds)

    # --- alerts ---------------------------------------------------------------------------
    def _quiet_alerts(self, campaign_id: str, ap_ids: list[str], within_s: float) -> None:
        """No alerts for these APs, and their config changes expected, for the wave's time."""
        if not ap_ids:
            return
        now = time.time()
        until = now + expected_wave_s(len(ap_ids), self.concurrency, within_s) + ALERT_MARGIN_S
        try:
            with AlertStore.in_data_dir(self.data_dir) as alerts:
                reason = f"campaign {campaign_id}"
                alerts.lift(reason, now)  # the previous wave is done: its APs alert again
                alerts.suppress(ap_ids, until, reason=reason, start=now)
                alerts.expect_change(ap_ids, now, until, campaign_id)
        except Exception:  # alerting is a courtesy here: the campaign goes on
            log.exception("campaign %s: alert suppression not recorded", campaign_id)

    def _lift_alerts(self, campaign_id: str) -> None:
        try:
            with AlertStore.in_data_dir(self.data_dir) as alerts:
                lifted = alerts.lift(f"campaign {campaign_id}", time.time())
            if lifted:
                log.info("campaign %s: alert suppression lifted for %d APs", campaign_id, lifted)
        except Exception:
            log.exception("campaign %s: alert suppression not lifted (it expires)", campaign_id)

    def _lease(self, campaign_id: str) -> None:
        if not self.store.acquire_runner(campaign_id, os.getpid(), socket.gethostname()):
            runner = self.store.runner(campaign_id)
            who = f"pid {runner.pid} on {runner.host}" if runner else "another process"
            raise Halted(f"campaign {campaign_id} is being applied by {who}")

    def _judge(self, change: Change, wave: WaveReport, *, judged: bool) -> str | None:
        """Why the campaign must halt after ``wave`` (None: go on). A wave resumed after a halt
        was judged already: the engineer who resumed it chose to go on."""
        if judged or wave.size == 0:
            return None
        budget = change.error_budget
        failed = wave.failed
        percent = 100.0 * failed / wave.size
        if percent > budget.max_failed_percent:
            return (
                f"wave {wave.index + 1}: {failed} of {wave.size} APs failed ({percent:.0f}%), "
                f"over the error budget of {budget.max_failed_percent:g}%"
            )
        if budget.halt_on_verify_failure and wave.verify_failures:
            return f"wave {wave.index + 1}: {wave.verify_failures} AP(s) failed verification"
        return None

    def _outside_window(self, change: Change, index: int, waves: int) -> str | None:
        if change.window is None or index + 1 >= waves or change.window.contains(time.time()):
            return None
        return f"the maintenance window closed after wave {index + 1}"

    def _settle(self, campaign_id: str) -> None:
        """A campaign completes with every task settled: failed ones must have been restored."""
        for task in self.store.tasks(campaign_id, state=cs.TASK_FAILED):
            self.store.advance(
                campaign_id,
                task.ap_id,
                cs.RESTORE_FAILED,
                error=TaskError("not-restored", "left failed"),
            )

    # --- one wave ---------------------------------------------------------------------------
    def _wave(self, campaign_id: str, change: Change, index: int, ap_ids: list[str]) -> WaveReport:
        started = time.monotonic()
        report = WaveReport(index, len(ap_ids))
        tasks = {t.ap_id: t for t in self.store.tasks(campaign_id, wave=index)}
        todo = [ap for ap in ap_ids if tasks[ap].state in _TO_DO]
        for ap_id in ap_ids:  # settled by an earlier run of this wave
            _count(report, tasks[ap_id].state, tasks[ap_id].error)
        configs: dict[str, str] = {}
        answering = self._snmp_answering(change, todo)
        workers = max(1, min(self.concurrency, len(todo)))
        with ThreadPoolExecutor(workers, thread_name_prefix="provision") as pool:
            outcomes = list(pool.map(lambda ap_id: self._one(campaign_id, change, ap_id), todo))
        checked = [ap for ap, o in zip(todo, outcomes, strict=True) if o[0] == _CLI_VERIFIED]
        wrong = self._snmp(campaign_id, change, [ap for ap in checked if ap in answering])
        for ap_id in checked:
            if ap_id not in answering and self.snmp_verify is not None and change.verify.snmp:
                self._audit(
                    "verify",
                    campaign_id,
                    ap_id,
                    result="ssh-only",
                    detail={"snmp": "no answer before the change either"},
                )
        for ap_id, (state, error, config) in zip(todo, outcomes, strict=True):
            if state == _CLI_VERIFIED:
                state, error, config = self._finish(campaign_id, change, ap_id, wrong, config)
            _count(report, state, error)
            if config is not None:
                configs[ap_id] = config
        self._commit(campaign_id, configs)
        report.seconds = time.monotonic() - started
        return report

    def _one(
        self, campaign_id: str, change: Change, ap_id: str
    ) -> tuple[str, TaskError | None, str | None]:
        ap = self.inventory.ap(ap_id)
        try:
            return self._change_ap(campaign_id, change, ap)
        except Exception as error:  # one AP's bug must not lose the others: recorded, restored
            log.exception("provision %s: unexpected error", ap_id)
            return self._fail(campaign_id, change, ap, "internal-error", repr(error)[:300])

    def _change_ap(
        self, campaign_id: str, change: Change, ap: AccessPoint
    ) -> tuple[str, TaskError | None, str | None]:
        task = self.store.task(campaign_id, ap.id)
        if task.state == cs.TASK_FAILED:  # a crash between the failure and its restore
            return self._fail(
                campaign_id,
                change,
                ap,
                task.error.reason if task.error else "failed",
                task.error.detail if task.error else "",
            )
        profile = self.profiles[ap.platform]
        steps = PLATFORMS[ap.platform]
        deadline = SESSION_S + change.verify.within_s
        try:
            with open_session(
                self.collector.target(ap),
                self.collector.known_hosts,
                self.collector.watchdog,
                deadline,
            ) as cli:
                facts, masked = self._read(cli, profile, ap)
                try:
                    rendered = render_for(change, ap, facts, masked)
                except (Unrenderable, TargetError) as error:
                    return self._fail(campaign_id, change, ap, "unrenderable", str(error), cli)
                if task.state == cs.PENDING:
                    if not rendered.expect.facts_problems(facts) and not (
                        rendered.expect.config_problems(masked)
                    ):
                        self.store.advance(campaign_id, ap.id, cs.SKIPPED)
                        self._audit("skip", campaign_id, ap.id, detail={"why": "at target"})
                        return cs.SKIPPED, None, None
                    snapshot = _snapshot(masked, rendered, change.verify.within_s)
                    self.store.advance(campaign_id, ap.id, cs.SNAPSHOTTED, snapshot=snapshot)
                    task = self.store.task(campaign_id, ap.id)
                if task.state == cs.SNAPSHOTTED:
                    at_target = not rendered.expect.facts_problems(facts)
                    if not at_target:  # resumed or fresh: push only what is not there yet
                        commands = list(rendered.commands)
                        if rendered.reload:  # the AP goes down: this session ends with it
                            cli.push_reload(
                                resolve_secrets(commands, self.environ),
                                config_mode=rendered.config_mode,
                            )
                        else:
                            if steps.save_in_config_mode:
                                commands += list(rendered.save)
                            cli.configure(
                                resolve_secrets(commands, self.environ),
                                config_mode=steps.config_mode,
                            )
                    self.store.advance(campaign_id, ap.id, cs.PUSHED)
                    self._audit(
                        "push", campaign_id, ap.id, detail={"commands": list(rendered.commands)}
                    )
                    task = self.store.task(campaign_id, ap.id)
                if task.state == cs.PUSHED:
                    if rendered.save and not steps.save_in_config_mode:
                        cli.configure(list(rendered.save), config_mode=False)
                    self.store.advance(campaign_id, ap.id, cs.SAVED)
                    self._audit("save", campaign_id, ap.id)
                if self.store.task(campaign_id, ap.id).state == cs.SAVED:
                    expect = _expectation_of(self.store.snapshot(campaign_id, ap.id), rendered)
                    if rendered.reload:
                        problems, config = self._verify_reconnect(
                            profile, ap, expect, change.verify.within_s
                        )
                    else:
                        problems, config = self._verify(
                            cli, profile, ap, expect, change.verify.within_s
                        )
                    if problems:
                        return self._fail(
                            campaign_id,
                            change,
                            ap,
                            "verify-mismatch",
                            "; ".join(problems),
                            None if rendered.reload else cli,
                            verify=True,
                        )
                    return _CLI_VERIFIED, None, config  # SNMP next, for the whole wave
                state = self.store.task(campaign_id, ap.id).state
                return state, None, None
        except SessionError as error:
            return self._fail(campaign_id, change, ap, _label(error.reason), error.detail)
        except FactsParseError as error:
            return self._fail(campaign_id, change, ap, "parse-failed", str(error))

    def _read(self, cli: Any, profile: SshProfile, ap: AccessPoint) -> tuple[ApFacts, str]:
        outputs: dict[str, str] = {}
        config = read_device(cli, profile, outputs)
        command = refused(profile, outputs, config)
        if command is not None:
            raise SessionError("cli_error", f"the CLI refused {command!r}")
        facts = parse_facts(profile, outputs)
        return facts, mask_config(ap.platform, config, self.mask_key)

    def _verify(
        self, cli: Any, profile: SshProfile, ap: AccessPoint, expect: Expectation, within_s: float
    ) -> tuple[list[str], str | None]:
        deadline = time.monotonic() + within_s
        while True:
            facts, masked = self._read(cli, profile, ap)
            problems = expect.facts_problems(facts) + expect.config_problems(masked)
            if not problems or time.monotonic() + VERIFY_POLL_S > deadline:
                return problems, masked
            time.sleep(VERIFY_POLL_S)

    def _verify_reconnect(
        self, profile: SshProfile, ap: AccessPoint, expect: Expectation, within_s: float
    ) -> tuple[list[str], str | None]:
        """:meth:`_verify` after a reload: each try logs in afresh (the AP may still be down:
        refused, timed out), until the expectation holds or ``within_s`` passes."""
        deadline = time.monotonic() + within_s
        while True:
            masked: str | None = None
            try:
                with open_session(
                    self.collector.target(ap),
                    self.collector.known_hosts,
                    self.collector.watchdog,
                    min(SESSION_S, max(1.0, deadline - time.monotonic() + 1.0)),
                ) as cli:
                    facts, masked = self._read(cli, profile, ap)
                problems = expect.facts_problems(facts) + expect.config_problems(masked)
            except (SessionError, FactsParseError) as error:
                problems = [f"no answer after the reload ({error})"]
            if not problems or time.monotonic() + VERIFY_POLL_S > deadline:
                return problems, masked
            time.sleep(VERIFY_POLL_S)

    # --- failures and restores ------------------------------------------------------------
    def _fail(
        self,
        campaign_id: str,
        change: Change,
        ap: AccessPoint,
        reason: str,
        detail: str,
        cli: Any = None,
        *,
        verify: bool = False,
    ) -> tuple[str, TaskError | None, str | None]:
        error = TaskError(reason, detail[:500])
        task = self.store.task(campaign_id, ap.id)
        if task.state in (cs.PENDING, cs.SNAPSHOTTED, cs.PUSHED, cs.SAVED):
            self.store.advance(campaign_id, ap.id, cs.TASK_FAILED, error=error)
        elif task.state != cs.TASK_FAILED:
            return task.state, error, None
        self._audit(
            "verify" if verify else "fail",
            campaign_id,
            ap.id,
            result="failed",
            detail={"reason": reason, "detail": detail[:300]},
        )
        snapshot = self.store.snapshot(campaign_id, ap.id)
        if snapshot is None or task.state == cs.PENDING:  # nothing was pushed: unchanged
            self.store.advance(campaign_id, ap.id, cs.RESTORED)
            return cs.RESTORED, error, None
        restored = self._restore(campaign_id, ap, snapshot, cli)
        state = cs.RESTORED if restored is None else cs.RESTORE_FAILED
        self.store.advance(
            campaign_id,
            ap.id,
            state,
            error=None if restored is None else TaskError("restore-failed", restored[:500]),
        )
        self._audit(
            "restore",
            campaign_id,
            ap.id,
            result="ok" if restored is None else "failed",
            detail={} if restored is None else {"detail": restored[:300]},
        )
        return state, error, None

    def _restore(
        self, campaign_id: str, ap: AccessPoint, snapshot: Snapshot, cli: Any = None
    ) -> str | None:
        """Push the recorded undo and check the config is the snapshot again; None: done."""
        if cli is not None:
            try:
                return self._undo(ap, snapshot, cli)
            except (SessionError, FactsParseError) as error:
                log.info("provision %s: restore in the same session failed: %s", ap.id, error)
        try:
            with open_session(
                self.collector.target(ap),
                self.collector.known_hosts,
                self.collector.watchdog,
                SESSION_S,
            ) as fresh:
                return self._undo(ap, snapshot, fresh)
        except (SessionError, FactsParseError) as error:
            return f"{getattr(error, 'reason', 'error')}: {error}"

    def _undo(self, ap: AccessPoint, snapshot: Snapshot, cli: Any) -> str | None:
        steps = PLATFORMS[ap.platform]
        values = snapshot.values
        if values.get("reload"):
            return self._undo_reload(ap, snapshot, cli)
        undo = list(values.get("undo", []))
        save = list(values.get("save", []))
        profile = self.profiles[ap.platform]
        _, masked = self._read(cli, profile, ap)
        if masked == snapshot.config:
            return None  # already as it was (the push never landed)
        commands = undo + (save if steps.save_in_config_mode else [])
        cli.configure(resolve_secrets(commands, self.environ), config_mode=steps.config_mode)
        if save and not steps.save_in_config_mode:
            cli.configure(save, config_mode=False)
        _, after = self._read(cli, profile, ap)
        if after != snapshot.config:
            return "the running-config differs from the snapshot after the undo"
        return None

    def _undo_reload(self, ap: AccessPoint, snapshot: Snapshot, cli: Any) -> str | None:
        """A firmware undo: back to the snapshot's version (another image and reload), then
        the snapshot's config, checked over a fresh session."""
        values = snapshot.values
        previous = Expectation(firmware=str(values.get("current", {}).get("version")))
        profile = self.profiles[ap.platform]
        facts, masked = self._read(cli, profile, ap)
        if not previous.facts_problems(facts):
            if masked != snapshot.config:
                return f"firmware is {facts.firmware} again but the running-config differs"
            return None  # never left it, or already back
        if values.get("undo_problem"):
            return str(values["undo_problem"])
        undo = list(values.get("undo", []))
        cli.push_reload(resolve_secrets(undo, self.environ), config_mode=values["config_mode"])
        within = float(values.get("within_s", 120))
        problems, after = self._verify_reconnect(profile, ap, previous, within)
        if problems:
            return "after the undo: " + "; ".join(problems)
        if after != snapshot.config:
            return "the running-config differs from the snapshot after the undo"
        return None

    # --- rollback ------------------------------------------------------------------------
    def rollback(self, campaign_id: str) -> RunReport:
        started = time.monotonic()
        campaign = self.store.get(campaign_id)
        if campaign.state != cs.ROLLING_BACK:
            runner = self.store.runner(campaign_id)
            if runner is not None and runner.live:
                raise Halted(f"campaign {campaign_id} is being applied by pid {runner.pid}")
            campaign = self.store.transition(campaign_id, cs.ROLLING_BACK)
        self._lease(campaign_id)
        try:
            self._audit("rollback", campaign_id, result="started")
            tasks = [t for t in self.store.tasks(campaign_id) if t.state in cs.NEEDS_ROLLBACK]
            report = WaveReport(-1, len(tasks))
            self._quiet_alerts(campaign_id, [t.ap_id for t in tasks], _rollback_within_s(
                [self.store.snapshot(campaign_id, t.ap_id) for t in tasks]))  # fmt: skip

            def one(ap_id: str) -> str:
                ap = self.inventory.ap(ap_id)
                snapshot = self.store.snapshot(campaign_id, ap_id)
                if snapshot is None:
                    self.store.advance(campaign_id, ap_id, cs.TASK_ROLLED_BACK)
                    return cs.TASK_ROLLED_BACK
                try:
                    problem = self._restore(campaign_id, ap, snapshot)
                except Exception as error:  # recorded per AP; the others go on
                    problem = repr(error)[:300]
                if problem is None:
                    self.store.advance(campaign_id, ap_id, cs.TASK_ROLLED_BACK)
                    self._audit("rollback", campaign_id, ap_id)
                    return cs.TASK_ROLLED_BACK
                self.store.advance(
                    campaign_id,
                    ap_id,
                    cs.ROLLBACK_FAILED,
                    error=TaskError("rollback-failed", problem),
                )
                self._audit(
                    "rollback", campaign_id, ap_id, result="failed", detail={"detail": problem}
                )
                return cs.ROLLBACK_FAILED

            workers = max(1, min(self.concurrency, len(tasks)))
            with ThreadPoolExecutor(workers, thread_name_prefix="rollback") as pool:
                states = list(pool.map(one, [t.ap_id for t in tasks]))
            report.restored = states.count(cs.TASK_ROLLED_BACK)
            report.restore_failed = states.count(cs.ROLLBACK_FAILED)
            self._commit_snapshots(
                campaign_id,
                [t.ap_id for t, s in zip(tasks, states, strict=True) if s == cs.TASK_ROLLED_BACK],
            )
            final = cs.ROLLED_BACK if report.restore_failed == 0 else cs.FAILED
            self.store.transition(
                campaign_id,
                final,
                reason=None if final == cs.ROLLED_BACK else "rollback incomplete",
            )
            self._audit(
                "rollback", campaign_id, result="ok" if final == cs.ROLLED_BACK else "failed"
            )
            report.seconds = time.monotonic() - started
            return RunReport(campaign_id, final, [report], seconds=report.seconds)
        finally:
            self._lift_alerts(campaign_id)
            self.store.release_runner(campaign_id, os.getpid(), socket.gethostname())

    # --- the configuration history ---------------------------------------------------------
    def _commit(self, campaign_id: str, configs: Mapping[str, str]) -> None:
        if not configs:
            return
        repo = ConfigRepo.open(self.data_dir / "configs")
        for attempt in range(60):
            try:
                for ap_id, text in configs.items():
                    repo.stage(ap_id, text)
                repo.commit(
                    when=time.time(),
                    source=f"provision:{campaign_id}",
                    message=f"provision {campaign_id}: {len(configs)} APs",
                )
                return
            except ConfigRepoBusy:
                repo.close()
                time.sleep(1.0 if attempt < 59 else 0)
            except ValueError as error:
                log.error("campaign %s: configs not committed: %s", campaign_id, error)
                repo.close()
                return
        log.error(
            "campaign %s: configuration history busy; %d configs not committed",
            campaign_id,
            len(configs),
        )

    def _commit_snapshots(self, campaign_id: str, ap_ids: list[str]) -> None:
        configs = {}
        for ap_id in ap_ids:
            snapshot = self.store.snapshot(campaign_id, ap_id)
            if snapshot is not None:
                configs[ap_id] = snapshot.config
        self._commit(campaign_id, configs)

    def _snmp_answering(self, change: Change, ap_ids: list[str]) -> set[str]:
        """The APs whose agent answers before the push: only they can be verified over SNMP
        (an AP SNMP could not read before the change is verified over SSH, and audited so)."""
        if not ap_ids or self.snmp_verify is None or not change.verify.snmp:
            return set()
        aps = [self.inventory.ap(ap_id) for ap_id in ap_ids]
        problems = self.snmp_verify(aps, {})
        return {ap for ap in ap_ids if not any("no answer" in p for p in problems.get(ap, []))}

    def _snmp(self, campaign_id: str, change: Change, ap_ids: list[str]) -> dict[str, list[str]]:
        """What the agents of the wave's CLI-verified APs report wrong (SNMP verification)."""
        if not ap_ids or self.snmp_verify is None or not change.verify.snmp:
            return {}
        aps = [self.inventory.ap(ap_id) for ap_id in ap_ids]
        expected = {
            ap_id: _expectation_of(self.store.snapshot(campaign_id, ap_id), None)
            for ap_id in ap_ids
        }
        return self.snmp_verify(aps, expected)

    def _finish(
        self,
        campaign_id: str,
        change: Change,
        ap_id: str,
        wrong: Mapping[str, list[str]],
        config: str | None,
    ) -> tuple[str, TaskError | None, str | None]:
        problems = wrong.get(ap_id, [])
        ap = self.inventory.ap(ap_id)
        if problems:
            return self._fail(
                campaign_id, change, ap, "verify-snmp", "; ".join(problems), verify=True
            )
        self.store.advance(campaign_id, ap_id, cs.VERIFIED)
        self._audit("verify", campaign_id, ap_id)
        return cs.VERIFIED, None, config

    def _audit(
        self,
        action: str,
        campaign_id: str | None,
        ap_id: str | None = None,
        *,
        result: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.audit.append(
            self.actor, action, campaign=campaign_id, ap=ap_id, result=result, detail=detail
        )


_CLI_VERIFIED = "cli-verified"  # saved and verified over SSH; SNMP verification decides
_TO_DO = frozenset({cs.PENDING, cs.SNAPSHOTTED, cs.PUSHED, cs.SAVED, cs.TASK_FAILED})


def _rollback_within_s(snapshots: list[Snapshot | None]) -> float:
    """A rollback's verification time per AP: a firmware undo waits for the reload."""
    return max(
        (float(s.values.get("within_s", 0)) for s in snapshots if s is not None), default=0.0
    )


def _snapshot(masked: str, rendered: Rendered, within_s: float) -> Snapshot:
    values: dict[str, Any] = {
        "current": rendered.current,
        "target": rendered.target,
        "undo": list(rendered.undo),
        "save": list(rendered.save),
        "expect": asdict(rendered.expect),
    }
    if rendered.reload:  # what a restore or rollback needs to undo a reload (firmware)
        values.update(
            reload=True,
            config_mode=rendered.config_mode,
            undo_problem=rendered.undo_problem,
            within_s=within_s,
        )
    return Snapshot(masked, values)


def _expectation_of(snapshot: Snapshot | None, rendered: Rendered | None) -> Expectation:
    """The expectation recorded with the snapshot (what the push was meant to achieve)."""
    if snapshot is not None and "expect" in snapshot.values:
        return expectation_from(snapshot.values["expect"])
    return rendered.expect if rendered is not None else Expectation()


def expectation_from(data: Mapping[str, Any]) -> Expectation:
    from provisioning.intents import RadioExpect, SsidExpect

    return Expectation(
        radios=tuple(RadioExpect(**r) for r in data.get("radios", ())),
        ssids=tuple(SsidExpect(**s) for s in data.get("ssids", ())),
        ssids_absent=tuple(data.get("ssids_absent", ())),
        hostname=data.get("hostname"),
        firmware=data.get("firmware"),
        config_lines_present=tuple(data.get("config_lines_present", ())),
        config_lines_absent=tuple(data.get("config_lines_absent", ())),
    )


def _count(report: WaveReport, state: str, error: TaskError | None) -> None:
    if state == cs.VERIFIED:
        report.verified += 1
    elif state == cs.SKIPPED:
        report.skipped += 1
    elif state in (cs.RESTORED, cs.RESTORE_FAILED, cs.TASK_FAILED):
        report.failed += 1
        if state == cs.RESTORED:
            report.restored += 1
        elif state == cs.RESTORE_FAILED:
            report.restore_failed += 1
        if error is not None:
            report.reasons[error.reason] = report.reasons.get(error.reason, 0) + 1
            if error.reason.startswith("verify"):
                report.verify_failures += 1


def _label(reason: str) -> str:
    return reason.replace("_", "-")


def _wave_line(wave: WaveReport) -> str:
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(wave.reasons.items()))
    return (
        f"wave {wave.index + 1}: {wave.size} APs: {wave.verified} verified, {wave.skipped} "
        f"skipped, {wave.failed} failed ({wave.restored} restored, {wave.restore_failed} not)"
        + (f" [{reasons}]" if reasons else "")
        + f" in {wave.seconds:.1f} s"
    )


__all__ = [
    "ALERT_MARGIN_S",
    "Applier",
    "Halted",
    "RunReport",
    "WaveReport",
    "expectation_from",
    "expected_wave_s",
]
