"""The collector host's socket budget: how many SNMP sessions may stay open at once.

Each kept session holds one UDP socket, so the number kept is capped by the open-file limit
(raised when the process may) and by a share of the ephemeral UDP port range. Pure OS queries:
imports no SNMP library, so it can be tested without one.
"""

from __future__ import annotations

import errno
import resource
from pathlib import Path

PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def port_budget(share: float = 0.75) -> int | None:
    """Kept sessions the ephemeral port range allows (each holds a UDP port), or None.

    Measured: past ~28,000 bound UDP sockets (the whole default range 32768-60999) every new
    socket makes the kernel search for a free port and opening sessions slows to a crawl; the
    rest of the machine needs ports too (UDP's range only: TCP's is counted apart). So at most
    ``share`` of the range stays bound by kept sessions; idle re-aimable sessions and requests
    in flight use part of the rest. Three quarters, not a half: on the 34,000-AP bench an
    unkept SNMPv3 poll costs a new socket and an extra round trip, and half the range made v3
    1.7x slower than v2c (three quarters: 1.2x; one noisy run each). When the ports do run
    out, kept sessions are shed (:meth:`GufoEngine._shed`) and counted.
    """
    try:
        low, high = (int(part) for part in PORT_RANGE.read_text().split())
    except (OSError, ValueError):
        return None
    return max(0, int((high - low + 1) * share))


def no_free_port(error: OSError) -> bool:
    """Whether a new socket failed for want of an ephemeral port (gufo gives no errno)."""
    codes = (errno.EAGAIN, errno.EADDRINUSE, errno.EADDRNOTAVAIL)
    return error.errno in codes or any(f"(os error {code})" in str(error) for code in codes)


def session_cap(reserve: int, want: int = 0) -> int:
    """How many sessions may stay open: the open-file limit - reserve.

    The soft limit is raised towards ``want + reserve`` (one socket per kept session): up to
    the hard limit, and past it when the process may (CAP_SYS_RESOURCE, e.g. systemd's
    ``LimitNOFILE``); otherwise to the hard limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = want + reserve
    if want and soft < needed and (hard == resource.RLIM_INFINITY or hard < needed):
        try:
            new_hard = hard if hard == resource.RLIM_INFINITY else needed
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, new_hard))
            return max(0, needed - reserve)
        except (ValueError, OSError):
            pass  # not privileged: the hard limit is the most we get
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return max(0, soft - reserve)
