"""SNMPv3 USM users for notifications, and the senders' engine ids learned (pysnmp).

A trap sender is the authoritative engine of its own messages, so its USM user must be known
to the receiver under the sender's snmpEngineID, with keys localized to that id (RFC 3414
section 2.6). The inventory names the users but not the engine ids, so they are learned: the
first time a v3 message from an AP's address carries an engine id not yet known for it, its
HMAC is checked here against the AP's own auth key localized to that id; only if it matches is
the user added to pysnmp's USM table for that engine id (an AP that changes engine id, e.g. a
replaced unit, replaces its entry). A forged message cannot grow the table. Each auth's
passphrases are turned into master keys once (1 MiB of hashing each); localizing is one hash.

The same users are also configured for the receiver's own engine id, so that senders can
discover it and send INFORMs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.proto import error as pysnmp_error
from pysnmp.proto import rfc1902

from collector.inventory.model import SnmpAuthProtocol, SnmpPrivProtocol, SnmpV3Auth

log = logging.getLogger(__name__)

AUTH_PROTOCOLS = {
    SnmpAuthProtocol.SHA256: config.USM_AUTH_HMAC192_SHA256,
    SnmpAuthProtocol.SHA384: config.USM_AUTH_HMAC256_SHA384,
    SnmpAuthProtocol.SHA512: config.USM_AUTH_HMAC384_SHA512,
    SnmpAuthProtocol.SHA224: config.USM_AUTH_HMAC128_SHA224,
    SnmpAuthProtocol.SHA1: config.USM_AUTH_HMAC96_SHA,
    SnmpAuthProtocol.MD5: config.USM_AUTH_HMAC96_MD5,
}
PRIV_PROTOCOLS = {
    SnmpPrivProtocol.AES128: config.USM_PRIV_CFB128_AES,
    SnmpPrivProtocol.AES192: config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    SnmpPrivProtocol.AES256: config.USM_PRIV_CFB256_AES_BLUMENTHAL,
    SnmpPrivProtocol.DES: config.USM_PRIV_CBC56_DES,
}


@dataclass(frozen=True, slots=True)
class UserKeys:
    """One v3 auth's user and master keys (never logged: the repr hides them)."""

    auth_name: str
    user: bytes
    auth_protocol: tuple[int, ...]
    priv_protocol: tuple[int, ...]
    auth_master: rfc1902.OctetString
    priv_master: rfc1902.OctetString

    def __repr__(self) -> str:
        return f"UserKeys({self.auth_name!r}, <secret>)"

    @classmethod
    def of(cls, auth: SnmpV3Auth, user: str, auth_key: str, priv_key: str) -> UserKeys:
        auth_protocol = AUTH_PROTOCOLS[auth.auth_protocol]
        priv_protocol = PRIV_PROTOCOLS[auth.priv_protocol]
        auth_service = config.AUTH_SERVICES[auth_protocol]
        priv_service = config.PRIV_SERVICES[priv_protocol]
        return cls(
            auth.name,
            user.encode(),
            auth_protocol,
            priv_protocol,
            auth_service.hash_passphrase(rfc1902.OctetString(auth_key)),
            priv_service.hash_passphrase(auth_protocol, rfc1902.OctetString(priv_key)),
        )

    def verifies(self, engine_id: bytes, auth_params: bytes, whole: bytes) -> bool:
        """Whether ``whole``'s HMAC is right for this user's key localized to ``engine_id``."""
        service = config.AUTH_SERVICES[self.auth_protocol]
        local = service.localize_key(self.auth_master, rfc1902.OctetString(engine_id))
        try:
            service.authenticate_incoming_message(local, rfc1902.OctetString(auth_params), whole)
        except (pysnmp_error.StatusInformation, pysnmp_error.ProtocolError):
            return False
        return True


class EngineIds:
    """The USM table of a pysnmp engine: users per learned sender engine id."""

    def __init__(self, engine: SnmpEngine, users: Iterable[UserKeys]) -> None:
        self._engine = engine
        self._by_auth = {u.auth_name: u for u in users}
        self._of_ap: dict[str, bytes] = {}  # AP id -> its engine id
        self._aps_of: dict[tuple[bytes, bytes], set[str]] = {}  # (engine id, user) -> APs
        seen: set[bytes] = set()
        for keys in self._by_auth.values():
            if keys.user in seen:  # two auths with one user name: the first answers INFORMs
                log.warning("v3 auth %r: user already configured for INFORMs", keys.auth_name)
                continue
            seen.add(keys.user)
            self._add(keys, None)

    def __len__(self) -> int:
        """Sender engine ids learned (for a gauge)."""
        return len(self._aps_of)

    def keys(self, auth_name: str) -> UserKeys | None:
        return self._by_auth.get(auth_name)

    def knows(self, ap_id: str, engine_id: bytes) -> bool:
        return self._of_ap.get(ap_id) == engine_id

    def learn(self, ap_id: str, keys: UserKeys, engine_id: bytes) -> None:
        """Configure ``keys`` for ``engine_id`` (checked by the caller), for ``ap_id``."""
        old = self._of_ap.get(ap_id)
        if old == engine_id:
            return
        entry = (engine_id, keys.user)
        if entry not in self._aps_of:
            self._add(keys, engine_id)
            self._aps_of[entry] = set()
        self._aps_of[entry].add(ap_id)
        self._of_ap[ap_id] = engine_id
        if old is not None:
            previous = (old, keys.user)
            holders = self._aps_of.get(previous, set())
            holders.discard(ap_id)
            if not holders:
                self._aps_of.pop(previous, None)
                config.delete_v3_user(
                    self._engine, keys.user, securityEngineId=rfc1902.OctetString(old)
                )
        log.info("%s: engine id %s learned", ap_id, engine_id.hex())

    def _add(self, keys: UserKeys, engine_id: bytes | None) -> None:
        config.add_v3_user(
            self._engine,
            keys.user,
            keys.auth_protocol,
            keys.auth_master,
            keys.priv_protocol,
            keys.priv_master,
            securityEngineId=None if engine_id is None else rfc1902.OctetString(engine_id),
            authKeyType=config.USM_KEY_TYPE_MASTER,
            privKeyType=config.USM_KEY_TYPE_MASTER,
        )
