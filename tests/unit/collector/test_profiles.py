"""Vendor profiles are schema-checked data: every shipped profile loads; bad ones name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.errors import InputError
from collector.profiles import PROFILE_DIR_KEYS, load_profile, load_profiles


def test_every_shipped_profile_loads() -> None:
    profiles = load_profiles()
    assert set(profiles) == PROFILE_DIR_KEYS
    assert {"net-snmp", "cisco_ios_ap", "aruba_instant", "mikrotik_routeros"} <= set(profiles)
    for key, profile in profiles.items():
        assert profile.platform == key
        assert profile.scalars["uptime"].oid == "1.3.6.1.2.1.1.3.0"
        assert {"rx_bytes", "tx_bytes"} <= set(profile.radios.columns)


def test_unknown_key_in_profile_names_its_line(tmp_path: Path) -> None:
    source = Path(load_profile.__code__.co_filename).parent / "net-snmp.yaml"
    text = source.read_text().replace("counter_bits: 64", "counter_bits: 64\ncounter_colour: red")
    bad = tmp_path / "net-snmp.yaml"
    bad.write_text(text)
    with pytest.raises(InputError) as caught:
        load_profile(bad)
    line = text.splitlines().index("counter_colour: red") + 1
    assert str(caught.value) == f"{bad}:{line}: counter_colour: unknown key"


def test_profile_must_match_its_file_name(tmp_path: Path) -> None:
    source = Path(load_profile.__code__.co_filename).parent / "net-snmp.yaml"
    bad = tmp_path / "acme.yaml"
    bad.write_text(source.read_text())
    with pytest.raises(InputError, match="must match the file name 'acme'"):
        load_profile(bad)
