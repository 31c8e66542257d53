"""Strict loading: each bad-input class stops the load with FILE:LINE: what is wrong."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest
from inventory_samples import VALID

from collector.errors import InputError
from collector.inventory import load_inventory
from collector.inventory.model import Lifecycle, SnmpV2cAuth, SnmpV3Auth, WifiStandard

Writer = Callable[[str], Path]


def problems(write: Writer, text: str) -> list[str]:
    path = write(text)
    with pytest.raises(InputError) as caught:
        load_inventory(path)
    return [str(p).replace(str(path), "FILE") for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_valid_inventory_resolves_inheritance(write_inventory: Writer) -> None:
    inventory = load_inventory(write_inventory(VALID))
    first, second = inventory.aps
    assert len(inventory) == 2
    assert first.address == ipaddress.IPv4Address("127.16.0.1")
    assert isinstance(first.snmp_auth, SnmpV3Auth)
    assert (first.snmp_port, first.ssh_port) == (161, 22)
    assert first.status is Lifecycle.ACTIVE  # from defaults
    # the group overrides the default auth and port
    assert isinstance(second.snmp_auth, SnmpV2cAuth)
    assert second.snmp_port == 1161
    assert second.replacement is not None
    assert second.replacement.standard is WifiStandard.WIFI6
    assert first.site.district.name_ko == "종로구"
    assert inventory.ap("AP-0002") is second
    assert first.line == line_of(VALID, "id: AP-0001")


def test_unknown_key_names_path_and_line(write_inventory: Writer) -> None:
    text = VALID.replace("    standard: wifi6\n", "    standard: wifi6\n    colour: blue\n")
    assert problems(write_inventory, text) == [
        f"FILE:{line_of(text, 'colour')}: aps[0].colour: unknown key"
    ]


def test_wrong_type(write_inventory: Writer) -> None:
    text = VALID.replace("lat: 37.5725", "lat: north")
    [problem] = problems(write_inventory, text)
    assert problem.startswith(f"FILE:{line_of(text, 'lat: north')}: sites.S11110-0001.lat:")


def test_duplicate_mapping_key(write_inventory: Writer) -> None:
    text = VALID.replace("    dong: 세종로\n", "    dong: 세종로\n    dong: 사직동\n")
    [problem] = problems(write_inventory, text)
    assert problem.startswith(f"FILE:{line_of(text, 'dong: 사직동')}: duplicate key 'dong'")


def test_duplicate_ap_id(write_inventory: Writer) -> None:
    text = VALID.replace("id: AP-0002", "id: AP-0001")
    [problem] = problems(write_inventory, text)
    first, second = (
        i for i, text_line in enumerate(text.splitlines(), 1) if "id: AP-0001" in text_line
    )
    assert problem == f"FILE:{second}: aps[1].id: duplicate AP id 'AP-0001' (first at line {first})"


def test_duplicate_address(write_inventory: Writer) -> None:
    text = VALID.replace("address: 127.16.0.2", "address: 127.16.0.1")
    [problem] = problems(write_inventory, text)
    assert "aps[1].address: duplicate address 127.16.0.1" in problem


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "site: S11110-0001\n    address: 127.16.0.2",
            "site: S99\n    address: 127.16.0.2",
            "site: S99",
            "aps[1].site: unknown site 'S99'",
        ),
        (
            "district: 11110",
            "district: 11999",
            "district: 11999",
            "sites.S11110-0001.district: unknown Seoul district code 11999",
        ),
        (
            "    groups: [old-radios]",
            "    groups: [new-radios]",
            "new-radios",
            "aps[1].groups[0]: unknown group 'new-radios'",
        ),
        (
            "  snmp_auth: city-v3",
            "  snmp_auth: city-v9",
            "city-v9",
            "defaults.snmp_auth: unknown SNMP auth 'city-v9'",
        ),
        (
            "platform: net-snmp\n    model: OpenWrt-AX",
            "platform: acme\n    model: OpenWrt-AX",
            "platform: acme",
            "aps[0].platform: unknown platform 'acme'",
        ),
        (
            "address: 127.16.0.1",
            "address: 127.16.0.256",
            "127.16.0.256",
            "aps[0].address: '127.16.0.256' is not an IPv4 address",
        ),
        (
            "ports: {snmp: 1161}",
            "ports: {snmp: 70000}",
            "70000",
            "groups.old-radios.ports.snmp: Input should be less than or equal to 65535",
        ),
        (
            "lon: 126.9769",
            "lon: 129.0",
            "lon: 129.0",
            "sites.S11110-0001.lon: longitude 129.0 is outside Seoul",
        ),
    ],
)
def test_bad_references_and_values(
    write_inventory: Writer, old: str, new: str, needle: str, message: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    found = problems(write_inventory, text)
    assert any(p.startswith(f"FILE:{line_of(text, needle)}: {message}") for p in found), found


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("on", "read as a boolean by YAML 1.1"),
        ("no", "read as a boolean by YAML 1.1"),
        ("0161", "reads it as octal (= 113)"),
        ("00:11:22:33:44:55", "base-60 number"),
    ],
)
def test_yaml11_traps(write_inventory: Writer, value: str, hint: str) -> None:
    text = VALID.replace(
        "model: OpenWrt-AX\n    standard: wifi6", f"model: {value}\n    standard: wifi6"
    )
    [problem] = problems(write_inventory, text)
    assert problem.startswith(f"FILE:{line_of(text, f'model: {value}')}: aps[0].model: ")
    assert hint in problem


def test_quoted_trap_values_are_text(write_inventory: Writer) -> None:
    text = VALID.replace(
        "model: OpenWrt-AX\n    standard: wifi6", 'model: "0161"\n    standard: wifi6'
    )
    assert load_inventory(write_inventory(text)).aps[0].model == "0161"


def test_secret_values_are_refused(write_inventory: Writer) -> None:
    text = VALID.replace("community: ${PUBWIFI_SNMP_COMMUNITY}", "community: public")
    [problem] = problems(write_inventory, text)
    assert problem == (
        f"FILE:{line_of(text, 'community: public')}: auths.snmp.legacy-v2c.community: "
        "must be a ${ENV_NAME} reference, never the secret itself"
    )


def test_missing_required_after_inheritance(write_inventory: Writer) -> None:
    text = VALID.replace(
        "    model: OpenWrt-AX\n    standard: wifi6\n    installed", "    installed"
    )
    [problem] = problems(write_inventory, text)
    assert "AP AP-0001: no model, standard set" in problem


def test_invalid_yaml_syntax(write_inventory: Writer) -> None:
    text = VALID.replace("    dong: 세종로", "    dong: [세종로")
    [problem] = problems(write_inventory, text)
    assert problem.startswith("FILE:") and "not valid YAML" in problem


def test_every_problem_reported_at_once(write_inventory: Writer) -> None:
    text = VALID.replace("address: 127.16.0.1", "address: nowhere").replace(
        "district: 11110", "district: 11999"
    )
    assert len(problems(write_inventory, text)) == 2
