"""Answer GET / GETNEXT / GETBULK from a MibView (RFC 3416 section 4.2), within a size budget."""

from __future__ import annotations

from dataclasses import dataclass

from collector.lab.mibview import END_OF_MIB_VIEW, MibView, Oid, SnmpType
from collector.lab.snmp.ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    RESPONSE,
    Pdu,
    encode_pdu_from_varbinds,
    encode_varbind,
)

TOO_BIG = 1
NOT_WRITABLE = 17
GEN_ERR = 5
_END = SnmpType.END_OF_MIB_VIEW
_PDU_OVERHEAD = 24  # the Response PDU's own header, request-id and error fields, at most


@dataclass(slots=True)
class Answer:
    pdu: bytes  # the encoded Response-PDU
    error_status: int
    varbinds: int


def answer(request: Pdu, view: MibView, now: float, budget: int) -> Answer:
    """The Response-PDU for ``request``; ``budget`` bounds the encoded PDU in bytes."""
    room = budget - _PDU_OVERHEAD
    if request.tag == GET_REQUEST:
        parts = [encode_varbind(oid, view.get(oid, now)) for oid, _ in request.varbinds]
        return _whole_or_too_big(request, parts, room)
    if request.tag == GET_NEXT_REQUEST:
        parts = [_next(view, oid, now) for oid, _ in request.varbinds]
        return _whole_or_too_big(request, parts, room)
    if request.tag == GET_BULK_REQUEST:
        return _bulk(request, view, now, room)
    # SET (and anything else an agent may receive): this lab is read-only.
    parts = [encode_varbind(oid, value) for oid, value in request.varbinds]
    index = 1 if parts else 0
    pdu = encode_pdu_from_varbinds(
        RESPONSE, request.request_id, NOT_WRITABLE, index, b"".join(parts)
    )
    return Answer(pdu, NOT_WRITABLE, len(parts))


def _next(view: MibView, oid: Oid, now: float) -> bytes:
    next_oid, value = view.get_next(oid, now)
    if value.type is _END:
        return encode_varbind(oid, END_OF_MIB_VIEW)
    return encode_varbind(next_oid, value)


def _whole_or_too_big(request: Pdu, parts: list[bytes], room: int) -> Answer:
    body = b"".join(parts)
    if len(body) + 4 > room:  # 4: the varbind list's own header
        pdu = encode_pdu_from_varbinds(RESPONSE, request.request_id, TOO_BIG, 0, b"")
        return Answer(pdu, TOO_BIG, 0)
    return Answer(encode_pdu_from_varbinds(RESPONSE, request.request_id, 0, 0, body), 0, len(parts))


def _bulk(request: Pdu, view: MibView, now: float, room: int) -> Answer:
    oids = [oid for oid, _ in request.varbinds]
    non_repeaters = min(max(request.non_repeaters, 0), len(oids))
    repetitions = max(request.max_repetitions, 0)
    parts: list[bytes] = []
    used = 4
    for oid in oids[:non_repeaters]:
        part = _next(view, oid, now)
        if used + len(part) > room:
            return _finish(request, parts)
        parts.append(part)
        used += len(part)
    cursor = oids[non_repeaters:]
    for _ in range(repetitions if cursor else 0):
        ended = 0
        for j, oid in enumerate(cursor):
            next_oid, value = view.get_next(oid, now)
            if value.type is _END:
                part = encode_varbind(oid, END_OF_MIB_VIEW)
                ended += 1
            else:
                part = encode_varbind(next_oid, value)
                cursor[j] = next_oid
            if used + len(part) > room:
                return _finish(request, parts)
            parts.append(part)
            used += len(part)
        if ended == len(cursor):
            break
    return _finish(request, parts)


def _finish(request: Pdu, parts: list[bytes]) -> Answer:
    pdu = encode_pdu_from_varbinds(RESPONSE, request.request_id, 0, 0, b"".join(parts))
    return Answer(pdu, 0, len(parts))
