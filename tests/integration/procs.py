"""Run `pubwifi` sub-commands as child processes in tests: start, await a log line, stop."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

LAB_SECRETS = {
    "PUBWIFI_SNMP_COMMUNITY": "it-community",
    "PUBWIFI_SNMP_V3_USER": "pubwifi",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "it-auth-key-1",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "it-priv-key-1",
    "PUBWIFI_SSH_USER": "engineer",
    "PUBWIFI_SSH_PASSWORD": "it-ssh-pass",
}


def pubwifi(*args: str) -> list[str]:
    return [sys.executable, "-m", "collector.cli", *args]


def run_cli(
    *args: str, env: dict[str, str], code: int = 0, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """``pubwifi ARGS`` to its end; its exit status must be ``code`` (stderr's tail if not)."""
    done = subprocess.run(
        pubwifi(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == code, done.stderr[-3000:]
    return done


def epoch(text: str) -> int:
    """An ISO 8601 time with its zone, as Unix seconds."""
    return int(dt.datetime.fromisoformat(text).timestamp())


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


def wait_for_line(log: Path, needle: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if needle in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)  # polling a log file for readiness
    raise TimeoutError(f"{needle!r} not in {log} after {timeout_s} s")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and every process under it at once (a crash of a collector with its
    worker processes: none of them shuts down cleanly); by pid, never by name."""
    pids = [proc.pid, *descendants(proc.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (children, theirs, ...), from ``/proc``."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    found += [int(child), *descendants(int(child))]
    return found
