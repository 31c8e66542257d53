"""Lab MIB views: ordering, coverage of the collector profiles, exact counters, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _lab_helpers import ENV, generated

from collector.lab.fleet import Fleet
from collector.lab.mibview import MibView, SnmpType, Value
from collector.lab.truth import ap_truth
from collector.profiles.schema import PROFILE_DIR, Profile
from collector.yamlstrict import load_yaml

T0 = 1_735_700_000.0  # 2025-01-01, a Wednesday morning in Seoul
PLATFORMS = ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros", "net-snmp")
MISSING = (SnmpType.NO_SUCH_OBJECT, SnmpType.NO_SUCH_INSTANCE, SnmpType.END_OF_MIB_VIEW)


def _fleet(platform: str) -> Fleet:
    return Fleet(generated(300, platform=platform), seed=1, environ=ENV, clock=lambda: T0)


def _by_standard(fleet: Fleet) -> dict[str, MibView]:
    views: dict[str, MibView] = {}
    for ap in fleet.inventory:
        if ap.status.value == "active" and ap.standard.value not in views:
            views[ap.standard.value] = fleet.member(ap).agent.view
    return views


def _walk(view: MibView, now: float) -> list[tuple[tuple[int, ...], Value]]:
    oid: tuple[int, ...] = (0,)
    out: list[tuple[tuple[int, ...], Value]] = []
    while True:
        oid, value = view.get_next(oid, now)
        if value.type is SnmpType.END_OF_MIB_VIEW:
            return out
        out.append((oid, value))


def _profile(platform: str) -> Profile:
    document = load_yaml(PROFILE_DIR / f"{platform}.yaml")
    return Profile.model_validate(document.data, strict=False)  # see the lab notes: enum strictness


@pytest.mark.parametrize("platform", PLATFORMS)
def test_walk_is_ordered_and_agrees_with_get(platform: str) -> None:
    for standard, view in _by_standard(_fleet(platform)).items():
        walked = _walk(view, T0)
        oids = [oid for oid, _ in walked]
        assert oids == sorted(oids) and len(set(oids)) == len(oids), standard
        for oid, value in walked:
            assert view.get(oid, T0) == value
        assert view.get((1, 3, 6, 1, 2, 1, 1, 3, 0), T0).type is SnmpType.TIMETICKS


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_profile_object_is_served(platform: str) -> None:
    profile = _profile(platform)
    for standard, view in _by_standard(_fleet(platform)).items():
        for name, scalar in profile.scalars.items():
            assert view.get(scalar.oid_tuple, T0).type not in MISSING, (standard, name)
        select = profile.radios.select.oid_tuple
        rows = [
            oid[len(select) :]
            for oid, value in _walk(view, T0)
            if oid[: len(select)] == select and value.value in profile.radios.select_values
        ]
        assert rows, standard
        for row in rows:
            for name, column in profile.radios.columns.items():
                value = view.get((*column.oid_tuple, *row), T0)
                assert value.type not in MISSING, (standard, name, row)
        if profile.radios.band is not None:
            bands = {
                profile.radios.band_map.get(
                    (v.value.decode() if isinstance(v.value, bytes) else str(v.value)),
                    profile.radios.band_map.get("*"),
                )
                for v in (view.get((*profile.radios.band.oid_tuple, *row), T0) for row in rows)
            }
            assert None not in bands, (standard, bands)
            if standard in ("wifi6e", "wifi7"):
                assert "6GHz" in bands


def test_aruba_has_only_32_bit_counters() -> None:
    view = next(iter(_by_standard(_fleet("aruba_instant")).values()))
    assert view.get((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), T0).type is SnmpType.NO_SUCH_OBJECT
    assert all(v.type is not SnmpType.COUNTER64 for _, v in _walk(view, T0))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_counters_advance_exactly_as_truth_says(platform: str) -> None:
    fleet = _fleet(platform)
    profile = _profile(platform)
    rx_col = profile.radios.columns["rx_bytes"].oid_tuple
    tx_col = profile.radios.columns["tx_bytes"].oid_tuple
    sessions_col = profile.radios.columns.get("sessions")
    bits = 1 << profile.counter_bits
    checked = 0
    for ap in list(fleet.inventory)[:40]:
        if ap.status.value != "active":
            continue
        view = fleet.member(ap).agent.view
        select = profile.radios.select.oid_tuple
        rows = [
            oid[len(select) :]
            for oid, v in _walk(view, T0)
            if oid[: len(select)] == select
            and v.value in profile.radios.select_values
            and (platform != "net-snmp" or v.value == 71)
        ]
        # Counter32 wraps in about an hour on a busy AP: a 32-bit reader must poll often.
        t1 = T0 + 0.4
        t2 = t1 + (317.5 if profile.counter_bits == 32 else 3 * 3600 + 17.5)

        def read(
            col: tuple[int, ...], t: float, rows: list[tuple[int, ...]] = rows, view: MibView = view
        ) -> list[int]:
            return [int(view.get((*col, *row), t).value) for row in rows]  # type: ignore[arg-type]

        rx = sum((b - a) % bits for a, b in zip(read(rx_col, t1), read(rx_col, t2), strict=True))
        tx = sum((b - a) % bits for a, b in zip(read(tx_col, t1), read(tx_col, t2), strict=True))
        truth = ap_truth(ap, 1, t1, t2)
        assert (rx, tx) == (truth.bytes_in, truth.bytes_out), ap.id
        if sessions_col is not None:
            col = sessions_col.oid_tuple
            sessions = sum(
                (b - a) % (1 << 32) for a, b in zip(read(col, t1), read(col, t2), strict=True)
            )
            assert sessions == truth.sessions
        checked += 1
    assert checked >= 10


def test_mac_indexed_rows_reject_other_macs() -> None:
    view = next(iter(_by_standard(_fleet("aruba_instant")).values()))
    own = _walk(view, T0)
    radio = [oid for oid, _ in own if oid[:14] == (1, 3, 6, 1, 4, 1, 14823, 2, 3, 3, 1, 2, 2, 1)]
    first = radio[0]
    wrong = (*first[:15], (first[15] + 1) % 256, *first[16:])
    assert view.get(wrong, T0).type is SnmpType.NO_SUCH_INSTANCE
    assert view.get_next(first[:15], T0)[0] == first


def test_get_is_cheap() -> None:
    fleet = _fleet("cisco_ios_ap")
    views = [fleet.member(ap).agent.view for ap in list(fleet.inventory)[:50]]
    oids = [
        (1, 3, 6, 1, 2, 1, 1, 3, 0),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10, 2),
        (1, 3, 6, 1, 4, 1, 9, 9, 273, 1, 1, 2, 1, 1, 1),
    ]
    started = time.perf_counter()
    count = 0
    for second in range(200):
        for view in views:
            for oid in oids:
                view.get(oid, T0 + second)
                count += 1
    per_get = (time.perf_counter() - started) / count
    print(f"lab MibView.get: {per_get * 1e6:.1f} us per varbind")
    assert per_get < 50e-6  # 115 req/s x 30 varbinds would cost < 0.2 s/s of CPU at this bound


def test_profiles_directory_has_every_lab_platform() -> None:
    assert {p.stem for p in Path(PROFILE_DIR).glob("*.yaml")} >= set(PLATFORMS)
