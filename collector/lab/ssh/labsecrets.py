"""The secrets a lab AP prints in its configuration: RADIUS key, SNMP community, local user
password and enable hash.

They exist so that the product's config masking is tested against real vendor syntax with values
a test can predict: each is a prefix plus hex of sha256("pubwifi-lab-secret\\0{kind}\\0{ap_id}"),
different per AP and per kind, stable across runs. Lab values only; never real credentials.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LabSecrets:
    radius_key: str  # rad- + 16 hex
    snmp_community: str  # cmty- + 12 hex
    user_password: str  # pw- + 12 hex
    enable_hash: str  # $9$ + 14 hex + $ + 40 hex (IOS type-9 look)

    def all(self) -> tuple[str, ...]:
        """Every secret value, for "none of these may appear" checks."""
        return (self.radius_key, self.snmp_community, self.user_password, self.enable_hash)


def _hex(kind: str, ap_id: str) -> str:
    return hashlib.sha256(f"pubwifi-lab-secret\0{kind}\0{ap_id}".encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def lab_secrets(ap_id: str) -> LabSecrets:
    """The AP's secrets (cached: a config listing asks several times)."""
    enable = _hex("enable_hash", ap_id)
    return LabSecrets(
        radius_key="rad-" + _hex("radius_key", ap_id)[:16],
        snmp_community="cmty-" + _hex("snmp_community", ap_id)[:12],
        user_password="pw-" + _hex("user_password", ap_id)[:12],
        enable_hash="$9$" + enable[:14] + "$" + enable[14:54],
    )
