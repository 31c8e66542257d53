"""A process's peak resident memory, as the kernel counts it for that process alone.

``getrusage().ru_maxrss`` is not that on Linux: a process started with fork + exec keeps the
high-water mark of the memory it had before exec, which is its parent's (measured: a child of
a 300 MB Python process reports 313 MB of its own). So a small command started by a big one
would report the big one's peak. ``VmHWM`` in ``/proc/self/status`` belongs to the process's
own address space and starts again at exec; it is used where it exists.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set of process ``pid`` (default: this one) in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if pid == "self" else 0.0
