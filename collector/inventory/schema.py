"""The inventory file's shape, checked strictly (unknown keys and wrong types are errors).

This is the *file* schema; :mod:`collector.inventory.load` resolves it (inheritance, references)
into the frozen objects of :mod:`collector.inventory.model`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from collector.inventory.model import (
    Footfall,
    KnownHostsPolicy,
    Lifecycle,
    Mount,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    WifiStandard,
)

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
SecretText = Annotated[
    str,
    StringConstraints(pattern=r"^\$\{[A-Z_][A-Z0-9_]*\}$"),
]
Port = Annotated[int, Field(ge=1, le=65535)]
DistrictCode = (
    Annotated[str, StringConstraints(pattern=r"^11[0-9]{3}$")]
    | Annotated[int, Field(ge=11000, le=11999)]
)
# Enums are given as their text values in YAML; only they are read in lax mode.
MountField = Annotated[Mount, Field(strict=False)]
FootfallField = Annotated[Footfall, Field(strict=False)]
StandardField = Annotated[WifiStandard, Field(strict=False)]
LifecycleField = Annotated[Lifecycle, Field(strict=False)]
AuthProtocolField = Annotated[SnmpAuthProtocol, Field(strict=False)]
PrivProtocolField = Annotated[SnmpPrivProtocol, Field(strict=False)]
KnownHostsField = Annotated[KnownHostsPolicy, Field(strict=False)]
Quarter = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}Q[1-4]$")]
# Variables for provisioning templates (``{{ vars.channel_5g }}``): lower-case names so they read
# the same in YAML and Jinja2, and scalar values only (a list or float in a CLI line is a bug).
VarName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
VarValue = str | int | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SnmpV3AuthFile(Strict):
    version: Literal[3]
    user: SecretText
    auth_protocol: AuthProtocolField
    auth_key: SecretText
    priv_protocol: PrivProtocolField
    priv_key: SecretText


class SnmpV2cAuthFile(Strict):
    version: Literal["2c"]
    community: SecretText


class SshAuthFile(Strict):
    user: SecretText
    password: SecretText | None = None
    key_file: SecretText | None = None
    known_hosts: KnownHostsField = KnownHostsPolicy.STRICT
    known_hosts_file: str | None = None


class Auths(Strict):
    snmp: dict[Name, Annotated[SnmpV3AuthFile | SnmpV2cAuthFile, Field(discriminator="version")]]
    ssh: dict[Name, SshAuthFile]


class Ports(Strict):
    snmp: Port | None = None
    ssh: Port | None = None


class Inheritable(Strict):
    """What defaults and groups may set for the APs that use them."""

    platform: Name | None = None
    model: str | None = None
    standard: StandardField | None = None
    status: LifecycleField | None = None
    snmp_auth: Name | None = None
    ssh_auth: Name | None = None
    ports: Ports | None = None
    vars: dict[VarName, VarValue] | None = None


class SiteFile(Strict):
    name: str = Field(min_length=1)
    district: DistrictCode
    dong: str = Field(min_length=1)
    lat: float
    lon: float
    mount: MountField
    footfall: FootfallField


class ReplacementFile(Strict):
    model: str = Field(min_length=1)
    standard: StandardField
    quarter: Quarter


class ApFile(Inheritable):
    id: Name
    site: Name
    address: str
    installed: dt.date | None = None
    groups: list[Name] = Field(default_factory=list)
    replacement: ReplacementFile | None = None
    # a new AP of the rollout programme: the quarter it is planned to go live (kept after it does)
    new_in: Quarter | None = None


class InventoryFile(Strict):
    version: Literal[1]
    auths: Auths
    defaults: Inheritable = Inheritable()
    groups: dict[Name, Inheritable] = Field(default_factory=dict)
    sites: dict[Name, SiteFile]
    aps: list[ApFile]
