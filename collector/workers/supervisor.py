"""Run N worker processes under one parent: start, read, restart, stop.

Each worker is a fresh interpreter (``sys.executable -m collector.cli ...``), so it imports only
what its command needs and shares no memory the parent touched. Its stdout is a pipe of JSON
lines (:func:`collector.workers.child.report`) read by one thread per worker into one queue; its
stderr is the parent's (log lines go where the parent's go); its stdin is a pipe the parent
never writes, closed when the parent dies. Workers run in their own process group, so a
terminal's Ctrl-C reaches the parent only, which stops them in order.

A worker that exits while the parent is not stopping is *dead*: with ``restart`` it is started
again after a back-off (1 s, doubling to 60 s; back to 1 s after it ran 10 minutes), unless it
never reported ``ready`` (a configuration error: every restart would fail the same way), which
stops the others and becomes the parent's exit status. CPU comes from
``os.wait4``; peak RSS from each worker's ``VmHWM`` (sampled, and reported with its cycles),
not ``ru_maxrss``, which would carry this process's memory from before the exec
(:mod:`collector.workers.memory`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from collector.workers.child import WORKER_ENV
from collector.workers.memory import peak_rss_mb

log = logging.getLogger(__name__)

_PROBLEM_AT = re.compile(r"^[^:\n]*:\d+: ")  # "FILE:LINE: " of a problem line
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 60.0
STABLE_AFTER_S = 600.0  # a worker that ran this long starts its back-off afresh


@dataclass(frozen=True)
class Message:
    """One line a worker printed (``event`` None: not a JSON event, e.g. a summary)."""

    worker: int
    generation: int
    data: dict[str, Any] | None  # None: end of its stdout (it exited)
    text: str = ""

    @property
    def event(self) -> str | None:
        return None if self.data is None else self.data.get("event")


@dataclass
class Exit:
    """How a worker ended (``os.wait4``)."""

    worker: int
    pid: int
    returncode: int
    cpu_s: float
    peak_rss_mb: float  # the worker's largest VmHWM over all its runs so far
    was_ready: bool


@dataclass
class Worker:
    number: int  # J of N, from 1
    argv: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    generation: int = 0
    ready: bool = False
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = BACKOFF_START_S
    restart_at: float | None = None
    exits: list[Exit] = field(default_factory=list)
    peak_rss_mb: float = 0.0  # the largest VmHWM seen or reported, over all its runs

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid


class Supervisor:
    """Starts ``count`` workers from ``argv_for(j)`` and relays what they print."""

    def __init__(
        self,
        count: int,
        argv_for: Callable[[int], Sequence[str]],
        env: Mapping[str, str] | None = None,
        *,
        restart: bool = False,
        done_on_success: bool = False,
        stop_grace_s: float = 60.0,
        on_exit: Callable[[Exit], None] | None = None,
        on_restart: Callable[[int], None] | None = None,
    ) -> None:
        base = dict(os.environ if env is None else env)
        self.workers = [
            Worker(j, list(argv_for(j)), {**base, WORKER_ENV: f"{j}/{count}"})
            for j in range(1, count + 1)
        ]
        self.restart = restart
        self.done_on_success = done_on_success  # exit 0 is a finished worker (--max-cycles)
        self.stop_grace_s = stop_grace_s
        self.on_exit = on_exit
        self.on_restart = on_restart
        self.messages: queue.Queue[Message] = queue.Queue()
        self.stopping = threading.Event()
        self.fatal: Exit | None = None
        self._said: set[str] = set()
        self._next_sample = 0.0
        self._said_lock = threading.Lock()

    # -- starting ---------------------------------------------------------------------------

    def start(self) -> None:
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: Worker) -> None:
        worker.generation += 1
        worker.ready = False
        worker.restart_at = None
        worker.started_at = time.monotonic()
        worker.proc = subprocess.Popen(
            worker.argv,
            env=worker.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
        )
        assert worker.proc.stdout is not None and worker.proc.stderr is not None
        for target, stream in ((self._read, worker.proc.stdout), (self._relay, worker.proc.stderr)):
            threading.Thread(
                target=target,
                args=(worker.number, worker.generation, stream),
                name=f"worker-{worker.number}-{target.__name__}",
                daemon=True,
            ).start()
        log.debug("worker %d/%d started, pid %d", worker.number, len(self), worker.proc.pid)

    def _read(self, number: int, generation: int, stream: IO[bytes]) -> None:
        for raw in stream:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            data: dict[str, Any] | None = None
            if text.startswith("{"):
                with contextlib.suppress(ValueError):
                    parsed = json.loads(text)
                    data = parsed if isinstance(parsed, dict) else None
            self.messages.put(Message(number, generation, data if data is not None else {}, text))
        self.messages.put(Message(number, generation, None))

    def _relay(self, number: int, generation: int, stream: IO[bytes]) -> None:
        """Copy a worker's stderr to ours; a problem line (``FILE:LINE: ...``, not a log line)
        that another worker already printed is said once (each worker checks the same file)."""
        for raw in stream:
            text = raw.decode("utf-8", "replace")
            if not text[:1].isdigit():  # log lines start with their time
                said = _PROBLEM_AT.sub("", text)  # each worker names its own first AP's line
                with self._said_lock:
                    if said in self._said:
                        continue
                    self._said.add(said)
            sys.stderr.write(text)
            sys.stderr.flush()

    def __len__(self) -> int:
        return len(self.workers)

    # -- running ----------------------------------------------------------------------------

    def next_message(self, timeout_s: float = 0.2) -> Message | None:
        """The next line any worker printed (None after ``timeout_s``); handles exits.

        A worker's end of output is turned into its :class:`Exit` here: it is reaped, counted,
        and restarted later or, if it never got ready, made :attr:`fatal`. Due restarts happen
        on each call.
        """
        self._restart_due()
        self._sample_memory()
        try:
            message = self.messages.get(timeout=timeout_s)
        except queue.Empty:
            return None
        worker = self.workers[message.worker - 1]
        if message.generation != worker.generation:
            return None  # a line from a previous run of this worker, read late
        if message.data is None:
            self._exited(worker)
        else:
            reported = message.data.get("peak_rss_mb")
            if isinstance(reported, int | float):
                worker.peak_rss_mb = max(worker.peak_rss_mb, float(reported))
            if message.event == "ready":
                worker.ready = True
        return message

    def _sample_memory(self) -> None:
        """Each running worker's peak RSS (``VmHWM``) about once a second; the workers also
        report theirs with each cycle, so the peak is exact at every cycle's end."""
        now = time.monotonic()
        if now < self._next_sample:
            return
        self._next_sample = now + 1.0
        for worker in self.running():
            assert worker.proc is not None
            worker.peak_rss_mb = max(worker.peak_rss_mb, peak_rss_mb(worker.proc.pid))

    def _exited(self, worker: Worker) -> None:
        assert worker.proc is not None
        ended = self._reap(worker)
        if self.on_exit is not None:
            self.on_exit(ended)
        if self.stopping.is_set():
            return
        if ended.returncode != 0 and not ended.was_ready:
            log.error(
                "worker %d/%d exited with status %d before it was ready; stopping",
                worker.number,
                len(self),
                ended.returncode,
            )
            self.fatal = ended
            return
        if not self.restart or (ended.returncode == 0 and self.done_on_success):
            return  # the caller judges each exit (last_exits); 0 here means "finished"
        ran_s = time.monotonic() - worker.started_at
        if ran_s >= STABLE_AFTER_S:
            worker.backoff_s = BACKOFF_START_S
        log.error(
            "worker %d/%d (pid %d) died with status %d after %.0f s; restarting in %.0f s",
            worker.number,
            len(self),
            ended.pid,
            ended.returncode,
            ran_s,
            worker.backoff_s,
        )
        worker.restart_at = time.monotonic() + worker.backoff_s
        worker.backoff_s = min(BACKOFF_MAX_S, worker.backoff_s * 2)

    def _reap(self, worker: Worker) -> Exit:
        assert worker.proc is not None
        proc = worker.proc
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:  # already reaped (by Popen): no usage to read
            proc.wait()
            cpu = 0.0
        # not wait4's ru_maxrss: it carries the parent's memory from before exec (memory.py)
        rss = worker.peak_rss_mb
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        ended = Exit(worker.number, proc.pid, proc.returncode, cpu, rss, worker.ready)
        worker.exits.append(ended)
        return ended

    def _restart_due(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if (
                worker.restart_at is not None
                and now >= worker.restart_at
                and not self.stopping.is_set()
            ):
                worker.restarts += 1
                if self.on_restart is not None:
                    self.on_restart(worker.number)
                self._spawn(worker)

    def running(self) -> list[Worker]:
        return [w for w in self.workers if w.proc is not None and w.proc.returncode is None]

    def ready(self) -> set[int]:
        """The workers running now that reported ``ready`` (after their start or restart)."""
        return {w.number for w in self.running() if w.ready}

    def waiting_restart(self) -> bool:
        return any(w.restart_at is not None for w in self.workers)

    # -- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """SIGTERM to every running worker; SIGKILL to those still running after the grace."""
        self.stopping.set()
        for worker in self.running():
            assert worker.proc is not None
            with contextlib.suppress(ProcessLookupError):
                worker.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_s
        while self.running():
            message = self.next_message(timeout_s=max(0.01, min(0.2, deadline - time.monotonic())))
            if message is None and time.monotonic() >= deadline:
                for worker in self.running():
                    assert worker.proc is not None
                    log.error(
                        "worker %d did not stop in %.0f s: killed", worker.number, self.stop_grace_s
                    )
                    with contextlib.suppress(ProcessLookupError):
                        worker.proc.kill()
                deadline = time.monotonic() + 5.0

    def last_exits(self) -> list[Exit]:
        return [w.exits[-1] for w in self.workers if w.exits]

    def summed_peak_rss_mb(self) -> float:
        """This process's peak RSS plus each worker's (the largest of its runs so far)."""
        return peak_rss_mb() + sum(w.peak_rss_mb for w in self.workers)


def worker_argv(command: Sequence[str], worker: int, count: int) -> list[str]:
    """The command line of worker ``worker`` of ``count``: the same command for its part.

    ``command`` is the parent's own arguments (``sys.argv[1:]``); its ``--workers`` is
    replaced.
    """
    kept: list[str] = []
    skip = False
    for arg in command:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            kept.append(arg)
    return [
        sys.executable,
        "-m",
        "collector.cli",
        *kept,
        "--workers",
        "1",
        "--worker",
        f"{worker}/{count}",
    ]


class StopSignals:
    """SIGTERM and SIGINT set :attr:`event` instead of killing the parent (restored on exit)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        log.info("signal %d: stopping the workers", signum)
        self.event.set()

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
