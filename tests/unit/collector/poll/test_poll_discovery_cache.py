"""First contact in two requests, and the discovery cache that spares a new process even those."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from pollfixtures import ENV, SYS_DESCR, SYS_OBJECT_ID, UPTIME, acme_agent, build_profiles, make_ap

from collector.poll.discovery_cache import DiscoveryCache, lowest_uptime_now
from collector.poll.runner import Runner
from collector.poll.sample import Sample
from collector.profiles import Profile
from collector.snmp.fake import FakeAgent, FakeEngine


def _runner(agent: FakeAgent, cache: DiscoveryCache | None = None) -> Runner:
    return Runner(FakeEngine({"AP-1": agent}), build_profiles(), environ=ENV, discovery=cache)


def _poll(runner: Runner, platform: str = "acme") -> Sample:
    ap = make_ap("AP-1", platform=platform)
    return asyncio.run(runner.ap_poller.poll(ap, runner.target(ap)))


def _requests(runner: Runner) -> int:
    return sum(runner.engine.calls.values())  # type: ignore[attr-defined]


def _cache(path: Path, now: float | None = None) -> DiscoveryCache:
    return DiscoveryCache(path, build_profiles(), clock=(lambda: now) if now else time.time)


def _restarted(agent: FakeAgent, path: Path, now: float | None = None) -> Runner:
    """A new process: a fresh runner seeded from the cache file."""
    runner = _runner(agent, _cache(path, now))
    assert runner.discovery is not None
    runner.ap_poller.restore(runner.discovery.load({"AP-1"}))
    return runner


def test_first_contact_is_a_walk_and_one_get_when_the_inventory_is_right() -> None:
    runner = _runner(acme_agent())
    sample = _poll(runner)
    calls = runner.engine.calls  # type: ignore[attr-defined]
    assert (calls[("AP-1", "walk")], calls[("AP-1", "get")]) == (1, 1)
    assert sample.rediscovered and sample.detected_platform == "acme"
    assert [r.band for r in sample.radios] == ["2.4GHz", "5GHz"]
    assert sample.sessions is not None and sample.sessions.value == 77
    assert not sample.platform_mismatch and runner.ap_poller.counts["platform_mismatch"] == 0


def test_a_different_platform_falls_back_to_full_discovery_counted_once() -> None:
    agent = FakeAgent(
        {
            UPTIME: 500,
            SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10",
            SYS_DESCR: b"Linux ap 6.1",
            "1.3.6.1.2.1.2.2.1.3.2": 71,
            "1.3.6.1.2.1.31.1.1.1.1.2": b"wlan0",
            "1.3.6.1.2.1.31.1.1.1.6.2": 123,
            "1.3.6.1.2.1.31.1.1.1.10.2": 456,
        }
    )
    runner = _runner(agent)
    sample = _poll(runner, platform="acme")  # the inventory is wrong: it is a generic Linux AP
    assert sample.platform == "generic" and sample.platform_mismatch
    assert [(r.band, r.rx_bytes and r.rx_bytes.value) for r in sample.radios] == [("2.4GHz", 123)]
    assert runner.ap_poller.counts["platform_mismatch"] == 1


def test_a_new_process_polls_known_aps_with_one_get(tmp_path: Path) -> None:
    path = tmp_path / "discovery-1of1.json"
    agent = acme_agent(uptime=100_000)
    first = _runner(agent, _cache(path))
    before = _poll(first)
    assert first.save_discovery()
    assert not first.save_discovery()  # nothing new was discovered: no rewrite
    again = _restarted(agent, path)
    after = _poll(again)
    assert _requests(again) == 1 and not after.rediscovered
    assert after.radios == before.radios and after.platform == "acme"
    assert again.ap_poller.counts["rediscovered"] == 0
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


def test_a_reboot_while_no_collector_ran_is_found(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    agent = acme_agent(uptime=100_000)  # 1,000 s up
    runner = _runner(agent, _cache(path))
    _poll(runner)
    runner.save_discovery()
    seen = runner.ap_poller.known["AP-1"].seen
    # 2,000 s later the AP has been up for 50 s only: it rebooted in between
    agent.set(UPTIME, 5_000)
    rebooted = _restarted(agent, path, now=seen + 2_000)
    assert _poll(rebooted).rediscovered
    # had it not rebooted, it would show 3,000 s of uptime: no rediscovery
    agent.set(UPTIME, 300_000)
    steady = _restarted(agent, path, now=seen + 2_000)
    assert not _poll(steady).rediscovered


def test_swapped_ap_and_vanished_row_drop_the_cached_entry(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    agent = acme_agent(uptime=100_000)
    runner = _runner(agent, _cache(path))
    _poll(runner)
    runner.save_discovery()
    agent.set(SYS_OBJECT_ID, "1.3.6.1.4.1.99999.1.600")
    assert _poll(_restarted(agent, path)).rediscovered
    agent.set(SYS_OBJECT_ID, "1.3.6.1.4.1.99999.1.100")
    for column in (2, 3, 4, 5, 6):
        del agent.values[f"1.3.6.1.4.1.99999.3.1.{column}.2"]
    agent._sorted = None
    sample = _poll(_restarted(agent, path))
    assert sample.rediscovered and [r.band for r in sample.radios] == ["2.4GHz"]


def test_entries_of_a_changed_profile_are_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    runner = _runner(acme_agent(), _cache(path))
    _poll(runner)
    runner.save_discovery()
    changed = build_profiles()
    data = changed["acme"].model_dump()
    data["radios"]["select_values"] = [1, 2]
    changed["acme"] = Profile.model_validate(data, strict=False)
    cache = DiscoveryCache(path, changed)
    assert cache.load() == [] and cache.dropped == 1


def test_unreadable_or_foreign_files_are_an_empty_cache(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    assert _cache(path).load() == []  # missing
    path.write_text("{not json")
    assert _cache(path).load() == []
    path.write_text(json.dumps({"format": 99, "aps": {}}))
    assert _cache(path).load() == []
    good = _runner(acme_agent(), _cache(path))
    _poll(good)
    good.save_discovery()
    document = json.loads(path.read_text())
    document["aps"]["AP-2"] = {"platform": "acme", "rows": "oops"}
    path.write_text(json.dumps(document))
    cache = _cache(path)
    assert [entry[0] for entry in cache.load()] == ["AP-1"] and cache.dropped == 1


def test_saving_is_throttled_and_only_after_a_discovery(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    clock = [1000.0]
    cache = DiscoveryCache(path, build_profiles(), clock=lambda: clock[0])
    runner = _runner(acme_agent(), cache)
    _poll(runner)
    assert runner.save_discovery(min_interval_s=300)
    runner.ap_poller.forget("AP-1")
    assert not runner.save_discovery(min_interval_s=300)  # changed, but too soon
    clock[0] += 301
    assert runner.save_discovery(min_interval_s=300)
    assert json.loads(path.read_text())["aps"] == {}


def test_lowest_uptime_now_allows_for_clock_slack() -> None:
    assert lowest_uptime_now(1_000, seen=0.0, now=0.0) == 0
    assert lowest_uptime_now(100_000, seen=0.0, now=0.0) == 97_000  # 30 s slack
    assert lowest_uptime_now(100_000, seen=0.0, now=1_000.0) == 100_000 + 96_000
    assert lowest_uptime_now(0, seen=0.0, now=10.0) == 0  # never negative


def test_another_worker_layouts_file_fills_what_this_one_lacks(tmp_path: Path) -> None:
    """--workers changed: the single process's file serves the new worker's APs, once."""
    old = tmp_path / "discovery-1of1.json"
    runner = _runner(acme_agent(), _cache(old))
    _poll(runner)
    runner.save_discovery()
    own = tmp_path / "discovery-1of1-w2of2.json"
    cache = DiscoveryCache(own, build_profiles(), fallbacks=[old])
    restarted = _runner(acme_agent(), cache)
    restarted.ap_poller.restore(cache.load({"AP-1"}))
    cache.mark_saved(restarted.ap_poller)
    assert cache.loaded == 1 and cache.from_fallbacks == 1
    sample = _poll(restarted)
    assert not sample.rediscovered and _requests(restarted) == 1  # the steady GET only
    assert restarted.save_discovery() and "AP-1" in json.loads(own.read_text())["aps"]
    again = DiscoveryCache(own, build_profiles(), fallbacks=[old])
    assert len(again.load({"AP-1"})) == 1 and again.from_fallbacks == 0  # its own file now


def test_aps_with_the_same_rows_share_one_rows_tuple(tmp_path: Path) -> None:
    path = tmp_path / "discovery.json"
    document = {
        "format": 1,
        "profiles": {},
        "aps": {
            f"AP-{n}": {
                "platform": "acme", "detected": "acme", "sys_object_id": "1.3.6.1.4.1.99999.1",
                "uptime": 100, "seen": time.time(), "rows": [["1", "2.4GHz"], ["2", "5GHz"]],
            }
            for n in range(3)
        },
    }  # fmt: skip
    cache = _cache(path)
    document["profiles"] = cache._digests
    path.write_text(json.dumps(document))
    entries = cache.load()
    assert len(entries) == 3
    assert entries[0][1].rows is entries[1][1].rows is entries[2][1].rows
