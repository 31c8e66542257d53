"""The benchmark's inventories, made by ``pubwifi inventory generate`` itself.

``v2c`` and ``v3`` differ only in their auth; ``dead`` is the v2c file with ``dead`` of its
polled APs, spread evenly, moved to a port where a socket that never reads swallows the
requests (no ICMP port-unreachable on loopback, so the poller sees silence, as from a dead AP).
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

FIRST_IP = "127.16.0.1"
_AP_LINE = re.compile(r"^(\s*-\s*\{)(id:.*)$")  # one flow mapping per AP
_STATUS = re.compile(r"\bstatus:\s*(\w+)")
POLLED = frozenset({"active", "staged", "failed", "offline"})  # Lifecycle.is_polled


@dataclass(frozen=True)
class FleetFiles:
    v2c: Path
    v3: Path
    dead: Path
    addresses: list[str]  # polled APs' management addresses, inventory order
    dead_count: int


def generate(pubwifi: str, aps: int, port: int, version: str, output: Path,
             env: Mapping[str, str]) -> None:
    """Run ``pubwifi inventory generate`` for ``aps`` net-snmp APs on ``port``."""
    result = subprocess.run(
        [pubwifi, "inventory", "generate", "--aps", str(aps), "--platform", "net-snmp",
         "--first-ip", FIRST_IP, "--snmp-port", str(port), "--snmp-version", version,
         "-o", str(output)],
        env=dict(env), capture_output=True, text=True, timeout=300, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"inventory generate failed: {result.stderr.strip()[-1000:]}")


def polled_addresses(path: Path) -> list[str]:
    """Management addresses of the APs a poller asks (lifecycle is polled), in file order."""
    from collector.inventory.load import load_inventory

    inventory = load_inventory(path)
    return [str(ap.address) for ap in inventory.aps if ap.status.is_polled]


def with_dead_aps(source: Path, output: Path, dead: int, dead_port: int) -> int:
    """Copy ``source`` with ``dead`` polled APs (every k-th) on ``dead_port``; returns how many."""
    lines = source.read_text().splitlines(keepends=True)
    default = next((m.group(1) for line in lines if not _AP_LINE.match(line)
                    and (m := _STATUS.search(line))), "active")  # defaults/groups' status

    def status(line: str) -> str:
        match = _STATUS.search(line)
        return match.group(1) if match else default

    polled = [i for i, line in enumerate(lines) if _AP_LINE.match(line) and status(line) in POLLED]
    if dead <= 0 or not polled:
        output.write_text("".join(lines))
        return 0
    step = max(1, len(polled) // dead)
    chosen = polled[step // 2 :: step][:dead]
    for index in chosen:
        match = _AP_LINE.match(lines[index])
        assert match is not None
        lines[index] = f"{match.group(1)}ports: {{snmp: {dead_port}}}, {match.group(2)}\n"
    output.write_text("".join(lines))
    return len(chosen)


class BlackHole:
    """A UDP socket on 0.0.0.0:PORT that never reads: requests to it get no answer at all."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.bind(("0.0.0.0", 0))
        self.port: int = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def make_fleet(workdir: Path, pubwifi: str, aps: int, port: int, dead: int, dead_port: int,
               env: Mapping[str, str]) -> FleetFiles:
    v2c, v3, dead_file = (workdir / "inv-v2c.yaml", workdir / "inv-v3.yaml",
                          workdir / "inv-dead.yaml")
    generate(pubwifi, aps, port, "2c", v2c, env)
    generate(pubwifi, aps, port, "3", v3, env)
    dead_count = with_dead_aps(v2c, dead_file, min(dead, aps), dead_port)
    return FleetFiles(v2c=v2c, v3=v3, dead=dead_file, addresses=polled_addresses(v2c),
                      dead_count=dead_count)
