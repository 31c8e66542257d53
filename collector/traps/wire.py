"""A first look at a notification datagram, before pysnmp decodes it (stdlib only).

Just enough BER to tell the version, and for SNMPv3 the USM user, authoritative engine id and
authentication parameters, so the receiver can refuse what it will never accept (a v2c message
from a v3 AP, an unknown user) cheaply and learn a sender's engine id. Any structural problem
raises :class:`WireError`; nothing here trusts a length it has not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION_1 = 0
VERSION_2C = 1
VERSION_3 = 3
_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTETS = 0x04
_MAX_INT_BYTES = 5


class WireError(ValueError):
    """The datagram is not a well-formed SNMP message."""


@dataclass(frozen=True, slots=True)
class Peek:
    version: int
    community: bytes = b""  # v1/v2c
    engine_id: bytes = b""  # v3: msgAuthoritativeEngineID
    user: bytes = b""  # v3: msgUserName
    auth_params: bytes = b""  # v3: msgAuthenticationParameters
    flags: int = 0  # v3: msgFlags (1 auth, 2 priv, 4 reportable)


def _tlv(data: bytes, p: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``p``."""
    if p + 2 > end:
        raise WireError("truncated TLV")
    tag = data[p]
    first = data[p + 1]
    p += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or p + count > end:
            raise WireError("bad length")
        length = int.from_bytes(data[p : p + count], "big")
        p += count
    if p + length > end:
        raise WireError("length beyond the datagram")
    return tag, p, p + length


def _expect(data: bytes, p: int, end: int, tag: int) -> tuple[int, int]:
    found, start, stop = _tlv(data, p, end)
    if found != tag:
        raise WireError(f"expected tag 0x{tag:02x}, found 0x{found:02x}")
    return start, stop


def _integer(data: bytes, p: int, end: int) -> tuple[int, int]:
    start, stop = _expect(data, p, end, _INTEGER)
    if not 0 < stop - start <= _MAX_INT_BYTES:
        raise WireError("bad integer")
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def _octets(data: bytes, p: int, end: int) -> tuple[bytes, int]:
    start, stop = _expect(data, p, end, _OCTETS)
    return data[start:stop], stop


def peek(data: bytes) -> Peek:
    """The version and security parameters of one message (raises :class:`WireError`)."""
    start, end = _expect(data, 0, len(data), _SEQUENCE)
    if end != len(data):
        raise WireError("trailing bytes after the message")
    version, p = _integer(data, start, end)
    if version in (VERSION_1, VERSION_2C):
        community, _ = _octets(data, p, end)
        return Peek(version, community=community)
    if version != VERSION_3:
        raise WireError(f"unknown SNMP version {version}")
    h_start, h_end = _expect(data, p, end, _SEQUENCE)
    _, q = _integer(data, h_start, h_end)  # msgID
    _, q = _integer(data, q, h_end)  # msgMaxSize
    flags, q = _octets(data, q, h_end)
    if len(flags) != 1:
        raise WireError("bad msgFlags")
    s_start, s_end = _expect(data, h_end, end, _OCTETS)
    u_start, u_end = _expect(data, s_start, s_end, _SEQUENCE)
    engine_id, q = _octets(data, u_start, u_end)
    _, q = _integer(data, q, u_end)  # boots
    _, q = _integer(data, q, u_end)  # time
    user, q = _octets(data, q, u_end)
    auth_params, q = _octets(data, q, u_end)
    return Peek(VERSION_3, engine_id=engine_id, user=user, auth_params=auth_params, flags=flags[0])
