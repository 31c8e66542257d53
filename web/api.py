"""JSON twins of the pages (``/api/...``), behind the same login and roles."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from collector.savings.compute import figures_dict
from web.app import context, requires
from web.users import Role
from web.views import DISTRICTS, SORTS, ap_story, area_json, district_rows, report_revisions

api = Blueprint("api", __name__, url_prefix="/api")


def _snap() -> Any:
    snap = context().refresher.snapshot()
    if snap is None:
        abort(503)
    return snap


@api.get("/overview")
@requires(Role.VIEWER)
def overview() -> ResponseReturnValue:
    snap = _snap()
    health = context().refresher.health()
    return {
        "made_at": snap.made_at,
        "ledger_end": snap.ledger_end,
        "month": snap.month,
        "city": area_json("11000", snap.city),
        "year_to_date": figures_dict(snap.year),
        "collector": None if health is None else dataclasses.asdict(health),
        "note": snap.error,
    }


@api.get("/districts")
@requires(Role.VIEWER)
def districts() -> ResponseReturnValue:
    snap = _snap()
    sort = request.args.get("sort", "usage")
    rows = district_rows(snap, sort if sort in SORTS else "usage")
    return {"month": snap.month, "districts": [area_json(r.code, r.area) for r in rows]}


@api.get("/districts/<code>")
@requires(Role.VIEWER)
def district(code: str) -> ResponseReturnValue:
    snap = _snap()
    if code not in DISTRICTS:
        abort(404)
    out = area_json(code, snap.districts[code])
    out["sites"] = [
        {
            "site": s.site.id,
            "name": s.site.name,
            "mount": str(s.site.mount),
            "aps": s.aps,
            **figures_dict(s.figures),
        }
        for s in snap.sites.get(code, ())
    ]
    return out


@api.get("/aps/<ap_id>")
@requires(Role.VIEWER)
def access_point(ap_id: str) -> ResponseReturnValue:
    ap, snap, story = ap_story(ap_id)
    if story.error:
        return {"error": story.error}, 502
    period = snap.periods.get(ap.id) if snap else None
    return {
        "ap": ap.id,
        "site": {
            "id": ap.site.id,
            "name": ap.site.name,
            "dong": ap.site.dong,
            "lat": ap.site.lat,
            "lon": ap.site.lon,
            "mount": str(ap.site.mount),
        },
        "district": ap.district.code,
        "address": str(ap.address),
        "model": ap.model,
        "standard": str(ap.standard),
        "status": str(ap.status),
        "state": snap.state.get(ap.id, "unknown") if snap else "unknown",
        "month": None
        if period is None
        else {
            "bytes": period.rx_bytes + period.tx_bytes,
            "sessions": period.sessions,
            "covered_s": period.covered_s,
            "period_s": period.period_s,
        },
        "reported": story.reported,
        "radios": [dataclasses.asdict(r) for r in story.radios],
        "hours": [dataclasses.asdict(u) for u in story.hours],
        "days": [dataclasses.asdict(u) for u in story.days],
        "months": [{"month": m, "bytes": b, "sessions": s} for m, b, s in story.months],
        "reboots": list(story.reboots),
        "counter_events": [
            {"time": t, "band": band, "kind": kind, "counters": n}
            for t, band, kind, n in story.counter_events
        ],
        "gap_hours": [{"hour": h, "uncovered_s": s} for h, s in story.gap_hours],
    }


@api.get("/savings")
@requires(Role.VIEWER)
def savings() -> ResponseReturnValue:
    snap = _snap()
    return {
        "months": [{"month": m, **figures_dict(f)} for m, f in snap.months.city],
        "by_district": {
            m: [{"district": c, **figures_dict(f)} for c, f in rows]
            for m, rows in snap.months.by_district.items()
        },
        "tariffs": [
            {
                "id": t.id,
                "krw_per_gb": str(t.krw_per_gb),
                "from": t.effective_from.isoformat(),
                "to": t.effective_to.isoformat() if t.effective_to else None,
            }
            for t in context().book.tariffs
        ],
    }


@api.get("/reports")
@requires(Role.VIEWER)
def reports() -> ResponseReturnValue:
    return {"reports": [dataclasses.asdict(r) for r in report_revisions(context().reports_root)]}


@api.get("/search")
@requires(Role.VIEWER)
def search() -> ResponseReturnValue:
    found = context().search.find(request.args.get("q", "")[:100])
    snap = context().refresher.snapshot()
    return {
        "total": found.total,
        "aps": [
            {
                "ap": ap.id,
                "site": ap.site.name,
                "district": ap.district.code,
                "address": str(ap.address),
                "state": snap.state.get(ap.id, "unknown") if snap else "unknown",
            }
            for ap in found.aps
        ],
    }
