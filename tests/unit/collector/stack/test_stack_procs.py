"""Pid files and recognising our own processes (a reused pid is not ours)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from collector.stack import procs

BINARY = Path("/usr/bin/influxd")


def reader(table: dict[int, list[str]]) -> procs.CmdlineReader:
    return table.get


def test_pid_is_ours_only_with_our_binary_and_our_folder(tmp_path: Path) -> None:
    folder = tmp_path / "stack" / "influxdb"
    conf = str(folder / "influxdb.conf")
    table = {
        10: [str(BINARY), "-config", conf],
        11: ["/usr/bin/python3", "-m", "http.server"],  # the pid was reused by something else
        12: [str(BINARY), "-config", "/etc/influxdb/influxdb.conf"],  # the system's influxd
        13: ["influxd", "-config", conf],  # not started by us (we use the absolute path)
    }
    read = reader(table)
    assert procs.is_ours(10, BINARY, folder, read)
    assert not procs.is_ours(11, BINARY, folder, read)
    assert not procs.is_ours(12, BINARY, folder, read)
    assert not procs.is_ours(13, BINARY, folder, read)
    assert not procs.is_ours(14, BINARY, folder, read)  # no such process


def test_read_cmdline_of_this_process_and_of_no_process() -> None:
    import os

    argv = procs.read_cmdline(os.getpid())
    assert argv is not None and Path(argv[0]).name.startswith("python")
    assert procs.read_cmdline(2**22 + 1) is None  # above pid_max: cannot exist


def test_pid_file_round_trip_and_garbage(tmp_path: Path) -> None:
    pid_file = tmp_path / "svc.pid"
    assert procs.read_pid(pid_file) is None
    procs.write_pid(pid_file, 4242)
    assert pid_file.read_text() == "4242\n"
    assert procs.read_pid(pid_file) == 4242
    for garbage in ("", "abc", "-5", "0", "12 13"):
        pid_file.write_text(garbage)
        assert procs.read_pid(pid_file) is None, garbage


def wait_for_line(log: Path, line: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while line not in log.read_text():
        assert child.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)


def test_real_child_is_ours_until_stopped(tmp_path: Path) -> None:
    """A real detached child: recognised while it runs, gone after stop()."""
    log = tmp_path / "child.log"
    argv = [sys.executable, "-c", "import sys, time; print('up', flush=True); time.sleep(60)"]
    argv.append(str(tmp_path))  # names its folder, as every service argv must
    child = procs.start_detached(argv, tmp_path, log)
    try:
        wait_for_line(log, "up", child)  # /proc shows no argv for a moment during exec
        binary = Path(sys.executable)
        assert procs.is_ours(child.pid, binary, tmp_path)
        assert not procs.is_ours(child.pid, binary, tmp_path / "other")
        assert procs.stop(child.pid, lambda pid: procs.is_ours(pid, binary, tmp_path)) == (
            "stopped"
        )
        assert child.wait(timeout=5) == -15  # SIGTERM ended it
        assert not procs.is_ours(child.pid, binary, tmp_path)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    log = tmp_path / "child.log"
    child = procs.start_detached([sys.executable, "-c", script, str(tmp_path)], tmp_path, log)
    try:
        wait_for_line(log, "ready", child)  # the handler is installed before this line
        outcome = procs.stop(child.pid, lambda _pid: child.poll() is None, grace_s=0.3)
        assert outcome.startswith("killed")
        assert child.wait(timeout=5) == -9
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
