"""Planning: selection, flags from facts and backups, diffs, variables, waves, secrets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from provisioning_lab import config_text, device, facts_of

from collector.errors import InputError
from collector.inventory import load_inventory
from collector.inventory.model import Inventory
from collector.lab.ssh.labsecrets import lab_secrets
from collector.ssh.configrepo import ConfigRepo
from collector.ssh.factstore import FactStore
from collector.ssh.mask import MaskKey, mask_config
from provisioning.change import KST, Change, Waves, load_change
from provisioning.plan import plan_change, wave_order, waves
from provisioning.variables import resolve_secrets

REPO = Path(__file__).resolve().parents[3]
# Tuesday 2026-03-03 02:00 KST: inside the example's window
NOW = dt.datetime(2026, 3, 3, 2, 0, tzinfo=KST).timestamp()
PLATFORM_OF = {
    "AP-C": "cisco_ios_ap",
    "AP-A": "aruba_instant",
    "AP-M": "mikrotik_routeros",
    "AP-N": "net-snmp",
}
INVENTORY = """\
version: 1
auths:
  snmp:
    v2: {version: 2c, community: "${PUBWIFI_SNMP_COMMUNITY}"}
  ssh:
    city: {user: "${PUBWIFI_SSH_USER}", password: "${PUBWIFI_SSH_PASSWORD}"}
defaults:
  status: active
  snmp_auth: v2
  ssh_auth: city
  vars: {channel_5g: 36, dbm_5g: 20, zone: city}
groups:
  gangnam: {vars: {channel_5g: 149, zone: gangnam}}
  night: {vars: {channel_5g: 44, zone: night}}
sites:
  S1: {name: 강남역 1, district: 11680, dong: 역삼1동, lat: 37.4979, lon: 127.0276,
       mount: smart_pole, footfall: very_high}
  S2: {name: 종로 1, district: 11110, dong: 종로1가, lat: 37.57, lon: 126.98,
       mount: bus_stop, footfall: high}
aps:
  - {id: AP-C, site: S1, address: 127.0.0.1, platform: cisco_ios_ap, model: m, standard: wifi5,
     groups: [night, gangnam]}
  - {id: AP-A, site: S1, address: 127.0.0.2, platform: aruba_instant, model: m, standard: wifi6,
     groups: [gangnam, night]}
  - {id: AP-M, site: S1, address: 127.0.0.3, platform: mikrotik_routeros, model: m,
     standard: wifi5, vars: {channel_5g: 153}}
  - {id: AP-N, site: S2, address: 127.0.0.4, platform: net-snmp, model: m, standard: wifi6e}
"""
CHANGE = """\
name: test-change
reason: "test (NET-1)"
intent:
  kind: channel_plan
  band: 5GHz
  channel: "{{ vars.channel_5g }}"
select: {}
waves: {canary: 1, then: [50, 50]}
error_budget: {max_failed_percent: 20}
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return load_inventory(path)


def write_change(tmp_path: Path, text: str = CHANGE) -> Change:
    path = tmp_path / "change.yaml"
    path.write_text(text, encoding="utf-8")
    return load_change(path)


def data_dir(tmp_path: Path, *, facts_at: float = NOW - 600, config_at: float = NOW - 900) -> Path:
    """Facts and masked backups for every AP, as a sweep leaves them."""
    root = tmp_path / "data"
    store = FactStore.in_data_dir(root)
    repo = ConfigRepo.open(root / "configs")
    key = MaskKey(b"m" * 32)
    for ap_id, platform in PLATFORM_OF.items():
        state = device(platform, ap_id)
        store.record(ap_id, facts_at, facts_of(state), 1.0)
        repo.stage(ap_id, mask_config(platform, config_text(state), key))
    store.commit()
    store.close()
    repo.commit(when=config_at)
    repo.close()
    return root


def test_the_example_plans_cleanly_against_the_repo_inventory(tmp_path: Path) -> None:
    change = load_change(REPO / "provisioning" / "examples" / "ch149-gangnam.yaml")
    inventory = load_inventory(REPO / "inventory.yaml")
    plan = plan_change(change, inventory, tmp_path / "empty", NOW)
    assert plan.aps and all(inventory.ap(p.ap_id).district.code == "11680" for p in plan.aps)
    assert {p.target["channel"] for p in plan.aps} == {"149"}
    assert all(p.flags == {"no_facts", "no_backup"} for p in plan.aps)
    json.dumps(plan.as_json())
    assert plan.summary_lines()[0].startswith("change ch149-gangnam (channel_plan)")


def test_plan_with_facts_and_backups(tmp_path: Path, inventory: Inventory) -> None:
    plan = plan_change(write_change(tmp_path), inventory, data_dir(tmp_path), NOW)
    by_id = {p.ap_id: p for p in plan.aps}
    # vars: change has none; AP-C's groups [night, gangnam] -> gangnam wins; AP-M its own
    assert {k: p.target["channel"] for k, p in by_id.items()} == {
        "AP-C": "149",
        "AP-A": "44",
        "AP-M": "153",
        "AP-N": "36",
    }
    assert by_id["AP-N"].flags == {"no_change"}
    assert not by_id["AP-N"].to_apply
    cisco = by_id["AP-C"]
    assert cisco.flags == frozenset()
    assert cisco.commands == ("interface Dot11Radio1", "channel 149", "exit")
    assert cisco.save == ("write memory",)
    assert "- channel 36\n+ channel 149\n" in cisco.diff
    assert "-Current configuration : " in cisco.diff
    everything = json.dumps(plan.as_json())
    for ap_id in PLATFORM_OF:  # the backups were masked; nothing of a secret reaches the plan
        secrets = lab_secrets(ap_id)
        for value in (secrets.user_password, secrets.snmp_community, secrets.radius_key):
            assert value not in everything
    aruba = by_id["AP-A"]
    assert "-a-channel 36 20\n+a-channel 44 20\n" in aruba.diff
    assert plan.to_apply == [p.ap_id for p in plan.aps if p.ap_id != "AP-N"]
    assert sum(len(w) for w in plan.waves()) == 3


def test_change_vars_override_inventory_vars(tmp_path: Path, inventory: Inventory) -> None:
    text = CHANGE.replace("select: {}", "vars: {channel_5g: 157}\nselect: {}")
    plan = plan_change(write_change(tmp_path, text), inventory, tmp_path / "none", NOW)
    assert {p.target["channel"] for p in plan.aps} == {"157"}


def test_stale_backup_and_drift(tmp_path: Path, inventory: Inventory) -> None:
    root = data_dir(tmp_path, facts_at=NOW - 30 * 3600, config_at=NOW - 40 * 3600)
    store = FactStore.in_data_dir(root)
    state = device("aruba_instant", "AP-A")
    state.running.radios[1].channel = 48  # changed on the device after the backup
    store.record("AP-A", NOW - 60, facts_of(state), 1.0)
    store.commit()
    store.close()
    plan = plan_change(write_change(tmp_path), inventory, root, NOW)
    assert plan.ap("AP-C").flags == {"stale_backup"}
    assert plan.ap("AP-A").flags == {"drift"}  # confirmed by the newer facts, but disagrees
    assert plan.ap("AP-A").undo == ("a-channel 48 20",)


def test_outside_window(tmp_path: Path, inventory: Inventory) -> None:
    text = CHANGE + 'window: {days: [sat], start: "23:00", end: "02:00"}\n'
    change = write_change(tmp_path, text)
    plan = plan_change(change, inventory, tmp_path / "none", NOW)
    assert all("outside_window" in p.flags for p in plan.aps)
    assert change.window is not None
    sunday_1am = dt.datetime(2026, 3, 8, 1, 0, tzinfo=KST).timestamp()
    assert change.window.contains(sunday_1am)  # Saturday's window, after midnight
    assert not change.window.contains(sunday_1am + 3600)


@pytest.mark.parametrize(
    ("select", "count"),
    [
        ("{district: [11680]}", 3),
        ('{district: ["11110"]}', 1),
        ("{platform: [net-snmp, aruba_instant]}", 2),
        ("{district: [11680], standard: [wifi5]}", 2),
        ("{mount: [bus_stop]}", 1),
        ("{ids: [AP-C, AP-N], site: [S1]}", 1),
        ("{status: [active]}", 4),
    ],
)
def test_selector(tmp_path: Path, inventory: Inventory, select: str, count: int) -> None:
    text = CHANGE.replace("select: {}", f"select: {select}")
    plan = plan_change(write_change(tmp_path, text), inventory, tmp_path / "none", NOW)
    assert len(plan.aps) == count


@pytest.mark.parametrize(
    ("select", "message"),
    [
        ("{district: [11999]}", "select.district[0]: unknown district 11999"),
        ("{ids: [AP-C, AP-NOPE]}", "select.ids[1]: unknown ids AP-NOPE"),
        ("{platform: [junos]}", "select.platform[0]: unknown platform junos"),
        ("{status: [planned]}", "select: selects no AP"),
    ],
)
def test_bad_selection_is_a_located_error(
    tmp_path: Path, inventory: Inventory, select: str, message: str
) -> None:
    change = write_change(tmp_path, CHANGE.replace("select: {}", f"select: {select}"))
    with pytest.raises(InputError) as caught:
        plan_change(change, inventory, tmp_path / "none", NOW)
    line = CHANGE.splitlines().index("select: {}") + 1
    assert str(caught.value) == f"{change.path}:{line}: {message}"


def test_undefined_variable_is_reported_at_the_change_line(
    tmp_path: Path, inventory: Inventory
) -> None:
    change = write_change(tmp_path, CHANGE.replace("vars.channel_5g", "vars.chanel_5g"))
    with pytest.raises(InputError) as caught:
        plan_change(change, inventory, tmp_path / "none", NOW)
    line = CHANGE.splitlines().index('  channel: "{{ vars.channel_5g }}"') + 1
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (change.path, line)
    assert "chanel_5g" in problem.message and "AP-C, AP-A, AP-M and 1 more" in problem.message


def test_a_variable_out_of_range_for_some_aps_names_them(
    tmp_path: Path, inventory: Inventory
) -> None:
    text = INVENTORY.replace("vars: {channel_5g: 153}", "vars: {channel_5g: 150}")
    (tmp_path / "inv.yaml").write_text(text, encoding="utf-8")
    change = write_change(tmp_path)
    with pytest.raises(InputError, match=r"channel 150 is not valid in the 5GHz band \(for AP-M\)"):
        plan_change(change, load_inventory(tmp_path / "inv.yaml"), tmp_path / "none", NOW)


def test_hostname_change_refused_on_hostapd_aps(tmp_path: Path, inventory: Inventory) -> None:
    text = CHANGE.replace(
        '  band: 5GHz\n  channel: "{{ vars.channel_5g }}"\n',
        '  name: "{{ ap.id | lower }}-{{ vars.zone }}"\n',
    ).replace("channel_plan", "hostname")
    with pytest.raises(InputError, match="hostname changes are not supported on net-snmp"):
        plan_change(write_change(tmp_path, text), inventory, tmp_path / "none", NOW)
    narrowed = write_change(tmp_path, text.replace("select: {}", "select: {district: [11680]}"))
    plan = plan_change(narrowed, inventory, data_dir(tmp_path), NOW)
    assert plan.ap("AP-C").commands == ("hostname ap-c-gangnam",)
    assert plan.ap("AP-M").commands == ("/system identity set name=ap-m-city",)


def test_waves_canary_then_percentages_of_1000() -> None:
    ids = [f"AP-{n:05d}" for n in range(1000)]
    spec = Waves(canary=10, then=[10, 30, 60])
    result = waves("ch149-gangnam", ids, spec)
    assert [len(w) for w in result] == [10, 99, 297, 594]
    assert sorted(ap_id for wave in result for ap_id in wave) == ids
    assert result == waves("ch149-gangnam", reversed(ids), spec)
    assert wave_order("other-change", ids)[:10] != result[0]  # a different change, other canary
    small = waves("x", ids[:12], spec)
    assert [len(w) for w in small] == [10, 1, 1]  # never empty, the last takes the rest
    assert waves("x", ids[:3], spec) == [wave_order("x", ids[:3])]


def test_waves_spread_the_canary_over_districts() -> None:
    inventory = load_inventory(REPO / "inventory.yaml")
    ordered = wave_order("ch149-citywide", [ap.id for ap in inventory])
    districts = {inventory.ap(ap_id).district.code for ap_id in ordered[:25]}
    assert len(districts) >= 10


def test_secrets_stay_references_in_plans_and_resolve_only_at_push(
    tmp_path: Path, inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates" / "cisco_ios_ap"
    templates.mkdir(parents=True)
    (templates / "radius.j2").write_text(
        "radius-server host 10.10.0.5 key 0 {{ vars.radius_key }}\n", encoding="utf-8"
    )
    (templates / "radius-undo.j2").write_text("no radius-server host 10.10.0.5\n", encoding="utf-8")
    text = (
        CHANGE.replace(
            '  band: 5GHz\n  channel: "{{ vars.channel_5g }}"\n',
            "  template: radius\n  undo_template: radius-undo\n"
            "  present: ['^radius-server host 10.10.0.5 ']\n",
        )
        .replace("channel_plan", "raw")
        .replace(
            "select: {}", 'vars: {radius_key: "${RADIUS_KEY}"}\nselect: {platform: [cisco_ios_ap]}'
        )
    )
    monkeypatch.setenv("RADIUS_KEY", "hunter2-secret")
    plan = plan_change(write_change(tmp_path, text), inventory, data_dir(tmp_path), NOW)
    ap = plan.ap("AP-C")
    assert ap.commands == ("radius-server host 10.10.0.5 key 0 ${RADIUS_KEY}",)
    assert "no_prediction" in ap.flags
    assert "hunter2" not in json.dumps(plan.as_json()) + "\n".join(plan.summary_lines())
    assert resolve_secrets(ap.commands, {"RADIUS_KEY": "s3cret"}) == [
        "radius-server host 10.10.0.5 key 0 s3cret"
    ]
    with pytest.raises(InputError, match=r"\$\{RADIUS_KEY\} is not set") as caught:
        resolve_secrets(ap.commands, {})
    assert "s3cret" not in str(caught.value)


def test_a_raw_template_with_an_undefined_name_points_at_the_change(
    tmp_path: Path, inventory: Inventory
) -> None:
    templates = tmp_path / "templates" / "aruba_instant"
    templates.mkdir(parents=True)
    (templates / "t.j2").write_text("name {{ vars.nope }}\n", encoding="utf-8")
    text = (
        CHANGE.replace(
            '  band: 5GHz\n  channel: "{{ vars.channel_5g }}"\n',
            "  template: t\n  undo_template: t\n",
        )
        .replace("channel_plan", "raw")
        .replace("select: {}", "select: {platform: [aruba_instant]}")
    )
    change = write_change(tmp_path, text)
    with pytest.raises(InputError) as caught:
        plan_change(change, inventory, tmp_path / "none", NOW)
    (problem,) = caught.value.problems
    assert problem.line == text.splitlines().index("  template: t") + 1
    assert "nope" in problem.message
