"""A minimal manager side (build requests, open responses) for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.lab.mibview import Oid
from collector.lab.snmp.ber import (
    NULL_VALUE,
    Pdu,
    encode_octets,
    encode_pdu,
)
from collector.lab.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    VERSION_2C,
    CommunityMessage,
    ScopedPdu,
    V3Envelope,
    V3Message,
    decode_message,
    decode_scoped_pdu,
    encode_community_message,
    encode_scoped_pdu,
    encode_v3_message,
)
from collector.lab.snmp.usm import LocalizedKeys, aes_decrypt, aes_encrypt, aes_iv


def request_pdu(
    tag: int, request_id: int, oids: Sequence[Oid], non_repeaters: int = 0, max_repetitions: int = 0
) -> bytes:
    varbinds = [(oid, NULL_VALUE) for oid in oids]
    return encode_pdu(Pdu(tag, request_id, non_repeaters, max_repetitions, varbinds))


def v2c_request(community: bytes, pdu: bytes) -> bytes:
    return encode_community_message(VERSION_2C, community, pdu)


def open_v2c(data: bytes) -> Pdu:
    msg = decode_message(data)
    _check(isinstance(msg, CommunityMessage), "not a community message")
    assert isinstance(msg, CommunityMessage)  # for the type checker
    return msg.pdu


@dataclass(frozen=True, slots=True)
class V3Target:
    """What a manager knows about one agent after discovery."""

    engine_id: bytes
    engine_boots: int
    engine_time: int
    user_name: bytes
    keys: LocalizedKeys | None  # None: noAuthNoPriv (discovery)


def v3_request(
    target: V3Target, pdu: bytes, msg_id: int, salt: bytes = bytes(8), flags: int | None = None
) -> bytes:
    """A v3 request: authPriv when the target has a priv key, else authNoPriv / noAuthNoPriv."""
    keys = target.keys
    if flags is None:
        flags = FLAG_REPORTABLE
        if keys is not None:
            flags |= FLAG_AUTH | (FLAG_PRIV if keys.priv_key is not None else 0)
    scoped = encode_scoped_pdu(target.engine_id, b"", pdu)
    priv_params = b""
    if flags & FLAG_PRIV and keys is not None and keys.priv_key is not None:
        priv_params = salt
        iv = aes_iv(target.engine_boots, target.engine_time, salt)
        scoped = encode_octets(aes_encrypt(keys.priv_key, iv, scoped))
    mac_length = keys.auth_protocol.mac_length if keys is not None and flags & FLAG_AUTH else 0
    env = V3Envelope(
        msg_id,
        65507,
        flags,
        target.engine_id,
        target.engine_boots,
        target.engine_time,
        target.user_name,
        mac_length,
        priv_params,
    )
    message, offset = encode_v3_message(env, scoped)
    if mac_length and keys is not None:
        mac = keys.sign(message)
        message = message[:offset] + mac + message[offset + mac_length :]
    return message


def open_v3(data: bytes, keys: LocalizedKeys | None) -> tuple[V3Message, ScopedPdu]:
    """Decode a v3 reply, checking its MAC and decrypting it when flagged so."""
    msg = decode_message(data)
    if not isinstance(msg, V3Message) or msg.usm is None:
        raise ValueError("not a USM v3 message")
    usm = msg.usm
    if msg.flags & FLAG_AUTH and (
        keys is None or not keys.verify(data, usm.auth_offset, usm.auth_params)
    ):
        raise ValueError("bad MAC on the reply")
    if msg.flags & FLAG_PRIV:
        if keys is None or keys.priv_key is None or msg.encrypted_pdu is None:
            raise ValueError("cannot decrypt the reply")
        iv = aes_iv(usm.engine_boots, usm.engine_time, usm.priv_params)
        return msg, decode_scoped_pdu(aes_decrypt(keys.priv_key, iv, msg.encrypted_pdu))
    if msg.scoped_pdu is None:
        raise ValueError("encrypted reply without the priv flag")
    return msg, msg.scoped_pdu


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)
