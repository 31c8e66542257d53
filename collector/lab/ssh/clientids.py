"""Who the lab's associated clients are: a MAC, an IP and a device name per client.

The CLIs list clients one row each, with identifiers, as real APs do, so the collector has to
count rows and throw the identities away. Identities are derived from (AP, band, SSID, index)
so tests can compute every MAC a CLI printed (:func:`client_macs`) and prove none was stored.
MACs are locally administered (``02:``) so they can never be a real device's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

_DEVICES = ("galaxy-s23", "iphone-15", "pixel-8", "galaxy-tab", "macbook", "lg-gram", "ipad")


@dataclass(frozen=True, slots=True)
class ClientId:
    mac: str  # lowercase colon form, 02:xx:xx:xx:xx:xx
    ip: str  # 10.20-29.x.x
    name: str  # galaxy-s23-1a2b

    @property
    def cisco_mac(self) -> str:
        """IOS dotted form ``0211.2233.4455``."""
        digits = self.mac.replace(":", "")
        return f"{digits[0:4]}.{digits[4:8]}.{digits[8:12]}"


def client_identity(ap_id: str, band: str, ssid: str, index: int) -> ClientId:
    digest = hashlib.sha256(f"pubwifi-lab-client\0{ap_id}\0{band}\0{ssid}\0{index}".encode())
    d = digest.digest()
    mac = "02:" + ":".join(f"{b:02x}" for b in d[:5])
    ip = f"10.{20 + d[5] % 10}.{d[6]}.{1 + d[7] % 254}"
    name = f"{_DEVICES[d[8] % len(_DEVICES)]}-{d[9]:02x}{d[10]:02x}"
    return ClientId(mac, ip, name)


def client_macs(ap_id: str, counts: Mapping[tuple[str, str], int]) -> set[str]:
    """Every MAC a CLI prints for ``counts`` ((band, SSID) -> clients) on ``ap_id``."""
    return {
        client_identity(ap_id, band, ssid, index).mac
        for (band, ssid), n in counts.items()
        for index in range(n)
    }
