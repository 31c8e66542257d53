"""Inventory ``vars:``: strictly checked, resolved defaults -> groups (in order) -> AP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from inventory_samples import VALID

from collector.errors import InputError
from collector.inventory import load_inventory
from collector.inventory.model import NO_VARS

Writer = Callable[[str], Path]

WITH_VARS = (
    VALID.replace(
        "defaults:\n",
        "defaults:\n  vars: {channel_5g: 36, country: KR, band_steering: true, zone: city}\n",
    )
    .replace(
        "groups:\n  old-radios:\n",
        "groups:\n  gangnam:\n    vars: {channel_5g: 149, zone: gangnam}\n"
        "  night:\n    vars: {zone: night}\n  old-radios:\n",
    )
    .replace(
        "    groups: [old-radios]\n",
        "    groups: [night, gangnam, old-radios]\n    vars: {country: US}\n",
    )
)


def problems(write: Writer, text: str) -> list[str]:
    path = write(text)
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    return [str(p).replace(str(path), "FILE") for p in caught.value.problems]


def test_no_vars_anywhere_gives_every_ap_the_shared_empty_mapping(write_inventory: Writer) -> None:
    inventory = load_inventory(write_inventory(VALID))
    assert all(ap.vars is NO_VARS for ap in inventory)
    assert dict(inventory.aps[0].vars) == {}


def test_defaults_then_groups_in_order_then_the_ap(write_inventory: Writer) -> None:
    first, second = load_inventory(write_inventory(WITH_VARS)).aps
    assert dict(first.vars) == {
        "channel_5g": 36,
        "country": "KR",
        "band_steering": True,
        "zone": "city",
    }
    # night then gangnam: gangnam (later in the AP's list) wins zone; the AP wins country
    assert dict(second.vars) == {
        "channel_5g": 149,
        "country": "US",
        "band_steering": True,
        "zone": "gangnam",
    }


def test_aps_are_still_hashable_and_vars_read_only(write_inventory: Writer) -> None:
    first, second = load_inventory(write_inventory(WITH_VARS)).aps
    assert len({first, second}) == 2
    with pytest.raises(TypeError):
        first.vars["zone"] = "x"  # type: ignore[index]


def test_aps_of_the_same_groups_share_one_vars_object(write_inventory: Writer) -> None:
    text = WITH_VARS.replace("    vars: {country: US}\n", "")
    text = text.replace(
        "    standard: wifi6\n    installed: 2023-05-01\n",
        "    standard: wifi6\n    installed: 2023-05-01\n"
        "    groups: [night, gangnam, old-radios]\n",
    )
    first, second = load_inventory(write_inventory(text)).aps
    assert first.vars is second.vars


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("{Channel: 1}", "vars.Channel: String should match pattern"),
        ("{9lives: 1}", "vars.9lives: String should match pattern"),
        ("{power: 1.5}", "vars.power"),
        ("{ids: [1, 2]}", "vars.ids"),
        ("{nested: {a: 1}}", "vars.nested"),
        ("[a, b]", "defaults.vars: Input should be a valid dictionary"),
    ],
)
def test_bad_vars_are_file_line_errors(write_inventory: Writer, snippet: str, message: str) -> None:
    text = VALID.replace("defaults:\n", f"defaults:\n  vars: {snippet}\n")
    found = problems(write_inventory, text)
    line = text.splitlines().index(f"  vars: {snippet}") + 1
    assert found, text
    assert all(p.startswith(f"FILE:{line}: defaults.vars") for p in found), found
    assert any(message in p for p in found), found


def test_bad_vars_in_a_group_and_an_ap_are_located(write_inventory: Writer) -> None:
    text = WITH_VARS.replace("{zone: night}", "{Zone: night}").replace(
        "{country: US}", "{country: 1.0}"
    )
    found = problems(write_inventory, text)
    lines = text.splitlines()
    group_line = lines.index("    vars: {Zone: night}") + 1
    ap_line = lines.index("    vars: {country: 1.0}") + 1
    assert any(p.startswith(f"FILE:{group_line}: groups.night.vars.Zone") for p in found), found
    assert any(p.startswith(f"FILE:{ap_line}: aps[1].vars.country") for p in found), found
