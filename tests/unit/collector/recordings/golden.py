"""Shared by the recorder and the test: the recorded lab fleet and the poller's golden view."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint, Inventory
from collector.poll.ap import ApPoller
from collector.profiles import load_profiles
from collector.snmp.engine import SnmpTarget, resolve_credentials
from collector.snmp.fake import FakeAgent, FakeEngine

RECORDED_AT = 1_767_225_600.0  # 2026-01-01T09:00+09:00, a Thursday morning in Seoul
PLATFORMS = ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros", "net-snmp")
ENV = {
    "PUBWIFI_SNMP_COMMUNITY": "recording",
    "PUBWIFI_SNMP_V3_USER": "recording",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "recording-auth",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "recording-priv",
    "PUBWIFI_SSH_USER": "recording",
    "PUBWIFI_SSH_PASSWORD": "recording",
}


def lab_fleet(directory: Path) -> tuple[Inventory, list[AccessPoint]]:
    """A deterministic generated fleet and, per platform, the first answering Wi-Fi 6 AP."""
    path = directory / "recorded.yaml"
    path.write_text(generate(GenerateOptions(aps=300, seed=3)), encoding="utf-8")
    inventory = load_inventory(path)
    chosen = [
        next(
            ap
            for ap in inventory
            if ap.platform == platform
            and ap.standard.value == "wifi6"
            and ap.status.value == "active"
        )
        for platform in PLATFORMS
    ]
    return inventory, chosen


async def golden_sample(ap: AccessPoint, snmprec: str) -> dict[str, Any]:
    """The poller's sample for ``ap`` answering from ``snmprec``, without run-time fields."""
    engine = FakeEngine({ap.id: FakeAgent.from_snmprec(snmprec)})
    target = SnmpTarget(
        ap.id, str(ap.address), ap.snmp_port, resolve_credentials(ap.snmp_auth, ENV)
    )
    sample = await ApPoller(engine, load_profiles()).poll(ap, target)
    data = dataclasses.asdict(sample)
    for key in ("time_ns", "elapsed_s"):
        data.pop(key, None)
    return data
