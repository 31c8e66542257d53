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


def test_a_changed_profile_is_a_new_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The strict load checks platforms against the profiles: a cache is only as good as they."""
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=4)), encoding="utf-8")
    before = inventory_cache.cache_path(path, tmp_path / "cache")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "__init__.py").write_text("")
    (profiles / "extra.yaml").write_text("platform: extra\n")

    class Spec:
        origin = str(profiles / "__init__.py")

    real = inventory_cache.find_spec
    monkeypatch.setattr(
        inventory_cache,
        "find_spec",
        lambda name: Spec() if name == "collector.profiles" else real(name),
    )
    assert inventory_cache.cache_path(path, tmp_path / "cache") != before


def test_a_workers_part_holds_only_its_aps_and_their_sites(tmp_path: Path) -> None:
    from collector.poll.shard import Shard
    from collector.workers.compile import main as compile_main

    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=60)), encoding="utf-8")
    assert compile_main([str(path), str(tmp_path / "cache"), "1", "1", "3"]) == 0
    whole = load_inventory(path)
    seen = []
    for j in (1, 2, 3):
        part_shard = Shard(1, 1).part(j, 3)
        part = inventory_cache.cached_part(path, tmp_path / "cache", part_shard.slug, lambda _: 0)
        assert part.aps and all(part_shard.owns(ap.id) for ap in part.aps)  # from the file
        assert set(part.sites) == {ap.site.id for ap in part.aps}
        assert all(part.ap(ap.id) is ap for ap in part.aps)
        seen += [ap.id for ap in part.aps]
    assert sorted(seen) == sorted(ap.id for ap in whole.aps)


def test_compiling_a_bad_inventory_lists_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from collector.workers.compile import main as compile_main

    path = tmp_path / "inventory.yaml"
    text = generate(GenerateOptions(aps=4)).replace("platform: net-snmp", "platform: nope", 1)
    path.write_text(text)
    assert compile_main([str(path), str(tmp_path / "cache"), "1", "1", "2"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "nope" in err and "Traceback" not in err
    assert not list((tmp_path / "cache").glob("*.pickle"))
