"""Tiny HTTP and TCP probes for readiness checks (stdlib only, loopback only)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request

_TIMEOUT_S = 2.0


def status_of(url: str, timeout_s: float = _TIMEOUT_S) -> int | None:
    """HTTP status of ``GET url``, or None if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


def post_form(url: str, fields: dict[str, str], timeout_s: float = _TIMEOUT_S) -> tuple[int, str]:
    """``POST`` form fields; the status and body (errors included, never raised)."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode("utf-8", "replace")


def port_is_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        return sock.connect_ex((host, port)) == 0
