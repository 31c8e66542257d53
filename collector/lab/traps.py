"""Notifications as the lab's devices send them: SNMPv2-Trap PDUs, encoded with the lab's BER.

:func:`v2c_trap` is the wire form of one trap (RFC 3416: sysUpTime.0, snmpTrapOID.0, then the
trap's varbinds) in a v2c community message; the trap flood benchmark pre-encodes these.
:func:`v3_trap` is the same PDU in an SNMPv3 USM message whose authoritative engine is the
sender (RFC 3414 section 3.1: a trap's sender is authoritative): its own engine id, boots and
time, keys localized to that engine id, authPriv (HMAC + AES-128-CFB) when the user has a
privacy key. :func:`link_varbinds` are the objects of linkDown/linkUp (RFC 2863) plus ifDescr.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.lab.mibview import SnmpType, Value
from collector.lab.snmp.ber import TRAP_V2, encode_octets, encode_pdu_from_varbinds, encode_varbind
from collector.lab.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    VERSION_2C,
    V3Envelope,
    encode_community_message,
    encode_scoped_pdu,
    encode_v3_message,
)
from collector.lab.snmp.usm import LocalizedKeys, aes_encrypt, aes_iv

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
COLD_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)
WARM_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 2)
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)
AUTHENTICATION_FAILURE = (1, 3, 6, 1, 6, 3, 1, 1, 5, 5)
IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_ADMIN_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
MAX_SIZE = 65507  # msgMaxSize: the largest UDP payload over IPv4
Oid = tuple[int, ...]


def trap_pdu(
    request_id: int, uptime_cs: int, trap_oid: Oid, varbinds: Sequence[tuple[Oid, Value]] = ()
) -> bytes:
    """An SNMPv2-Trap PDU."""
    encoded = encode_varbind(SYS_UPTIME, Value(SnmpType.TIMETICKS, uptime_cs & 0xFFFFFFFF))
    encoded += encode_varbind(SNMP_TRAP_OID, Value(SnmpType.OBJECT_IDENTIFIER, trap_oid))
    for oid, value in varbinds:
        encoded += encode_varbind(oid, value)
    return encode_pdu_from_varbinds(TRAP_V2, request_id, 0, 0, encoded)


def v2c_trap(
    community: bytes,
    request_id: int,
    uptime_cs: int,
    trap_oid: Oid,
    varbinds: Sequence[tuple[Oid, Value]] = (),
) -> bytes:
    """One SNMPv2c trap message."""
    pdu = trap_pdu(request_id, uptime_cs, trap_oid, varbinds)
    return encode_community_message(VERSION_2C, community, pdu)


@dataclass(frozen=True, slots=True)
class V3Sender:
    """The sending engine of a v3 notification (the authoritative one) and its user."""

    engine_id: bytes
    engine_boots: int
    engine_time: int
    user_name: bytes
    keys: LocalizedKeys  # localized to ``engine_id``

    def __repr__(self) -> str:
        return f"V3Sender({self.engine_id.hex()}, {self.user_name!r}, <keys>)"


def v3_trap(
    sender: V3Sender,
    msg_id: int,
    salt: bytes,
    request_id: int,
    uptime_cs: int,
    trap_oid: Oid,
    varbinds: Sequence[tuple[Oid, Value]] = (),
) -> bytes:
    """One SNMPv3 trap message: authPriv with a privacy key, else authNoPriv; not reportable.

    ``salt`` (8 bytes) must not repeat for one key: the caller counts (RFC 3826 section 3.1.2.1).
    """
    keys = sender.keys
    pdu = trap_pdu(request_id, uptime_cs, trap_oid, varbinds)
    msg_data = encode_scoped_pdu(sender.engine_id, b"", pdu)
    flags = FLAG_AUTH
    priv_params = b""
    if keys.priv_key is not None:
        flags |= FLAG_PRIV
        priv_params = salt
        iv = aes_iv(sender.engine_boots, sender.engine_time, salt)
        msg_data = encode_octets(aes_encrypt(keys.priv_key, iv, msg_data))
    mac_length = keys.auth_protocol.mac_length
    envelope = V3Envelope(
        msg_id & 0x7FFFFFFF,
        MAX_SIZE,
        flags,
        sender.engine_id,
        sender.engine_boots,
        sender.engine_time,
        sender.user_name,
        mac_length,
        priv_params,
    )
    message, offset = encode_v3_message(envelope, msg_data)
    mac = keys.sign(message)
    return message[:offset] + mac + message[offset + mac_length :]


def link_varbinds(if_index: int, if_descr: str, up: bool) -> list[tuple[Oid, Value]]:
    """linkDown/linkUp's objects for one interface: ifIndex, ifAdminStatus, ifOperStatus (RFC
    2863 section 6), then ifDescr as vendors add it."""
    return [
        ((*IF_INDEX, if_index), Value(SnmpType.INTEGER, if_index)),
        ((*IF_ADMIN_STATUS, if_index), Value(SnmpType.INTEGER, 1)),
        ((*IF_OPER_STATUS, if_index), Value(SnmpType.INTEGER, 1 if up else 2)),
        ((*IF_DESCR, if_index), Value(SnmpType.OCTET_STRING, if_descr.encode())),
    ]
