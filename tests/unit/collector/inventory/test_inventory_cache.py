"""The UI's parsed-inventory cache: equal to a fresh load, redone when the file changes, and a
broken cache is ignored."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from collector.inventory import cache as inventory_cache
from collector.inventory.cache import cached_inventory
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory


def test_the_cache_equals_a_fresh_load_and_follows_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=8)), encoding="utf-8")
    first = cached_inventory(path, tmp_path / "cache")
    (cache,) = (tmp_path / "cache").glob("inventory-*.pickle")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    loads = []
    monkeypatch.setattr(
        inventory_cache, "load_inventory", lambda p: loads.append(p) or load_inventory(p)
    )
    again = cached_inventory(path, tmp_path / "cache")
    assert loads == [] and again.aps == first.aps == load_inventory(path).aps
    assert again.ap(first.aps[3].id) == first.aps[3]
    path.write_text(generate(GenerateOptions(aps=5)), encoding="utf-8")  # the file changed
    changed = cached_inventory(path, tmp_path / "cache")
    assert loads == [path] and len(changed.aps) == 5
    assert len(list((tmp_path / "cache").glob("inventory-*.pickle"))) == 1  # the old one went
    (new_cache,) = (tmp_path / "cache").glob("inventory-*.pickle")
    new_cache.write_bytes(b"not a pickle")
    assert cached_inventory(path, tmp_path / "cache").aps == changed.aps  # ignored, reloaded
    assert loads == [path, path]
