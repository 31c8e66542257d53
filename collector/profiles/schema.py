"""The profile schema and its strict loader."""

from __future__ import annotations

import enum
import functools
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from collector.errors import InputError
from collector.yamlstrict import load_yaml, locate_validation_error

PROFILE_DIR = Path(__file__).parent
OID_PATTERN = r"^1(\.(0|[1-9][0-9]*))+$"
NumericOid = Annotated[str, StringConstraints(pattern=OID_PATTERN)]
MIB_NAME_PATTERN = r"^[A-Za-z0-9-]+::[A-Za-z][A-Za-z0-9]*(\.\d+)*$"


def _mib_name(value: str) -> str:
    if re.fullmatch(MIB_NAME_PATTERN, value) is None:
        raise ValueError(f"{value!r} must name its MIB module: MODULE::object (IF-MIB::ifIndex)")
    return value


MibName = Annotated[str, AfterValidator(_mib_name)]


class SnmpValueType(enum.StrEnum):
    COUNTER32 = "counter32"
    COUNTER64 = "counter64"
    GAUGE = "gauge"  # Gauge32, or an INTEGER read as a level (channel, dBm)
    INTEGER = "integer"
    TIMETICKS = "timeticks"
    STRING = "string"
    OID = "oid"


#: Types whose number means nothing without a unit; the profile must say which.
_NEEDS_UNIT = frozenset({SnmpValueType.COUNTER32, SnmpValueType.COUNTER64, SnmpValueType.GAUGE})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MibObject(_Strict):
    """One object to read. For radio columns ``oid`` is the column; the row index is appended."""

    mib: MibName
    oid: NumericOid
    type: Annotated[SnmpValueType, Field(strict=False)]  # YAML gives the value's text
    unit: str | None = Field(default=None, min_length=1)  # "bytes", "dBm", "clients", ...

    @model_validator(mode="after")
    def _counters_and_gauges_have_a_unit(self) -> MibObject:
        if self.unit is None and self.type in _NEEDS_UNIT:
            raise ValueError(f"a {self.type.value} object needs a unit (e.g. bytes, clients)")
        return self

    @property
    def oid_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.oid.split("."))


class Detect(_Strict):
    sys_object_id: list[NumericOid] = Field(min_length=1)  # prefixes
    sys_descr: str | None = None  # a regular expression, searched

    @field_validator("sys_descr")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class RadioTable(_Strict):
    """Per-radio rows of a table indexed by ifIndex (or a vendor radio index).

    Rows are found once per AP (first contact, and again after a reboot or a swap) by walking
    ``select``; afterwards every poll is one GET of the scalars and all radio columns.
    """

    # The index object's MIB name, e.g. "IF-MIB::ifIndex", or the MIB names of a compound index
    # in order (AI-AP-MIB's radio rows: aiRadioAPMACAddress . aiRadioIndex).
    index: MibName | Annotated[list[MibName], Field(min_length=2)] = Field(
        union_mode="left_to_right"
    )
    select: MibObject  # the column walked to discover rows
    select_values: list[int] = Field(min_length=1)  # rows whose select value is one of these
    band: MibObject | None = None  # column whose value names the band (ifName, radio type, ...)
    band_map: dict[str, Literal["2.4GHz", "5GHz", "6GHz", "wired"]] = Field(min_length=1)
    columns: dict[str, MibObject] = Field(min_length=1)


class ModelInfo(_Strict):
    """What a model (as the AP names itself over SNMP or SSH) is: its Wi-Fi standard."""

    standard: Literal["wifi4", "wifi5", "wifi6", "wifi6e", "wifi7"]


#: An event kind a trap becomes: snake_case, as :class:`collector.events.Event` names kinds.
TRAP_KIND_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
TrapKind = Annotated[str, StringConstraints(pattern=TRAP_KIND_PATTERN, max_length=64)]


class Profile(_Strict):
    platform: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    vendor: str
    enterprise: int = Field(ge=0)  # IANA private enterprise number
    netmiko_device_type: str
    counter_bits: Literal[32, 64]
    detect: Detect
    scalars: dict[str, MibObject] = Field(min_length=1)
    radios: RadioTable
    # the platform's models (as the AP reports them) and what each is: the rollout's "observed
    # standard"
    models: dict[str, ModelInfo] = Field(default_factory=dict)
    # the platform's own notifications (snmpTrapOID values, numeric) and the event kind each
    # becomes; the standard ones (coldStart, warmStart, linkDown, linkUp,
    # authenticationFailure) are known to every platform (collector.traps.mapping)
    traps: dict[NumericOid, TrapKind] = Field(default_factory=dict)

    @field_validator("scalars")
    @classmethod
    def _has_uptime(cls, value: dict[str, MibObject]) -> dict[str, MibObject]:
        if "uptime" not in value or value["uptime"].type is not SnmpValueType.TIMETICKS:
            raise ValueError("scalars must include 'uptime' of type timeticks (sysUpTime.0)")
        return value


def load_profile(path: Path) -> Profile:
    """Load one profile file strictly; problems raise :class:`InputError` with file and line."""
    document = load_yaml(path)
    try:
        profile = Profile.model_validate(document.data)
    except Exception as error:  # pydantic.ValidationError; located to its line
        raise locate_validation_error(document, error) from None
    if profile.platform != path.stem:
        raise InputError.at(
            str(path),
            document.line_of(("platform",)),
            f"platform: {profile.platform!r} must match the file name {path.stem!r}",
        )
    return profile


@functools.cache
def load_profiles(directory: Path = PROFILE_DIR) -> dict[str, Profile]:
    """Every profile in ``directory``, by platform key."""
    return {path.stem: load_profile(path) for path in sorted(directory.glob("*.yaml"))}


def platform_keys(directory: Path = PROFILE_DIR) -> frozenset[str]:
    """The known platform keys (profile file names), without parsing the files."""
    return frozenset(path.stem for path in directory.glob("*.yaml"))
