"""From one request datagram and its device to the reply bytes: v2c, v3 and wire faults.

No sockets here (see :mod:`collector.lab.snmp.agent`), so every path is unit-testable.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from collector.lab.mibview import SnmpFault
from collector.lab.snmp.ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    SET_REQUEST,
    BerError,
)
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.message import (
    VERSION_2C,
    CommunityMessage,
    decode_message,
    encode_community_message,
)
from collector.lab.snmp.responder import TOO_BIG, answer
from collector.lab.snmp.v3 import Unwrapped, V3Security

MAX_RESPONSE = 1400  # bytes: replies stay below a typical path MTU
_ENVELOPE_MARGIN = 16  # the reply's envelope may be a few bytes longer than the request's
_REQUESTS = frozenset({GET_REQUEST, GET_NEXT_REQUEST, GET_BULK_REQUEST, SET_REQUEST})
#: What SnmpFault.MALFORMED sends: a SEQUENCE claiming 65,535 bytes, then junk.
MALFORMED_REPLY = b"\x30\x82\xff\xff\x02\x01\x01\x04\x06public\xa2\xff\xff"


@dataclass(slots=True)
class AgentCounters:
    """Every request and every way one is lost, by reason (attributes, cheap to bump)."""

    received: int = 0
    answered: int = 0
    not_loopback: int = 0  # destination outside 127.0.0.0/8: dropped
    no_device: int = 0  # no device at the destination: dropped
    fault_down: int = 0
    fault_slow: int = 0
    fault_malformed: int = 0
    fault_truncated: int = 0
    parse_errors: int = 0  # snmpInASNParseErrs
    bad_versions: int = 0  # v1 and unknown versions: dropped
    bad_communities: int = 0  # snmpInBadCommunityNames (also v2c to a v3-only device)
    unexpected_pdus: int = 0  # Response/Trap/Report sent to the agent: dropped
    too_big: int = 0  # tooBig answers
    v2c_requests: int = 0
    v3_requests: int = 0  # v3 requests that passed USM (excluding Reports sent)
    oversized: int = 0  # datagrams larger than the receive buffer: dropped
    recv_errors: int = 0  # recvmsg failed
    send_errors: int = 0  # sendmsg failed (buffer full, socket closed): reply lost
    internal_errors: int = 0  # a bug: counted and dropped, the agent keeps serving


class SnmpEngine:
    """Turns request bytes into reply bytes (or None) for a given device."""

    def __init__(self, max_response: int = MAX_RESPONSE, v3: V3Security | None = None) -> None:
        self.max_response = max_response
        self.counters = AgentCounters()
        self.v3 = v3 if v3 is not None else V3Security()

    def handle(self, data: bytes, device: AgentDevice, now: float) -> bytes | None:
        """The reply to send for ``data`` (faults applied, except SLOW's delay), or None."""
        counters = self.counters
        fault = device.fault
        if fault is SnmpFault.DOWN:
            counters.fault_down += 1
            return None
        if fault is SnmpFault.MALFORMED:
            counters.fault_malformed += 1
            return MALFORMED_REPLY
        try:
            reply = self._process(data, device, now)
        except BerError:
            counters.parse_errors += 1
            return None
        if reply is None:
            return None
        counters.answered += 1
        if fault is SnmpFault.TRUNCATED:
            counters.fault_truncated += 1
            return reply[: len(reply) // 2]
        return reply

    def _process(self, data: bytes, device: AgentDevice, now: float) -> bytes | None:
        msg = decode_message(data)
        counters = self.counters
        if isinstance(msg, CommunityMessage):
            return self._community(msg, len(data), device, now)
        unwrapped = self.v3.unwrap(data, msg, device, now)
        if not isinstance(unwrapped, Unwrapped):
            return unwrapped  # a Report, or None
        pdu = unwrapped.scoped.pdu
        if pdu.tag not in _REQUESTS:
            counters.unexpected_pdus += 1
            return None
        counters.v3_requests += 1
        limit = min(self.max_response, msg.max_size)
        budget = limit - (len(data) - pdu.size) - _ENVELOPE_MARGIN
        result = answer(pdu, device.view, now, budget)
        if result.error_status == TOO_BIG:
            counters.too_big += 1
        return self.v3.wrap(unwrapped, device, now, result.pdu)

    def _community(
        self, msg: CommunityMessage, size: int, device: AgentDevice, now: float
    ) -> bytes | None:
        counters = self.counters
        if msg.version != VERSION_2C:
            counters.bad_versions += 1
            return None
        if device.community is None or not hmac.compare_digest(msg.community, device.community):
            counters.bad_communities += 1
            return None
        if msg.pdu.tag not in _REQUESTS:
            counters.unexpected_pdus += 1
            return None
        counters.v2c_requests += 1
        budget = self.max_response - (size - msg.pdu.size) - _ENVELOPE_MARGIN
        result = answer(msg.pdu, device.view, now, budget)
        if result.error_status == TOO_BIG:
            counters.too_big += 1
        return encode_community_message(VERSION_2C, msg.community, result.pdu)
