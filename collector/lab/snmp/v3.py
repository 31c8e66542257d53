"""The agent's side of SNMPv3 USM message processing (RFC 3414 section 3.2) and its Reports.

Checks in the RFC's order: engineID (discovery), user name, security level, digest, time window,
decryption. Each failure is counted in :class:`UsmStats` and, when the request is reportable,
answered with a Report carrying the counter (usmStats*), as net-snmp's agent does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from collector.lab.mibview import SnmpType, Value
from collector.lab.snmp.ber import (
    REPORT,
    BerError,
    encode_octets,
    encode_pdu_from_varbinds,
    encode_varbind,
)
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    SECURITY_MODEL_USM,
    ScopedPdu,
    UsmParameters,
    V3Envelope,
    V3Message,
    decode_scoped_pdu,
    encode_scoped_pdu,
    encode_v3_message,
)
from collector.lab.snmp.usm import (
    KeyCache,
    LocalizedKeys,
    SaltCounter,
    aes_decrypt,
    aes_encrypt,
    aes_iv,
)

TIME_WINDOW = 150  # seconds, RFC 3414 section 2.2.3
OUR_MAX_SIZE = 65507
_USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)


@dataclass(slots=True)
class UsmStats:
    """usmStats* (RFC 3414 section 5) plus the v3 drops that precede them."""

    unsupported_sec_levels: int = 0  # .1
    not_in_time_windows: int = 0  # .2
    unknown_user_names: int = 0  # .3
    unknown_engine_ids: int = 0  # .4
    wrong_digests: int = 0  # .5
    decryption_errors: int = 0  # .6
    unknown_security_models: int = 0  # snmpUnknownSecurityModels (dropped)
    invalid_msgs: int = 0  # snmpInvalidMsgs: priv without auth, plaintext with priv flag, ...
    reports_sent: int = 0


@dataclass(slots=True)
class Unwrapped:
    """A v3 request that passed every check: what the agent answers."""

    message: V3Message
    usm: UsmParameters
    scoped: ScopedPdu
    keys: LocalizedKeys | None


class V3Security:
    """Unwraps v3 requests and wraps their responses for any device (keys cached per engine)."""

    def __init__(self, keys: KeyCache | None = None, salt_seed: int | None = None) -> None:
        self.keys = keys if keys is not None else KeyCache()
        self.stats = UsmStats()
        seed = salt_seed if salt_seed is not None else random.getrandbits(64)
        self._salt = SaltCounter(seed)

    def unwrap(
        self, raw: bytes, msg: V3Message, device: AgentDevice, now: float
    ) -> Unwrapped | bytes | None:
        """The request to answer, a Report (bytes) to send back, or None to drop."""
        usm = msg.usm
        stats = self.stats
        if usm is None or msg.security_model != SECURITY_MODEL_USM:
            stats.unknown_security_models += 1
            return None
        flags = msg.flags
        if flags & FLAG_PRIV and not flags & FLAG_AUTH:
            stats.invalid_msgs += 1
            return None
        if usm.engine_id != device.engine_id:
            stats.unknown_engine_ids += 1
            return self._report(msg, device, now, 4, stats.unknown_engine_ids)
        user = device.v3_user
        if user is None or usm.user_name != user.name:
            stats.unknown_user_names += 1
            return self._report(msg, device, now, 3, stats.unknown_user_names)
        wanted = FLAG_AUTH | (FLAG_PRIV if user.priv_protocol is not None else 0)
        if flags & (FLAG_AUTH | FLAG_PRIV) != wanted:
            stats.unsupported_sec_levels += 1
            return self._report(msg, device, now, 1, stats.unsupported_sec_levels)
        keys = self.keys.keys(user, device.engine_id)
        if not keys.verify(raw, usm.auth_offset, usm.auth_params):
            stats.wrong_digests += 1
            return self._report(msg, device, now, 5, stats.wrong_digests)
        skew = abs(usm.engine_time - device.engine_time(now))
        if usm.engine_boots != device.engine_boots or skew > TIME_WINDOW:
            stats.not_in_time_windows += 1
            return self._report(msg, device, now, 2, stats.not_in_time_windows, keys)
        scoped = msg.scoped_pdu
        if flags & FLAG_PRIV:
            scoped = self._decrypt(msg, usm, keys)
            if scoped is None:
                stats.decryption_errors += 1
                return self._report(msg, device, now, 6, stats.decryption_errors)
        elif scoped is None:
            stats.invalid_msgs += 1
            return None
        return Unwrapped(msg, usm, scoped, keys)

    def _decrypt(self, msg: V3Message, usm: UsmParameters, keys: LocalizedKeys) -> ScopedPdu | None:
        if msg.encrypted_pdu is None or keys.priv_key is None or len(usm.priv_params) != 8:
            return None
        iv = aes_iv(usm.engine_boots, usm.engine_time, usm.priv_params)
        try:
            return decode_scoped_pdu(aes_decrypt(keys.priv_key, iv, msg.encrypted_pdu))
        except BerError:
            return None

    def wrap(self, request: Unwrapped, device: AgentDevice, now: float, pdu: bytes) -> bytes:
        """The response message around an encoded Response-PDU, encrypted and signed."""
        msg, keys = request.message, request.keys
        scoped = encode_scoped_pdu(
            request.scoped.context_engine_id, request.scoped.context_name, pdu
        )
        return self._seal(
            msg.msg_id,
            msg.flags & (FLAG_AUTH | FLAG_PRIV),
            request.usm.user_name,
            device,
            now,
            scoped,
            keys,
        )

    def _seal(
        self,
        msg_id: int,
        flags: int,
        user_name: bytes,
        device: AgentDevice,
        now: float,
        scoped: bytes,
        keys: LocalizedKeys | None,
    ) -> bytes:
        boots, time = device.engine_boots, device.engine_time(now)
        priv_params = b""
        msg_data = scoped
        if flags & FLAG_PRIV and keys is not None and keys.priv_key is not None:
            priv_params = self._salt.next()
            iv = aes_iv(boots, time, priv_params)
            msg_data = encode_octets(aes_encrypt(keys.priv_key, iv, scoped))
        mac_length = keys.auth_protocol.mac_length if flags & FLAG_AUTH and keys else 0
        env = V3Envelope(
            msg_id,
            OUR_MAX_SIZE,
            flags,
            device.engine_id,
            boots,
            time,
            user_name,
            mac_length,
            priv_params,
        )
        message, offset = encode_v3_message(env, msg_data)
        if mac_length and keys is not None:
            mac = keys.sign(message)
            message = message[:offset] + mac + message[offset + mac_length :]
        return message

    def _report(
        self,
        msg: V3Message,
        device: AgentDevice,
        now: float,
        stat: int,
        count: int,
        keys: LocalizedKeys | None = None,
    ) -> bytes | None:
        if not msg.flags & FLAG_REPORTABLE:
            return None
        request_id = msg.scoped_pdu.pdu.request_id if msg.scoped_pdu is not None else 0
        value = Value(SnmpType.COUNTER32, count & 0xFFFFFFFF)
        varbind = encode_varbind((*_USM_STATS, stat, 0), value)
        pdu = encode_pdu_from_varbinds(REPORT, request_id, 0, 0, varbind)
        scoped = encode_scoped_pdu(device.engine_id, b"", pdu)
        user_name = msg.usm.user_name if msg.usm is not None else b""
        self.stats.reports_sent += 1
        flags = FLAG_AUTH if keys is not None else 0  # notInTimeWindow reports are authNoPriv
        return self._seal(msg.msg_id, flags, user_name, device, now, scoped, keys)
