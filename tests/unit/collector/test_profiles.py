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


def _mutated_cisco(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the shipped Cisco profile with ``old`` replaced by ``new`` (on one line)."""
    source = Path(load_profile.__code__.co_filename).parent / "cisco_ios_ap.yaml"
    text = source.read_text()
    assert text.count(old) == 1, old
    changed = text.replace(old, new)
    bad = tmp_path / "cisco_ios_ap.yaml"
    bad.write_text(changed)
    line = next(n for n, body in enumerate(changed.splitlines(), 1) if new in body)
    return bad, line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a bad numeric OID (a leading zero sub-identifier)
        (
            'oid: "1.3.6.1.4.1.9.9.273.1.1.3.1.1"',
            'oid: "1.3.6.1.4.1.9.9.0273.1.1.3.1.1"',
            "radios.columns.sessions.oid",
        ),
        # a type that is no SNMP type
        (
            "type: counter32, unit: sessions",
            "type: counter31, unit: sessions",
            "radios.columns.sessions.type",
        ),
        # a MIB object without its MIB module name
        (
            'mib: "CISCO-DOT11-ASSOCIATION-MIB::cDot11AssStatsAssociated"',
            'mib: "cDot11AssStatsAssociated"',
            "radios.columns.sessions.mib: Value error, "
            "'cDot11AssStatsAssociated' must name its MIB module",
        ),
        # a counter without a unit
        ("type: counter32, unit: sessions", "type: counter32", "radios.columns.sessions"),
    ],
    ids=["bad-oid", "bad-type", "no-mib-name", "no-unit"],
)
def test_bad_object_is_rejected_at_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    bad, line = _mutated_cisco(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        load_profile(bad)
    assert str(caught.value).startswith(f"{bad}:{line}: {message}")


def test_counter_without_unit_says_what_is_missing(tmp_path: Path) -> None:
    bad, _ = _mutated_cisco(tmp_path, "type: counter32, unit: sessions", "type: counter32")
    with pytest.raises(InputError, match="needs a unit"):
        load_profile(bad)


def test_gauge_needs_a_unit_but_a_string_does_not(tmp_path: Path) -> None:
    bad, _ = _mutated_cisco(tmp_path, "type: gauge, unit: clients", "type: gauge")
    with pytest.raises(InputError, match="a gauge object needs a unit"):
        load_profile(bad)
    source = Path(load_profile.__code__.co_filename).parent / "cisco_ios_ap.yaml"
    assert 'sys_name:      {mib: "SNMPv2-MIB::sysName.0"' in source.read_text()
    assert load_profiles()["cisco_ios_ap"].scalars["sys_name"].unit is None


def test_compound_index_names_each_mib_object(tmp_path: Path) -> None:
    aruba = load_profiles()["aruba_instant"]
    assert aruba.radios.index == ["AI-AP-MIB::aiRadioAPMACAddress", "AI-AP-MIB::aiRadioIndex"]
    source = Path(load_profile.__code__.co_filename).parent / "aruba_instant.yaml"
    text = source.read_text()
    old = '"AI-AP-MIB::aiRadioAPMACAddress", "AI-AP-MIB::aiRadioIndex"'
    assert text.count(old) == 1
    changed = text.replace(old, '"AI-AP-MIB::aiRadioAPMACAddress", "aiRadioIndex"')
    bad = tmp_path / "aruba_instant.yaml"
    bad.write_text(changed)
    line = next(n for n, body in enumerate(changed.splitlines(), 1) if '"aiRadioIndex"' in body)
    with pytest.raises(InputError) as caught:
        load_profile(bad)
    assert str(caught.value).startswith(f"{bad}:{line}: radios.index")
