"""The committed inventory.yaml is valid and a realistic sample of the city's fleet."""

from __future__ import annotations

from pathlib import Path

from collector.inventory import load_inventory
from collector.inventory.model import Mount

ROOT = Path(__file__).resolve().parents[4]


def test_committed_inventory_is_a_realistic_sample() -> None:
    inventory = load_inventory(ROOT / "inventory.yaml")
    assert 200 <= len(inventory) <= 1000
    assert len({ap.district.code for ap in inventory}) == 25
    assert {site.mount for site in inventory.sites.values()} == set(Mount)
    assert len(inventory.platforms) >= 4
    assert len({ap.standard for ap in inventory}) >= 4
    assert any(ap.replacement is not None for ap in inventory)
    # SNMPv3 authPriv first: v2c only for the units that cannot do better (Wi-Fi 4)
    v2c = [ap for ap in inventory if ap.snmp_auth.version == "2c"]
    assert v2c and all(ap.standard.value == "wifi4" for ap in v2c)
    assert len(v2c) < len(inventory) / 4
    # secrets only as ${ENV} references
    text = (ROOT / "inventory.yaml").read_text(encoding="utf-8")
    for ref in inventory.secret_refs():
        assert str(ref) in text
