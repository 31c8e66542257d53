"""The lab fleet: every AP of an inventory as a lab device, built lazily on first contact.

Start-up builds only an address index ((IPv4, port) -> AP); a device (state, traffic profile,
faults) is created the first time a request reaches it, deterministically from (seed, AP id),
so 34,280 APs start in well under a second and idle APs cost nothing.

Who answers: APs whose status is active, staged or decommissioning. Offline, failed and planned
APs are silent, as on the street.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from collector.errors import InputError
from collector.inventory.model import AccessPoint, Inventory, Lifecycle, SnmpAuth, SnmpV3Auth
from collector.lab.device import LabDevice
from collector.lab.faults import FaultPlan
from collector.lab.hardware import build_device
from collector.lab.injector import Behaviour, install
from collector.lab.mib import DeviceMib
from collector.lab.platforms import Platform, load_platforms
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.usm import AuthProtocol, PrivProtocol, UsmUser
from collector.lab.ssh.device import SshDevice
from collector.secrets import UnsetSecretError

ANSWERING = frozenset({Lifecycle.ACTIVE, Lifecycle.STAGED, Lifecycle.DECOMMISSIONING})


@dataclass(slots=True, eq=False)
class FleetMember:
    """A built device with what its servers need."""

    device: LabDevice
    behaviour: Behaviour
    agent: AgentDevice
    ssh: SshDevice


class Fleet:
    def __init__(
        self,
        inventory: Inventory,
        *,
        seed: int = 1,
        faults: FaultPlan | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        snmp_port: int | None = None,
        ssh_port: int | None = None,
    ) -> None:
        """``snmp_port``/``ssh_port``: serve every AP on this port instead of its own."""
        self.inventory = inventory
        self.seed = seed
        self.faults = faults or FaultPlan()
        self.environ = os.environ if environ is None else environ
        self.clock = clock
        self.started = clock()
        self.platforms: dict[str, Platform] = load_platforms()
        self.snmp_port = snmp_port
        self.ssh_port = ssh_port
        self._by_snmp: dict[tuple[int, int], int] = {}
        self._by_ssh: dict[tuple[int, int], int] = {}
        self._position_of: dict[str, int] = {}
        for position, ap in enumerate(inventory.aps):
            address = int(ap.address)
            self._by_snmp[(address, snmp_port or ap.snmp_port)] = position
            self._by_ssh[(address, ssh_port or ap.ssh_port)] = position
            self._position_of[ap.id] = position
        self._members: dict[int, FleetMember] = {}
        #: told (AP, now) when an AP's CLI ``reload`` restarts it (the trap sender listens)
        self.on_reload: Callable[[AccessPoint, float], None] | None = None
        self._credentials: dict[str, tuple[bytes | None, UsmUser | None]] = {}
        for auth_name in sorted({ap.snmp_auth.name for ap in inventory.aps}):
            try:
                self._credentials_for(inventory.snmp_auths[auth_name])
            except UnsetSecretError as error:
                raise InputError.at(
                    inventory.path, 0, f"SNMP auth {auth_name!r}: {error}"
                ) from None

    def __len__(self) -> int:
        return len(self.inventory.aps)

    def member(self, ap: AccessPoint | str) -> FleetMember:
        """The device of ``ap`` (built on first use)."""
        if isinstance(ap, str):
            ap = self.inventory.ap(ap)
        position = self._position(ap)
        built = self._members.get(position)
        if built is None:
            built = self._members[position] = self._build(ap)
        return built

    def _position(self, ap: AccessPoint) -> int:
        return self._position_of[ap.id]

    def _build(self, ap: AccessPoint) -> FleetMember:
        device = build_device(ap, self.platforms[ap.platform], self.seed, self.started)
        behaviour = install(device, self.faults.for_ap(ap.id), self.started)
        community, user = self._credentials_for(ap.snmp_auth)
        agent = AgentDevice(
            device_id=ap.id,
            view=DeviceMib(device),
            boot_time=device.state.boot_time,
            community=community,
            v3_user=user,
            fault=behaviour.snmp_fault,
            slow_seconds=behaviour.slow_seconds,
        )
        ssh = SshDevice(
            state=device.state,
            platform=ap.platform,
            login_fails=behaviour.ssh_fault == "login_fails",
            hangs=behaviour.ssh_fault == "hangs",
            host_key_changed=behaviour.ssh_fault == "host_key_changed",
            cli_error=behaviour.ssh_fault == "cli_error",
            garbage=behaviour.ssh_fault == "garbage",
            clients=lambda state, now: device.client_table(now),
            on_reload=lambda: self._reloaded(ap),
        )
        return FleetMember(device, behaviour, agent, ssh)

    def _reloaded(self, ap: AccessPoint) -> None:
        if self.on_reload is not None:
            self.on_reload(ap, self.clock())

    def _credentials_for(self, auth: SnmpAuth) -> tuple[bytes | None, UsmUser | None]:
        """v3 APs get a USM user and no community; v2c APs a community only."""
        cached = self._credentials.get(auth.name)
        if cached is not None:
            return cached
        if isinstance(auth, SnmpV3Auth):
            user = UsmUser(
                name=auth.user.resolve(self.environ).reveal().encode(),
                auth_protocol=AuthProtocol.from_key(auth.auth_protocol.value),
                auth_password=auth.auth_key.resolve(self.environ),
                priv_protocol=PrivProtocol.from_key(auth.priv_protocol.value),
                priv_password=auth.priv_key.resolve(self.environ),
            )
            result: tuple[bytes | None, UsmUser | None] = (None, user)
        else:
            result = (auth.community.resolve(self.environ).reveal().encode(), None)
        self._credentials[auth.name] = result
        return result

    # --- the servers' resolvers ------------------------------------------------------------
    def resolve_snmp(self, dest_ip: str, dest_port: int) -> AgentDevice | None:
        """The agent device at (address, port), refreshed for faults; None: nobody answers."""
        position = self._by_snmp.get((_ip(dest_ip), dest_port))
        if position is None:
            return None
        return self.agent_of(self.inventory.aps[position], self.clock())

    def agent_of(self, ap: AccessPoint, now: float) -> AgentDevice | None:
        """``ap``'s agent device refreshed for faults at ``now``; None: the AP is silent."""
        if ap.status not in ANSWERING:
            return None
        member = self.member(ap)
        if member.behaviour.live_from is not None and now < member.behaviour.live_from:
            return None  # a new AP that has not gone live yet
        member.device.refresh(now)
        member.agent.boot_time = member.device.state.boot_time
        return member.agent

    def resolve_ssh(self, local_ip: str, local_port: int) -> SshDevice | None:
        position = self._by_ssh.get((_ip(local_ip), local_port))
        if position is None:
            return None
        ap = self.inventory.aps[position]
        if ap.status not in ANSWERING:
            return None
        member = self.member(ap)
        now = self.clock()
        if member.behaviour.live_from is not None and now < member.behaviour.live_from:
            return None
        member.device.refresh(now)
        member.ssh.state = member.device.state
        return member.ssh


def _ip(text: str) -> int:
    try:
        return int(ipaddress.IPv4Address(text))
    except ValueError:
        return -1
