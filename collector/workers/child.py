"""The worker side of :mod:`collector.workers.supervisor`.

A worker reports to its parent with one JSON object per line on stdout (:func:`report`) and
watches its stdin, a pipe the parent never writes to: end of file means the parent is gone
(even ``kill -9``), and the worker stops itself as if it had been sent SIGTERM, so no worker
outlives its parent.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from typing import Any

#: Set in a worker's environment by the parent; its value is the worker's part, ``J/N``.
WORKER_ENV = "PUBWIFI_WORKER"


def is_worker() -> bool:
    return bool(os.environ.get(WORKER_ENV))


def report(event: str, **fields: Any) -> None:
    """One event for the parent (``{"event": ..., ...}``), written and flushed at once."""
    line = json.dumps({"event": event, **fields}, separators=(",", ":"), default=str)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def watch_parent() -> threading.Thread | None:
    """Stop this process (SIGTERM to itself) when stdin reaches end of file; workers only."""
    if not is_worker():
        return None

    def watch() -> None:
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the
        # interpreter's shutdown ("could not acquire lock for <stdin>")
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
