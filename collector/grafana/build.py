"""Every generated file of ``dashboards/``, by its path there; write them or compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from collector.grafana.ap import ap_dashboard
from collector.grafana.district import district_dashboard
from collector.grafana.health import health_dashboard
from collector.grafana.model import Dashboard
from collector.grafana.provisioning import dashboard_provider, datasources
from collector.grafana.rollout import rollout_dashboard
from collector.grafana.usage import usage_dashboard
from collector.rollout.plan import TARGETS
from collector.savings.tariff import load_tariffs
from collector.settings import Settings


def dashboards() -> dict[str, Dashboard]:
    """File name -> dashboard, in the order the README presents them."""
    tariff = load_tariffs().tariffs[-1]  # the packaged book's latest entry
    return {
        "usage.json": usage_dashboard(tariff),
        "district.json": district_dashboard(),
        "ap.json": ap_dashboard(),
        "rollout.json": rollout_dashboard(TARGETS[2025]),
        "collector-health.json": health_dashboard(),
    }


def to_json(model: dict[str, Any]) -> str:
    return json.dumps(model, ensure_ascii=False, indent=2) + "\n"


def render() -> dict[str, str]:
    """Relative path under ``dashboards/`` -> the file's text."""
    settings = Settings()  # the stack's defaults, never this machine's environment
    files = {name: to_json(board.render()) for name, board in dashboards().items()}
    files["provisioning/datasources.yaml"] = datasources(settings)
    files["provisioning/dashboards.yaml"] = dashboard_provider()
    return files


def write(directory: Path) -> list[str]:
    """Write every file; the paths that changed."""
    changed = []
    for name, text in render().items():
        path = directory / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(name)
    return changed


def stale(directory: Path) -> list[str]:
    """The files under ``directory`` that differ from a fresh build (or are missing)."""
    out = []
    for name, text in render().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            out.append(name)
    return out
