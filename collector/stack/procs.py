"""Processes the stack started: pid files, recognising our own pid, detached start, stop.

A pid file can outlive its process and the pid can be reused by anything, so a pid counts as
ours only if ``/proc/<pid>/cmdline`` starts with the service's binary and names the service's
folder. A zombie (empty cmdline) counts as gone; so does, for an instant, a process in the
middle of exec, which is why a freshly started child is watched through its Popen handle
instead. Nothing is ever stopped by name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: Reads a process's argv, or None if there is no such (live) process.
CmdlineReader = Callable[[int], list[str] | None]


def read_cmdline(pid: int) -> list[str] | None:
    """argv of a live process from ``/proc``; None if gone, a zombie or not readable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if not raw:
        return None
    return [part.decode("utf-8", "surrogateescape") for part in raw.rstrip(b"\0").split(b"\0")]


def is_ours(pid: int, binary: Path, directory: Path, read: CmdlineReader = read_cmdline) -> bool:
    """True if ``pid`` runs ``binary`` with an argument inside ``directory``."""
    argv = read(pid)
    if not argv or argv[0] != str(binary):
        return False
    return any(str(directory) in arg for arg in argv[1:])


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file``; None if absent or not a positive number."""
    try:
        text = pid_file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def write_pid(pid_file: Path, pid: int) -> None:
    """Record ``pid`` atomically (write then rename)."""
    temporary = pid_file.with_name(pid_file.name + ".tmp")
    temporary.write_text(f"{pid}\n", encoding="ascii")
    temporary.replace(pid_file)


def start_detached(argv: Sequence[str], cwd: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session, output appended to ``log_file``.

    The child outlives this process (it is re-parented when we exit); the handle only serves
    to notice an early exit while waiting for readiness.
    """
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return process


def wait_gone(pid: int, alive: Callable[[int], bool], timeout_s: float) -> bool:
    """Poll until ``alive(pid)`` is false or the timeout passes; True if gone."""
    deadline = time.monotonic() + timeout_s
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def stop(pid: int, alive: Callable[[int], bool], grace_s: float = 15.0) -> str:
    """SIGTERM, wait up to ``grace_s``, then SIGKILL. Says which one ended it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return "already gone"
    if wait_gone(pid, alive, grace_s):
        return "stopped"
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return "stopped"
    wait_gone(pid, alive, 5.0)
    return f"killed (did not stop within {grace_s:g} s of SIGTERM)"
