"""The fleet as frozen, typed objects: what every other part of pubwifi reads.

Built only by :mod:`collector.inventory.load`, after strict validation and after
defaults -> groups -> AP inheritance has been resolved, so consumers never see a partial AP.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from collector.secrets import SecretRef

T = TypeVar("T")


def fast_pickle(cls: type[T]) -> type[T]:
    """Pickle a frozen slots dataclass as ``cls(*values)``: the inventory cache loads 34,000
    APs in a third of the time dataclasses' own ``__setstate__`` takes (it calls ``fields()``
    per object)."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    values: Callable[[Any], Any] = operator.attrgetter(*names)

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


class Mount(enum.StrEnum):
    SMART_POLE = "smart_pole"  # 통합 스마트폴
    STREETLIGHT_POLE = "streetlight_pole"  # 가로등주
    TRAFFIC_LIGHT_POLE = "traffic_light_pole"  # 신호등주
    CCTV_POLE = "cctv_pole"  # CCTV지주
    INDOOR = "indoor"  # 실내
    BUS_STOP = "bus_stop"  # 버스정류소
    PARK = "park"  # 공원
    OTHER = "other"  # 기타


class Footfall(enum.StrEnum):
    """How many people pass a site (유동인구): scales the lab's traffic and prioritises rollout."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


class WifiStandard(enum.StrEnum):
    WIFI4 = "wifi4"  # 802.11n
    WIFI5 = "wifi5"  # 802.11ac
    WIFI6 = "wifi6"  # 802.11ax
    WIFI6E = "wifi6e"  # 802.11ax, 6 GHz
    WIFI7 = "wifi7"  # 802.11be

    @property
    def is_wifi6_or_later(self) -> bool:
        return self in (WifiStandard.WIFI6, WifiStandard.WIFI6E, WifiStandard.WIFI7)


class Lifecycle(enum.StrEnum):
    """NetBox's lifecycle vocabulary."""

    PLANNED = "planned"
    STAGED = "staged"
    ACTIVE = "active"
    FAILED = "failed"
    OFFLINE = "offline"
    DECOMMISSIONING = "decommissioning"

    @property
    def is_polled(self) -> bool:
        """Whether collectors should expect an answer from an AP in this state."""
        return not (self is Lifecycle.PLANNED or self is Lifecycle.DECOMMISSIONING)


class SnmpAuthProtocol(enum.StrEnum):
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"
    SHA224 = "sha224"
    SHA1 = "sha1"  # legacy; accepted for old devices
    MD5 = "md5"  # legacy; accepted for old devices


class SnmpPrivProtocol(enum.StrEnum):
    AES128 = "aes128"
    AES192 = "aes192"
    AES256 = "aes256"
    DES = "des"  # legacy; accepted for old devices


class KnownHostsPolicy(enum.StrEnum):
    """How SSH host keys are checked. There is deliberately no 'ignore'."""

    STRICT = "strict"  # key must already be in the known-hosts file
    ACCEPT_NEW = "accept-new"  # first key seen is recorded, a changed key is refused (TOFU)


@fast_pickle
@dataclass(frozen=True, slots=True)
class District:
    code: str  # 시군구 코드, e.g. "11110"
    name_en: str
    name_ko: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    district: District
    dong: str
    lat: float
    lon: float
    mount: Mount
    footfall: Footfall


@fast_pickle
@dataclass(frozen=True, slots=True)
class SnmpV3Auth:
    name: str
    user: SecretRef
    auth_protocol: SnmpAuthProtocol
    auth_key: SecretRef
    priv_protocol: SnmpPrivProtocol
    priv_key: SecretRef
    version: str = "3"

    def refs(self) -> tuple[SecretRef, ...]:
        return (self.user, self.auth_key, self.priv_key)


@fast_pickle
@dataclass(frozen=True, slots=True)
class SnmpV2cAuth:
    name: str
    community: SecretRef
    version: str = "2c"

    def refs(self) -> tuple[SecretRef, ...]:
        return (self.community,)


SnmpAuth = SnmpV3Auth | SnmpV2cAuth


@fast_pickle
@dataclass(frozen=True, slots=True)
class SshAuth:
    name: str
    user: SecretRef
    password: SecretRef | None
    key_file: SecretRef | None
    known_hosts: KnownHostsPolicy
    known_hosts_file: str | None  # None: pubwifi's own file under the data directory

    def refs(self) -> tuple[SecretRef, ...]:
        return tuple(r for r in (self.user, self.password, self.key_file) if r is not None)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Replacement:
    """A planned swap, e.g. to Wi-Fi 6 in 2025Q3 (the rollout tracks plan against reality)."""

    model: str
    standard: WifiStandard
    quarter: str  # "2025Q3"


VarValue = str | int | bool


class Vars(Mapping[str, VarValue]):
    """An AP's template variables: read-only and hashable, because an AP is frozen and hashable.

    APs of the same groups share one instance (34,000 APs, a handful of distinct group lists).
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, VarValue] | None = None) -> None:
        self._data: dict[str, VarValue] = dict(data) if data else {}

    def __getitem__(self, key: str) -> VarValue:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"Vars({self._data!r})"


#: The empty ``vars`` every AP without variables shares.
NO_VARS = Vars()


@fast_pickle
@dataclass(frozen=True, slots=True)
class AccessPoint:
    id: str
    site: Site
    address: ipaddress.IPv4Address
    platform: str  # vendor profile key: collector/profiles/<platform>.yaml
    model: str
    standard: WifiStandard
    installed: dt.date | None
    status: Lifecycle
    snmp_auth: SnmpAuth
    ssh_auth: SshAuth
    snmp_port: int
    ssh_port: int
    groups: tuple[str, ...] = ()
    replacement: Replacement | None = None
    new_in: str | None = None  # a new AP of the rollout programme: its planned quarter, "2025Q3"
    line: int = 0  # where the AP is declared, for messages
    # provisioning template variables, resolved defaults -> groups (in order) -> AP; read-only
    vars: Vars = NO_VARS

    @property
    def district(self) -> District:
        return self.site.district


@dataclass(frozen=True, slots=True)
class Inventory:
    path: str
    districts: Mapping[str, District]
    sites: Mapping[str, Site]
    snmp_auths: Mapping[str, SnmpAuth]
    ssh_auths: Mapping[str, SshAuth]
    aps: tuple[AccessPoint, ...]
    _by_id: Mapping[str, AccessPoint] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[AccessPoint]:
        return iter(self.aps)

    def __len__(self) -> int:
        return len(self.aps)

    def ap(self, ap_id: str) -> AccessPoint:
        return self._by_id[ap_id]

    def __contains__(self, ap_id: object) -> bool:
        """Whether an AP of this id is in the inventory."""
        return ap_id in self._by_id

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(ap.platform for ap in self.aps)

    def subset(self, keep: Callable[[str], bool]) -> Inventory:
        """The APs whose id ``keep`` accepts, with their sites (a worker's part of the fleet)."""
        aps = tuple(ap for ap in self.aps if keep(ap.id))
        sites = {ap.site.id: ap.site for ap in aps}
        return Inventory(
            path=self.path,
            districts=self.districts,
            sites=sites,
            snmp_auths=self.snmp_auths,
            ssh_auths=self.ssh_auths,
            aps=aps,
            _by_id={ap.id: ap for ap in aps},
        )

    def secret_refs(self) -> dict[SecretRef, list[str]]:
        """Every secret reference in use, with the auths that use it."""
        refs: dict[SecretRef, list[str]] = {}
        for auth in (*self.snmp_auths.values(), *self.ssh_auths.values()):
            for ref in auth.refs():
                refs.setdefault(ref, []).append(auth.name)
        return refs
