"""Radio discovery (walk of the select column, band mapping), caching and rediscovery."""

from __future__ import annotations

import asyncio

from pollfixtures import ENV, SYS_OBJECT_ID, UPTIME, acme_agent, build_profiles, make_ap

from collector.poll.ap import ApPoller
from collector.poll.radios import discover_rows
from collector.poll.runner import Runner
from collector.poll.sample import CounterValue, Sample
from collector.snmp.fake import FakeAgent, FakeEngine


def _poller(agent: FakeAgent) -> tuple[ApPoller, Runner]:
    engine = FakeEngine({"AP-1": agent})
    runner = Runner(engine, build_profiles(), environ=ENV)
    return runner.ap_poller, runner


def _poll(poller: ApPoller, runner: Runner) -> Sample:
    ap = make_ap("AP-1")
    return asyncio.run(poller.poll(ap, runner.target(ap)))


def test_rows_selected_and_banded() -> None:
    agent = acme_agent(bands=(1, 2, 3))
    agent.set("1.3.6.1.4.1.99999.3.1.2.4", 9)  # a radio type the profile does not select
    poller, runner = _poller(agent)
    rows, unmapped = asyncio.run(
        discover_rows(
            poller.engine, runner.target(make_ap("AP-1")), build_profiles()["acme"].radios
        )
    )
    assert [(r.index, r.if_index, r.band) for r in rows] == [
        ("1", 1, "2.4GHz"),
        ("2", 2, "5GHz"),
        ("3", 3, "6GHz"),
    ]
    assert unmapped == 0


def test_band_column_values_map_and_unmapped_rows_are_counted() -> None:
    generic = build_profiles()["generic"]
    agent = FakeAgent(
        {
            "1.3.6.1.2.1.2.2.1.3.1": 24,
            "1.3.6.1.2.1.2.2.1.3.2": 71,
            "1.3.6.1.2.1.2.2.1.3.3": 71,
            "1.3.6.1.2.1.2.2.1.3.4": 6,
            "1.3.6.1.2.1.31.1.1.1.1.1": b"lo",
            "1.3.6.1.2.1.31.1.1.1.1.2": b"wlan0",
            "1.3.6.1.2.1.31.1.1.1.1.3": b"wlan1",
            "1.3.6.1.2.1.31.1.1.1.1.4": b"br-lan",
        }
    )
    poller, runner = _poller(agent)
    rows, unmapped = asyncio.run(
        discover_rows(poller.engine, runner.target(make_ap("AP-1")), generic.radios)
    )
    assert [(r.index, r.band) for r in rows] == [("2", "2.4GHz"), ("3", "5GHz")]
    assert unmapped == 1  # br-lan: selected (ifType 6) but not in band_map, no "*"


def test_steady_state_is_one_get_and_values_are_typed() -> None:
    agent = acme_agent(uptime=1000, rx=5000)
    poller, runner = _poller(agent)
    first = _poll(poller, runner)
    assert first.rediscovered
    calls_after_first = dict(poller.engine.calls)  # type: ignore[attr-defined]
    second = _poll(poller, runner)
    calls = poller.engine.calls  # type: ignore[attr-defined]
    assert calls[("AP-1", "walk")] == calls_after_first[("AP-1", "walk")] == 1
    assert calls[("AP-1", "get")] == calls_after_first[("AP-1", "get")] + 1
    assert not second.rediscovered
    assert second.model == "AP-100" and second.sys_name == "acme-1"
    assert second.sessions == CounterValue(77, 32)
    assert [(r.band, r.rx_bytes, r.clients, r.channel) for r in second.radios] == [
        ("2.4GHz", CounterValue(5000, 32), 4, 6),
        ("5GHz", CounterValue(10000, 32), 8, 36),
    ]


def test_reboot_triggers_rediscovery() -> None:
    agent = acme_agent(uptime=100_000)
    poller, runner = _poller(agent)
    _poll(poller, runner)
    agent.set(UPTIME, 50)  # sysUpTime went back: rebooted, rows may have moved
    agent.set("1.3.6.1.4.1.99999.3.1.2.3", 3)  # a 6 GHz radio appeared
    for column, value in ((3, 1), (4, 2), (5, 0), (6, 37)):
        agent.set(f"1.3.6.1.4.1.99999.3.1.{column}.3", value)
    sample = _poll(poller, runner)
    assert sample.rediscovered and sample.uptime == 50
    assert [r.band for r in sample.radios] == ["2.4GHz", "5GHz", "6GHz"]
    assert poller.counts["rediscovered"] == 1


def test_swap_detected_by_sysobjectid_change_triggers_rediscovery() -> None:
    agent = acme_agent()
    poller, runner = _poller(agent)
    _poll(poller, runner)
    agent.set(SYS_OBJECT_ID, "1.3.6.1.4.1.99999.1.600")  # a Wi-Fi 6 model of the same vendor
    assert _poll(poller, runner).rediscovered


def test_vanished_row_triggers_rediscovery() -> None:
    agent = acme_agent(bands=(1, 2))
    poller, runner = _poller(agent)
    _poll(poller, runner)
    for column in (2, 3, 4, 5, 6):
        del agent.values[f"1.3.6.1.4.1.99999.3.1.{column}.2"]
    agent._sorted = None
    sample = _poll(poller, runner)
    assert sample.rediscovered and [r.band for r in sample.radios] == ["2.4GHz"]


def test_wrong_type_value_is_dropped_and_counted() -> None:
    agent = acme_agent()
    agent.set("1.3.6.1.4.1.99999.3.1.3.1", b"not a counter")
    poller, runner = _poller(agent)
    sample = _poll(poller, runner)
    assert sample.up and sample.radios[0].rx_bytes is None
    assert poller.counts["bad_values"] == 1


def test_channel_and_power_are_normalised_to_the_sample_units() -> None:
    from collector.poll.plan import channel_of_frequency, normalise
    from collector.profiles import MibObject

    def obj(kind: str, unit: str | None) -> MibObject:
        return MibObject.model_validate(
            {"mib": "X-MIB::x", "oid": "1.3.6.1.4.1.1", "type": kind, "unit": unit},
            strict=False,
        )

    assert normalise("channel", obj("string", "channel"), "36E") == 36
    assert normalise("channel", obj("string", "channel"), "149+") == 149
    assert normalise("channel", obj("gauge", "MHz"), 2437) == 6
    assert normalise("channel", obj("gauge", "MHz"), 5180) == 36
    assert channel_of_frequency(5975) == 5  # 6 GHz channel 5
    assert normalise("tx_power_dbm", obj("gauge", "level"), 3) is None
    assert normalise("tx_power_dbm", obj("gauge", "dBm"), 17) == 17
