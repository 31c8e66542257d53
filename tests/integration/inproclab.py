"""The lab in the test's own process: its fleet, SSH server and (optionally) SNMP agent on one
event-loop thread, so a test can read and change each lab AP's state while real clients
(netmiko, OpenSSH, ``pubwifi`` child processes) talk to it. Plain code, no pytest.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from labproc import LAB_ENV

from collector.inventory.model import Inventory
from collector.lab.faults import FaultPlan, FaultRule
from collector.lab.fleet import Fleet
from collector.lab.snmp import SnmpAgent
from collector.lab.ssh.device import SshCredentials
from collector.lab.ssh.server import LabSshServer
from collector.secrets import Secret


@dataclass
class InProcessLab:
    fleet: Fleet
    server: LabSshServer
    agent: SnmpAgent | None


@contextmanager
def running_lab(
    inventory: Inventory,
    *,
    ssh_port: int,
    snmp_port: int | None = None,
    faults: Sequence[FaultRule] = (),
    clock: Callable[[], float] = time.time,
    record_client_ids: bool = False,
) -> Iterator[InProcessLab]:
    """Serve ``inventory``'s APs (SSH on ``ssh_port``, SNMP on ``snmp_port`` if given) until
    the block ends; every AP on those ports, whatever its inventory entry says."""
    fleet = Fleet(
        inventory,
        seed=1,
        faults=FaultPlan(list(faults)),
        environ=LAB_ENV,
        clock=clock,
        ssh_port=ssh_port,
        snmp_port=snmp_port,
    )
    password = Secret(LAB_ENV["PUBWIFI_SSH_PASSWORD"])
    server = LabSshServer(
        fleet.resolve_ssh,
        seed=1,
        credentials=SshCredentials(LAB_ENV["PUBWIFI_SSH_USER"], password),
        port=ssh_port,
        login_timeout=20,
        clock=clock,
        record_client_ids=record_client_ids,
    )
    agent = SnmpAgent(fleet.resolve_snmp, port=snmp_port) if snmp_port is not None else None
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
    if agent is not None:
        asyncio.run_coroutine_threadsafe(agent.start(), loop).result(timeout=10)
    try:
        yield InProcessLab(fleet, server, agent)
    finally:
        if agent is not None:
            agent.close()
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
