"""What the pages and the JSON API both show, from the snapshot and the inventory (plain data,
so that a page and its ``/api`` twin cannot disagree)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import abort

from collector.districts import SEOUL_DISTRICTS
from collector.influx.query import QueryError
from collector.inventory.model import AccessPoint
from collector.savings.compute import figures_dict
from web.app import context
from web.device import DeviceStory, device_story
from web.snapshot import Area, Snapshot

DISTRICTS = {d.code: d for d in SEOUL_DISTRICTS}
SORTS = ("usage", "savings", "availability", "coverage", "name", "down")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
REVISION = re.compile(r"r([0-9]{1,4})")


@dataclass(frozen=True, slots=True)
class DistrictRow:
    code: str
    name_en: str
    name_ko: str
    area: Area


def district_rows(snap: Snapshot, sort: str) -> list[DistrictRow]:
    rows = [
        DistrictRow(code, DISTRICTS[code].name_en, DISTRICTS[code].name_ko, area)
        for code, area in snap.districts.items()
        if code in DISTRICTS
    ]
    keys = {
        "usage": lambda r: -r.area.month.total_bytes,
        "savings": lambda r: -r.area.month.krw,
        "availability": lambda r: float(r.area.month.availability or 0),
        "coverage": lambda r: float(r.area.month.coverage or 0),
        "down": lambda r: -r.area.states.get("down", 0),
        "name": lambda r: r.code,
    }
    return sorted(rows, key=keys.get(sort, keys["usage"]))


def area_json(code: str, area: Area) -> dict[str, Any]:
    d = DISTRICTS.get(code)
    return {
        "code": code,
        "name_en": d.name_en if d else "Seoul",
        "name_ko": d.name_ko if d else "서울특별시",
        "month": figures_dict(area.month),
        "today": figures_dict(area.today),
        "aps_by_state": dict(area.states),
        "days": [{"day": day.isoformat(), "bytes": b, "sessions": s} for day, b, s in area.days],
    }


@dataclass(frozen=True, slots=True)
class ReportFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ReportRevision:
    month: str
    revision: int
    reason: str
    month_to_date: bool
    krw: int | None
    total_bytes: int | None
    coverage: str | None
    tariffs: tuple[str, ...]
    made: str
    files: tuple[ReportFile, ...]


def ap_story(ap_id: str) -> tuple[AccessPoint, Snapshot | None, DeviceStory]:
    """The AP (404 if unknown), the snapshot and its story; InfluxDB's refusal in ``error``."""
    ctx = context()
    ap = ctx.by_id.get(ap_id)
    if ap is None:
        abort(404)
    snap = ctx.refresher.snapshot()
    try:
        story = device_story(ctx.query, ap.id, snap.ledger_end if snap else None, time.time())
    except QueryError as error:
        story = DeviceStory(error=str(error))
    return ap, snap, story


def revision_files(folder: Path) -> set[str]:
    """The files a published revision's manifest lists (and the manifest), or nothing."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    names = {str(f.get("name", "")) for f in data.get("files", []) if isinstance(f, dict)}
    return {*names, "manifest.json"}


def report_revisions(root: Path) -> list[ReportRevision]:
    """Every published revision under ``root`` (``YYYY-MM/rN/manifest.json``), newest first."""
    out: list[ReportRevision] = []
    if not root.is_dir():
        return out
    for month_dir in root.iterdir():
        if not MONTH.fullmatch(month_dir.name) or not month_dir.is_dir():
            continue
        for rev_dir in month_dir.iterdir():
            match = REVISION.fullmatch(rev_dir.name)
            manifest = rev_dir / "manifest.json"
            if not match or not manifest.is_file():
                continue
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            inputs = data.get("inputs", {})
            files = tuple(
                ReportFile(str(f.get("name", "")), int(f.get("bytes", 0)), str(f.get("sha256", "")))
                for f in data.get("files", [])
                if isinstance(f, dict)
            )
            out.append(
                ReportRevision(
                    month=month_dir.name,
                    revision=int(match.group(1)),
                    reason=str(inputs.get("reason", "")),
                    month_to_date=bool(inputs.get("month_to_date")),
                    krw=inputs.get("krw"),
                    total_bytes=inputs.get("total_bytes"),
                    coverage=inputs.get("coverage"),
                    tariffs=tuple(inputs.get("tariffs", [])),
                    made=str(data.get("generated_at", "")),
                    files=(*files, ReportFile("manifest.json", manifest.stat().st_size, "")),
                )
            )
    return sorted(out, key=lambda r: (r.month, r.revision), reverse=True)
