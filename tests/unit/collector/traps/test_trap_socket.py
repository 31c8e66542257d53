"""The receiver's socket: the receive buffer asked for and reported, reading in bursts, and
the kernel's drops counted as a drop reason."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
from pathlib import Path

import pytest
from conftest import RecordingCounters, RecordingSink

from collector import metrics
from collector.inventory.model import Inventory
from collector.lab.traps import LINK_DOWN, v2c_trap
from collector.profiles import load_profiles
from collector.traps import cli, counters, receiver
from collector.traps.mapping import TrapKinds
from collector.traps.receiver import Credentials, TrapReceiver, set_recv_buffer

COMMUNITY = b"unit-community"


def receiver_for(
    inventory: Inventory, **options: object
) -> tuple[TrapReceiver, RecordingSink, RecordingCounters]:
    sink, recording = RecordingSink(), RecordingCounters()
    communities = {ap.snmp_auth.name: COMMUNITY for ap in inventory}
    trap_receiver = TrapReceiver(
        inventory.aps, Credentials(communities, []), TrapKinds.from_profiles(load_profiles()),
        sink, recording, **options,  # type: ignore[arg-type]
    )  # fmt: skip
    return trap_receiver, sink, recording


class RefusingForce:
    """A socket whose SO_RCVBUFFORCE is refused (no CAP_NET_ADMIN), as the kernel caps."""

    def __init__(self, rmem_max: int) -> None:
        self.rmem_max = rmem_max
        self.value = 0

    def setsockopt(self, level: int, option: int, value: int) -> None:
        if option != socket.SO_RCVBUF:
            raise PermissionError(1, "Operation not permitted")
        self.value = 2 * min(value, self.rmem_max)

    def getsockopt(self, level: int, option: int) -> int:
        return self.value


def test_without_force_the_buffer_is_capped_and_says_so(tmp_path: Path) -> None:
    rmem = tmp_path / "rmem_max"
    rmem.write_text("4194304\n")
    sock = RefusingForce(4194304)
    got = set_recv_buffer(sock, 32 << 20, rmem)  # type: ignore[arg-type]
    assert (got.asked, got.granted, got.forced, got.rmem_max) == (32 << 20, 8 << 20, False, 4 << 20)
    assert got.capped
    assert not set_recv_buffer(sock, 1 << 20, rmem).capped  # type: ignore[arg-type]


def test_a_real_socket_gets_at_least_what_rmem_max_allows() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        got = set_recv_buffer(sock, 1 << 20)
        assert got.granted == sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        assert got.granted >= min(1 << 20, got.rmem_max or 0)


def test_start_logs_and_reports_the_buffer_and_bursts_are_read(
    v2c_inventory: Inventory, caplog: pytest.LogCaptureFixture
) -> None:
    trap_receiver, sink, recording = receiver_for(v2c_inventory, recv_buffer=4 << 20)
    ap = v2c_inventory.aps[0]
    n = 2000

    async def flood() -> None:
        port = await trap_receiver.start("127.0.0.1", 0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.bind((str(ap.address), 0))
            for i in range(n):  # all sent before the loop reads one: one wake-up, bursts
                sender.sendto(v2c_trap(COMMUNITY, i, i, LINK_DOWN), ("127.0.0.1", port))
            for _ in range(500):
                if trap_receiver.events == n:
                    break
                await asyncio.sleep(0.01)
        trap_receiver.close()

    with caplog.at_level(logging.INFO, logger="collector.traps.receiver"):
        asyncio.run(flood())
    assert recording.buffer == trap_receiver.recv_buffer_granted > 0
    assert any("receive buffer" in r.message and "granted" in r.message for r in caplog.records)
    assert trap_receiver.events == n == len(sink.events)
    assert trap_receiver.fast_decoded == n
    assert recording.drops == {}


def test_the_kernels_drops_are_counted_once_as_socket_buffer(
    v2c_inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    trap_receiver, _, recording = receiver_for(v2c_inventory)
    readings = iter([0, 5, 5, 12])
    monkeypatch.setattr(receiver, "socket_drops", lambda inode: next(readings))
    for _ in range(4):
        trap_receiver._count_socket_drops(1)
    assert recording.drops == {"socket_buffer": 12}


def test_what_is_queued_at_shutdown_is_counted(v2c_inventory: Inventory) -> None:
    trap_receiver, _, recording = receiver_for(v2c_inventory)
    for _ in range(3):
        trap_receiver.admit(
            v2c_trap(COMMUNITY, 1, 1, LINK_DOWN), (str(v2c_inventory.aps[0].address), 1)
        )
    trap_receiver.close()
    assert recording.drops == {"shutdown": 3} and not trap_receiver.queue


def test_the_drop_reasons_are_the_metrics_labels() -> None:
    assert metrics.TRAP_DROP_REASONS == counters.DROP_REASONS


def test_the_cli_flags() -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["traps"])
    assert (args.recv_buffer, args.decoder) == (receiver.RECV_BUFFER, "fast")
    args = parser.parse_args(["traps", "--recv-buffer", "1048576", "--decoder", "pysnmp"])
    assert (args.recv_buffer, args.decoder) == (1 << 20, "pysnmp")
    for bad in ("lots", "100", str(2 << 30)):
        with pytest.raises(SystemExit):
            parser.parse_args(["traps", "--recv-buffer", bad])
    with pytest.raises(ValueError):
        TrapReceiver([], Credentials({}, []), TrapKinds({}), RecordingSink(), decoder="x")  # type: ignore[arg-type]
