"""The worker supervisor with real child processes (tiny Python scripts, not pubwifi).

Each script reports as a worker does (:func:`collector.workers.child.report`); the tests check
what the parent sees: lines per worker, a restart after a crash, a worker that fails before it
is ready ends everything, SIGTERM then SIGKILL on stop, one copy of a problem line every
worker prints, and a worker that stops by itself when its parent goes away.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from collector.workers.supervisor import Message, Supervisor, worker_argv

PRELUDE = "import os, sys, time, signal\nfrom collector.workers.child import report\n"


def _argv(script: str) -> list[str]:
    return [sys.executable, "-c", PRELUDE + textwrap.dedent(script)]


def _drain(supervisor: Supervisor, until_s: float = 20.0) -> list[Message]:
    """Messages until every worker has exited for good (or ``until_s``)."""
    seen: list[Message] = []
    deadline = time.monotonic() + until_s
    while time.monotonic() < deadline and supervisor.fatal is None:
        if not supervisor.running() and not supervisor.waiting_restart():
            break
        message = supervisor.next_message(0.05)
        if message is not None:
            seen.append(message)
    return seen


def test_each_worker_reports_its_lines_and_exit() -> None:
    supervisor = Supervisor(
        3,
        lambda j: _argv(
            """
            from collector.workers.memory import peak_rss_mb
            report("ready", peak_rss_mb=peak_rss_mb())
            print('{"aps": %s}' % os.environ["PUBWIFI_WORKER"].split("/")[0], flush=True)
            """
        ),
    )
    supervisor.start()
    seen = _drain(supervisor)
    lines = sorted((m.worker, m.data["aps"]) for m in seen if m.data and "aps" in m.data)
    assert lines == [(1, 1), (2, 2), (3, 3)]
    exits = supervisor.last_exits()
    assert [e.returncode for e in exits] == [0, 0, 0] and all(e.was_ready for e in exits)
    assert all(e.peak_rss_mb > 5 and e.cpu_s > 0 for e in exits)  # as each reported it
    assert supervisor.summed_peak_rss_mb() > sum(e.peak_rss_mb for e in exits)


def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    marker = tmp_path / "died-once"
    restarted: list[int] = []
    supervisor = Supervisor(
        2,
        lambda j: _argv(
            f"""
            report("ready")
            if os.environ["PUBWIFI_WORKER"] == "2/2" and not os.path.exists({str(marker)!r}):
                open({str(marker)!r}, "w").close()
                os.kill(os.getpid(), signal.SIGKILL)
            report("done")
            """
        ),
        restart=True,
        done_on_success=True,
        on_restart=restarted.append,
    )
    supervisor.start()
    seen = _drain(supervisor)
    assert restarted == [2]
    assert supervisor.workers[1].restarts == 1
    codes = [e.returncode for e in supervisor.workers[1].exits]
    assert codes == [-signal.SIGKILL, 0]
    done = sorted(m.worker for m in seen if m.event == "done")
    assert done == [1, 2]


def test_a_worker_failing_before_it_is_ready_is_fatal_not_restarted() -> None:
    supervisor = Supervisor(
        2,
        lambda j: _argv(
            """
            if os.environ["PUBWIFI_WORKER"] == "1/2":
                sys.exit(2)
            report("ready")
            time.sleep(30)
            """
        ),
        restart=True,
        stop_grace_s=5,
    )
    supervisor.start()
    _drain(supervisor)
    assert supervisor.fatal is not None and supervisor.fatal.returncode == 2
    assert supervisor.workers[0].restarts == 0
    supervisor.stop()
    assert not supervisor.running()


def test_stop_sends_sigterm_then_sigkill_to_a_worker_that_ignores_it() -> None:
    supervisor = Supervisor(
        2,
        lambda j: _argv(
            """
            if os.environ["PUBWIFI_WORKER"] == "2/2":
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            report("ready")
            time.sleep(60)
            """
        ),
        stop_grace_s=1.0,
    )
    supervisor.start()
    deadline = time.monotonic() + 20
    while not all(w.ready for w in supervisor.workers) and time.monotonic() < deadline:
        supervisor.next_message(0.05)
    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 10
    codes = [e.returncode for e in supervisor.last_exits()]
    assert codes == [-signal.SIGTERM, -signal.SIGKILL]


def test_a_problem_every_worker_prints_is_shown_once() -> None:
    script = """
        print("inv.yaml:%d: snmp auth 'x': environment variable X is not set"
              % (10 + int(os.environ["PUBWIFI_WORKER"][0])), file=sys.stderr)
        print("2026-12-08 10:00:00,000 INFO a log line", file=sys.stderr)
        sys.exit(2)
        """
    code = (
        "import sys\n"
        "from collector.workers.supervisor import Supervisor\n"
        f"argv = [sys.executable, '-c', {PRELUDE + textwrap.dedent(script)!r}]\n"
        "s = Supervisor(3, lambda j: argv)\n"
        "s.start()\n"
        "while s.running():\n"
        "    s.next_message(0.05)\n"
        "import time; time.sleep(0.3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    problems = [line for line in result.stderr.splitlines() if "is not set" in line]
    logs = [line for line in result.stderr.splitlines() if "a log line" in line]
    assert len(problems) == 1, result.stderr
    assert len(logs) == 3  # log lines are each worker's own


def test_a_worker_stops_when_its_parent_is_gone(tmp_path: Path) -> None:
    """kill -9 of the parent closes the worker's stdin; the worker stops itself (SIGTERM)."""
    pid_file = tmp_path / "worker.pid"
    worker = (
        "import os, time\n"
        "from collector.workers.child import watch_parent\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "watch_parent()\n"
        "time.sleep(60)\n"
    )
    parent = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', {worker!r}], stdin=subprocess.PIPE,\n"
        "                     env={**__import__('os').environ, 'PUBWIFI_WORKER': '1/1'})\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the worker outlived its parent"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("command", "kept"),
    [
        (["poll", "--once", "--workers", "4"], ["poll", "--once"]),
        (
            ["-v", "collect", "--workers=3", "--interval", "60"],
            ["-v", "collect", "--interval", "60"],
        ),
    ],
)
def test_worker_argv_replaces_the_worker_count(command: list[str], kept: list[str]) -> None:
    argv = worker_argv(command, 2, 4)
    assert argv[:3] == [sys.executable, "-m", "collector.cli"]
    assert argv[3:] == [*kept, "--workers", "1", "--worker", "2/4"]


def test_peak_rss_is_the_processs_own_not_its_parents_from_before_exec() -> None:
    """ru_maxrss of a child of a big process starts at the parent's size; VmHWM does not."""
    code = (
        "import subprocess, sys\n"
        "big = bytearray(200 * 1024 * 1024)\n"
        "big[::4096] = b'x' * len(big[::4096])\n"
        "child = ('import resource; from collector.workers.memory import peak_rss_mb; '\n"
        "         'r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; '\n"
        "         'print(r / 1024, peak_rss_mb())')\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True,\n"
        "                     check=True).stdout)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    inherited, own = (float(x) for x in out.stdout.split())
    assert inherited > 200 and own < 60, (inherited, own)
