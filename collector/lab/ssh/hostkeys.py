"""Each lab AP's SSH host key: Ed25519, derived from (lab seed, AP id), so it is stable across
restarts, differs per AP, and can be written into a known_hosts file before the lab starts.

Derivation: private key = sha256("pubwifi-lab-ssh-host-key\\0{seed}\\0{ap_id}") (32 bytes, the
Ed25519 seed). The separators keep ("1", "23") and ("12", "3") apart. Lab keys only: anyone
who knows the seed knows the key. The ``ssh_host_key_changed`` fault serves the *rotated* key,
sha256("...\\0{seed}\\0{ap_id}\\0rotated"): what a client sees when an AP was replaced or
impersonated.
"""

from __future__ import annotations

import hashlib

import asyncssh
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

Seed = str | int


def _private_key(seed: Seed, ap_id: str, rotated: bool = False) -> Ed25519PrivateKey:
    material = f"pubwifi-lab-ssh-host-key\0{seed}\0{ap_id}"
    if rotated:
        material += "\0rotated"
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(material.encode()).digest())


def public_key_openssh(seed: Seed, ap_id: str, *, rotated: bool = False) -> str:
    """``ssh-ed25519 AAAA...`` for the AP (its rotated key with ``rotated``)."""
    public = _private_key(seed, ap_id, rotated).public_key()
    return public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()


def known_hosts_line(
    ap_address: str, port: int, ap_id: str, seed: Seed, *, rotated: bool = False
) -> str:
    """The OpenSSH known_hosts entry for the AP (``[addr]:port`` unless the port is 22)."""
    host = ap_address if port == 22 else f"[{ap_address}]:{port}"
    return f"{host} {public_key_openssh(seed, ap_id, rotated=rotated)}"


def ssh_host_key(seed: Seed, ap_id: str, *, rotated: bool = False) -> asyncssh.SSHKey:
    """The AP's host key as asyncssh serves it."""
    pem = _private_key(seed, ap_id, rotated).private_bytes(
        Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()
    )
    return asyncssh.import_private_key(pem)


def rotated_host_key(seed: Seed, ap_id: str) -> asyncssh.SSHKey:
    """The key an AP with the ``ssh_host_key_changed`` fault serves instead of its own."""
    return ssh_host_key(seed, ap_id, rotated=True)


class HostKeys:
    """Host keys derived on first use and kept: start-up costs nothing per AP."""

    def __init__(self, seed: Seed) -> None:
        self._seed = seed
        self._keys: dict[tuple[str, bool], asyncssh.SSHKey] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, ap_id: str, *, rotated: bool = False) -> asyncssh.SSHKey:
        key = self._keys.get((ap_id, rotated))
        if key is None:
            key = self._keys[(ap_id, rotated)] = ssh_host_key(self._seed, ap_id, rotated=rotated)
        return key
