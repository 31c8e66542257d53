"""SNMP message envelopes: v1/v2c community messages and v3 messages with USM parameters.

RFC 3416 (v2c), RFC 3412 section 6 (v3 header) and RFC 3414 section 2.4 (USM parameters).
Decoding raises only :class:`~collector.lab.snmp.ber.BerError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.lab.snmp.ber import (
    SEQUENCE,
    BerError,
    Pdu,
    encode_integer,
    encode_length,
    encode_octets,
    expect,
    read_integer,
    read_octets,
    read_pdu,
    read_tlv,
    tlv,
)

VERSION_1 = 0
VERSION_2C = 1
VERSION_3 = 3

FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04
SECURITY_MODEL_USM = 3
MIN_MAX_SIZE = 484  # RFC 3412: msgMaxSize (484..2147483647)


@dataclass(slots=True)
class CommunityMessage:
    version: int  # VERSION_1 or VERSION_2C
    community: bytes
    pdu: Pdu


@dataclass(slots=True)
class UsmParameters:
    engine_id: bytes
    engine_boots: int
    engine_time: int
    user_name: bytes
    auth_params: bytes
    priv_params: bytes
    auth_offset: int  # where auth_params' content starts in the whole message


@dataclass(slots=True)
class ScopedPdu:
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu


@dataclass(slots=True)
class V3Message:
    msg_id: int
    max_size: int
    flags: int
    security_model: int
    usm: UsmParameters | None  # None when the security model is not USM
    scoped_pdu: ScopedPdu | None  # plaintext, or None when encrypted
    encrypted_pdu: bytes | None


def decode_message(data: bytes) -> CommunityMessage | V3Message:
    """One datagram, which must hold exactly one message."""
    start, end = expect(data, 0, len(data), SEQUENCE)
    if end != len(data):
        raise BerError("trailing bytes after the message")
    version, p = read_integer(data, start, end)
    if version in (VERSION_1, VERSION_2C):
        community, p = read_octets(data, p, end)
        pdu, p = read_pdu(data, p, end)
        if p != end:
            raise BerError("trailing bytes after the PDU")
        return CommunityMessage(version, community, pdu)
    if version == VERSION_3:
        return _decode_v3(data, p, end)
    raise BerError(f"unknown SNMP version {version}")


def _decode_v3(data: bytes, p: int, end: int) -> V3Message:
    h_start, h_end = expect(data, p, end, SEQUENCE)
    msg_id, q = read_integer(data, h_start, h_end)
    max_size, q = read_integer(data, q, h_end)
    flags_raw, q = read_octets(data, q, h_end)
    security_model, q = read_integer(data, q, h_end)
    if q != h_end or len(flags_raw) != 1 or msg_id < 0 or max_size < MIN_MAX_SIZE:
        raise BerError("invalid v3 header")
    s_start, s_end = expect(data, h_end, end, 0x04)
    usm = _decode_usm(data, s_start, s_end) if security_model == SECURITY_MODEL_USM else None
    tag, d_start, d_end = read_tlv(data, s_end, end)
    if d_end != end:
        raise BerError("trailing bytes after msgData")
    if tag == 0x04:
        return V3Message(
            msg_id, max_size, flags_raw[0], security_model, usm, None, data[d_start:d_end]
        )
    if tag != SEQUENCE:
        raise BerError("msgData is neither a ScopedPDU nor an encrypted OCTET STRING")
    scoped = _decode_scoped_content(data, d_start, d_end)
    return V3Message(msg_id, max_size, flags_raw[0], security_model, usm, scoped, None)


def _decode_usm(data: bytes, start: int, end: int) -> UsmParameters:
    p, stop = expect(data, start, end, SEQUENCE)
    if stop != end:
        raise BerError("trailing bytes after USM parameters")
    engine_id, p = read_octets(data, p, stop)
    boots, p = read_integer(data, p, stop)
    time, p = read_integer(data, p, stop)
    user, p = read_octets(data, p, stop)
    a_start, a_end = expect(data, p, stop, 0x04)
    priv, p = read_octets(data, a_end, stop)
    if p != stop or boots < 0 or time < 0 or len(user) > 32 or len(engine_id) > 32:
        raise BerError("invalid USM parameters")
    return UsmParameters(engine_id, boots, time, user, data[a_start:a_end], priv, a_start)


def _decode_scoped_content(data: bytes, start: int, end: int) -> ScopedPdu:
    engine_id, p = read_octets(data, start, end)
    name, p = read_octets(data, p, end)
    pdu, p = read_pdu(data, p, end)
    if p != end:
        raise BerError("trailing bytes after the scoped PDU")
    return ScopedPdu(engine_id, name, pdu)


def decode_scoped_pdu(plaintext: bytes) -> ScopedPdu:
    """A decrypted ScopedPDU; bytes after it (cipher padding) are ignored."""
    start, end = expect(plaintext, 0, len(plaintext), SEQUENCE)
    return _decode_scoped_content(plaintext, start, end)


# ---------------------------------------------------------------- encoding


def encode_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, encode_integer(version) + encode_octets(community) + pdu)


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, encode_octets(context_engine_id) + encode_octets(context_name) + pdu)


@dataclass(frozen=True, slots=True)
class V3Envelope:
    """What a v3 message carries around its msgData."""

    msg_id: int
    max_size: int
    flags: int
    engine_id: bytes
    engine_boots: int
    engine_time: int
    user_name: bytes
    auth_length: int  # bytes of zeros reserved for the MAC (0: no auth)
    priv_params: bytes


def encode_v3_message(env: V3Envelope, msg_data: bytes) -> tuple[bytes, int]:
    """The message with zeroed auth parameters, and where they start (for signing)."""
    header = tlv(
        SEQUENCE,
        encode_integer(env.msg_id)
        + encode_integer(env.max_size)
        + bytes((0x04, 1, env.flags))
        + encode_integer(SECURITY_MODEL_USM),
    )
    before_auth = (
        encode_octets(env.engine_id)
        + encode_integer(env.engine_boots)
        + encode_integer(env.engine_time)
        + encode_octets(env.user_name)
    )
    auth = encode_octets(bytes(env.auth_length))
    usm_content = before_auth + auth + encode_octets(env.priv_params)
    usm_seq = tlv(SEQUENCE, usm_content)
    usm_octets = tlv(0x04, usm_seq)
    body = b"\x02\x01\x03" + header + usm_octets + msg_data
    message = tlv(SEQUENCE, body)
    outer_header = len(message) - len(body)
    usm_octets_header = len(usm_octets) - len(usm_seq)
    usm_seq_header = len(usm_seq) - len(usm_content)
    auth_header = 1 + len(encode_length(env.auth_length))
    offset = (
        outer_header
        + 3
        + len(header)
        + usm_octets_header
        + usm_seq_header
        + len(before_auth)
        + auth_header
    )
    return message, offset
