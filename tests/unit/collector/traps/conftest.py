"""Small generated inventories and recording fakes for the trap receiver's unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from collector.events import Event
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint, Inventory


def inventory_of(tmp_path: Path, version: str, first_ip: str, platform: str) -> Inventory:
    path = tmp_path / f"inventory-{version}.yaml"
    path.write_text(
        generate(GenerateOptions(aps=3, first_ip=first_ip, platform=platform, snmp_version=version))
    )
    return load_inventory(path)


@pytest.fixture
def v2c_inventory(tmp_path: Path) -> Inventory:
    return inventory_of(tmp_path, "2c", "127.70.0.1", "net-snmp")


@pytest.fixture
def v3_inventory(tmp_path: Path) -> Inventory:
    return inventory_of(tmp_path, "3", "127.71.0.1", "cisco_ios_ap")


@dataclass
class RecordingSink:
    events: list[tuple[AccessPoint, Event]] = field(default_factory=list)

    def put(self, ap: AccessPoint, event: Event) -> None:
        self.events.append((ap, event))


@dataclass
class RecordingCounters:
    kinds: dict[str, int] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)
    depth: int = -1
    buffer: int = -1

    def received(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def dropped(self, reason: str, n: int = 1) -> None:
        self.drops[reason] = self.drops.get(reason, 0) + n

    def queue_depth(self, n: int) -> None:
        self.depth = n

    def engine_ids(self, n: int) -> None:
        pass

    def socket_drops(self, n: int) -> None:
        pass

    def recv_buffer(self, n: int) -> None:
        self.buffer = n
