"""Change files: strict YAML and values checked at load, every problem as FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.errors import InputError
from provisioning.change import ChannelPlan, SsidRename, load_change

REPO = Path(__file__).resolve().parents[3]
GOOD = """\
name: ch149-gangnam
reason: "ticket NET-1234"
intent:
  kind: channel_plan
  band: 5GHz
  channel: 149
select: {district: [11680]}
waves: {canary: 10, then: [10, 30, 60]}
error_budget: {max_failed_percent: 20, halt_on_verify_failure: true}
window: {days: [mon, tue], start: "01:00", end: "05:00"}
verify: {within_s: 120, snmp: true, cli: true}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "change.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_change(path)
    return [str(p).replace(str(path), "FILE") for p in caught.value.problems]


def line(text: str, needle: str) -> int:
    return next(n for n, t in enumerate(text.splitlines(), 1) if needle in t)


def test_the_example_and_a_good_change_load(tmp_path: Path) -> None:
    example = load_change(REPO / "provisioning" / "examples" / "ch149-gangnam.yaml")
    assert example.name == "ch149-gangnam" and example.kind == "channel_plan"
    path = tmp_path / "c.yaml"
    path.write_text(GOOD, encoding="utf-8")
    change = load_change(path)
    assert isinstance(change.intent, ChannelPlan) and change.intent.channel == 149
    assert change.waves.then == [10, 30, 60]
    assert change.select.district == [11680]


def test_ssid_rename_uses_from_and_to(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  kind: channel_plan\n  band: 5GHz\n  channel: 149\n",
        "  kind: ssid\n  from: Seoul_Free_WiFi\n  to: Seoul_Free_WiFi_2\n",
    )
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    intent = load_change(path).intent
    assert isinstance(intent, SsidRename) and intent.from_ == "Seoul_Free_WiFi"


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "  channel: 149",
            "  channel: 150",
            "channel:",
            "intent.channel: channel 150 is not valid",
        ),
        ("  channel: 149", "  channel: 149\n  power: 3", "power:", "intent.power: unknown key"),
        ("  channel: 149", '  channel: "149"', "channel:", "intent.channel"),
        ("  band: 5GHz", "  band: 5G", "band:", "intent.band: Input should be"),
        ("  kind: channel_plan", "  kind: magic", "kind:", "intent.kind: kind must be one of"),
        ("name: ch149-gangnam", "name: Ch149", "name:", "name: String should match pattern"),
        ('reason: "ticket NET-1234"\n', "", "name:", "reason: required key is missing"),
        ("[10, 30, 60]", "[60, 60]", "waves:", "waves.then: percentages add up to 120"),
        ("canary: 10", "canary: 0", "waves:", "waves.canary: Input should be greater"),
        ('start: "01:00"', "start: 01:00", "window:", "is read as a base-60 number"),
        ("days: [mon, tue]", "days: [mon, funday]", "window:", "window.days[1]"),
        ("snmp: true", "snmp: yes", "verify:", "read as a boolean by YAML 1.1"),
        ("verify:", "verify: {}\nverify:", "verify:", "duplicate key 'verify'"),
    ],
)
def test_bad_change_files_are_file_line_errors(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new)
    found = problems(tmp_path, text)
    want = line(text, needle) if "duplicate" not in message else line(text, "verify: {within")
    assert any(p.startswith(f"FILE:{want}: ") and message in p for p in found), found


@pytest.mark.parametrize(
    ("intent", "message"),
    [
        (
            "  kind: tx_power\n  band: 5GHz\n  dbm: 31\n",
            "intent.dbm: tx power 31 dBm is out of range",
        ),
        ("  kind: vlan\n  ssid: Seoul_Secure\n  vlan: 4095\n", "intent.vlan: VLAN 4095"),
        ("  kind: ssid\n  from: a\n  to: a\n", "intent.to: is the same as from"),
        ("  kind: ssid\n  from: a\n  to: " + "x" * 33 + "\n", "intent.to: SSID"),
        ("  kind: hostname\n  name: 'bad name'\n", "intent.name: hostname 'bad name'"),
        ("  kind: raw\n  template: t\n", "intent.undo_template: required key is missing"),
        ("  kind: channel_plan\n  band: 5GHz\n  channel: vars.x\n", "intent.channel"),
    ],
)
def test_intent_values_are_checked_at_load(tmp_path: Path, intent: str, message: str) -> None:
    text = GOOD.replace("  kind: channel_plan\n  band: 5GHz\n  channel: 149\n", intent)
    found = problems(tmp_path, text)
    assert any(message in p for p in found), found
    assert all(p.startswith("FILE:") and not p.startswith("FILE:0") for p in found), found
