"""StoredSignals: the InfluxQL statements against a fake endpoint, and the local stores (events,
SSH facts, the config history, the spool) in a temporary data dir; then StoredConditions over
them, end to end, for each kind but ap_down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_influxql import FakeInfluxQL

from collector.alerts.conditions import (
    COLLECTOR_TARGET,
    ClientStats,
    HourUsage,
    Poll,
    SignalError,
    StoredConditions,
)
from collector.alerts.rules import DEFAULT_RULES, Kind, Rule, load_rules
from collector.alerts.signals import StoredSignals
from collector.events import Event, EventStore
from collector.influx.query import QueryError, Row, Series
from collector.ssh.configrepo import ConfigRepo
from collector.ssh.factstore import FactStore

NOW = 1_748_844_000  # 2025-06-02 15:00 KST (06:00 UTC), on the hour
INTERVAL = 300


def rule(kind: Kind) -> Rule:
    return next(r for r in load_rules(DEFAULT_RULES).rules if r.kind is kind)


def signals(tmp_path: Path, db: FakeInfluxQL, aps: tuple[str, ...] = ("A", "B")) -> StoredSignals:
    return StoredSignals(db, tmp_path, aps)


def conditions(s: StoredSignals, kind: Kind, now: float = NOW) -> dict[str, str]:
    condition = StoredConditions(s, INTERVAL).evaluate(rule(kind), now)
    assert condition.error is None, condition.error
    return dict(condition.aps) | dict(condition.others)


def radio(ap: str, at: int, band: str = "5GHz", **fields: int) -> str:
    values = ",".join(f"{k}={v}i" for k, v in fields.items())
    return f"radio_poll,ap={ap},band={band} {values} {at}"


def test_polls_sorted_with_uptime_and_down_polls(tmp_path: Path) -> None:
    db = FakeInfluxQL()
    db.write(
        [
            f"ap_poll,ap=A up=1i,uptime_s=900i {NOW - 300}",
            f"ap_poll,ap=A up=1i,uptime_s=600i {NOW - 600}",
            f"ap_poll,ap=A up=0i {NOW}",
            f"ap_poll,ap=B up=1i,uptime_s=5i {NOW - 3600}",  # at the window's start: excluded
        ]
    )
    got = signals(tmp_path, db).polls(NOW - 3600, NOW)
    assert got == {
        "A": [Poll(NOW - 600, True, 600), Poll(NOW - 300, True, 900), Poll(NOW, False, None)]
    }


def test_zero_clients_end_to_end(tmp_path: Path) -> None:
    db = FakeInfluxQL()
    lines = []
    for k in range(12):
        at = NOW - 3300 + 300 * k
        lines += [
            radio("A", at, "2.4GHz", clients=0),
            radio("A", at, "5GHz", clients=0),
            radio("B", at, "2.4GHz", clients=0),
            radio("B", at, "5GHz", clients=3 if k == 7 else 0),  # one client once
            radio("N", at, "5GHz", rx_bytes=10),  # net-snmp: no client count at all
        ]
    db.write(lines)
    s = StoredSignals(db, tmp_path, ("A", "B", "N"))
    assert s.clients(NOW - 3600, NOW) == {"A": ClientStats(12, 0), "B": ClientStats(12, 3)}
    assert set(conditions(s, Kind.ZERO_CLIENTS)) == {"A"}
    s.reset()
    assert conditions(s, Kind.ZERO_CLIENTS, NOW + 6 * 3600) == {}  # 21:00 KST: not busy


def test_low_traffic_end_to_end_and_last_weeks_hour_missing(tmp_path: Path) -> None:
    hour, week = NOW - 3600, 7 * 86_400
    db = FakeInfluxQL()
    db.write(
        [
            f"ap_usage_hourly,ap=A rx_bytes=1000000i,tx_bytes=500000i,polls_up=12i {hour}",
            f"ap_usage_hourly,ap=A rx_bytes=300000000i,tx_bytes=100000000i,polls_up=12i "
            f"{hour - week}",
            f"ap_usage_hourly,ap=B rx_bytes=1000i,tx_bytes=0i,polls_up=12i {hour}",  # new AP
            f"ap_usage_hourly,ap=A rx_bytes=999i,tx_bytes=0i,polls_up=12i {hour + 1}",  # not it
        ]
    )
    s = signals(tmp_path, db)
    assert s.hour_usage(hour) == {"A": HourUsage(1_500_000, 12), "B": HourUsage(1000, 12)}
    out = conditions(s, Kind.LOW_TRAFFIC, NOW + 600)
    assert set(out) == {"A"} and "0.4 % of the same hour last week (400.0 MB)" in out["A"]


def test_counter_resets_end_to_end(tmp_path: Path) -> None:
    db = FakeInfluxQL()
    db.write(
        [
            radio("A", NOW - 600, "2.4GHz", counter_resets=1),
            radio("A", NOW - 300, "5GHz", counter_resets=2),
            radio("B", NOW - 300, "5GHz", rx_bytes=5),
            radio("B", NOW - 4000, "5GHz", counter_resets=1),  # over an hour ago
        ]
    )
    s = signals(tmp_path, db)
    assert s.counter_resets(NOW - 3600, NOW) == {"A": 3}
    assert set(conditions(s, Kind.COUNTER_DISCONTINUITY)) == {"A"}


def test_reboot_loop_from_traps_and_uptime(tmp_path: Path) -> None:
    db = FakeInfluxQL()
    uptimes = [9000, 50, 350, 20, 320, 10]  # 3 restarts
    db.write(
        [f"ap_poll,ap=B up=1i,uptime_s={u}i {NOW - 1500 + 300 * k}" for k, u in enumerate(uptimes)]
    )
    with EventStore.in_dir(tmp_path) as events:
        events.record(
            [Event("A", NOW - 3600, "cold_start", "trap")]  # at the window's start: excluded
            + [Event("A", NOW - 60 * k, "warm_start", "trap") for k in range(3)]
            + [Event("C", NOW - 100, "link_down", "trap")]
        )
    s = signals(tmp_path, db)
    assert s.reboot_events(NOW - 3600, NOW) == {"A": 3}
    assert set(conditions(s, Kind.REBOOT_LOOP)) == {"A", "B"}


def test_no_stores_is_nothing_recorded(tmp_path: Path) -> None:
    s = signals(tmp_path, FakeInfluxQL())
    assert s.reboot_events(0, NOW) == {}
    assert s.host_keys_refused() == {}
    assert s.outside_changes(0, NOW) == {}
    assert s.spool_bytes() == 0


def test_host_key_changed_until_a_successful_collection(tmp_path: Path) -> None:
    facts = FactStore.in_data_dir(tmp_path)
    facts.record_failure("A", NOW - 600, "host_key_changed", 0.2)
    facts.record_failure("B", NOW - 600, "timeout", 5.0)
    facts.record_failure("X", NOW - 600, "host_key_changed", 0.2)  # not in the inventory
    facts.commit()
    s = signals(tmp_path, FakeInfluxQL())
    assert s.host_keys_refused() == {"A": NOW - 600}
    assert set(conditions(s, Kind.HOST_KEY_CHANGED)) == {"A"}
    facts.record_failure("A", NOW - 60, "login_failed", 0.2)  # the latest attempt decides
    facts.commit()
    facts.close()
    assert conditions(s, Kind.HOST_KEY_CHANGED) == {}


def test_config_changed_outside_less_provisioning_and_expected_windows(tmp_path: Path) -> None:
    repo = ConfigRepo.open(tmp_path / "configs")
    for ap in ("A", "B", "C"):
        repo.stage(ap, f"hostname {ap}\n")
    repo.commit(when=NOW - 90_000)  # first sight: not a change
    repo.stage("A", "hostname A\nchannel 36\n")
    repo.commit(when=NOW - 3000)  # outside
    repo.stage("B", "hostname B\nchannel 40\n")
    repo.commit(when=NOW - 2000, source="provision:c1")  # pubwifi's own
    repo.stage("C", "hostname C\nchannel 44\n")
    repo.commit(when=NOW - 1000)  # outside, but inside an expected-change window
    repo.close()
    expected = {("C", float(NOW - 1000))}
    s = StoredSignals(
        FakeInfluxQL(), tmp_path, ("A", "B", "C"), lambda ap, at: (ap, at) in expected
    )
    assert s.outside_changes(NOW - 86_400, NOW) == {"A": NOW - 3000}
    assert set(conditions(s, Kind.CONFIG_CHANGED)) == {"A"}
    assert conditions(s, Kind.CONFIG_CHANGED, NOW - 3000 + 86_400) == {}  # 24 h later


def test_collector_health_end_to_end(tmp_path: Path) -> None:
    db = FakeInfluxQL()
    db.write([f"ap_poll,ap=A up=1i {NOW - 1000}"])  # older than stale_s 900
    spool = tmp_path / "collector-1of2" / "spool"
    spool.mkdir(parents=True)
    (spool / "0001.lp").write_bytes(b"x" * 1000)
    (tmp_path / "collector-2of2" / "spool" / "sub").mkdir(parents=True)
    (tmp_path / "collector-2of2" / "spool" / "sub" / "0001.lp").write_bytes(b"x" * 24)
    (tmp_path / "ledger").mkdir()
    (tmp_path / "ledger" / "big").write_bytes(b"x" * 5000)  # not a spool
    s = signals(tmp_path, db)
    assert s.spool_bytes() == 1024
    out = conditions(s, Kind.COLLECTOR_HEALTH)
    assert list(out) == [COLLECTOR_TARGET] and "no ap_poll point" in out[COLLECTOR_TARGET]
    db.write([f"ap_poll,ap=A up=0i {NOW - 10}"])  # a down AP's poll is a poll all the same
    s.reset()
    assert conditions(s, Kind.COLLECTOR_HEALTH) == {}


class Unreachable:
    def rows(self, query: str) -> list[Row]:
        raise QueryError("http://127.0.0.1:8086: connection refused")

    def series_chunks(self, query: str, chunk_size: int = 10_000) -> Iterator[Series]:
        raise QueryError("http://127.0.0.1:8086: connection refused")


def test_unreachable_influxdb_is_a_signal_error_and_reads_are_cached(tmp_path: Path) -> None:
    s = StoredSignals(Unreachable(), tmp_path, ("A",))
    with pytest.raises(SignalError, match="connection refused"):
        s.polls(0, NOW)
    condition = StoredConditions(s, INTERVAL).evaluate(rule(Kind.COUNTER_DISCONTINUITY), NOW)
    assert condition.error is not None and "connection refused" in condition.error
    db = FakeInfluxQL()
    cached = signals(tmp_path, db)
    cached.polls(NOW - 600, NOW)
    cached.polls(NOW - 600, NOW)
    assert db.requests == 1
    cached.reset()
    cached.polls(NOW - 600, NOW)
    assert db.requests == 2
