"""``inventory generate --program 2025``: the press release's programme, spread as documented."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.rollout.plan import Kind, plan_items


def test_a_34000_ap_fleet_gets_exactly_450_replacements_and_280_new(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=34_000, program=2025)), encoding="utf-8")
    inventory = load_inventory(path)
    items = plan_items(inventory)
    kinds = Counter(item.kind for item in items)
    assert kinds == {Kind.REPLACEMENT: 450, Kind.NEW: 280}
    assert len(inventory) == 34_280
    assert {item.ap.district.code for item in items} == {
        d.code for d in inventory.districts.values()
    }
    assert len({item.ap.district.code for item in items}) == 25
    by_quarter = Counter((item.kind, item.quarter.label) for item in items)
    assert [by_quarter[(Kind.REPLACEMENT, f"2025Q{q}")] for q in (1, 2, 3, 4)] == [
        68,
        112,
        135,
        135,
    ]
    assert [by_quarter[(Kind.NEW, f"2025Q{q}")] for q in (1, 2, 3, 4)] == [42, 70, 84, 84]
    for item in items:
        if item.kind is Kind.REPLACEMENT:
            assert not item.ap.standard.is_wifi6_or_later and item.standard.value == "wifi6"
            assert item.model != item.ap.model
        else:
            assert item.ap.status.value == "planned" and item.ap.installed is None
            assert item.ap.site.footfall.value in ("high", "very_high")
    poles = [i for i in items if i.kind is Kind.NEW and i.ap.site.mount.value == "smart_pole"]
    assert len(poles) == 24 and len({p.ap.district.code for p in poles}) == 8
    assert all("어린이보호구역" in p.ap.site.name for p in poles)
    facilities = [i for i in items if i.kind is Kind.NEW and i.ap.site.mount.value == "indoor"]
    assert len(facilities) == 128  # half of the 256 that are not on poles
    # the busiest sites are replaced first
    replaced = Counter(i.ap.site.footfall.value for i in items if i.kind is Kind.REPLACEMENT)
    assert replaced["very_high"] + replaced["high"] == 450


def test_a_small_fleet_gets_a_scaled_plan_and_addresses_stay_unique(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=3_400, program=2025)), encoding="utf-8")
    inventory = load_inventory(path)
    kinds = Counter(item.kind for item in plan_items(inventory))
    assert kinds == {Kind.REPLACEMENT: 45, Kind.NEW: 28}
    assert len({ap.address for ap in inventory}) == len(inventory) == 3_428
    assert "--program 2025" in path.read_text(encoding="utf-8").splitlines()[0]
