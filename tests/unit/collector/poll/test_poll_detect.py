"""Platform detection by sysObjectID prefix and sysDescr pattern; mismatch reporting."""

from __future__ import annotations

import asyncio

from pollfixtures import ENV, SYS_DESCR, SYS_OBJECT_ID, acme_agent, build_profiles, make_ap

from collector.poll.ap import ApPoller
from collector.poll.detect import Detector
from collector.poll.runner import Runner
from collector.poll.sink import ListSink
from collector.snmp.fake import FakeEngine


def test_longest_prefix_and_descr_pattern() -> None:
    detector = Detector(build_profiles())
    assert detector.detect("1.3.6.1.4.1.99999.1.100", "Acme AP 100") == "acme"
    assert detector.detect(".1.3.6.1.4.1.8072.3.2.10", "Linux ap-1 6.1.0") == "generic"
    # prefix must end at an OID component boundary
    assert detector.detect("1.3.6.1.4.1.999991.1", "Acme AP 100") is None
    # the sysDescr pattern must match too
    assert detector.detect("1.3.6.1.4.1.99999.1.100", "Something else") is None


def test_swap_to_another_platform_is_counted_and_polled_with_detected_profile() -> None:
    linux = acme_agent()
    linux.set(SYS_OBJECT_ID, "1.3.6.1.4.1.8072.3.2.10")
    linux.set(SYS_DESCR, b"Linux swapped 6.1")
    linux.set("1.3.6.1.2.1.2.2.1.3.2", 6)
    linux.set("1.3.6.1.2.1.31.1.1.1.1.2", b"eth0")
    linux.set("1.3.6.1.2.1.31.1.1.1.6.2", 123)
    engine = FakeEngine({"AP-1": linux})
    runner = Runner(engine, build_profiles(), environ=ENV)
    sink = ListSink()
    stats = asyncio.run(runner.poll_once([make_ap("AP-1", platform="acme")], sink))
    [sample] = sink.samples
    assert sample.up
    assert sample.platform_mismatch
    assert sample.inventory_platform == "acme"
    assert sample.detected_platform == sample.platform == "generic"
    assert [r.band for r in sample.radios] == ["wired"]
    assert sample.radios[0].rx_bytes is not None and sample.radios[0].rx_bytes.value == 123
    assert stats.conditions["platform_mismatch"] == 1


def test_matching_platform_is_not_a_mismatch() -> None:
    poller = ApPoller(FakeEngine({"AP-1": acme_agent()}), build_profiles())
    runner = Runner(poller.engine, build_profiles(), environ=ENV)
    ap = make_ap("AP-1")
    sample = asyncio.run(poller.poll(ap, runner.target(ap)))
    assert not sample.platform_mismatch and sample.detected_platform == "acme"
    assert poller.counts["platform_mismatch"] == 0


def test_unknown_device_is_counted_and_polled_with_inventory_profile() -> None:
    agent = acme_agent()
    agent.set(SYS_OBJECT_ID, "1.3.6.1.4.1.11.2.3")
    engine = FakeEngine({"AP-1": agent})
    runner = Runner(engine, build_profiles(), environ=ENV)
    sink = ListSink()
    stats = asyncio.run(runner.poll_once([make_ap("AP-1")], sink))
    assert sink.samples[0].up and sink.samples[0].platform == "acme"
    assert sink.samples[0].detected_platform is None and sink.samples[0].platform_mismatch
    assert stats.conditions["platform_unknown"] == 1
