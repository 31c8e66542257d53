"""The collector's samples feed the rollout store: models first seen, daily peaks, reboots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from collector.poll.sample import RadioSample, Sample
from collector.rollout.observer import RolloutObserver
from collector.rollout.quarters import KST, kst_day
from collector.rollout.store import RolloutStore

T0 = dt.datetime(2025, 7, 10, 9, 0, tzinfo=KST).timestamp()


def sample(minute: int, model: str | None, clients: tuple[int, int], uptime: int) -> Sample:
    radios = (
        RadioSample("1", 1, "2.4GHz", clients=clients[0]),
        RadioSample("2", 2, "5GHz", clients=clients[1]),
    )
    return Sample(
        "AP-1",
        int((T0 + 60 * minute) * 1e9),
        True,
        model=model,
        firmware="fw",
        uptime=uptime,
        radios=radios,
    )


def test_models_peaks_and_reboots_reach_the_store(tmp_path: Path) -> None:
    store = RolloutStore.in_data_dir(tmp_path)
    observer = RolloutObserver(store)
    for s in (
        sample(0, "AIR-AP1832I", (1, 2), 1000),
        sample(5, "AIR-AP1832I", (4, 5), 31000),
        sample(60, "C9120AXI", (0, 1), 200),  # swapped: the new model boots
        sample(65, "C9120AXI", (2, 2), 30200),
        Sample("AP-1", int((T0 + 70 * 60) * 1e9), False, reason="timeout"),  # not an answer
        sample(16 * 60, "C9120AXI", (1, 1), 30200 + 15 * 360000),  # the next KST day
    ):
        observer.observe(s)
    observer.flush()
    seen = {(s.model, s.source): s for s in store.sightings()["AP-1"]}
    assert seen[("AIR-AP1832I", "snmp")].first_seen == T0
    assert seen[("AIR-AP1832I", "snmp")].last_seen == T0  # refreshed hourly, not every poll
    assert seen[("C9120AXI", "snmp")].first_seen == T0 + 3600
    day = kst_day(T0)
    days = store.days_of("AP-1", [day, day + 86_400])
    assert (days[day].peak_clients, days[day].reboots) == (9, 1)
    assert (days[day + 86_400].peak_clients, days[day + 86_400].reboots) == (2, 0)
    # a second writer (a backfill of earlier days) keeps the earliest first sighting
    early = RolloutObserver(store)
    early.observe(sample(-600, "AIR-AP1832I", (0, 0), 10))
    early.flush()
    assert min(s.first_seen for s in store.sightings()["AP-1"]) == T0 - 36_000
