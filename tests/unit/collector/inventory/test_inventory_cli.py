"""`pubwifi inventory check|generate` as a person runs them: exit status and messages."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from collector.inventory import load_inventory
from collector.inventory.generate import GenerateOptions, generate

ENV_REFS = {
    "PUBWIFI_SNMP_COMMUNITY": "c",
    "PUBWIFI_SNMP_V3_USER": "u",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "a",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "p",
    "PUBWIFI_SSH_USER": "u",
    "PUBWIFI_SSH_PASSWORD": "p",
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        check=False,
    )


def test_generate_then_check(tmp_path: Path) -> None:
    out = tmp_path / "fleet.yaml"
    assert (
        run(
            "inventory", "generate", "--aps", "500", "--platform", "net-snmp", "-o", str(out)
        ).returncode
        == 0
    )
    result = run("inventory", "check", str(out), env=ENV_REFS)
    assert result.returncode == 0, result.stderr
    assert "500 APs" in result.stdout and "25 districts" in result.stdout
    assert result.stderr == ""


def test_unset_secrets_warn_then_fail_when_required(tmp_path: Path) -> None:
    out = tmp_path / "fleet.yaml"
    out.write_text(generate(GenerateOptions(aps=30, platform="net-snmp")), encoding="utf-8")
    warned = run("inventory", "check", str(out))
    assert warned.returncode == 0
    assert "warning:" in warned.stderr and "${PUBWIFI_SSH_PASSWORD} is not set" in warned.stderr
    required = run("inventory", "check", "--require-secrets", str(out))
    assert required.returncode == 2
    assert "Traceback" not in required.stderr
    assert f"{out}:0: secret ${{PUBWIFI_SNMP_V3_USER}} is not set" in required.stderr


def test_bad_file_exits_2_without_traceback(tmp_path: Path) -> None:
    out = tmp_path / "fleet.yaml"
    text = generate(GenerateOptions(aps=10, platform="net-snmp"))
    text = text.replace("standard: wifi", "standard: on, old: wifi", 1)
    out.write_text(text, encoding="utf-8")
    result = run("inventory", "check", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = next(
        i for i, text_line in enumerate(text.splitlines(), 1) if "standard: on" in text_line
    )
    assert result.stderr.startswith(f"{out}:{line}: aps[")
    assert "'on' is read as a boolean" in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = run("inventory", "check", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_generate_into_a_missing_folder_says_so_without_traceback(tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "inv.yaml"
    result = run("inventory", "generate", "--aps", "3", "-o", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{out}:0: cannot write: No such file or directory" in result.stderr


def test_generate_is_deterministic_and_counts_up_addresses() -> None:
    options = GenerateOptions(aps=300, first_ip="127.16.0.250", platform="net-snmp", seed=7)
    assert generate(options) == generate(options)
    assert generate(options) != generate(GenerateOptions(aps=300, platform="net-snmp", seed=8))


def test_generated_fleet_is_valid_and_realistic(tmp_path: Path) -> None:
    out = tmp_path / "fleet.yaml"
    out.write_text(
        generate(
            GenerateOptions(
                aps=3400,
                first_ip="127.16.0.250",
                platform="net-snmp",
                snmp_port=16161,
                ssh_port=16022,
            )
        ),
        encoding="utf-8",
    )
    inventory = load_inventory(out)
    assert len(inventory) == 3400
    addresses = sorted(int(ap.address) for ap in inventory)
    assert addresses == list(range(addresses[0], addresses[0] + 3400))
    assert str(min(ap.address for ap in inventory)) == "127.16.0.250"
    assert {ap.snmp_port for ap in inventory} == {16161}
    per_district = Counter(ap.district.code for ap in inventory)
    assert len(per_district) == 25
    # Songpa-gu (weight 65) has more APs than Jung-gu (weight 25)
    assert per_district["11710"] > per_district["11140"]
    assert {ap.site.mount for ap in inventory} == {m for m in type(inventory.aps[0].site.mount)}
    planned = [ap for ap in inventory if ap.replacement is not None]
    assert planned and all(not ap.standard.is_wifi6_or_later for ap in planned)


@pytest.mark.parametrize("bad", [["--aps", "0"], ["--aps", "5", "--platform", "acme"]])
def test_generate_rejects_bad_options(tmp_path: Path, bad: list[str]) -> None:
    result = run("inventory", "generate", *bad, "-o", str(tmp_path / "x.yaml"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
