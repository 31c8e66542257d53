"""USM keys and crypto against RFC 3414 A.3 vectors and two independent implementations."""

from __future__ import annotations

import hashlib

import gufo.snmp as gufo
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pyasn1.type import univ  # type: ignore[import-untyped]
from pysnmp.proto.secmod.rfc3414 import localkey as pysnmp_localkey

from collector.lab.snmp import usm
from collector.lab.snmp.usm import (
    AuthProtocol,
    KeyCache,
    LocalizedKeys,
    PrivProtocol,
    SaltCounter,
    UsmUser,
    aes_decrypt,
    aes_encrypt,
    aes_iv,
    localize_key,
    password_to_key,
)
from collector.secrets import Secret

RFC_ENGINE_ID = bytes.fromhex("000000000000000000000002")


def test_rfc3414_a3_1_md5_vectors() -> None:
    master = password_to_key(b"maplesyrup", AuthProtocol.MD5)
    assert master.hex() == "9faf3283884e92834ebc9847d8edd963"
    localized = localize_key(master, RFC_ENGINE_ID, AuthProtocol.MD5)
    assert localized.hex() == "526f5eed9fcce26f8964c2930787d82b"


def test_rfc3414_a3_2_sha_vectors() -> None:
    master = password_to_key(b"maplesyrup", AuthProtocol.SHA1)
    assert master.hex() == "9fb5cc0381497b3793528939ff788d5d79145211"
    localized = localize_key(master, RFC_ENGINE_ID, AuthProtocol.SHA1)
    assert localized.hex() == "6695febc9288e36282235fc7151f128497b38f3f"


GUFO_KEYS = {
    AuthProtocol.MD5: gufo.Md5Key,
    AuthProtocol.SHA1: gufo.Sha1Key,
    AuthProtocol.SHA224: gufo.Sha224Key,
    AuthProtocol.SHA256: gufo.Sha256Key,
    AuthProtocol.SHA384: gufo.Sha384Key,
    AuthProtocol.SHA512: gufo.Sha512Key,
}


@pytest.mark.parametrize("proto", list(AuthProtocol))
def test_sha2_keys_match_gufo_and_pysnmp(proto: AuthProtocol) -> None:
    """RFC 7860 gives no vectors; gufo_snmp (Rust) and pysnmp are independent references."""
    password, engine_id = b"lab-password-1", bytes.fromhex("80001f8805a1b2c3d4e5f6")
    master = password_to_key(password, proto)
    localized = localize_key(master, engine_id, proto)
    assert master == GUFO_KEYS[proto].get_master_key(password)
    assert localized == GUFO_KEYS[proto].get_localized_key(master, engine_id)
    reference = pysnmp_localkey.password_to_key(
        password, univ.OctetString(engine_id), getattr(hashlib, proto.hash_name)
    )
    assert localized == bytes(reference)


@pytest.mark.parametrize(
    ("proto", "length"),
    [
        (AuthProtocol.MD5, 12),
        (AuthProtocol.SHA1, 12),
        (AuthProtocol.SHA224, 16),
        (AuthProtocol.SHA256, 24),
        (AuthProtocol.SHA384, 32),
        (AuthProtocol.SHA512, 48),
    ],
)
def test_mac_is_truncated_per_rfc7860_and_verifies(proto: AuthProtocol, length: int) -> None:
    keys = LocalizedKeys(proto, b"k" * 32, None)
    message = b"\x30\x10" + bytes(length) + b"payload"
    mac = keys.sign(message)
    assert len(mac) == length
    signed = message[:2] + mac + message[2 + length :]
    assert keys.verify(signed, 2, mac)
    assert not keys.verify(signed, 2, bytes(length))
    assert not keys.verify(signed[:-1] + b"X", 2, mac)


def _cfb128_by_hand(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """RFC 3826 3.1.3 / NIST SP 800-38A CFB128 from the raw block cipher: C_i = P_i ^ E(C_i-1)."""
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - CFB built by hand
    out, feedback = b"", iv
    for i in range(0, len(plaintext), 16):
        block = plaintext[i : i + 16]
        stream = ecb.update(feedback)
        cipher = bytes(a ^ b for a, b in zip(block, stream, strict=False))
        out += cipher
        feedback = cipher
    return out


def test_aes_cfb_matches_the_definition_and_round_trips() -> None:
    key, iv = bytes(range(16)), aes_iv(7, 12345, b"saltsalt")
    assert iv == b"\x00\x00\x00\x07\x00\x00\x30\x39saltsalt"
    plaintext = b"scoped pdu bytes, not a multiple of 16"
    ciphertext = aes_encrypt(key, iv, plaintext)
    assert len(ciphertext) == len(plaintext)
    assert aes_decrypt(key, iv, ciphertext) == plaintext
    assert ciphertext == _cfb128_by_hand(key, iv, plaintext)


def _user() -> UsmUser:
    return UsmUser(
        b"lab",
        AuthProtocol.SHA256,
        Secret("authpass123"),
        PrivProtocol.AES128,
        Secret("privpass123"),
    )


def test_key_cache_localizes_once_per_user_and_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[AuthProtocol] = []
    real = usm.password_to_key

    def counting(password: bytes, proto: AuthProtocol) -> bytes:
        calls.append(proto)
        return real(password, proto)

    monkeypatch.setattr(usm, "password_to_key", counting)
    cache, user = KeyCache(), _user()
    first = cache.keys(user, b"engine-1")
    assert cache.keys(user, b"engine-1") is first
    second = cache.keys(user, b"engine-2")
    assert second.auth_key != first.auth_key and second.priv_key != first.priv_key
    assert len(calls) == 2  # one master key per password, shared by every engine
    assert len(cache) == 2
    assert first.priv_key is not None and len(first.priv_key) == 16
    assert (
        first.priv_key
        == localize_key(
            password_to_key(b"privpass123", AuthProtocol.SHA256), b"engine-1", AuthProtocol.SHA256
        )[:16]
    )


def test_secrets_stay_out_of_reprs() -> None:
    user = _user()
    keys = KeyCache().keys(user, b"engine")
    assert "authpass123" not in repr(user) and "privpass123" not in repr(user)
    assert keys.auth_key.hex() not in repr(keys)


def test_salt_counter_increments_and_wraps() -> None:
    salts = SaltCounter(2**64 - 1)
    assert salts.next() == b"\xff" * 8
    assert salts.next() == bytes(8)


def test_protocol_keys_and_bad_inputs() -> None:
    assert AuthProtocol.from_key("SHA256") is AuthProtocol.SHA256
    assert PrivProtocol.from_key("aes128") is PrivProtocol.AES128
    with pytest.raises(ValueError, match="unsupported"):
        PrivProtocol.from_key("des")
    with pytest.raises(ValueError, match="empty"):
        password_to_key(b"", AuthProtocol.SHA256)
    with pytest.raises(ValueError, match="privacy"):
        UsmUser(b"u", AuthProtocol.SHA256, Secret("x" * 8), PrivProtocol.AES128, None)
