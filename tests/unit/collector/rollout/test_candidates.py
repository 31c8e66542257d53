"""Replacement candidates: the order follows the documented score on a fleet built for it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from collector.inventory.load import load_inventory
from collector.ledger.mirror import LedgerMirror
from collector.rollout.candidates import WEIGHTS, candidates
from collector.rollout.quarters import DAY_S, KST
from collector.rollout.store import DayObservation, RolloutStore, Sighting

NOW = dt.datetime(2025, 9, 1, 12, tzinfo=KST).timestamp()
TODAY = int(dt.datetime(2025, 9, 1, tzinfo=KST).timestamp())
STANDARDS = {"AIR-AP1832I": "wifi5", "AIR-CAP3602I": "wifi4", "C9120AXI": "wifi6"}

# id: (footfall, installed, model, standard, bytes/day, peak clients, polls up of 96, reboots)
FLEET = {
    "AP-11110-00001": (
        "very_high",
        "2015-09-01",
        "AIR-CAP3602I",
        "wifi4",
        81_000_000_000,
        30,
        96,
        0,
    ),
    "AP-11110-00002": ("high", "2020-09-01", "AIR-AP1832I", "wifi5", 10_000_000_000, 30, 96, 0),
    "AP-11110-00003": ("low", "2023-09-01", "AIR-AP1832I", "wifi5", 1_000_000_000, 3, 90, 8),
    "AP-11110-00004": ("medium", "2024-09-01", "AIR-AP1832I", "wifi5", 2_000_000_000, 6, 96, 0),
    "AP-11110-00005": ("very_high", "2015-09-01", "C9120AXI", "wifi6", 99_000_000_000, 90, 96, 0),
    "AP-11110-00006": (
        "very_high",
        "2015-09-01",
        "AIR-AP1832I",
        "wifi5",
        99_000_000_000,
        90,
        96,
        0,
    ),
}


def write_fleet(tmp_path: Path) -> Path:
    lines = [
        "version: 1",
        "auths:",
        "  snmp: {v3: {version: 3, user: '${U}', auth_protocol: sha256, auth_key: '${A}',",
        "              priv_protocol: aes128, priv_key: '${P}'}}",
        "  ssh: {s: {user: '${U}', password: '${P}', known_hosts: accept-new}}",
        "defaults: {status: active, snmp_auth: v3, ssh_auth: s, platform: cisco_ios_ap}",
        "sites:",
    ]
    aps = ["aps:"]
    for n, (ap, (footfall, installed, model, standard, *_)) in enumerate(FLEET.items(), 1):
        lines.append(
            f"  S{n}: {{name: site {n}, district: '11110', dong: 사직동, lat: 37.57, "
            f"lon: 126.97, mount: bus_stop, footfall: {footfall}}}"
        )
        extra = ""
        if ap.endswith("6"):  # planned already: never a candidate
            extra = ", replacement: {model: C9120AXI, standard: wifi6, quarter: 2025Q4}"
        aps.append(
            f"  - {{id: {ap}, site: S{n}, address: 127.30.0.{n}, model: {model}, "
            f"standard: {standard}, installed: {installed}{extra}}}"
        )
    path = tmp_path / "inventory.yaml"
    path.write_text("\n".join(lines + aps) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ranked(tmp_path: Path) -> list:  # type: ignore[type-arg]
    inventory = load_inventory(write_fleet(tmp_path))
    mirror = LedgerMirror.in_dir(tmp_path)
    store = RolloutStore.in_data_dir(tmp_path)
    for k in range(1, 29):
        day = TODAY - k * DAY_S
        rows = [
            (ap, "11110", [traffic // 4, traffic - traffic // 4, 100, 86_400, 96, up])
            for ap, (*_, traffic, _peak, up, _boots) in FLEET.items()
        ]
        mirror.put_day(day, rows)
        store.record(
            [],
            [
                DayObservation(ap, day, peak, boots if k == 1 else 0)
                for ap, (*_, peak, _up, boots) in FLEET.items()
            ],
        )
    store.record([Sighting("AP-11110-00002", "snmp", "AIR-AP1832I", None, NOW - 9e5, NOW - 60)])
    return candidates(inventory, store, mirror, STANDARDS, NOW, top=None)


def test_only_unplanned_legacy_aps_in_score_order(ranked: list) -> None:  # type: ignore[type-arg]
    assert [c.ap_id for c in ranked] == [
        "AP-11110-00001",
        "AP-11110-00002",
        "AP-11110-00003",
        "AP-11110-00004",
    ]
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def test_each_score_is_its_documented_formula(ranked: list) -> None:  # type: ignore[type-arg]
    first, second, third, fourth = ranked
    # 81 GB/day on Wi-Fi 4 = 7.5 Mbit/s of 150: 5 % -> 1; 30 clients of 30 -> 1; 10 years -> 1
    assert first.utilisation == pytest.approx(0.05) and first.density == 1.0
    assert first.score == round(
        100 * (WEIGHTS["utilisation"] + WEIGHTS["density"] + WEIGHTS["age"] + WEIGHTS["footfall"]),
        1,
    )
    assert third.poll_success == pytest.approx(90 / 96) and third.reboots == 8
    missed = min(1.0, (1 - 90 / 96) / 0.05)
    expected = 100 * (
        WEIGHTS["utilisation"] * min(1.0, third.utilisation / 0.05)
        + WEIGHTS["density"] * 3 / 60
        + WEIGHTS["failures"] * (0.5 * missed + 0.5)
        + WEIGHTS["age"] * third.age_years / 10
    )
    assert third.score == round(expected, 1)
    assert second.model == "AIR-AP1832I" and second.days == 28 and second.peak_clients == 30
    assert fourth.footfall == "medium" and fourth.reboots == 0


def test_each_candidate_carries_its_terms_and_their_points(ranked: list) -> None:  # type: ignore[type-arg]
    first, _, third, fourth = ranked
    assert first.terms == {
        "utilisation": pytest.approx(1.0),
        "density": 1.0,
        "failures": 0.0,
        "age": 1.0,
        "footfall": 1.0,
    }
    missed = min(1.0, (1 - 90 / 96) / 0.05)
    assert third.terms == pytest.approx(
        {
            "utilisation": min(1.0, third.utilisation / 0.05),
            "density": 3 / 60,
            "failures": 0.5 * missed + 0.5 * 1.0,  # 8 reboots: capped at 4
            "age": third.age_years / 10,
            "footfall": 0.0,
        }
    )
    assert fourth.terms["footfall"] == pytest.approx(1 / 3)
    for c in ranked:
        assert list(c.terms) == list(WEIGHTS)  # the order the web shows them in
        assert c.points == pytest.approx({k: 100 * WEIGHTS[k] * v for k, v in c.terms.items()})
        assert round(sum(c.points.values()), 1) == c.score
        assert "terms" not in c.as_dict() and "points" not in c.as_dict()  # the JSON is as it was
