from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from collector.collect.phases import PhasePlan, phase_fraction
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory


def _aps(tmp_path, n=500):
    path = tmp_path / "inv.yaml"
    path.write_text(generate(GenerateOptions(aps=n, platform="net-snmp")), encoding="utf-8")
    return list(load_inventory(path))


def test_every_ap_is_due_exactly_once_per_period(tmp_path) -> None:
    aps = _aps(tmp_path)
    plan = PhasePlan([(60.0, aps)])
    ticks = [1_700_000_000.0 + i for i in range(0, 61)]
    seen = Counter(ap.id for a, b in itertools.pairwise(ticks) for ap in plan.due(a, b))
    assert set(seen) == {ap.id for ap in aps}
    assert set(seen.values()) == {1}


class _Ap:
    def __init__(self, ap_id: str) -> None:
        self.id = ap_id


FAKE_APS = [_Ap(f"AP-{i:05d}") for i in range(300)]


@given(
    st.lists(st.floats(min_value=0.01, max_value=9.99), min_size=1, max_size=60),
    st.floats(min_value=1_600_000_000, max_value=1_800_000_000),
)
def test_irregular_ticks_never_skip_or_repeat(gaps: list[float], start: float) -> None:
    """Tick gaps shorter than the period: every AP is due once per period it passes."""
    plan = PhasePlan([(10.0, FAKE_APS)])  # type: ignore[list-item]
    times = [start]
    for gap in gaps:
        times.append(times[-1] + gap)
    due = Counter(ap.id for a, b in itertools.pairwise(times) for ap in plan.due(a, b))
    for ap in FAKE_APS:
        offset = phase_fraction(ap.id) * 10.0
        # how many instants k*10 + offset lie in (start, end]
        expected = _count_in(start, times[-1], offset, 10.0)
        assert due[ap.id] == expected


def _count_in(start: float, end: float, offset: float, period: float) -> int:
    import math

    return math.floor((end - offset) / period) - math.floor((start - offset) / period)


def test_late_ticks_catch_up_instead_of_skipping(tmp_path) -> None:
    aps = _aps(tmp_path, 200)
    plan = PhasePlan([(10.0, aps)])
    start = 1_700_000_003.0
    gaps = [0.5, 4.2, 0.1, 3.7, 1.5]  # uneven, one tick ~4 s late; total exactly 10 s
    times = [start]
    for gap in gaps:
        times.append(times[-1] + gap)
    due = Counter(ap.id for a, b in itertools.pairwise(times) for ap in plan.due(a, b))
    assert len(due) == 200 and set(due.values()) == {1}


def test_phases_are_stable_and_spread() -> None:
    assert phase_fraction("AP-1") == phase_fraction("AP-1")
    fractions = [phase_fraction(f"AP-{i}") for i in range(10_000)]
    deciles = Counter(int(f * 10) for f in fractions)
    assert all(900 < count < 1100 for count in deciles.values())


def test_shorter_period_for_a_group(tmp_path) -> None:
    aps = _aps(tmp_path, 100)
    plan = PhasePlan([(60.0, aps[:50]), (20.0, aps[50:])])
    ticks = [1_700_000_000.0 + i for i in range(61)]
    due = Counter(ap.id for a, b in itertools.pairwise(ticks) for ap in plan.due(a, b))
    assert {due[ap.id] for ap in aps[:50]} == {1}
    assert {due[ap.id] for ap in aps[50:]} == {3}
    assert len(plan) == 100
