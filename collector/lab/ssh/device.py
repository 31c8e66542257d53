"""What the SSH server needs to know about one AP, and how it learns it."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from collector.lab.ssh.engine import CLI_ERROR, GARBAGE, ClientCounter, no_clients
from collector.lab.state import DeviceState
from collector.secrets import Secret, SecretRef

USER_ENV = "PUBWIFI_SSH_USER"
PASSWORD_ENV = "PUBWIFI_SSH_PASSWORD"  # noqa: S105 (a variable name)


@dataclass(slots=True)
class SshDevice:
    """One AP as its SSH CLI serves it. ``login_fails``: every login is refused;
    ``hangs``: the session opens and then never prints a prompt or answers;
    ``host_key_changed``: the AP serves its rotated host key; ``cli_error`` / ``garbage``: read
    commands answer with the invalid-input error / with junk."""

    state: DeviceState
    platform: str
    login_fails: bool = False
    hangs: bool = False
    host_key_changed: bool = False
    cli_error: bool = False
    garbage: bool = False
    clients: ClientCounter = no_clients
    #: told when a CLI ``reload`` (or an upgrade that reloads) restarts the device
    on_reload: Callable[[], None] | None = None

    @property
    def cli_fault(self) -> str | None:
        """The engine's read-command fault (:data:`~.engine.GARBAGE`, ``CLI_ERROR``) or None."""
        if self.garbage:
            return GARBAGE
        return CLI_ERROR if self.cli_error else None


#: (local address the client dialled, local port) -> the AP there, or None.
Resolver = Callable[[str, int], SshDevice | None]


@dataclass(frozen=True, slots=True)
class SshCredentials:
    """The fleet's SSH login (also the enable / sudo secret). Never printed."""

    user: str
    password: Secret

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SshCredentials:
        """Read ``PUBWIFI_SSH_USER`` / ``PUBWIFI_SSH_PASSWORD`` once; UnsetSecretError names
        the missing variable."""
        user = SecretRef(USER_ENV).resolve(environ).reveal()
        return cls(user, SecretRef(PASSWORD_ENV).resolve(environ))

    def accepts(self, user: str, password: str) -> bool:
        user_ok = hmac.compare_digest(user.encode(), self.user.encode())
        password_ok = hmac.compare_digest(password.encode(), self.password.reveal().encode())
        return user_ok and password_ok
