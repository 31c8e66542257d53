"""The fast path: SNMPv1 Trap and SNMPv2c SNMPv2-Trap messages decoded here (stdlib only).

pysnmp takes ~350 us to decode one v2c trap, which caps the receiver near 2,500 traps/s; this
strict, bounds-checked BER decoder reads the same messages in a fraction of that and yields the
varbinds as pysnmp's path renders them (numeric OID, text): SNMPv1 traps translated as RFC 3584
section 3.1 and pysnmp's ``v1_to_v2`` do (sysUpTime.0, snmpTrapOID.0, snmpTrapAddress.0,
snmpTrapCommunity.0 empty, snmpTrapEnterprise.0, then the trap's varbinds).

Two outcomes besides a result: :class:`~collector.traps.wire.WireError` where the datagram
cannot be a message (a length beyond its container, or the indefinite length form, which RFC
3417 section 8 prohibits), and :class:`NotFast` for everything this decoder does not take on
itself, which pysnmp then decides: INFORMs (they need a response) and other PDU types, value
types and encodings outside the common canonical subset (Opaque, constructed forms, values out
of their type's range, non-zero error fields, ...). Nothing else is raised: a bound is checked
before every index, and the work is linear in the datagram's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.traps.mapping import SNMP_TRAP_OID, SYS_UPTIME, text_of
from collector.traps.wire import VERSION_1, VERSION_2C, WireError

TRAP_V1 = 0xA4
INFORM = 0xA6
TRAP_V2 = 0xA7
_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTETS = 0x04
_NULL = 0x05
_OID = 0x06
_IP_ADDRESS = 0x40
_COUNTER32 = 0x41
_GAUGE32 = 0x42
_TIMETICKS = 0x43
_COUNTER64 = 0x46
#: SNMPv2 exception values (RFC 3416), as pysnmp's prettyPrint renders them.
_EXCEPTIONS = {
    0x80: "No Such Object currently exists at this OID",
    0x81: "No Such Instance currently exists at this OID",
    0x82: "No more variables left in this MIB View",
}
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1
_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1
_MAX_INT_BYTES = 9  # a Counter64 with its leading zero byte
_MAX_OID_ARCS = 128  # RFC 2578 section 3.5
_MAX_OID_BYTES = 5 * _MAX_OID_ARCS
_OID_CACHE_LIMIT = 4096  # distinct encoded OIDs remembered (a flood repeats a few)
_SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
_SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
_SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"
_GENERIC_TRAPS = {g: f"1.3.6.1.6.3.1.1.5.{g + 1}" for g in range(6)}  # RFC 3584 section 3.1
_ENTERPRISE_SPECIFIC = 6
_V1_TYPES = frozenset(
    {_INTEGER, _OCTETS, _NULL, _OID, _IP_ADDRESS, _COUNTER32, _GAUGE32, _TIMETICKS}
)

_oids: dict[bytes, str] = {}


class NotFast(Exception):
    """Not for the fast path (an INFORM, an unusual type or encoding): pysnmp decides."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """One v1/v2c notification: its header and its varbinds as (numeric OID, text)."""

    version: int
    community: bytes
    pdu_type: int
    request_id: int  # v2c; 0 for a v1 Trap-PDU, which has none
    varbinds: tuple[tuple[str, str], ...]


def _tlv(data: bytes, p: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``p``, inside ``[p, end)``."""
    if p + 2 > end:
        raise WireError("truncated TLV")
    tag = data[p]
    if tag & 0x1F == 0x1F:
        raise NotFast("high tag number form")
    first = data[p + 1]
    p += 2
    if first < 0x80:
        stop = p + first
    else:
        count = first & 0x7F
        if count == 0:  # RFC 3417 section 8: "use of the indefinite form encoding is prohibited"
            raise WireError("indefinite length")
        if count > 4:
            raise NotFast("over-long length")
        if p + count > end:
            raise WireError("truncated length")
        stop = p + count + int.from_bytes(data[p : p + count], "big")
        p += count
    if stop > end:
        raise WireError("length beyond its container")
    return tag, p, stop


def _int(data: bytes, start: int, stop: int) -> int:
    if not 0 < stop - start <= _MAX_INT_BYTES:
        raise NotFast("integer length")
    return int.from_bytes(data[start:stop], "big", signed=True)


def _integer(data: bytes, p: int, end: int, low: int, high: int) -> tuple[int, int]:
    tag, start, stop = _tlv(data, p, end)
    if tag != _INTEGER:
        raise NotFast("expected an INTEGER")
    value = _int(data, start, stop)
    if not low <= value <= high:
        raise NotFast("integer out of range")
    return value, stop


def _oid(data: bytes, start: int, stop: int) -> str:
    """An OBJECT IDENTIFIER's content as dotted text (X.690 8.19, as pyasn1 splits arc one)."""
    raw = data[start:stop]
    text = _oids.get(raw)
    if text is not None:
        return text
    if not raw or len(raw) > _MAX_OID_BYTES or raw[-1] & 0x80:
        raise NotFast("empty, long or unterminated OID")
    arcs: list[int] = []
    arc = 0
    fresh = True
    for byte in raw:
        if fresh and byte == 0x80:
            raise NotFast("non-minimal sub-identifier")
        arc = (arc << 7) | (byte & 0x7F)
        if byte & 0x80:
            fresh = False
            continue
        if arc > _U32_MAX:
            raise NotFast("sub-identifier beyond 32 bits")
        arcs.append(arc)
        arc, fresh = 0, True
    head = arcs[0]
    first = (0, head) if head < 40 else (1, head - 40) if head < 80 else (2, head - 80)
    parts = [*first, *arcs[1:]]
    if len(parts) > _MAX_OID_ARCS:
        raise NotFast("too many arcs")
    text = ".".join(map(str, parts))
    if len(_oids) >= _OID_CACHE_LIMIT:
        _oids.clear()
    _oids[raw] = text
    return text


def _value(data: bytes, tag: int, start: int, stop: int) -> str:
    """A varbind value as pysnmp's path renders it (:func:`collector.traps.receiver.render`)."""
    if tag == _OCTETS:
        return text_of(data[start:stop])
    if tag == _INTEGER:
        n = _int(data, start, stop)
        if not _I32_MIN <= n <= _I32_MAX:
            raise NotFast("Integer32 out of range")
        return str(n)
    if tag == _OID:
        return _oid(data, start, stop)
    if tag in (_TIMETICKS, _COUNTER32, _GAUGE32, _COUNTER64):
        n = _int(data, start, stop)
        if not 0 <= n <= (_U64_MAX if tag == _COUNTER64 else _U32_MAX):
            raise NotFast("unsigned value out of range")
        return str(n)
    if tag == _IP_ADDRESS:
        if stop - start != 4:
            raise NotFast("IpAddress not 4 bytes")
        return ".".join(map(str, data[start:stop]))
    if tag == _NULL or tag in _EXCEPTIONS:
        if stop != start:
            raise NotFast("NULL with content")
        return _EXCEPTIONS.get(tag, "")
    raise NotFast(f"value type 0x{tag:02x}")


def _varbinds(data: bytes, p: int, end: int, v1: bool, into: list[tuple[str, str]]) -> None:
    """The VarBindList at ``p``, which must end at ``end``, appended to ``into``."""
    tag, p, stop = _tlv(data, p, end)
    if tag != _SEQUENCE or stop != end:
        raise NotFast("VarBindList")
    while p < stop:
        tag, vb, vb_end = _tlv(data, p, stop)
        if tag != _SEQUENCE:
            raise NotFast("VarBind")
        tag, o_start, o_stop = _tlv(data, vb, vb_end)
        if tag != _OID:
            raise NotFast("VarBind name")
        name = _oid(data, o_start, o_stop)
        tag, v_start, v_stop = _tlv(data, o_stop, vb_end)
        if v_stop != vb_end or (v1 and tag not in _V1_TYPES):
            raise NotFast("VarBind value")
        into.append((name, _value(data, tag, v_start, v_stop)))
        p = vb_end


def _trap_v2(data: bytes, p: int, end: int) -> tuple[int, list[tuple[str, str]]]:
    request_id, p = _integer(data, p, end, _I32_MIN, _I32_MAX)
    _, p = _integer(data, p, end, 0, 0)  # error-status
    _, p = _integer(data, p, end, 0, 0)  # error-index
    varbinds: list[tuple[str, str]] = []
    _varbinds(data, p, end, False, varbinds)
    return request_id, varbinds


def _trap_v1(data: bytes, p: int, end: int) -> list[tuple[str, str]]:
    tag, start, p = _tlv(data, p, end)
    if tag != _OID:
        raise NotFast("enterprise")
    enterprise = _oid(data, start, p)
    tag, start, p = _tlv(data, p, end)
    if tag != _IP_ADDRESS:
        raise NotFast("agent-addr")
    agent = _value(data, tag, start, p)
    generic, p = _integer(data, p, end, 0, _ENTERPRISE_SPECIFIC)
    specific, p = _integer(data, p, end, _I32_MIN, _I32_MAX)
    tag, start, p = _tlv(data, p, end)
    if tag != _TIMETICKS:
        raise NotFast("time-stamp")
    uptime = _value(data, tag, start, p)
    if generic == _ENTERPRISE_SPECIFIC:
        if specific < 0:
            raise NotFast("negative specific-trap")
        trap_oid = f"{enterprise}.0.{specific}"
    else:
        trap_oid = _GENERIC_TRAPS[generic]
    varbinds = [
        (SYS_UPTIME, uptime),
        (SNMP_TRAP_OID, trap_oid),
        (_SNMP_TRAP_ADDRESS, agent),
        (_SNMP_TRAP_COMMUNITY, ""),
        (_SNMP_TRAP_ENTERPRISE, enterprise),
    ]
    _varbinds(data, p, end, True, varbinds)
    return varbinds


def decode(data: bytes) -> Decoded:
    """A v1 Trap or v2c SNMPv2-Trap message; raises WireError (malformed) or NotFast."""
    end = len(data)
    tag, p, stop = _tlv(data, 0, end)
    if tag != _SEQUENCE or stop != end:
        raise NotFast("message")
    version, p = _integer(data, p, end, VERSION_1, VERSION_2C)
    tag, start, p = _tlv(data, p, end)
    if tag != _OCTETS:
        raise NotFast("community")
    community = data[start:p]
    tag, start, stop = _tlv(data, p, end)
    if stop != end:
        raise NotFast("bytes after the PDU")
    if version == VERSION_2C and tag == TRAP_V2:
        request_id, varbinds = _trap_v2(data, start, stop)
    elif version == VERSION_1 and tag == TRAP_V1:
        request_id, varbinds = 0, _trap_v1(data, start, stop)
    else:
        raise NotFast(f"PDU 0x{tag:02x} in a version {version} message")
    return Decoded(version, community, tag, request_id, tuple(varbinds))
