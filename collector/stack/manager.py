"""``up``, ``down`` and ``status`` for a list of services (see :mod:`.services`)."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from collector.stack import procs
from collector.stack.http import port_is_open, status_of
from collector.stack.install import ensure_installed
from collector.stack.service import Service, StackError, StackLayout

Installer = Callable[[Service], bool]


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """What ``status`` reports for one service."""

    name: str
    state: str  # running | not ready | stopped
    pid: int | None
    url: str
    directory: Path

    @property
    def running(self) -> bool:
        return self.state == "running"

    def __str__(self) -> str:
        pid = str(self.pid) if self.pid else "-"
        return f"{self.name:<11} {self.state:<9} pid {pid:<8} {self.url:<26} {self.directory}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``up`` or ``down`` did to one service."""

    service: str
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{self.service}: {self.message}"


@contextmanager
def _locked(layout: StackLayout) -> Iterator[None]:
    """One ``up``/``down`` at a time per stack folder."""
    layout.root.mkdir(parents=True, exist_ok=True)
    with (layout.root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _log_tail(log_file: Path, lines: int = 15) -> str:
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def _attempt(service: Service, action: Callable[[], str]) -> Outcome:
    try:
        return Outcome(service.name, True, action())
    except StackError as error:
        return Outcome(service.name, False, str(error))


class Stack:
    """The services under one data directory."""

    def __init__(
        self,
        services: list[Service],
        layout: StackLayout,
        install: Installer = ensure_installed,
        read: procs.CmdlineReader = procs.read_cmdline,
    ) -> None:
        self.services = services
        self.layout = layout
        self._install = install
        self._read = read

    def _ours(self, service: Service, pid: int) -> bool:
        return procs.is_ours(pid, service.binary, self.layout.directory(service), self._read)

    def _running_pid(self, service: Service) -> int | None:
        pid = procs.read_pid(self.layout.pid_file(service))
        return pid if pid is not None and self._ours(service, pid) else None

    def _ready(self, service: Service) -> bool:
        return status_of(service.ready_url, timeout_s=1.0) == service.ready_status

    def _wait_ready(self, service: Service, alive: Callable[[], bool], timeout_s: float) -> None:
        log = self.layout.log_file(service)
        deadline = time.monotonic() + timeout_s
        while not self._ready(service):
            if not alive():
                raise StackError(
                    f"{service.name} exited during start-up; last lines of {log}:\n"
                    + _log_tail(log)
                )
            if time.monotonic() >= deadline:
                raise StackError(
                    f"{service.name} not ready at {service.ready_url} after {timeout_s:g} s; "
                    f"last lines of {log}:\n" + _log_tail(log)
                )
            time.sleep(0.1)

    # -- up ---------------------------------------------------------------------------------

    def up(self, timeout_s: float = 60.0) -> Iterator[Outcome]:
        """Start every service not already running; one outcome per service, in order."""
        with _locked(self.layout):
            for service in self.services:
                yield _attempt(service, partial(self._up_one, service, timeout_s))

    def _up_one(self, service: Service, timeout_s: float) -> str:
        directory = self.layout.directory(service)
        pid_file = self.layout.pid_file(service)
        pid = self._running_pid(service)
        if pid is not None:
            self._wait_ready(service, lambda: self._ours(service, pid), timeout_s)
            self._after_ready(service)
            return f"already running (pid {pid}) at {service.base_url}"
        pid_file.unlink(missing_ok=True)  # stale: its process is gone or is not ours
        if port_is_open(service.host, service.port):
            raise StackError(self._port_taken(service))
        installed = self._install(service)
        directory.mkdir(parents=True, exist_ok=True)
        service.write_config(directory)
        started = time.monotonic()
        process = procs.start_detached(
            service.argv(directory), directory, self.layout.log_file(service)
        )
        procs.write_pid(pid_file, process.pid)
        try:
            self._wait_ready(service, lambda: process.poll() is None, timeout_s)
            self._after_ready(service)
        except StackError:
            if process.poll() is None:
                procs.stop(process.pid, lambda _pid: process.poll() is None)
            pid_file.unlink(missing_ok=True)
            raise
        seconds = time.monotonic() - started
        how = "installed and started" if installed else "started"
        return (
            f"{how} (pid {process.pid}) at {service.base_url}, ready in {seconds:.1f} s; "
            f"files in {directory}"
        )

    def _after_ready(self, service: Service) -> None:
        if service.after_ready is not None:
            service.after_ready(service)

    def _port_taken(self, service: Service) -> str:
        answer = status_of(service.ready_url, timeout_s=1.0)
        what = f"it answers {service.ready_path} with HTTP {answer}" if answer else "not HTTP"
        hint = f" or set {service.port_setting}" if service.port_setting else ""
        return (
            f"{service.host}:{service.port} is in use by a process this stack did not start "
            f"({what}); stop it{hint} to use another port"
        )

    # -- down -------------------------------------------------------------------------------

    def down(self) -> Iterator[Outcome]:
        """Stop the services this stack started (by pid file), in reverse order."""
        with _locked(self.layout):
            for service in reversed(self.services):
                yield _attempt(service, partial(self._down_one, service))

    def _down_one(self, service: Service) -> str:
        pid_file = self.layout.pid_file(service)
        pid = procs.read_pid(pid_file)
        if pid is None:
            pid_file.unlink(missing_ok=True)
            return "not running"
        if not self._ours(service, pid):
            pid_file.unlink(missing_ok=True)
            return f"not running (removed stale pid file: pid {pid} is not ours)"
        outcome = procs.stop(pid, lambda p: self._ours(service, p))
        if self._ours(service, pid):
            raise StackError(f"pid {pid} is still running after SIGKILL")
        pid_file.unlink(missing_ok=True)
        return f"{outcome} (pid {pid})"

    # -- status -----------------------------------------------------------------------------

    def status(self) -> list[ServiceStatus]:
        result = []
        for service in self.services:
            pid = self._running_pid(service)
            state = "stopped"
            if pid is not None:
                state = "running" if self._ready(service) else "not ready"
            result.append(
                ServiceStatus(
                    service.name, state, pid, service.base_url, self.layout.directory(service)
                )
            )
        return result
