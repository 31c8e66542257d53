"""up / down / status with stand-in services (Python one-liners), no third-party binaries."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from collector.stack import procs
from collector.stack.manager import Stack
from collector.stack.service import Service, StackLayout

PYTHON = Path(sys.executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def python_service(name: str, port: int, code: str | None = None) -> Service:
    """A service run by this Python; by default a stdlib HTTP server answering ``/`` 200."""

    def argv(directory: Path) -> Sequence[str]:
        if code is None:
            server = ["-m", "http.server", "--bind", "127.0.0.1", str(port)]
            return [str(PYTHON), *server, "--directory", str(directory)]
        return [str(PYTHON), "-c", code, str(directory)]

    def write_config(directory: Path) -> None:
        (directory / "index.html").write_text(name)

    return Service(
        name=name,
        binary=PYTHON,
        package=None,
        host="127.0.0.1",
        port=port,
        ready_path="/",
        ready_status=200,
        write_config=write_config,
        argv=argv,
        port_setting="PUBWIFI_TEST_PORT",
    )


def not_installing(_service: Service) -> bool:
    return False


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[StackLayout]:
    layout = StackLayout.under(tmp_path)
    yield layout
    for pid_file in layout.root.glob("*.pid"):  # never leave a child behind
        pid = procs.read_pid(pid_file)
        if pid and procs.is_ours(pid, PYTHON, layout.root):
            os.kill(pid, 9)


def test_up_status_up_again_down(layout: StackLayout) -> None:
    services = [python_service("alpha", free_port()), python_service("beta", free_port())]
    stack = Stack(services, layout, install=not_installing)

    first = list(stack.up(timeout_s=20))
    assert [o.ok for o in first] == [True, True], [str(o) for o in first]
    assert first[0].message.startswith("started (pid ")
    pids = [procs.read_pid(layout.pid_file(s)) for s in services]
    assert all(pids)
    assert [s.state for s in stack.status()] == ["running", "running"]
    assert [s.pid for s in stack.status()] == pids
    assert (layout.root / "alpha" / "alpha.log").exists()

    again = list(stack.up(timeout_s=20))
    assert [o.message for o in again] == [
        f"already running (pid {pids[0]}) at {services[0].base_url}",
        f"already running (pid {pids[1]}) at {services[1].base_url}",
    ]

    down = list(stack.down())
    assert [o.service for o in down] == ["beta", "alpha"]  # reverse order
    assert all(o.ok and o.message.startswith("stopped") for o in down), [str(o) for o in down]
    assert not list(layout.root.glob("*.pid"))
    assert [s.state for s in stack.status()] == ["stopped", "stopped"]
    assert all(not procs.is_ours(p or 0, PYTHON, layout.root) for p in pids)


def test_stale_pid_file_naming_another_process_is_replaced(layout: StackLayout) -> None:
    service = python_service("alpha", free_port())
    layout.root.mkdir(parents=True)
    procs.write_pid(layout.pid_file(service), os.getpid())  # a live pid, but not ours
    stack = Stack([service], layout, install=not_installing)
    assert stack.status()[0].state == "stopped"
    (outcome,) = stack.up(timeout_s=20)
    assert outcome.ok, outcome
    new_pid = procs.read_pid(layout.pid_file(service))
    assert new_pid not in (None, os.getpid())
    list(stack.down())
    assert procs.read_cmdline(os.getpid())  # we were never signalled


def test_down_with_stale_pid_file_signals_nobody(layout: StackLayout) -> None:
    service = python_service("alpha", free_port())
    layout.root.mkdir(parents=True)
    procs.write_pid(layout.pid_file(service), os.getpid())
    (outcome,) = Stack([service], layout, install=not_installing).down()
    assert outcome.message == f"not running (removed stale pid file: pid {os.getpid()} is not ours)"
    assert not layout.pid_file(service).exists()


def test_port_taken_by_someone_else_is_said_clearly(layout: StackLayout) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        service = python_service("alpha", port)
        (outcome,) = Stack([service], layout, install=not_installing).up(timeout_s=5)
    assert not outcome.ok
    assert outcome.message.startswith(
        f"127.0.0.1:{port} is in use by a process this stack did not start"
    )
    assert "PUBWIFI_TEST_PORT" in outcome.message
    assert not layout.pid_file(service).exists()


def test_service_that_dies_at_start_shows_its_log(layout: StackLayout) -> None:
    code = "import sys; print('fatal: bad config line 3', flush=True); sys.exit(3)"
    service = python_service("alpha", free_port(), code)
    (outcome,) = Stack([service], layout, install=not_installing).up(timeout_s=20)
    assert not outcome.ok
    assert "alpha exited during start-up" in outcome.message
    assert "fatal: bad config line 3" in outcome.message
    assert not layout.pid_file(service).exists()


def test_service_never_ready_is_stopped_after_the_timeout(layout: StackLayout) -> None:
    code = "import time; print('thinking', flush=True); time.sleep(60)"
    service = python_service("alpha", free_port(), code)
    stack = Stack([service], layout, install=not_installing)
    (outcome,) = stack.up(timeout_s=0.5)
    assert not outcome.ok
    assert "alpha not ready at http://127.0.0.1:" in outcome.message
    assert "after 0.5 s" in outcome.message
    assert not layout.pid_file(service).exists()
    assert stack.status()[0].state == "stopped"


def test_one_failure_does_not_stop_the_others(layout: StackLayout) -> None:
    bad = python_service("bad", free_port(), "import sys; sys.exit(1)")
    good = python_service("good", free_port())
    stack = Stack([bad, good], layout, install=not_installing)
    outcomes = list(stack.up(timeout_s=20))
    assert [o.ok for o in outcomes] == [False, True]
    assert [s.state for s in stack.status()] == ["stopped", "running"]
    list(stack.down())
