"""What the stack needs to know about one server, as data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class StackError(Exception):
    """A stack operation failed; the message says what and what to do about it."""


@dataclass(frozen=True, slots=True)
class Service:
    """One server the stack installs, configures, starts, checks and stops.

    ``write_config`` and ``argv`` receive the service's own folder (``<data_dir>/stack/<name>``,
    absolute). ``argv`` must start with ``binary`` and mention that folder in some argument: that
    is how a pid read back from the pid file is recognised as ours (see :mod:`.procs`).
    """

    name: str
    binary: Path
    package: str | None  # Debian package that provides ``binary``; None: not apt-installable
    host: str  # loopback address the server listens on
    port: int
    ready_path: str  # GET this ...
    ready_status: int  # ... and expect this status when the server is ready
    write_config: Callable[[Path], None]
    argv: Callable[[Path], Sequence[str]]
    after_ready: Callable[[Service], None] | None = None  # e.g. create a database; idempotent
    port_setting: str = ""  # the setting that moves it to another port, for error messages

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ready_url(self) -> str:
        return self.base_url + self.ready_path


@dataclass(frozen=True, slots=True)
class StackLayout:
    """Where the stack keeps its files: ``<data_dir>/stack``."""

    root: Path

    @classmethod
    def under(cls, data_dir: Path) -> StackLayout:
        return cls(data_dir.resolve() / "stack")

    def directory(self, service: Service) -> Path:
        return self.root / service.name

    def pid_file(self, service: Service) -> Path:
        return self.root / f"{service.name}.pid"

    def log_file(self, service: Service) -> Path:
        return self.directory(service) / f"{service.name}.log"
