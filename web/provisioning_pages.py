"""The Provisioning area: change files and their plans, campaigns, their buttons, the audit trail.

Who may do what: a viewer reads the changes, plans and campaigns; an engineer submits a
change (a campaign waiting for an approver), applies an approved campaign, halts and resumes
it, and reads the audit trail; an admin also approves (never a campaign they submitted: four
eyes) and rolls back. Every POST carries its CSRF token and is audited as ``web:<user>``.
Apply, resume and rollback start a detached ``pubwifi provision`` child
(:func:`web.provisioning_views.spawn_detached`); the pages read its progress from the store.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask import render_template as render
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from collector.errors import InputError
from provisioning import campaigns as cs
from provisioning.audit import AuditLog
from provisioning.campaigns import CampaignStore, sha256_text
from web import provisioning_views as pv
from web.app import context, requires
from web.users import Role

provisioning = Blueprint("provisioning", __name__)
AP_PAGE = 50
TASK_PAGE = 100
AUDIT_PAGE = 200
KST = dt.timezone(dt.timedelta(hours=9), "KST")
_FLAG = re.compile(r"^[a-z_]{1,32}$")


@provisioning.context_processor
def labels() -> dict[str, Any]:
    """State names in the page's language (``failed`` of a campaign is not an AP's ``failed``)."""
    return {
        "state_label": lambda state: pgettext("campaign state", state),
        "task_label": lambda state: pgettext("task state", state),
    }


def _state() -> pv.ProvisioningState:
    """The app's provisioning state, made on first use."""
    found = current_app.extensions.get("pubwifi.provisioning")
    if found is None:
        found = pv.ProvisioningState(pv.inventory_of(context().inventory))
        current_app.extensions["pubwifi.provisioning"] = found
    state: pv.ProvisioningState = found
    return state


def _store() -> CampaignStore:
    return CampaignStore.open(context().data_dir)


def _audit() -> AuditLog:
    return AuditLog.in_data_dir(context().data_dir)


def _actor() -> str:
    return f"web:{current_user.id}"


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _campaign_or_404(store: CampaignStore, campaign_id: str) -> cs.Campaign:
    if not pv.CAMPAIGN_ID.fullmatch(campaign_id):
        abort(404)
    try:
        return store.get(campaign_id)
    except KeyError:
        abort(404)


# --- change files and plans ------------------------------------------------------------------


@provisioning.get("/provisioning")
@requires(Role.VIEWER)
def index() -> ResponseReturnValue:
    ctx = context()
    folder = pv.changes_dir(ctx.data_dir)
    state = _state()
    changes = [state.planned(folder, name, ctx.data_dir) for name in pv.change_files(folder)]
    with _store() as store:
        campaigns = sorted(store.list(), key=lambda c: (c.created_at, c.id), reverse=True)
        rows = [
            {
                "c": c,
                "waves": pv.wave_rows(c, store.wave_counts(c.id)),
                "counts": store.counts(c.id),
            }
            for c in campaigns
        ]
    return render(
        "provisioning.html",
        changes=[c for c in changes if c is not None],
        campaigns=rows,
        folder_name=folder.name,
    )


@provisioning.get("/provisioning/changes/<name>")
@requires(Role.VIEWER)
def change(name: str) -> ResponseReturnValue:
    ctx = context()
    planned = _state().planned(pv.changes_dir(ctx.data_dir), name, ctx.data_dir)
    if planned is None:
        abort(404)
    flag = request.args.get("flag", "")
    flag = flag if _FLAG.fullmatch(flag) else ""
    aps = list(planned.plan.aps) if planned.plan else []
    if flag:
        aps = [p for p in aps if flag in p.flags]
    page = _page()
    pages = max(1, -(-len(aps) // AP_PAGE))
    holders: dict[str, str] = {}
    if planned.plan is not None:
        with _store() as store:
            holders = store.holders(planned.plan.to_apply)
    return render(
        "provisioning_change.html",
        p=planned,
        aps=aps[(page - 1) * AP_PAGE : page * AP_PAGE],
        ap_count=len(aps),
        page=page,
        pages=pages,
        flag=flag,
        holders=holders,
        waves=planned.plan.waves() if planned.plan else [],
    )


@provisioning.post("/provisioning/changes/<name>/submit")
@requires(Role.ENGINEER)
def submit(name: str) -> ResponseReturnValue:
    ctx = context()
    back = redirect(url_for("provisioning.change", name=name)), 303
    folder = pv.changes_dir(ctx.data_dir)
    path = pv.change_path(folder, name)
    if path is None:
        abort(404)
    reviewed = request.form.get("sha256", "")
    text = pv.read_text(path)
    if sha256_text(text) != reviewed:
        flash(_("The change file changed since you read it: review the new plan."), "error")
        return back
    state = _state()
    state.forget(name)
    planned = state.planned(folder, name, ctx.data_dir)
    if planned is None or planned.change is None or planned.plan is None:
        flash(_("The change cannot be planned; nothing submitted."), "error")
        return back
    if planned.sha256 != reviewed:
        flash(_("The change file changed since you read it: review the new plan."), "error")
        return back
    plan = planned.plan
    if not plan.to_apply:
        flash(_("No AP needs this change: nothing submitted."), "error")
        return back
    actor = _actor()
    audit = _audit()
    with _store() as store:
        try:
            campaign = store.create(
                change_name=planned.change.name,
                change_path=str(path.resolve()),
                change_text=planned.text,
                reason=planned.change.reason,
                created_by=actor,
                waves=plan.waves(),
                plan={"summary": plan.summary_lines(), "flags": plan.flag_counts()},
            )
        except (InputError, ValueError) as error:
            flash(_("Not submitted: %(why)s", why=str(error).rsplit(": ", 1)[-1]), "error")
            return back
        audit.append(
            actor,
            "plan",
            campaign=campaign.id,
            detail={"aps": len(plan.to_apply), "file": name, "sha256": planned.sha256},
        )
        store.submit(campaign.id, actor)
        audit.append(actor, "submit", campaign=campaign.id)
    flash(_("Campaign %(id)s submitted: an admin other than you approves it.", id=campaign.id))
    return redirect(url_for("provisioning.campaign", campaign_id=campaign.id)), 303


# --- campaigns -------------------------------------------------------------------------------


@provisioning.get("/provisioning/campaigns/<campaign_id>")
@requires(Role.VIEWER)
def campaign(campaign_id: str) -> ResponseReturnValue:
    ctx = context()
    state = _state()
    with _store() as store:
        c = _campaign_or_404(store, campaign_id)
        counts = store.counts(c.id)
        waves = pv.wave_rows(c, store.wave_counts(c.id))
        runner = store.runner(c.id)
        wanted = request.args.get("state", "")
        wanted = wanted if wanted in cs.TASK_STATES else ""
        tasks = store.tasks(c.id, state=wanted or None)
        holders = store.holders(c.ap_ids) if c.state in (cs.SUBMITTED, cs.APPROVED) else {}
    page = _page()
    child = state.child_running(c.id)
    engineer = current_user.role >= Role.ENGINEER
    actions = pv.actions_for(c, counts, runner, child, current_user.id, current_user.role, _)
    entries = list(reversed(_audit().entries(campaign=c.id)))[:AUDIT_PAGE]
    refresh = c.state in pv.MOVING or child
    html = render(
        "provisioning_campaign.html",
        c=c,
        counts={s: n for s, n in counts.items() if n},
        waves=waves,
        runner=runner,
        child=child,
        tasks=tasks[(page - 1) * TASK_PAGE : page * TASK_PAGE],
        task_count=len(tasks),
        task_state=wanted,
        page=page,
        pages=max(1, -(-len(tasks) // TASK_PAGE)),
        actions=actions,
        entries=entries,
        refresh=refresh,
        log=pv.log_tail(pv.run_log(ctx.data_dir, c.id)) if engineer else [],
        holders={ap: h for ap, h in holders.items() if h != c.id},
        task_states=sorted(cs.TASK_STATES),
    )
    response = Response(html)
    if refresh:
        response.headers["Refresh"] = "5"
    return response


_ADMIN_ONLY = frozenset({"approve", "rollback"})
_ACTIONS = frozenset({"approve", "apply", "halt", "resume", "rollback"})


@provisioning.post("/provisioning/campaigns/<campaign_id>/<action>")
@requires(Role.ENGINEER)
def act(campaign_id: str, action: str) -> ResponseReturnValue:
    if action not in _ACTIONS:
        abort(404)
    if action in _ADMIN_ONLY and current_user.role < Role.ADMIN:
        abort(403)
    ctx = context()
    state = _state()
    actor = _actor()
    audit = _audit()
    back = redirect(url_for("provisioning.campaign", campaign_id=campaign_id)), 303
    with _store() as store:
        c = _campaign_or_404(store, campaign_id)
        offered = {
            a.name: a
            for a in pv.actions_for(
                c,
                store.counts(c.id),
                store.runner(c.id),
                state.child_running(c.id),
                current_user.id,
                current_user.role,
                _,
            )
        }
        if action == "approve":
            try:
                store.approve(c.id, actor)
            except PermissionError:
                flash(_("You submitted this campaign: another admin must approve it."), "error")
                audit.append(actor, "approve", campaign=c.id, result="refused")
                return back
            except ValueError:
                flash(_("Only a submitted campaign can be approved."), "error")
                return back
            audit.append(actor, "approve", campaign=c.id)
            flash(_("Approved: an engineer can apply it now."))
            return back
        if action == "halt":
            reason = " ".join(request.form.get("reason", "").split())[:200]
            reason = reason or f"halted in the web UI by {current_user.id}"
            try:
                store.halt(c.id, reason)
            except ValueError:
                flash(_("Only a running campaign can be halted."), "error")
                return back
            audit.append(actor, "halt", campaign=c.id, detail={"reason": reason})
            flash(_("Halting: the APs in flight finish, no new AP starts."))
            return back
        choice = offered.get(action)
        if choice is None or not choice.allowed:
            why = choice.why if choice is not None and choice.why else None
            flash(why or _("Not possible in this state."), "error")
            return back
    command = {"apply": "run", "resume": "resume", "rollback": "rollback"}[action]
    argv = pv.run_argv(command, c.id, pv.inventory_path())
    try:
        pid = pv.spawn_detached(argv, pv.run_log(ctx.data_dir, c.id), pv.child_env(ctx.data_dir))
    except OSError as error:
        audit.append(actor, action, campaign=c.id, result="failed", detail={"error": str(error)})
        flash(_("The run could not be started: %(why)s", why=str(error)), "error")
        return back
    state.started(c.id, pid)
    audit.append(actor, action, campaign=c.id, result="started", detail={"pid": pid})
    flash(_("Started (process %(pid)d): this page follows it.", pid=pid))
    return back


# --- the audit trail -------------------------------------------------------------------------


def _since(text: str) -> float | None:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` in KST, as epoch seconds."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=KST).timestamp()
        except ValueError:
            continue
    return None


@provisioning.get("/audit")
@requires(Role.ENGINEER)
def audit() -> ResponseReturnValue:
    log = _audit()
    campaign_id = request.args.get("campaign", "").strip()[:100]
    ap = request.args.get("ap", "").strip()[:100]
    since_text = request.args.get("since", "").strip()[:20]
    since = _since(since_text) if since_text else None
    bad_since = bool(since_text) and since is None
    entries = log.entries(since=since, ap=ap or None, campaign=campaign_id or None)
    entries.reverse()
    page = _page()
    return render(
        "audit.html",
        verified=log.verify(),
        entries=entries[(page - 1) * AUDIT_PAGE : page * AUDIT_PAGE],
        entry_count=len(entries),
        page=page,
        pages=max(1, -(-len(entries) // AUDIT_PAGE)),
        f={"campaign": campaign_id, "ap": ap, "since": since_text},
        bad_since=bad_since,
    )


# --- JSON ------------------------------------------------------------------------------------


@provisioning.get("/api/provisioning/campaigns")
@requires(Role.VIEWER)
def api_campaigns() -> ResponseReturnValue:
    with _store() as store:
        found = sorted(store.list(), key=lambda c: (c.created_at, c.id), reverse=True)
        return {"campaigns": [pv.campaign_json(store, c) for c in found]}


@provisioning.get("/api/provisioning/campaigns/<campaign_id>")
@requires(Role.VIEWER)
def api_campaign(campaign_id: str) -> ResponseReturnValue:
    with _store() as store:
        c = _campaign_or_404(store, campaign_id)
        out: dict[str, Any] = pv.campaign_json(store, c)
        runner = store.runner(c.id)
        out["runner"] = (
            None
            if runner is None
            else {
                "pid": runner.pid,
                "host": runner.host,
                "since": runner.acquired_at,
                "live": runner.live,
            }
        )
        out["plan"] = c.plan
        out["wave_counts"] = [
            {s: n for s, n in counts.items() if n} for counts in store.wave_counts(c.id)
        ]
        out["tasks"] = [
            {
                "ap": t.ap_id,
                "wave": t.wave,
                "state": t.state,
                "attempts": t.attempts,
                "error": t.error.reason if t.error else None,
                "detail": t.error.detail if t.error else None,
                "updated_at": t.updated_at,
            }
            for t in store.tasks(c.id)
        ]
    return out
