"""``manifest.json``: what a report revision is, what it was made from, and a digest per file.

Written last, beside the files it lists: ``month``, ``month_to_date``, ``tariffs`` (ids),
``coverage`` (the city's, 0..1, 4 decimals, or null), ``software_version``, ``generated_at``,
``inputs`` (as given by the caller: revision, reason, window, tariff book, ...) and ``files``:
for each, ``name`` (relative to the revision folder), ``bytes`` (size) and ``sha256``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from collector.reports.table import MonthlyReport

MANIFEST_NAME = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _name(path: Path, out_dir: Path) -> str:
    try:
        return path.resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return path.name


def write_manifest(
    report: MonthlyReport, out_dir: Path, files: list[Path], inputs: Mapping[str, Any]
) -> Path:
    """Write ``out_dir/manifest.json`` listing ``files`` with their sha256; returns its path."""
    coverage = report.city.figures.coverage
    data = {
        "month": report.month,
        "month_to_date": report.month_to_date,
        "tariffs": [t.id for t in report.tariffs],
        "coverage": None
        if coverage is None
        else float(coverage.quantize(Decimal("0.0001"), ROUND_HALF_EVEN)),
        "software_version": report.software_version,
        "generated_at": report.generated_at.isoformat(),
        "inputs": dict(inputs),
        "files": [
            {"name": _name(p, out_dir), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in files
        ],
    }
    path = out_dir / MANIFEST_NAME
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
