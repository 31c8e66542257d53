"""Where monthly reports are kept, and why a report is never overwritten silently.

``DATA_DIR/reports/YYYY-MM/`` holds one folder per revision, ``r1``, ``r2``, ...; each has every
file of the report and its ``manifest.json``. A re-run never touches an earlier revision: it
writes the next one, and its manifest says why (the reason given, or what changed: coverage,
bytes, tariff, month to date, the Wi-Fi 6 rollout's counts). ``latest`` (a text file, atomically
replaced) names the newest revision. A revision is written into a temporary folder and renamed
into place, so a crash leaves either a whole revision or none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.reports.table import MonthlyReport

_REVISION = re.compile(r"r([0-9]+)")


@dataclass(frozen=True, slots=True)
class Revision:
    month: str
    number: int
    path: Path
    reason: str


def month_dir(root: Path, month: str) -> Path:
    return root / month


def revisions(root: Path, month: str) -> list[int]:
    folder = month_dir(root, month)
    if not folder.is_dir():
        return []
    found = [_REVISION.fullmatch(p.name) for p in folder.iterdir() if p.is_dir()]
    return sorted(int(m.group(1)) for m in found if m)


def latest_manifest(root: Path, month: str) -> dict[str, Any] | None:
    numbers = revisions(root, month)
    if not numbers:
        return None
    path = month_dir(root, month) / f"r{numbers[-1]}" / "manifest.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


#: The rollout counts a manifest keeps (``inputs.rollout``) and a re-run compares.
ROLLOUT_KEYS = ("aps", "done", "verified", "overdue", "regressed", "drift")


def rollout_inputs(report: MonthlyReport) -> dict[str, int] | None:
    """The programme's counts as of the report's end, for the manifest; None without one."""
    if report.rollout is None:
        return None
    counts = report.rollout.total.counts
    return {
        "as_of": report.rollout.as_of,
        **{key: getattr(counts, key) for key in ROLLOUT_KEYS},
        "installed_in_month": counts.installed_in_month,
    }


def why(report: MonthlyReport, previous: dict[str, Any] | None, given: str | None) -> str:
    """The reason a revision is written (first revision: 'first report')."""
    if previous is None:
        return given or "first report"
    changes = []
    inputs = previous.get("inputs", {})
    if inputs.get("month_to_date") and not report.month_to_date:
        changes.append("the month is now complete")
    old_bytes = inputs.get("total_bytes")
    if old_bytes is not None and old_bytes != report.city.figures.total_bytes:
        changes.append(f"bytes {old_bytes:,} -> {report.city.figures.total_bytes:,}")
    old_cov = inputs.get("coverage")
    new_cov = report.city.figures.coverage
    new_cov_s = None if new_cov is None else f"{float(new_cov):.4f}"
    if old_cov != new_cov_s:
        changes.append(f"coverage {old_cov} -> {new_cov_s}")
    old_tariffs = inputs.get("tariffs")
    new_tariffs = [t.id for t in report.tariffs]
    if old_tariffs is not None and old_tariffs != new_tariffs:
        changes.append(f"tariff {','.join(old_tariffs)} -> {','.join(new_tariffs)}")
    if "rollout" in inputs:  # manifests from before the rollout section have no such key
        old_rollout, new_rollout = inputs["rollout"] or {}, rollout_inputs(report) or {}
        for key in ROLLOUT_KEYS:
            if old_rollout.get(key) != new_rollout.get(key):
                changes.append(f"rollout {key} {old_rollout.get(key)} -> {new_rollout.get(key)}")
    said = f"re-run of r{inputs.get('revision', '?')}"
    detail = "; ".join(changes) if changes else "figures unchanged"
    return f"{given}: {said}, {detail}" if given else f"{said}: {detail}"


def new_revision(root: Path, month: str) -> tuple[int, Path]:
    """The next revision number and a fresh temporary folder to write it into."""
    numbers = revisions(root, month)
    number = numbers[-1] + 1 if numbers else 1
    staging = month_dir(root, month) / f".r{number}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return number, staging


def publish(root: Path, month: str, number: int, staging: Path) -> Path:
    """Rename the written revision into place and point ``latest`` at it."""
    final = month_dir(root, month) / f"r{number}"
    for path in staging.iterdir():
        _fsync(path)
    staging.rename(final)
    latest = month_dir(root, month) / "latest"
    tmp = latest.with_suffix(".tmp")
    tmp.write_text(f"r{number}\n", encoding="utf-8")
    _fsync(tmp)
    tmp.replace(latest)
    _fsync(month_dir(root, month))
    return final


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
