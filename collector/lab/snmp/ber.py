"""A minimal, fast BER codec for SNMP values, varbinds and PDUs (RFC 3416 subset).

Hand-written because pysnmp's codec costs ~2 ms per message (FACTS.md). Decoding works on
untrusted bytes: every malformed input raises :class:`BerError` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from collector.lab.mibview import Oid, SnmpType, Value

INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30

GET_REQUEST = 0xA0
GET_NEXT_REQUEST = 0xA1
RESPONSE = 0xA2
SET_REQUEST = 0xA3
GET_BULK_REQUEST = 0xA5
INFORM_REQUEST = 0xA6
TRAP_V2 = 0xA7
REPORT = 0xA8
PDU_TAGS = frozenset(
    {
        GET_REQUEST,
        GET_NEXT_REQUEST,
        RESPONSE,
        SET_REQUEST,
        GET_BULK_REQUEST,
        INFORM_REQUEST,
        TRAP_V2,
        REPORT,
    }
)

MAX_OID_ARCS = 128
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1

NULL_VALUE = Value(SnmpType.NULL)


class BerError(ValueError):
    """Malformed or unencodable BER: the one exception the decoder raises on bad input."""


# ---------------------------------------------------------------- encoding


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    """Tag, length and content: the one BER building block."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    return bytes((tag,)) + encode_length(n) + content


def encode_signed(tag: int, n: int) -> bytes:
    body = n.to_bytes(((n if n >= 0 else ~n).bit_length() + 8) // 8, "big", signed=True)
    return bytes((tag, len(body))) + body


def encode_unsigned(tag: int, n: int, limit: int) -> bytes:
    if not 0 <= n <= limit:
        raise BerError(f"value {n} out of range for tag 0x{tag:02x}")
    body = n.to_bytes((n.bit_length() + 8) // 8, "big")
    return bytes((tag, len(body))) + body


def encode_integer(n: int) -> bytes:
    return encode_signed(INTEGER, n)


def encode_octets(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


@lru_cache(maxsize=1 << 16)
def encode_oid(oid: Oid) -> bytes:
    """The full TLV of an OBJECT IDENTIFIER (cached: agents answer the same OIDs all day)."""
    if len(oid) < 2 or len(oid) > MAX_OID_ARCS or not 0 <= oid[0] <= 2:
        raise BerError(f"invalid OID {oid!r}")
    if (oid[0] < 2 and not 0 <= oid[1] <= 39) or min(oid) < 0 or max(oid) > _U32:
        raise BerError(f"invalid OID {oid!r}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return tlv(OBJECT_IDENTIFIER, bytes(out))


def _encode_bytes(tag: int, v: Value) -> bytes:
    if not isinstance(v.value, bytes):
        raise BerError(f"{v.type.name} needs bytes, got {type(v.value).__name__}")
    if tag == SnmpType.IP_ADDRESS.value and len(v.value) != 4:
        raise BerError("IpAddress needs exactly 4 bytes")
    return tlv(tag, v.value)


def encode_value(v: Value) -> bytes:
    """The TLV of a typed SNMP value."""
    t = v.type
    tag = t.value
    if tag in _UNSIGNED_LIMITS:
        if not isinstance(v.value, int):
            raise BerError(f"{t.name} needs an int")
        return encode_unsigned(tag, v.value, _UNSIGNED_LIMITS[tag])
    if tag == INTEGER:
        if not isinstance(v.value, int) or not _I32_MIN <= v.value <= _I32_MAX:
            raise BerError(f"INTEGER needs an int in Integer32 range, got {v.value!r}")
        return encode_signed(INTEGER, v.value)
    if tag in _BYTES_TAGS:
        return _encode_bytes(tag, v)
    if tag == OBJECT_IDENTIFIER:
        if not isinstance(v.value, tuple):
            raise BerError("OBJECT IDENTIFIER needs a tuple of ints")
        return encode_oid(v.value)
    return bytes((tag, 0))  # NULL and the three v2 exceptions


def encode_varbind(oid: Oid, value: Value) -> bytes:
    return tlv(SEQUENCE, encode_oid(oid) + encode_value(value))


_UNSIGNED_LIMITS = {
    SnmpType.COUNTER32.value: _U32,
    SnmpType.GAUGE32.value: _U32,
    SnmpType.TIMETICKS.value: _U32,
    SnmpType.COUNTER64.value: _U64,
}
_BYTES_TAGS = frozenset({OCTET_STRING, SnmpType.IP_ADDRESS.value, SnmpType.OPAQUE.value})
_NO_CONTENT_TAGS = {
    NULL: NULL_VALUE,
    SnmpType.NO_SUCH_OBJECT.value: Value(SnmpType.NO_SUCH_OBJECT),
    SnmpType.NO_SUCH_INSTANCE.value: Value(SnmpType.NO_SUCH_INSTANCE),
    SnmpType.END_OF_MIB_VIEW.value: Value(SnmpType.END_OF_MIB_VIEW),
}
_TYPES = {t.value: t for t in SnmpType}


# ---------------------------------------------------------------- decoding


def read_tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read one header at ``pos`` (not past ``end``): (tag, content start, content end)."""
    if pos + 2 > end:
        raise BerError("truncated: no room for a tag and length")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("high-tag-number form is not used by SNMP")
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise BerError("indefinite or oversized length")
        if pos + k > end:
            raise BerError("truncated length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + n > end:
        raise BerError("length runs past the end of the data")
    return tag, pos, pos + n


def expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Read a TLV that must carry ``tag``: (content start, content end)."""
    got, start, stop = read_tlv(data, pos, end)
    if got != tag:
        raise BerError(f"expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def decode_int(data: bytes, start: int, stop: int) -> int:
    if start == stop or stop - start > 9:
        raise BerError("integer of invalid length")
    return int.from_bytes(data[start:stop], "big", signed=True)


def read_integer(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """An INTEGER at ``pos``: (value, next position)."""
    start, stop = expect(data, pos, end, INTEGER)
    n = decode_int(data, start, stop)
    if not _I32_MIN <= n <= _I32_MAX:
        raise BerError("INTEGER outside Integer32")
    return n, stop


def read_octets(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    """An OCTET STRING at ``pos``: (value, next position)."""
    start, stop = expect(data, pos, end, OCTET_STRING)
    return data[start:stop], stop


@lru_cache(maxsize=1 << 16)
def decode_oid_content(content: bytes) -> Oid:
    """The arcs of an OID's content octets (cached: requests repeat the same OIDs)."""
    if not content or content[-1] & 0x80:
        raise BerError("empty or unterminated OID")
    arcs: list[int] = []
    arc = 0
    fresh = True
    for c in content:
        if fresh and c == 0x80:
            raise BerError("non-minimal OID sub-identifier")
        arc = (arc << 7) | (c & 0x7F)
        fresh = not c & 0x80
        if fresh:
            arcs.append(arc)
            arc = 0
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    oid = head + tuple(arcs[1:])
    if len(oid) > MAX_OID_ARCS or max(oid) > _U32:
        raise BerError("OID too long or arc too large")
    return oid


def read_oid(data: bytes, pos: int, end: int) -> tuple[Oid, int]:
    start, stop = expect(data, pos, end, OBJECT_IDENTIFIER)
    return decode_oid_content(data[start:stop]), stop


def decode_value(tag: int, data: bytes, start: int, stop: int) -> Value:
    """The value of a TLV whose header was already read."""
    if tag in _NO_CONTENT_TAGS:
        if start != stop:
            raise BerError("NULL or exception value with content")
        return _NO_CONTENT_TAGS[tag]
    if tag in _UNSIGNED_LIMITS:
        n = decode_int(data, start, stop)
        if not 0 <= n <= _UNSIGNED_LIMITS[tag]:
            raise BerError(f"value out of range for tag 0x{tag:02x}")
        return Value(_TYPES[tag], n)
    if tag == INTEGER:
        n = decode_int(data, start, stop)
        if not _I32_MIN <= n <= _I32_MAX:
            raise BerError("INTEGER outside Integer32")
        return Value(SnmpType.INTEGER, n)
    if tag in _BYTES_TAGS:
        if tag == SnmpType.IP_ADDRESS.value and stop - start != 4:
            raise BerError("IpAddress must be 4 bytes")
        return Value(_TYPES[tag], data[start:stop])
    if tag == OBJECT_IDENTIFIER:
        return Value(SnmpType.OBJECT_IDENTIFIER, decode_oid_content(data[start:stop]))
    raise BerError(f"unknown value tag 0x{tag:02x}")


# ---------------------------------------------------------------- PDUs


@dataclass(slots=True)
class Pdu:
    """An SNMPv2 PDU. For GetBulk, error_status/error_index carry non-repeaters/max-repetitions."""

    tag: int
    request_id: int
    error_status: int = 0
    error_index: int = 0
    varbinds: list[tuple[Oid, Value]] = field(default_factory=list)
    size: int = 0  # encoded length when decoded (0 when built)

    @property
    def non_repeaters(self) -> int:
        return self.error_status

    @property
    def max_repetitions(self) -> int:
        return self.error_index


def encode_pdu_from_varbinds(
    tag: int, request_id: int, error_status: int, error_index: int, varbinds: bytes
) -> bytes:
    """A PDU around already-encoded varbinds (the agent's fast path)."""
    return tlv(
        tag,
        encode_integer(request_id)
        + encode_integer(error_status)
        + encode_integer(error_index)
        + tlv(SEQUENCE, varbinds),
    )


def encode_pdu(pdu: Pdu) -> bytes:
    varbinds = b"".join(encode_varbind(oid, value) for oid, value in pdu.varbinds)
    return encode_pdu_from_varbinds(
        pdu.tag, pdu.request_id, pdu.error_status, pdu.error_index, varbinds
    )


def read_pdu(data: bytes, pos: int, end: int) -> tuple[Pdu, int]:
    """A PDU at ``pos``: (pdu, next position)."""
    tag, start, stop = read_tlv(data, pos, end)
    if tag not in PDU_TAGS:
        raise BerError(f"unknown PDU tag 0x{tag:02x}")
    request_id, p = read_integer(data, start, stop)
    error_status, p = read_integer(data, p, stop)
    error_index, p = read_integer(data, p, stop)
    p, list_end = expect(data, p, stop, SEQUENCE)
    if list_end != stop:
        raise BerError("trailing bytes after the varbind list")
    varbinds: list[tuple[Oid, Value]] = []
    while p < list_end:
        vb_start, vb_end = expect(data, p, list_end, SEQUENCE)
        oid, q = read_oid(data, vb_start, vb_end)
        vtag, vstart, vstop = read_tlv(data, q, vb_end)
        if vstop != vb_end:
            raise BerError("trailing bytes in a varbind")
        if vtag == NULL and vstart == vstop:
            varbinds.append((oid, NULL_VALUE))
        else:
            varbinds.append((oid, decode_value(vtag, data, vstart, vstop)))
        p = vb_end
    return Pdu(tag, request_id, error_status, error_index, varbinds, stop - pos), stop


def decode_pdu(data: bytes) -> Pdu:
    """A whole buffer that must hold exactly one PDU."""
    pdu, stop = read_pdu(data, 0, len(data))
    if stop != len(data):
        raise BerError("trailing bytes after the PDU")
    return pdu
