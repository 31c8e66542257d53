"""SNMPv3 User-based Security Model: keys, authentication and privacy.

RFC 3414 (password-to-key, key localization, HMAC-MD5/SHA-96), RFC 7860 (HMAC-SHA-2 with
truncated MACs) and RFC 3826 (AES-128-CFB with the engine boots/time + salt IV).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 43 keeps CFB among the "decrepit" modes
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from collector.secrets import Secret

_PASSWORD_BYTES = 1_048_576  # RFC 3414 A.2: hash one megabyte of the repeated password


class AuthProtocol(enum.Enum):
    """Value = (hashlib name, MAC length in bytes). Names match the inventory's protocol keys."""

    MD5 = ("md5", 12)  # usmHMACMD5AuthProtocol
    SHA1 = ("sha1", 12)  # usmHMACSHAAuthProtocol
    SHA224 = ("sha224", 16)  # usmHMAC128SHA224AuthProtocol
    SHA256 = ("sha256", 24)  # usmHMAC192SHA256AuthProtocol
    SHA384 = ("sha384", 32)  # usmHMAC256SHA384AuthProtocol
    SHA512 = ("sha512", 48)  # usmHMAC384SHA512AuthProtocol

    @property
    def hash_name(self) -> str:
        return self.value[0]

    @property
    def mac_length(self) -> int:
        return self.value[1]

    @classmethod
    def from_key(cls, key: str) -> AuthProtocol:
        """``"sha256"`` -> SHA256, as the inventory spells protocols."""
        for proto in cls:
            if proto.hash_name == key.lower():
                return proto
        raise ValueError(f"unknown SNMPv3 auth protocol {key!r}")


class PrivProtocol(enum.Enum):
    AES128 = "aes128"  # usmAesCfb128Protocol

    @classmethod
    def from_key(cls, key: str) -> PrivProtocol:
        try:
            return cls(key.lower())
        except ValueError:
            raise ValueError(f"unsupported SNMPv3 privacy protocol {key!r}") from None


@dataclass(frozen=True, slots=True)
class UsmUser:
    """A v3 user: passwords stay :class:`Secret` (redacted in repr)."""

    name: bytes
    auth_protocol: AuthProtocol
    auth_password: Secret
    priv_protocol: PrivProtocol | None = None
    priv_password: Secret | None = None

    def __post_init__(self) -> None:
        if (self.priv_protocol is None) != (self.priv_password is None):
            raise ValueError("a privacy protocol needs a privacy password and vice versa")


def password_to_key(password: bytes, proto: AuthProtocol) -> bytes:
    """RFC 3414 A.2 (and RFC 7860 for SHA-2): the non-localized master key Ku."""
    if not password:
        raise ValueError("an SNMPv3 password must not be empty")
    repeated = password * (_PASSWORD_BYTES // len(password) + 1)
    return hashlib.new(proto.hash_name, repeated[:_PASSWORD_BYTES]).digest()


def localize_key(master: bytes, engine_id: bytes, proto: AuthProtocol) -> bytes:
    """RFC 3414 section 2.6: Kul = H(Ku || snmpEngineID || Ku)."""
    return hashlib.new(proto.hash_name, master + engine_id + master).digest()


@dataclass(frozen=True, slots=True)
class LocalizedKeys:
    auth_protocol: AuthProtocol
    auth_key: bytes
    priv_key: bytes | None  # 16 bytes for AES-128

    def __repr__(self) -> str:
        return f"LocalizedKeys({self.auth_protocol.name}, <secret>)"

    def sign(self, message: bytes) -> bytes:
        """The truncated HMAC of a whole message whose auth parameters are zeros."""
        proto = self.auth_protocol
        return hmac.digest(self.auth_key, message, proto.hash_name)[: proto.mac_length]

    def verify(self, message: bytes, offset: int, mac: bytes) -> bool:
        """Check ``mac``, found at ``offset`` in ``message``, against the message's HMAC."""
        n = self.auth_protocol.mac_length
        if len(mac) != n:
            return False
        zeroed = message[:offset] + bytes(n) + message[offset + n :]
        return hmac.compare_digest(self.sign(zeroed), mac)


class KeyCache:
    """Master keys per (protocol, password) and localized keys per (user, engineID), lazily."""

    def __init__(self) -> None:
        self._masters: dict[tuple[AuthProtocol, Secret], bytes] = {}
        self._localized: dict[tuple[UsmUser, bytes], LocalizedKeys] = {}

    def __len__(self) -> int:
        return len(self._localized)

    def _master(self, proto: AuthProtocol, password: Secret) -> bytes:
        key = (proto, password)
        master = self._masters.get(key)
        if master is None:
            master = password_to_key(password.reveal().encode(), proto)
            self._masters[key] = master
        return master

    def keys(self, user: UsmUser, engine_id: bytes) -> LocalizedKeys:
        cache_key = (user, engine_id)
        found = self._localized.get(cache_key)
        if found is not None:
            return found
        proto = user.auth_protocol
        auth = localize_key(self._master(proto, user.auth_password), engine_id, proto)
        priv = None
        if user.priv_password is not None:
            # RFC 3826 section 3.1.2.1: the priv key is localized with the auth hash, then cut.
            priv_master = self._master(proto, user.priv_password)
            priv = localize_key(priv_master, engine_id, proto)[:16]
        found = LocalizedKeys(proto, auth, priv)
        self._localized[cache_key] = found
        return found


def aes_iv(engine_boots: int, engine_time: int, salt: bytes) -> bytes:
    """RFC 3826 section 3.1.2.1: IV = boots (4) || time (4) || salt (8)."""
    return engine_boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt


def aes_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return enc.update(plaintext) + enc.finalize()


def aes_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    return dec.update(ciphertext) + dec.finalize()


class SaltCounter:
    """RFC 3826: a 64-bit integer, started at random and incremented per encrypted message."""

    def __init__(self, start: int) -> None:
        self._next = start & 0xFFFFFFFFFFFFFFFF

    def next(self) -> bytes:
        salt = self._next
        self._next = (salt + 1) & 0xFFFFFFFFFFFFFFFF
        return salt.to_bytes(8, "big")
