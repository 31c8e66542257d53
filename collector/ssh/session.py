"""One SSH session to one AP over netmiko: verify the host key, log in, run commands, close.

The only module that imports netmiko (and paramiko, which netmiko drives).

Host keys: netmiko's own options either load a known_hosts file into paramiko (whose
``AutoAddPolicy`` then rewrites the whole file on every new key: racy with 64 threads and slow
at 34,000 lines) or skip checking. Here each connection's paramiko client starts with no keys
and a policy object that asks :class:`~collector.ssh.knownhosts.KnownHosts`; paramiko consults
the policy after key exchange and before user authentication, so a refused key means no
password ever left the collector.

Deadline: every wait netmiko does (TCP connect, banner, auth, each command's read) is bounded
by what is left of the AP's deadline, and a watchdog closes the transport when the deadline
passes, so a CLI that hangs after login never holds a worker thread past it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import paramiko
from netmiko import (
    BaseConnection,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)
from netmiko.ssh_dispatcher import CLASS_MAPPER

from collector.inventory.model import KnownHostsPolicy
from collector.secrets import Secret
from collector.ssh.knownhosts import KnownHosts, Verdict, host_entry

REASONS = (
    "host_key_changed",
    "host_key_unknown",
    "login_failed",
    "connect_failed",
    "timeout",
    "ssh_error",
    "cli_error",
    "parse_failed",
    "secret_unset",
)  # the recorder adds config_refused and config_not_committed (backups, not sessions)


class SessionError(Exception):
    """One AP's session failed; ``reason`` is the metric label (a closed set, see REASONS)."""

    def __init__(self, reason: str, detail: str, *, before_ssh: bool = False) -> None:
        if reason not in REASONS:  # a metric label: the set stays closed
            raise ValueError(f"unknown SSH failure reason {reason!r}")
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.before_ssh = before_ssh  # failed before the SSH handshake: safe to try again


@dataclass(frozen=True, slots=True)
class SshTarget:
    ap_id: str
    address: str
    port: int
    device_type: str
    user: str
    password: Secret | None
    key_file: str | None
    policy: KnownHostsPolicy
    enable: bool = False


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
    """Every key goes through the store (the client holds none itself)."""

    def __init__(self, store: KnownHosts, target: SshTarget) -> None:
        self.store = store
        self.target = target
        self.verdict: Verdict | None = None
        self.client: paramiko.SSHClient | None = None  # set when netmiko builds it

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        host = host_entry(self.target.address, self.target.port)
        self.verdict = self.store.check(
            host, self.target.ap_id, key.get_name(), key.get_base64(), self.target.policy
        )
        if self.verdict in (Verdict.CHANGED_REFUSED, Verdict.UNKNOWN_REFUSED):
            raise paramiko.SSHException(f"host key refused ({self.verdict.value}) for {host}")


# paramiko logs every login at INFO: 34,000 lines a sweep that say nothing a metric does not.
# Transport failures it logs as ERROR tracebacks; each failure is logged once by the sweep with
# the AP and its reason, and counted.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)

_local = threading.local()  # the policy of the connection this thread is opening


class _Verified:
    """Mixed in before a netmiko driver class: our paramiko client and host-key policy."""

    def _build_ssh_client(self) -> paramiko.SSHClient:
        policy: _HostKeyPolicy = _local.policy
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(policy)
        policy.client = client
        return client


_CLASSES: dict[str, type[BaseConnection]] = {}
_CLASSES_LOCK = threading.Lock()


def _driver(device_type: str) -> type[BaseConnection]:
    with _CLASSES_LOCK:
        cls = _CLASSES.get(device_type)
        if cls is None:
            base = CLASS_MAPPER[device_type]
            cls = _CLASSES[device_type] = type(f"Verified{base.__name__}", (_Verified, base), {})
        return cls


class Watchdog:
    """One thread that closes sessions whose deadline passed (a hung read then fails at once)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="ssh-watchdog", daemon=True)
        self._thread.start()

    def arm(self, deadline: float, action: Callable[[], None]) -> int:
        with self._wake:
            ticket = next(self._ids)
            heapq.heappush(self._heap, (deadline, ticket, action))
            self._wake.notify()
            return ticket

    def disarm(self, ticket: int) -> None:
        with self._wake:
            self._cancelled.add(ticket)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                deadline, ticket, action = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(min(wait, 1.0))
                    continue
                heapq.heappop(self._heap)
                if ticket in self._cancelled:
                    self._cancelled.discard(ticket)
                    continue
            with contextlib.suppress(Exception):  # closing a dead transport may raise anything
                action()


@dataclass
class CliSession:
    """An open, logged-in session; :meth:`run` one command at a time."""

    connection: BaseConnection
    deadline: float  # time.monotonic()
    prompt: str = ""  # regex: the device's prompt at the very end of what was read
    commands: int = 0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, command: str) -> str:
        left = self.remaining()
        if left <= 0.2:
            raise SessionError("timeout", f"deadline passed before {command!r}")
        try:
            output = self.connection.send_command(
                command,
                expect_string=self.prompt or None,
                auto_find_prompt=False,
                read_timeout=left,
                strip_prompt=True,
                strip_command=True,
            )
        except (ReadTimeout, ReadException) as error:
            raise SessionError("timeout", f"{command!r}: {_first_line(error)}") from None
        except (OSError, EOFError, paramiko.SSHException) as error:
            reason = "timeout" if self.remaining() <= 0 else "ssh_error"
            raise SessionError(reason, f"{command!r}: {_first_line(error)}") from None
        self.commands += 1
        return output if isinstance(output, str) else str(output)

    def configure(self, commands: Sequence[str], *, config_mode: bool) -> str:
        """Push ``commands`` (inside netmiko's config mode when ``config_mode``: IOS/Instant
        ``configure terminal``, Linux ``sudo -s``; else one by one, as RouterOS takes them).
        The device's refusal of any line raises ``SessionError("cli_error")``; what it printed
        is returned (for the audit trail, which stores no secret: callers pass references)."""
        if not commands:
            return ""
        left = self.remaining()
        if left <= 0.5:
            raise SessionError("timeout", "deadline passed before the push")
        try:
            if config_mode:
                output = self.connection.send_config_set(
                    list(commands), read_timeout=left, cmd_verify=True, error_pattern=REFUSED
                )
            else:
                output = "".join(self.run(command) + "\n" for command in commands)
        except (ReadTimeout, ReadException) as error:
            raise SessionError("timeout", f"push: {_first_line(error)}") from None
        except ValueError as error:  # netmiko's error_pattern matched: the device refused a line
            raise SessionError("cli_error", f"push refused: {_first_line(error)}") from None
        except (OSError, EOFError, paramiko.SSHException) as error:
            reason = "timeout" if self.remaining() <= 0 else "ssh_error"
            raise SessionError(reason, f"push: {_first_line(error)}") from None
        text = output if isinstance(output, str) else str(output)
        if re.search(REFUSED, text, re.MULTILINE):
            raise SessionError("cli_error", f"push refused: {_refusal(text)}")
        return text

    def push_reload(
        self, commands: Sequence[str], *, config_mode: bool, quiet_s: float = 60.0
    ) -> str:
        """Push ``commands`` that end in a reload (a firmware upgrade) and return once the
        device has gone down: the session ending is the expected outcome, not an error.

        Why not :meth:`configure`: netmiko waits for a prompt after every line, and a reloading
        device never prints one again. Here each line waits for a prompt (next line), a
        confirmation question (answered ``y``: ``[confirm]``, ``[y/N]``, ``(y/n)``,
        ``[yes/no]``), the channel closing (done), or ``quiet_s`` of silence after the last
        line (a device that drops off the network without closing the session: done).
        ``config_mode`` enters netmiko's config mode first (Linux ``sudo -s``: sysupgrade
        needs root). Raises ``SessionError("cli_error")`` when the device refuses a line or
        answers the last one with its prompt (it did not reload)."""
        conn = self.connection
        if config_mode:
            try:
                conn.config_mode()
            except (ReadTimeout, ReadException, ValueError) as error:
                raise SessionError("cli_error", f"config mode: {_first_line(error)}") from None
        output = ""
        for number, command in enumerate(commands):
            last = number == len(commands) - 1
            try:
                conn.write_channel(command + conn.RETURN)
                text, ended = self._reply(quiet_s if last else self.remaining())
            except (OSError, EOFError, paramiko.SSHException, ReadException):
                return output  # the device dropped the session: it is going down
            output += text
            if re.search(REFUSED, text, re.MULTILINE):
                raise SessionError("cli_error", f"push refused: {_refusal(text)}")
            if ended:
                return output
        raise SessionError("cli_error", "the device answered with its prompt: it did not reload")

    def _reply(self, quiet_s: float) -> tuple[str, bool]:
        """What the device prints for one line: (text, whether the session ended)."""
        conn, text = self.connection, ""
        quiet_until = time.monotonic() + quiet_s
        while True:
            chunk = conn.read_channel()
            if chunk:
                text += chunk
                quiet_until = time.monotonic() + quiet_s
                tail = text.rsplit("\n", 1)[-1]
                if _QUESTION.search(tail):
                    conn.write_channel("y" + conn.RETURN)
                    text += "\n"
                elif _PROMPT_END.search(tail):
                    return text, False
                continue
            channel: Any = conn.remote_conn  # a paramiko Channel (netmiko's SSH drivers)
            transport = channel.get_transport() if channel is not None else None
            if (
                channel is None
                or channel.closed
                or channel.exit_status_ready()
                or transport is None
                or not transport.is_active()
            ):
                return text, True
            if time.monotonic() > quiet_until or self.remaining() <= 0:
                return text, True
            time.sleep(0.05)


#: A confirmation question at the end of what a device printed (IOS, Instant, RouterOS, Linux).
_QUESTION = re.compile(r"(\[confirm\]|\[y/N\]:?|\(y/n\):?|\[yes/no\]:?)\s*$", re.IGNORECASE)
#: A prompt at the end of what a device printed (``host#``, ``host>``, ``$``, ``[user@host] >``).
_PROMPT_END = re.compile(r"\S[^\n]*[#>$\]]\s*$")

#: Lines a device prints when it refuses a configuration line (every platform of the lab and
#: the real ones they copy: IOS/Instant ``% ...``, RouterOS, hostapd ``FAIL``, sudo).
REFUSED = (
    r"^\s*% ?(Invalid|Incomplete|Ambiguous|Unknown|Unrecognized)\b|^\s*% |failure:|"
    r"bad command name|expected end of command|input does not match|^FAIL$|"
    r"Sorry, try again|incorrect password|No such device|command not found|"
    r"^%Error\b|^ERROR: |[Uu]pgrade failed|server returned error|Image check failed"
)


def _refusal(text: str) -> str:
    for line in text.splitlines():
        if re.search(REFUSED, line):
            return line.strip()[:200]
    return "?"


@contextmanager
def open_session(
    target: SshTarget, store: KnownHosts, watchdog: Watchdog, deadline_s: float
) -> Iterator[CliSession]:
    """Log in to ``target`` (host key checked first) and yield a session; always closes it."""
    deadline = time.monotonic() + deadline_s
    policy = _HostKeyPolicy(store, target)

    def kill() -> None:  # on the watchdog's thread
        if policy.client is not None:
            policy.client.close()

    _local.policy = policy
    ticket = watchdog.arm(deadline, kill)
    connection: BaseConnection | None = None
    try:
        connection = _connect(target, policy, deadline)
        if target.enable:
            try:
                connection.enable()
            except (ReadTimeout, ValueError, OSError) as error:
                raise SessionError("login_failed", f"enable: {_first_line(error)}") from None
        yield CliSession(connection, deadline, prompt_pattern(connection.base_prompt))
    finally:
        watchdog.disarm(ticket)
        _local.policy = None
        if connection is not None:
            _quietly_close(connection)


def _connect(target: SshTarget, policy: _HostKeyPolicy, deadline: float) -> BaseConnection:
    left = max(0.5, deadline - time.monotonic())
    password = target.password.reveal() if target.password is not None else None
    options: dict[str, Any] = {
        "host": target.address,
        "port": target.port,
        "username": target.user,
        "password": password,
        "secret": password or "",
        "use_keys": target.key_file is not None,
        "key_file": target.key_file,
        "allow_agent": False,
        "ssh_strict": True,  # unused by our client builder; documents intent
        "system_host_keys": False,
        "alt_host_keys": False,
        "fast_cli": True,
        "conn_timeout": min(left, 10.0),
        "auth_timeout": left,
        "banner_timeout": left,
        "blocking_timeout": min(left, 20.0),
        "session_timeout": left,
        "read_timeout_override": None,
        "keepalive": 0,
        "session_log": None,
        "verbose": False,
    }
    try:
        return _driver(target.device_type)(**options)
    except NetmikoAuthenticationException as error:
        raise SessionError("login_failed", _first_line(error)) from None
    except (NetmikoTimeoutException, paramiko.SSHException) as error:
        verdict = policy.verdict
        if verdict in (Verdict.CHANGED_REFUSED, Verdict.UNKNOWN_REFUSED):
            raise SessionError(verdict.value, f"{target.address}:{target.port}") from None
        text = str(error)
        if "TCP connection to device failed" in text:
            raise SessionError("connect_failed", f"{target.address}:{target.port}") from None
        timed_out = time.monotonic() >= deadline or "timed out" in text.lower()
        early = verdict is None and "protocol banner" in text
        reason = "timeout" if timed_out else "ssh_error"
        raise SessionError(reason, _first_line(error), before_ssh=early) from None
    except (ReadTimeout, ReadException) as error:
        raise SessionError("timeout", f"session preparation: {_first_line(error)}") from None
    except (OSError, EOFError, ValueError) as error:
        verdict = policy.verdict
        if verdict in (Verdict.CHANGED_REFUSED, Verdict.UNKNOWN_REFUSED):
            raise SessionError(verdict.value, f"{target.address}:{target.port}") from None
        reason = "timeout" if time.monotonic() >= deadline else "ssh_error"
        if isinstance(error, ConnectionRefusedError | socket.timeout):
            reason = "connect_failed" if isinstance(error, ConnectionRefusedError) else "timeout"
        raise SessionError(reason, _first_line(error)) from None


def prompt_pattern(base_prompt: str) -> str:
    """The prompt, anchored at the end of the output read so far.

    netmiko by default sends a newline before every command to find the prompt, and stops
    reading at the first place the prompt appears. A slow device (the lab under load, a busy
    AP) still answering an earlier newline then puts a stray prompt in front of the command's
    echo, and netmiko returns an empty output (measured: 4 of 254 Aruba sessions at 64 at
    once). Anchored at the end, a stray prompt cannot end the read, and no extra round trip
    is spent finding the prompt again.
    """
    if not base_prompt:
        return ""
    return re.escape(base_prompt) + r"[^\n]{0,40}?[#>$\]%]\s*$"


def _quietly_close(connection: BaseConnection) -> None:
    client = connection.remote_conn_pre
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()  # no logout round trip: the sweep is done with it


def _first_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] or type(error).__name__


def run_all(session: CliSession, commands: Sequence[str], outputs: dict[str, str]) -> None:
    for command in commands:
        if command not in outputs:
            outputs[command] = session.run(command)
