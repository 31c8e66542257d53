"""One collector process per data directory: an exclusive ``flock`` on ``DIR/lock``.

Two processes writing the same baselines and spool would count traffic twice. A process that
finds the lock held waits a while before giving up: after a collector's parent was killed, its
workers are still draining their spools for some seconds, and a collector restarted at once
(systemd's ``Restart=``) must wait for them, not fail.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from typing import TextIO

from collector.errors import InputError

log = logging.getLogger(__name__)

WAIT_S = 30.0


def hold(directory: Path, wait_s: float = WAIT_S, write_pid: bool = True) -> TextIO:
    """The open, locked ``directory/lock`` (close it to release); :class:`InputError` naming
    the holder's pid when it is still held after ``wait_s``."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = (directory / "lock").open("a+", encoding="utf-8")
    deadline = time.monotonic() + wait_s
    waited = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            if time.monotonic() >= deadline:
                handle.close()
                raise InputError.at(
                    str(directory / "lock"),
                    0,
                    f"another collector (pid {holder}) is using {directory}",
                ) from None
            if not waited:
                log.info("waiting up to %.0f s for pid %s to release %s", wait_s, holder, directory)
                waited = True
            time.sleep(0.2)
    if write_pid:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
    return handle
