"""The Rollout area (와이파이6 전환): the Wi-Fi 6 programme, its map, before/after, candidates.

Every page needs a login (any role reads). The figures are :mod:`collector.rollout`'s, computed
at most once a minute per filter (:class:`web.rollout_views.RolloutCache`):

- ``/rollout``: totals against the press release's target, the district x quarter table, the map
  of the programme's APs by state, and the APs that need someone (or, filtered by
  ``?district=CODE`` and/or ``?quarter=2025Q3``, every AP there);
- ``/rollout/installed``: the installed APs' figures before and after, per AP and per site;
- ``/rollout/ap/<id>`` and ``/rollout/site/<id>``: one AP's (one site's) before/after charts;
- ``/rollout/candidates``: the legacy APs to replace next, with every figure behind the score;
- ``/rollout/status.json`` and ``/rollout/candidates.json``: the same data as JSON.

A bad ``district`` or ``quarter`` answers 400 with the reason. Device-supplied strings (the
model an AP answers as, the notes quoting it) are data: autoescaped, never marked safe.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request, url_for
from flask import render_template as render
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import pgettext

from collector.districts import DISTRICTS_BY_CODE, SEOUL_DISTRICTS
from collector.inventory.model import District
from collector.rollout import state as st
from collector.rollout.quarters import kst_date
from collector.rollout.state import ApRollout, Figures
from web import charts, numbers
from web import rollout_views as rv
from web.app import WebContext, context, current_lang, requires
from web.users import Role

rollout = Blueprint("rollout", __name__, url_prefix="/rollout")
AP_PAGE = 50
INSTALLED_PAGE = 100
KIND_TITLES = {"replacement": "Replacements", "new": "New APs", "total": "Programme total"}
METRIC_TITLES = {
    "traffic": "Traffic per day",
    "peak_clients": "Peak clients",
    "sessions": "Sessions per day",
    "poll_success": "Poll success",
}

#: The state module's thresholds, as the "what the states mean" text prints them.
STATE_RULES = {
    "verify_days": st.VERIFY_DAYS,
    "verify_pct": f"{st.VERIFY_POLL_SUCCESS:.0%}",
    "drop_pct": f"{100 * st.AVAILABILITY_DROP:g}",
    "floor_pct": f"{st.TRAFFIC_FLOOR:.0%}",
    "window_days": st.WINDOW_DAYS,
}


def _cache() -> rv.RolloutCache:
    """The app's rollout cache, made on first use (a test may place its own, with its clock)."""
    found = current_app.extensions.get("pubwifi.rollout")
    if found is None:
        found = rv.RolloutCache()
        current_app.extensions["pubwifi.rollout"] = found
    cache: rv.RolloutCache = found
    return cache


def _computed(filters: rv.Filters) -> rv.Computed:
    ctx = context()
    return _cache().status(ctx.inventory, ctx.mirror, ctx.data_dir, filters)


def _filters() -> rv.Filters:
    return rv.parse_filters(request.args.get("district"), request.args.get("quarter"))


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def metric_text(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name == "traffic":
        return numbers.data(round(value))
    if name == "poll_success":
        return f"{100 * value:.1f}%"
    return f"{value:,.0f}"


def change_text(metric: rv.Metric) -> str:
    if metric.change is None:
        return ""
    if metric.name == "poll_success":
        unit = "%p" if current_lang() == "ko" else " pp"
        return f"{100 * metric.change:+.1f}{unit}"
    return f"{100 * metric.change:+.0f}%"


def pair_chart(before: Figures | None, after: Figures | None) -> str:
    """The four figures before and after, as small multiples (``charts.before_after``)."""
    pairs = [
        charts.Pair(
            _(METRIC_TITLES[m.name]),
            m.before,
            m.after,
            metric_text(m.name, m.before),
            metric_text(m.name, m.after),
            change_text(m),
            m.better,
        )
        for m in rv.metrics(before, after)
    ]
    return charts.before_after(pairs, labels=(_("before"), _("after")))


def _district(code: str) -> District | None:
    return DISTRICTS_BY_CODE.get(code)


@rollout.context_processor
def helpers() -> dict[str, Any]:
    return {
        "state_label": lambda state: pgettext("rollout state", state),
        "kind_label": lambda kind: pgettext("rollout kind", kind) if kind else "—",
        "kind_title": lambda kind: _(KIND_TITLES[kind]),
        "term_label": lambda term: pgettext("score term", term),
        "footfall_label": lambda value: pgettext("footfall", value),
        "metric_title": lambda name: _(METRIC_TITLES[name]),
        "metric_text": metric_text,
        "change_text": change_text,
        "metrics": rv.metrics,
        "kst_date": lambda ts: kst_date(ts) if ts is not None else "—",
        "district_of": _district,
        "all_districts": SEOUL_DISTRICTS,
        "colours": rv.COLOURS,
        "needs_someone": [s.value for s in rv.NEEDS_SOMEONE],
        "rules": STATE_RULES,
    }


@rollout.errorhandler(rv.BadFilter)
def bad_filter(error: rv.BadFilter) -> ResponseReturnValue:
    if request.path.endswith(".json"):
        return {"error": str(error)}, 400
    quarters = _cache().quarters(context().inventory)
    return render("rollout_error.html", error=str(error), quarters=quarters), 400


def _map(ctx: WebContext, rows: list[ApRollout], filters: rv.Filters) -> str:
    background = ctx.by_district.get(filters.district, []) if filters.district else ctx.inventory
    points = []
    for dot in rv.site_dots(rows):
        lines = [f"{dot.site}"] + [
            f"{r.ap_id}: {pgettext('rollout state', r.state.value)}"
            + (f" ({r.observed_model})" if r.observed_model else "")
            for r in dot.rows[:8]
        ]
        if len(dot.rows) > 8:
            lines.append(f"+{len(dot.rows) - 8}")
        href = url_for("rollout.access_point", ap_id=dot.rows[0].ap_id)
        points.append(charts.MapPoint(dot.lat, dot.lon, dot.state, "\n".join(lines), href))
    return charts.state_map(
        background, points, rv.COLOURS, label=_("Map of the programme's APs by state")
    )


# --- programme progress ----------------------------------------------------------------------


@rollout.get("")
@rollout.get("/")
@requires(Role.VIEWER)
def index() -> ResponseReturnValue:
    ctx = context()
    filters = _filters()
    computed = _computed(filters)
    status = computed.status
    quarters = _cache().quarters(ctx.inventory)
    shown_quarters = [filters.quarter] if filters.quarter else quarters
    rows, footer = rv.district_table(status, shown_quarters, filters)
    if filters.any:
        listed = status.rows
        listed_title = _("APs in this selection")
    else:
        wanted = set(rv.NEEDS_SOMEONE)
        listed = [r for r in status.rows if r.state in wanted]
        listed_title = _("APs that need someone (overdue, regressed, drift)")
    page = _page()
    return render(
        "rollout.html",
        filters=filters,
        computed=computed,
        status=status,
        progress=rv.progress(status),
        quarters=quarters,
        shown_quarters=shown_quarters,
        table=rows,
        footer=footer,
        map_svg=_map(ctx, status.rows, filters),
        map_counts=rv.state_counts(status.rows),
        attention=rv.attention_by_district(status),
        listed=listed[(page - 1) * AP_PAGE : page * AP_PAGE],
        listed_count=len(listed),
        listed_title=listed_title,
        page=page,
        pages=rv.pages_of(len(listed), AP_PAGE),
    )


# --- before and after ------------------------------------------------------------------------


@rollout.get("/installed")
@requires(Role.VIEWER)
def installed() -> ResponseReturnValue:
    ctx = context()
    filters = _filters()
    computed = _computed(filters)
    sort = request.args.get("sort", "state")
    sort = sort if sort in rv.SORT_INSTALLED else "state"
    rows = rv.installed_rows(computed.status.rows, sort)
    page = _page()
    members: dict[str, list[ApRollout]] = {}
    for row in rows:
        members.setdefault(row.site, []).append(row)
    sites = [
        {
            "id": site,
            "site": ctx.by_id[found[0].ap_id].site if found[0].ap_id in ctx.by_id else None,
            "aps": found,
            "before": before,
            "after": after,
        }
        for site, (before, after) in sorted(computed.status.sites.items())
        if (found := members.get(site))
    ]
    return render(
        "rollout_installed.html",
        filters=filters,
        computed=computed,
        quarters=_cache().quarters(ctx.inventory),
        rows=rows[(page - 1) * INSTALLED_PAGE : page * INSTALLED_PAGE],
        row_count=len(rows),
        counts=rv.state_counts(rows),
        sites=sites,
        sort=sort,
        sorts=rv.SORT_INSTALLED,
        page=page,
        pages=rv.pages_of(len(rows), INSTALLED_PAGE),
    )


@rollout.get("/ap/<ap_id>")
@requires(Role.VIEWER)
def access_point(ap_id: str) -> ResponseReturnValue:
    ctx = context()
    ap = ctx.by_id.get(ap_id)
    if ap is None:
        abort(404)
    computed = _computed(rv.Filters())
    row = next((r for r in computed.status.rows if r.ap_id == ap_id), None)
    if row is None:
        return render("rollout_ap.html", ap=ap, row=None, computed=computed), 404
    site_before, site_after = computed.status.sites.get(row.site, (None, None))
    neighbours = [r for r in computed.status.rows if r.site == row.site and r.ap_id != ap_id]
    return render(
        "rollout_ap.html",
        ap=ap,
        row=row,
        computed=computed,
        chart=pair_chart(row.before, row.after) if row.installed_at is not None else "",
        site_figures=computed.status.sites.get(row.site),
        site_chart=pair_chart(site_before, site_after) if row.site in computed.status.sites else "",
        neighbours=neighbours,
    )


@rollout.get("/site/<site_id>")
@requires(Role.VIEWER)
def site(site_id: str) -> ResponseReturnValue:
    ctx = context()
    computed = _computed(rv.Filters())
    members = [r for r in computed.status.rows if r.site == site_id]
    aps = [ap for ap in ctx.inventory if ap.site.id == site_id]
    if not aps:
        abort(404)
    figures = computed.status.sites.get(site_id)
    return render(
        "rollout_site.html",
        site=aps[0].site,
        site_id=site_id,
        by_id={r.ap_id: r for r in members},
        aps=aps,
        computed=computed,
        figures=figures,
        chart=pair_chart(*figures) if figures else "",
    )


# --- candidates ------------------------------------------------------------------------------


@rollout.get("/candidates")
@requires(Role.VIEWER)
def candidates() -> ResponseReturnValue:
    ctx = context()
    filters = _filters()
    at, ranked = _cache().candidates(ctx.inventory, ctx.mirror, ctx.data_dir, filters.district)
    return render(
        "rollout_candidates.html",
        filters=rv.Filters(filters.district),
        at=at,
        ranked=[(c, c.points) for c in ranked],
        rules=rv.score_rules(),
        terms=rv.TERMS,
        quarters=_cache().quarters(ctx.inventory),
        without_days=sum(1 for c in ranked if not c.days),
    )


# --- JSON ------------------------------------------------------------------------------------


@rollout.get("/status.json")
@requires(Role.VIEWER)
def status_json() -> ResponseReturnValue:
    computed = _computed(_filters())
    return computed.status.as_dict()


@rollout.get("/candidates.json")
@requires(Role.VIEWER)
def candidates_json() -> ResponseReturnValue:
    ctx = context()
    filters = _filters()
    at, ranked = _cache().candidates(ctx.inventory, ctx.mirror, ctx.data_dir, filters.district)
    return {"now": at, "candidates": [c.as_dict() for c in ranked]}
