"""Lab data per platform (one YAML file each): models, strings and the MIB tables served.

Loaded strictly (unknown keys, wrong types -> ``FILE:LINE: message``). Tables shared by every
platform live in ``_common.yaml`` and are pulled in by name with ``include``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.errors import InputError
from collector.yamlstrict import load_yaml, locate_validation_error

PLATFORM_DIR = Path(__file__).parent
Band = Literal["2.4GHz", "5GHz", "6GHz"]
RowKind = Literal["scalar", "interfaces", "radios", "chassis", "ssids", "radios_by_mac", "ap_mac"]
ValueType = Literal[
    "integer",
    "gauge",
    "counter32",
    "counter64",
    "timeticks",
    "string",
    "oid",
    "bytes",
    "ipaddress",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Column(_Strict):
    name: str = Field(pattern=r"^[a-z][A-Za-z0-9]*$")
    type: ValueType
    value: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")  # a name in mibvalues.PROVIDERS


class Table(_Strict):
    mib: str = Field(pattern=r"^[A-Za-z0-9-]+$")
    entry: str = Field(pattern=r"^1(\.(0|[1-9][0-9]*))+$")
    rows: RowKind
    columns: dict[int, Column] = Field(min_length=1)

    @property
    def entry_oid(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.entry.split("."))


class Model(_Strict):
    model: str
    sys_object_id: str = Field(pattern=r"^1(\.(0|[1-9][0-9]*))+$")
    firmware: str
    family: str = ""
    image: str = ""
    arch: str = ""
    radios: dict[Band, int] = Field(min_length=1)  # band -> max PHY rate, Mbit/s
    # image file name -> the version it installs: what the lab's image server holds for this
    # model family (an upgrade to any other name is refused, in the vendor's words)
    firmware_images: dict[str, str] = Field(default_factory=dict)

    def max_mbps(self, band: str, default: int = 0) -> int:
        for key, value in self.radios.items():
            if key == band:
                return value
        return default


class Wired(_Strict):
    name: str
    mbps: int = Field(gt=0)


class Interfaces(_Strict):
    order: Literal["radios_first", "wired_first"]
    radio_name: str  # "{n}" counts from 0, "{n1}" from 1
    wired: Wired
    loopback: bool = False


class Platform(_Strict):
    platform: str
    vendor: str
    enterprise: int
    netmiko_device_type: str
    sys_descr: str
    serial: str
    mac_prefix: str = Field(pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){2}$")
    interfaces: Interfaces
    models: dict[Literal["wifi4", "wifi5", "wifi6", "wifi6e", "wifi7"], Model] = Field(min_length=1)
    include: list[str]
    tables: dict[str, Table]

    def model_for(self, standard: str) -> Model:
        """The platform's model for ``standard``, or the nearest one it has."""
        order = ["wifi4", "wifi5", "wifi6", "wifi6e", "wifi7"]
        if standard in self.models:
            return self.models[standard]
        wanted = order.index(standard)
        for candidate in sorted(self.models, key=lambda s: (abs(order.index(s) - wanted), s)):
            return self.models[candidate]
        raise KeyError(standard)  # pragma: no cover - models has min_length=1


def _load_common(path: Path) -> dict[str, Table]:
    document = load_yaml(path)
    try:
        return {name: Table.model_validate(body) for name, body in document.data.items()}
    except Exception as error:
        raise locate_validation_error(document, error) from None


def load_platform(path: Path, common: dict[str, Table]) -> Platform:
    document = load_yaml(path)
    try:
        platform = Platform.model_validate(document.data)
    except Exception as error:
        raise locate_validation_error(document, error) from None
    for position, name in enumerate(platform.include):
        if name not in common:
            raise InputError.at(
                str(path),
                document.line_of(("include", position)),
                f"include: unknown table {name!r} (known: {sorted(common)})",
            )
    if platform.platform != path.stem:
        raise InputError.at(
            str(path),
            document.line_of(("platform",)),
            f"platform {platform.platform!r} must match the file name",
        )
    return platform


@functools.cache
def load_platforms(directory: Path = PLATFORM_DIR) -> dict[str, Platform]:
    common = _load_common(directory / "_common.yaml")
    return {
        path.stem: load_platform(path, common)
        for path in sorted(directory.glob("*.yaml"))
        if not path.stem.startswith("_")
    }


@functools.cache
def common_tables(directory: Path = PLATFORM_DIR) -> dict[str, Table]:
    return _load_common(directory / "_common.yaml")


def tables_of(platform: Platform) -> list[Table]:
    """Every table ``platform`` serves: its includes, then its own."""
    common = common_tables()
    return [common[name] for name in platform.include] + list(platform.tables.values())
