"""Rules files: the packaged one loads; each kind of bad input is FILE:LINE: path: problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.alerts.rules import DEFAULT_RULES, Email, Kind, Webhook, load_rules
from collector.errors import InputError

GOOD = """\
version: 1
delivery: {attempts: 3, backoff_s: 0.5, max_backoff_s: 4}
channels:
  - {name: hook, kind: webhook, url: "http://127.0.0.1:9/x", token: "${HOOK_TOKEN}"}
  - {name: mail, kind: email, host: 127.0.0.1, port: 2525, sender: a@b.kr, to: [noc@b.kr],
     password: "${SMTP_PW}", username: "${SMTP_USER}"}
maintenance:
  - {sites: [S1], start: "2025-08-01T01:00:00", end: "2025-08-01T05:00:00", reason: work}
rules:
  - {id: down, kind: ap_down, polls: 2, group: true, severity: critical}
  - {id: quiet, kind: zero_clients, hours: [11, 21]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_rules_load_and_cover_every_kind() -> None:
    rules = load_rules(DEFAULT_RULES)
    assert {r.kind for r in rules.rules} == set(Kind)
    assert rules.channels == ()


def test_good_file(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, GOOD))
    hook, mail = rules.channels
    assert isinstance(hook, Webhook) and str(hook.token) == "${HOOK_TOKEN}"
    assert isinstance(mail, Email) and mail.to == ("noc@b.kr",)
    assert rules.delivery.backoff(1) == 0.5 and rules.delivery.backoff(4) == 4.0
    down = rules.rules[0]
    assert down.group and down.params == {"polls": 2} and down.line == 10
    window = rules.maintenance[0]
    assert window.covers("X", "S1", "11110", window.start) and not window.covers(
        "X", "S1", "11110", window.end
    )


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        ("polls: 2,", "polls: 2, hours: [1, 2],", 10,
         "rules[0].hours: not a parameter of kind ap_down"),
        ("kind: ap_down", "kind: ap_gone", 10, "rules[0].kind:"),
        ("group: true", "group: yes", 10, "read as a boolean by YAML 1.1"),
        ('token: "${HOOK_TOKEN}"', "token: hunter2", 4,
         "channels[0].token: must be a ${ENV_NAME} reference"),
        ("id: quiet", "id: down", 11, "rules[1].id: duplicate id 'down' (line 10)"),
        ('end: "2025-08-01T05:00:00"', 'end: "2025-08-01T00:00:00"', 8,
         "maintenance[0].end: must be after start"),
        ("hours: [11, 21]", "hours: [21, 11]", 11, "rules[1].hours: [start, end)"),
        ("version: 1", "version: 1\nextra: 1", 2, "extra: unknown key"),
        ("backoff_s: 0.5", "backoff_s: 0.5, backof: 1", 2, "delivery.backof: unknown key"),
    ],
)  # fmt: skip
def test_bad_input_names_file_line_and_key(
    tmp_path: Path, replace: str, by: str, line: int, message: str
) -> None:
    assert replace in GOOD
    path = write(tmp_path, GOOD.replace(replace, by))
    with pytest.raises(InputError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert f"{path}:{line}: " in text, text
    assert message in text, text


def test_unreadable_and_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match=r"alerts.yaml:2: not valid YAML"):
        load_rules(write(tmp_path, "rules: [\n"))


REPO_INVENTORY = Path(__file__).resolve().parents[4] / "inventory.yaml"
WINDOWS = """\
version: 1
maintenance:
  - {aps: [AP-11110-00001], sites: [S11110-0001], districts: [11140], start: 1, end: 2}
  - aps: [AP-11110-00001, AP-NOPE-1]
    sites: [S99999-0001]
    districts: ["11111"]
    start: 1
    end: 2
rules:
  - {id: down, kind: ap_down}
"""


def test_maintenance_targets_not_in_the_inventory_are_file_line_errors(tmp_path: Path) -> None:
    from collector.alerts.rules import check_inventory
    from collector.inventory.load import load_inventory

    inventory = load_inventory(REPO_INVENTORY)
    path = write(tmp_path, WINDOWS)
    rules = load_rules(path)
    with pytest.raises(InputError) as caught:
        check_inventory(rules, inventory)
    lines = str(caught.value).splitlines()
    assert [line for line in lines if line.startswith(f"{path}:")] == [
        f"{path}:4: maintenance[1].aps[1]: AP 'AP-NOPE-1' is not in the inventory {inventory.path}",
        f"{path}:5: maintenance[1].sites[0]: site 'S99999-0001' is not in the inventory "
        f"{inventory.path}",
        f"{path}:6: maintenance[1].districts[0]: district '11111' is not in the inventory "
        f"{inventory.path}",
    ], lines
    good = write(tmp_path, WINDOWS.split("  - aps:")[0] + "rules:\n  - {id: down, kind: ap_down}\n")
    check_inventory(load_rules(good), inventory)  # every name known: no error


def test_alerts_check_uses_the_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from collector.alerts.cli import run_check

    monkeypatch.setenv("PUBWIFI_DATA_DIR", str(tmp_path / "data"))
    path = write(tmp_path, WINDOWS)
    args = argparse.Namespace(rules=path, check_inventory=REPO_INVENTORY)
    with pytest.raises(InputError, match=r"alerts.yaml:4: maintenance\[1\].aps\[1\]"):
        run_check(args)
    missing = argparse.Namespace(rules=DEFAULT_RULES, check_inventory=None)
    monkeypatch.setenv("PUBWIFI_INVENTORY", str(tmp_path / "none.yaml"))
    assert run_check(missing) == 0
    assert "maintenance targets not checked" in capsys.readouterr().out
