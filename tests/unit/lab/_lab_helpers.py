"""Shared helpers for the lab's unit tests: generated inventories and credentials."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory

ENV = {
    "PUBWIFI_SNMP_COMMUNITY": "lab-community",
    "PUBWIFI_SNMP_V3_USER": "labuser",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "lab-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "lab-priv-key",
    "PUBWIFI_SSH_USER": "admin",
    "PUBWIFI_SSH_PASSWORD": "lab-ssh-password",
}
_DIR = Path(tempfile.mkdtemp(prefix="pubwifi-lab-tests-"))


@functools.cache
def generated(aps: int, seed: int = 2025, platform: str = "mixed", version: str = "3") -> Inventory:
    """A generated inventory of ``aps`` APs (cached per process)."""
    path = _DIR / f"inv-{aps}-{seed}-{platform}-{version}.yaml"
    path.write_text(
        generate(
            GenerateOptions(
                aps=aps,
                seed=seed,
                platform=platform,
                snmp_version=version,
                first_ip="127.30.0.1",
                snmp_port=16161,
                ssh_port=12222,
            )
        )
    )
    return load_inventory(path)
