"""The lab's SSH server: one TCP listener for every AP, told apart by the address dialled.

Each accepted socket's local address (127.x.y.z) names the AP; the server then speaks SSH on
that socket with the AP's own host key (derived on first use, see :mod:`.hostkeys`) and its
platform's CLI dialect. Connections to a non-loopback address or to no known AP are closed
before any SSH byte is sent, and counted.

Auth attempts are counted per AP (so a test can prove no password reached an AP whose host key
the client refused). Client MACs the CLIs print are recorded only with ``record_client_ids``: a
34,000-AP sweep must not grow a set of every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncssh

from collector.lab.ssh.device import Resolver, SshCredentials, SshDevice
from collector.lab.ssh.dialects import dialect_for
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.hostkeys import HostKeys, Seed
from collector.lab.ssh.session import ChannelSession

log = logging.getLogger(__name__)
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@dataclass(slots=True)
class SshServerStats:
    """Every way a connection ends up, counted (none is lost silently)."""

    accepted: int = 0
    refused_not_loopback: int = 0
    refused_unknown_ap: int = 0
    logins_ok: int = 0
    logins_refused: int = 0
    sessions: int = 0
    hung_sessions: int = 0
    ssh_errors: int = 0
    #: AP id -> password attempts received (accepted or refused)
    auth_attempts: Counter[str] = field(default_factory=Counter)
    #: every client MAC a CLI printed (lowercase colon form), if the server records them
    client_macs_shown: set[str] = field(default_factory=set)


class _ApServer(asyncssh.SSHServer):
    """asyncssh's per-connection server: password auth, then CLI channels."""

    def __init__(self, lab: LabSshServer, device: SshDevice) -> None:
        self._lab = lab
        self._device = device
        self._dialect = dialect_for(device.platform)
        self._user = ""

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self._lab.stats.auth_attempts[self._device.state.ap_id] += 1
        separator = self._dialect.user_suffix_separator
        user = username.split(separator, 1)[0] if separator else username
        if self._device.login_fails or not self._lab.credentials.accepts(user, password):
            self._lab.stats.logins_refused += 1
            return False
        self._lab.stats.logins_ok += 1
        self._user = user
        return True

    def session_requested(self) -> ChannelSession:
        self._lab.stats.sessions += 1
        self._lab.stats.hung_sessions += self._device.hangs
        cli = CliSession(
            self._dialect,
            self._device.state,
            user=self._user,
            secret=self._lab.credentials.password.reveal(),
            clock=self._lab.clock,
            clients=self._device.clients,
            fault=self._device.cli_fault,
            shown_macs=self._lab.stats.client_macs_shown if self._lab.record_client_ids else None,
        )
        return ChannelSession(
            cli,
            hangs=self._device.hangs,
            ap_id=self._device.state.ap_id,
            on_reload=self._device.on_reload,
        )


class LabSshServer:
    """Serves every AP the resolver knows on ``host:port``; start with :meth:`start`."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        seed: Seed,
        credentials: SshCredentials,
        host: str = "0.0.0.0",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        login_timeout: float = 30.0,
        record_client_ids: bool = False,
    ) -> None:
        self.resolver = resolver
        self.record_client_ids = record_client_ids
        self.credentials = credentials
        self.clock = clock
        self.stats = SshServerStats()
        self.host_keys = HostKeys(seed)
        self._address = (host, port)
        self._login_timeout = login_timeout
        self._sock: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: set[asyncssh.SSHServerConnection] = set()

    @property
    def port(self) -> int:
        assert self._sock is not None, "start() first"
        return int(self._sock.getsockname()[1])

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(self._address)
        sock.listen(1024)
        sock.setblocking(False)
        self._sock = sock
        self._accept_task = asyncio.create_task(self._accept_loop())
        log.info("lab ssh listening on %s:%d", self._address[0], self.port)

    async def close(self) -> None:
        if self._accept_task is not None:
            self._accept_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accept_task
        if self._sock is not None:
            self._sock.close()
        for conn in list(self._connections):
            conn.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            conn, _peer = await loop.sock_accept(self._sock)
            self.stats.accepted += 1
            local_ip, local_port = conn.getsockname()[:2]
            device = self._device_for(local_ip, local_port)
            if device is None:
                conn.close()
                continue
            task = asyncio.create_task(self._serve(conn, device))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _device_for(self, local_ip: str, local_port: int) -> SshDevice | None:
        if ipaddress.ip_address(local_ip) not in _LOOPBACK:
            self.stats.refused_not_loopback += 1
            return None
        device = self.resolver(local_ip, local_port)
        if device is None:
            self.stats.refused_unknown_ap += 1
        return device

    async def _serve(self, sock: socket.socket, device: SshDevice) -> None:
        options = asyncssh.SSHServerConnectionOptions(
            server_host_keys=[
                self.host_keys.get(device.state.ap_id, rotated=device.host_key_changed)
            ],
            server_factory=lambda: _ApServer(self, device),
            line_editor=False,
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            login_timeout=self._login_timeout,
            server_version="pubwifi_lab",
        )
        try:
            connection = await asyncssh.run_server(sock, options=options)
        except (TimeoutError, asyncssh.Error, OSError) as error:
            self.stats.ssh_errors += 1
            log.debug("ap %s: ssh ended before login: %s", device.state.ap_id, error)
            sock.close()
            return
        self._connections.add(connection)
        try:
            await connection.wait_closed()
        finally:
            self._connections.discard(connection)
