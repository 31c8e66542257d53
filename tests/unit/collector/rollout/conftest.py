"""A small planned fleet for the rollout's unit tests: 60 generated APs with a 2025 plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory


def planned_inventory(tmp_path: Path, **options: object) -> Inventory:
    settings = {"aps": 60, "program": 2025, "replacements": 8, "new_aps": 4, "seed": 11}
    settings.update(options)
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(**settings)), encoding="utf-8")  # type: ignore[arg-type]
    return load_inventory(path)


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    return planned_inventory(tmp_path)
