"""The HTML pages (Jinja templates in ``web/templates``, rendered from the snapshot)."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from collector.errors import InputError
from collector.influx.query import QueryError
from collector.savings.compute import ESTIMATE_METHOD, ESTIMATE_METHOD_KO, kst_day
from collector.savings.money import ROUNDING_RULE, ROUNDING_RULE_KO
from web import charts
from web.alert_pages import ap_alerts
from web.app import LoginUser, context, current_lang, requires
from web.device import hour_label
from web.ssh_story import config_view, ssh_story
from web.users import Role
from web.views import (
    DISTRICTS,
    MONTH,
    REVISION,
    SORTS,
    ap_story,
    district_rows,
    report_revisions,
    revision_files,
)

pages = Blueprint("pages", __name__)
PAGE = 100


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.overview")
    return target


@pages.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    ctx = context()
    error = None
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "").strip().lower()[:64]
        password = request.form.get("password", "")
        address = request.remote_addr or "-"
        wait = ctx.throttle.blocked(name, address)
        if wait > 0:
            error = _(
                "Too many failed logins: try again in %(minutes)d min.", minutes=int(wait // 60) + 1
            )
            status = 429
        else:
            user = ctx.users.verify(name, password)
            if user is None:
                ctx.throttle.failed(name, address)
                error = _("Wrong name or password.")
                status = 401
            else:
                ctx.throttle.succeeded(name, address)
                login_user(LoginUser(user))
                if user.must_change:
                    return redirect(url_for("pages.password"))
                return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error), status


@pages.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("pages.login"))


@pages.route("/password", methods=["GET", "POST"])
@requires(Role.VIEWER)
def password() -> ResponseReturnValue:
    ctx = context()
    error = None
    if request.method == "POST":
        old, new, again = (request.form.get(k, "") for k in ("old", "new", "again"))
        if ctx.users.verify(current_user.id, old) is None:
            error = _("The current password is wrong.")
        elif new != again:
            error = _("The new passwords differ.")
        elif new == old:
            error = _("Choose a password different from the one-time password.")
        else:
            try:
                ctx.users.set_password(current_user.id, new)
            except InputError:
                error = _("At least 10 characters.")
            else:
                flash(_("Password changed."))
                user = ctx.users.get(current_user.id)
                if user is not None:
                    login_user(LoginUser(user))
                return redirect(url_for("pages.overview"))
    return render_template("password.html", error=error), 200 if error is None else 400


@pages.get("/")
@requires(Role.VIEWER)
def overview() -> ResponseReturnValue:
    snap = context().refresher.snapshot()
    if snap is None:
        return render_template("loading.html"), 503
    rows = district_rows(snap, "usage")
    days = snap.city.days
    chart = charts.bars(
        [(charts.day_label(d), b / 1e12) for d, b, _ in days],
        unit="TB",
        every=max(1, len(days) // 10),
    )
    return render_template("overview.html", rows=rows, chart=chart)


@pages.get("/map.svg")
@requires(Role.VIEWER)
def fleet_map() -> ResponseReturnValue:
    snap = context().refresher.snapshot()
    svg = snap.map_svg if snap else charts.fleet_map(context().inventory, {})
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@pages.get("/districts")
@requires(Role.VIEWER)
def districts() -> ResponseReturnValue:
    snap = context().refresher.snapshot()
    if snap is None:
        return render_template("loading.html"), 503
    sort = request.args.get("sort", "usage")
    sort = sort if sort in SORTS else "usage"
    return render_template("districts.html", rows=district_rows(snap, sort), sort=sort)


@pages.get("/districts/<code>")
@requires(Role.VIEWER)
def district(code: str) -> ResponseReturnValue:
    snap = context().refresher.snapshot()
    if code not in DISTRICTS:
        abort(404)
    if snap is None:
        return render_template("loading.html"), 503
    area = snap.districts[code]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    sites = snap.sites.get(code, ())
    shown = sites[(page - 1) * PAGE : page * PAGE]

    def traffic(ap_id: str) -> int:
        p = snap.periods.get(ap_id)
        return p.rx_bytes + p.tx_bytes if p else 0

    aps = sorted(context().by_district.get(code, []), key=lambda ap: -traffic(ap.id))
    chart = charts.bars(
        [(charts.day_label(d), b / 1e9) for d, b, _ in area.days],
        unit="GB",
        every=max(1, len(area.days) // 10),
    )
    return render_template(
        "district.html",
        d=DISTRICTS[code],
        area=area,
        sites=shown,
        site_count=len(sites),
        page=page,
        pages=max(1, -(-len(sites) // PAGE)),
        aps=aps[:PAGE],
        ap_count=len(aps),
        chart=chart,
    )


@pages.get("/aps/<ap_id>")
@requires(Role.VIEWER)
def access_point(ap_id: str) -> ResponseReturnValue:
    ap, snap, story = ap_story(ap_id)
    alerts, events = ap_alerts(ap.id)
    view = request.args.get("view", "day")
    view = view if view in ("hour", "day", "month") else "day"
    if view == "hour":
        points = [(hour_label(u.stamp), u.bytes / 1e6) for u in story.hours]
        chart = charts.bars(points, unit="MB", every=3)
    elif view == "month":
        chart = charts.bars([(m, b / 1e9) for m, b, _ in story.months], unit="GB")
    else:
        points = [(charts.day_label(kst_day(u.stamp)), u.bytes / 1e9) for u in story.days]
        chart = charts.bars(points, unit="GB", every=max(1, len(points) // 10))
    return render_template(
        "ap.html",
        ap=ap,
        state=snap.state.get(ap.id, "unknown") if snap else "unknown",
        period=snap.periods.get(ap.id) if snap else None,
        story=story,
        view=view,
        chart=chart,
        ssh=ssh_story(context().data_dir, ap.id, str(ap.address), ap.ssh_port),
        engineer=current_user.role >= Role.ENGINEER,
        alerts=alerts,
        events=events,
    )


@pages.get("/aps/<ap_id>/config")
@requires(Role.ENGINEER)
def ap_config(ap_id: str) -> ResponseReturnValue:
    """One masked running-config version and its diff to the one before (engineers only)."""
    ctx = context()
    ap = ctx.by_id.get(ap_id)
    if ap is None:
        abort(404)
    commit = request.args.get("commit")
    if commit is not None and not re.fullmatch(r"[0-9a-f]{40}", commit):
        abort(400)
    view = config_view(ctx.data_dir, ap.id, commit)
    if view is None:
        abort(404)
    return render_template("ap_config.html", ap=ap, view=view)


@pages.get("/savings")
@requires(Role.VIEWER)
def savings() -> ResponseReturnValue:
    snap = context().refresher.snapshot()
    if snap is None:
        return render_template("loading.html"), 503
    months = snap.months
    month = request.args.get("month") or snap.month
    table = months.by_district.get(month)
    chart = charts.bars(
        [(m[5:] + "월" if current_lang() == "ko" else m, f.krw / 1e8) for m, f in months.city],
        unit="억 원" if current_lang() == "ko" else "100 M KRW",
    )
    lang = current_lang()
    return render_template(
        "savings.html",
        months=months,
        month=month,
        table=table,
        chart=chart,
        tariffs=context().book.tariffs,
        method=ESTIMATE_METHOD_KO if lang == "ko" else ESTIMATE_METHOD,
        rounding=ROUNDING_RULE_KO if lang == "ko" else ROUNDING_RULE,
        districts=DISTRICTS,
    )


@pages.get("/reports")
@requires(Role.VIEWER)
def reports() -> ResponseReturnValue:
    snap = context().refresher.snapshot()
    return render_template(
        "reports.html",
        revisions=report_revisions(context().reports_root),
        default_month=snap.month if snap else "",
    )


@pages.post("/reports")
@requires(Role.ENGINEER)
def produce_report() -> ResponseReturnValue:
    from collector.reports.cli import produce

    ctx = context()
    month = request.form.get("month", "")
    lang = request.form.get("lang", current_lang())
    if not MONTH.fullmatch(month) or lang not in ("ko", "en"):
        flash(_("Month as YYYY-MM, please."), "error")
        return redirect(url_for("pages.reports")), 303
    try:
        revision = produce(
            ctx.query,
            ctx.book,
            list(ctx.inventory),
            month,
            ctx.reports_root,
            lang=lang,
            reason=f"made in the web UI by {current_user.id}",
            mirror=ctx.mirror,
        )
    except (InputError, QueryError) as error:
        flash(_("No report: %(why)s", why=str(error)), "error")
        return redirect(url_for("pages.reports")), 303
    flash(_("Report %(month)s r%(n)d made.", month=month, n=revision.number))
    return redirect(url_for("pages.reports")), 303


@pages.get("/reports/<month>/<revision>/<name>")
@requires(Role.VIEWER)
def report_file(month: str, revision: str, name: str) -> ResponseReturnValue:
    if not MONTH.fullmatch(month) or not REVISION.fullmatch(revision):
        abort(404)
    folder = context().reports_root / month / revision
    if name not in revision_files(folder):
        abort(404)
    return send_from_directory(folder, name, as_attachment=True)


@pages.get("/search")
@requires(Role.VIEWER)
def search() -> ResponseReturnValue:
    q = request.args.get("q", "")[:100]
    found = context().search.find(q)
    if found.total == 1 and request.args.get("go"):
        return redirect(url_for("pages.access_point", ap_id=found.aps[0].id))
    snap = context().refresher.snapshot()
    return render_template("search.html", q=q, found=found, state=snap.state if snap else {})


@pages.route("/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users() -> ResponseReturnValue:
    ctx = context()
    error = None
    if request.method == "POST":
        try:
            role = Role.parse(request.form.get("role", ""))
            ctx.users.add(
                request.form.get("name", "").strip(),
                role,
                request.form.get("password", ""),
                must_change=True,
            )
        except InputError as problem:
            error = "; ".join(p.message for p in problem.problems)
        else:
            flash(_("User added: they choose their own password at the first login."))
            return redirect(url_for("pages.users")), 303
    return render_template("users.html", users=ctx.users.all(), error=error), (
        200 if error is None else 400
    )


@pages.post("/users/<name>/delete")
@requires(Role.ADMIN)
def delete_user(name: str) -> ResponseReturnValue:
    if name == current_user.id:
        flash(_("You cannot remove yourself."), "error")
    else:
        context().users.remove(name)
        flash(_("User removed."))
    return redirect(url_for("pages.users")), 303
