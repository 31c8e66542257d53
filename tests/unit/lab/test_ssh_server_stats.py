"""The SSH server's stats with a real asyncssh client: auth attempts per AP, the rotated host
key (refused before any password), and the client MACs it printed (only when recording)."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from collector.lab.ssh.clientids import client_macs
from collector.lab.ssh.device import SshCredentials, SshDevice
from collector.lab.ssh.hostkeys import known_hosts_line
from collector.lab.ssh.samples import sample_state
from collector.lab.ssh.server import LabSshServer
from collector.lab.state import DeviceState
from collector.secrets import Secret

SEED = "unit-seed"
NORMAL, ROTATED = "127.23.0.1", "127.23.0.2"


def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
    return {("2.4GHz", "Seoul_Free_WiFi"): 2, ("5GHz", "Seoul_Secure"): 3}


def devices() -> dict[str, SshDevice]:
    return {
        NORMAL: SshDevice(sample_state("aruba_instant", "AP-OK"), "aruba_instant", clients=counts),
        ROTATED: SshDevice(
            sample_state("aruba_instant", "AP-ROT"), "aruba_instant", host_key_changed=True
        ),
    }


async def _connect(server: LabSshServer, ip: str, ap_id: str) -> asyncssh.SSHClientConnection:
    known = asyncssh.import_known_hosts(known_hosts_line(ip, server.port, ap_id, SEED) + "\n")
    return await asyncssh.connect(
        ip,
        server.port,
        username="ops",
        password="pw-1",
        known_hosts=known,
        client_keys=None,
        agent_path=None,
        preferred_auth="password",
    )


async def _scenario(record: bool) -> LabSshServer:
    table = devices()
    server = LabSshServer(
        lambda ip, port: table.get(ip),
        seed=SEED,
        credentials=SshCredentials("ops", Secret("pw-1")),
        record_client_ids=record,
        login_timeout=5,
    )
    await server.start()
    try:
        with pytest.raises(asyncssh.HostKeyNotVerifiable):
            await _connect(server, ROTATED, "AP-ROT")
        async with await _connect(server, NORMAL, "AP-OK") as conn:
            result = await conn.run("show clients", check=False)
            assert "Number of Clients   :5" in str(result.stdout)
    finally:
        await server.close()
    return server


def test_refused_host_key_gets_no_password_and_attempts_are_counted() -> None:
    server = asyncio.run(_scenario(record=False))
    assert server.stats.auth_attempts == {"AP-OK": 1}
    assert server.stats.auth_attempts["AP-ROT"] == 0
    assert server.stats.client_macs_shown == set()


def test_recording_server_keeps_every_mac_it_printed() -> None:
    server = asyncio.run(_scenario(record=True))
    expected = client_macs("AP-OK", counts(sample_state("aruba_instant", "AP-OK"), 0.0))
    assert server.stats.client_macs_shown == expected
