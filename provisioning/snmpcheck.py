"""Verification over SNMP: after a push, what the AP's agent says about its radios.

The CLI can say what the configuration holds; SNMP says what the radio does (and is what the
collector and the dashboards will see). One poll through the collector's own runner (gufo_snmp,
the AP's SNMPv3 or v2c credentials, its platform profile), then each radio's channel and tx
power per band are compared with the change's expectation, and the firmware version where the
platform's profile reads one (ENTITY-MIB on IOS and Instant, MIKROTIK-MIB ``mtxrLicVersion`` on
RouterOS; a Linux AP's net-snmp reports none: its firmware is verified over SSH only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from collector.inventory.model import AccessPoint
from collector.poll.backoff import BackOff
from collector.poll.runner import Runner, RunnerOptions
from collector.poll.sink import ListSink
from collector.profiles import load_profiles
from collector.snmp.gufo_backend import GufoEngine
from provisioning.intents import Expectation


def snmp_problems(
    aps: Sequence[AccessPoint],
    expected: Mapping[str, Expectation],
    *,
    timeout_s: float = 4.0,
    environ: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Per AP id, what SNMP shows wrong (an empty list: as expected)."""
    if not aps:
        return {}
    return asyncio.run(_check(list(aps), expected, timeout_s, environ))


async def _check(
    aps: list[AccessPoint],
    expected: Mapping[str, Expectation],
    timeout_s: float,
    environ: Mapping[str, str] | None,
) -> dict[str, list[str]]:
    options = RunnerOptions(concurrency=min(256, len(aps)), deadline_s=timeout_s)
    engine = GufoEngine(
        request_timeout=timeout_s / 2, retries=1, session_reserve=64, want_sessions=len(aps)
    )
    runner = Runner(engine, load_profiles(), options, backoff=BackOff(), environ=environ)
    sink = ListSink()
    await runner.poll_once(aps, sink)
    by_ap = {sample.ap_id: sample for sample in sink.samples}
    problems: dict[str, list[str]] = {}
    for ap in aps:
        sample = by_ap.get(ap.id)
        want = expected.get(ap.id, Expectation())
        if sample is None or not sample.up:
            reason = sample.reason if sample is not None else "no answer"
            problems[ap.id] = [f"SNMP: no answer ({reason})"]
            continue
        wrong = []
        for radio in want.radios:
            got = next((r for r in sample.radios if r.band == radio.band), None)
            if got is None:
                wrong.append(f"SNMP: no {radio.band} radio")
                continue
            channel = got.channel
            if radio.channel is not None and channel is not None and channel != radio.channel:
                wrong.append(f"SNMP: {radio.band} channel {got.channel} != {radio.channel}")
            if (
                radio.tx_power_dbm is not None
                and got.tx_power_dbm is not None
                and round(got.tx_power_dbm) != radio.tx_power_dbm
            ):
                wrong.append(
                    f"SNMP: {radio.band} tx power {got.tx_power_dbm:g} != {radio.tx_power_dbm}"
                )
        reported = sample.firmware.strip() if sample.firmware is not None else None
        if want.firmware is not None and reported is not None and reported != want.firmware:
            wrong.append(f"SNMP: firmware {reported} != {want.firmware}")
        problems[ap.id] = wrong
    return problems
