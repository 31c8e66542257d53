"""A change file: one reviewed YAML document saying what to change on which APs, and how safely.

Why a file and not CLI flags: a change is reviewed like code (``reason`` names the ticket), the
same file is planned, applied and rolled back, and the campaign id starts with its ``name``.

Checked strictly (:mod:`collector.yamlstrict`, pydantic ``extra="forbid"``): every problem is
``FILE:LINE: key.path: message``. Values that are known without looking at an AP (a literal
channel for the band, tx power 1-30 dBm, VLAN 1-4094, SSID 1-32 printable characters) are
checked here; values written as ``{{ vars.NAME }}`` are checked per AP when planned, and their
errors point at the same line (:meth:`Change.problem`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from collector.errors import InputError, Problem
from collector.inventory.model import Lifecycle, Mount, WifiStandard
from collector.yamlstrict import Document, load_yaml, locate_validation_error
from provisioning.intents import (
    check_channel,
    check_hostname,
    check_image,
    check_server,
    check_ssid,
    check_tx_power,
    check_version,
    check_vlan,
)
from provisioning.variables import VarValue, is_expression

KST = dt.timezone(dt.timedelta(hours=9), "KST")  # Korea has no daylight saving time
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALL_DAYS: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
)

ChangeName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
VarName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
TemplateName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Expression = Annotated[str, StringConstraints(pattern=r"\{\{.*\}\}")]
Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Band = Literal["2.4GHz", "5GHz", "6GHz"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
NumberOrExpression = int | Expression
DistrictCode = (
    Annotated[str, StringConstraints(pattern=r"^11[0-9]{3}$")]
    | Annotated[int, Field(ge=11000, le=11999)]
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


class ChannelPlan(Strict):
    kind: Literal["channel_plan"]
    band: Band
    channel: NumberOrExpression


class TxPower(Strict):
    kind: Literal["tx_power"]
    band: Band
    dbm: NumberOrExpression


class SsidRename(Strict):
    kind: Literal["ssid"]
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)


class SsidVlan(Strict):
    kind: Literal["vlan"]
    ssid: str = Field(min_length=1)
    vlan: NumberOrExpression


class Hostname(Strict):
    kind: Literal["hostname"]
    name: str = Field(min_length=1)  # e.g. "{{ ap.id | lower }}"


class Raw(Strict):
    """Commands from a named template; the undo template must restore what it changes."""

    kind: Literal["raw"]
    template: TemplateName
    undo_template: TemplateName
    present: list[str] = Field(default_factory=list)  # running-config regexes after the push
    absent: list[str] = Field(default_factory=list)


class Firmware(Strict):
    """Upgrade (or downgrade) to ``version`` from ``image`` on ``server``; the AP reloads.

    ``image`` is a file name that carries the version as the platform names images (checked per
    AP when planned); the undo installs the image of the version the AP had, named the same way
    (:mod:`provisioning.intents`). One image per platform and model family: narrow ``select``
    or write ``image`` as an expression over ``ap.platform`` / ``vars``.
    """

    kind: Literal["firmware"]
    image: str = Field(min_length=1)  # e.g. "ap1g7-k9w8-tar.17.9.6.61.tar"
    version: str = Field(min_length=1)  # as the AP reports it, e.g. "17.9.6.61"
    server: str = Field(min_length=1)  # the image server: host[:port][/path]


Intent = ChannelPlan | TxPower | SsidRename | SsidVlan | Hostname | Raw | Firmware
_INTENTS: dict[str, type[Strict]] = {
    "channel_plan": ChannelPlan,
    "tx_power": TxPower,
    "ssid": SsidRename,
    "vlan": SsidVlan,
    "hostname": Hostname,
    "raw": Raw,
    "firmware": Firmware,
}


class Select(Strict):
    """Which APs: AND between keys, OR within a key's list; a missing key does not filter."""

    district: list[DistrictCode] | None = None
    site: list[str] | None = None
    mount: list[Annotated[Mount, Field(strict=False)]] | None = None
    platform: list[str] | None = None
    standard: list[Annotated[WifiStandard, Field(strict=False)]] | None = None
    status: list[Annotated[Lifecycle, Field(strict=False)]] | None = None
    ids: list[str] | None = None


class Waves(Strict):
    canary: int = Field(ge=1)
    then: list[Annotated[int, Field(ge=1, le=100)]] = Field(default_factory=lambda: [100])


class ErrorBudget(Strict):
    max_failed_percent: float = Field(ge=0, le=100)
    halt_on_verify_failure: bool = True


class Window(Strict):
    """When pushes may start, in KST. ``end`` before ``start`` crosses midnight (the day named
    is the day the window opens)."""

    days: list[Day] = Field(default_factory=lambda: [*_ALL_DAYS], min_length=1)
    start: Clock
    end: Clock

    def contains(self, when: float) -> bool:
        local = dt.datetime.fromtimestamp(when, KST)
        minute = local.hour * 60 + local.minute
        start, end = _minutes(self.start), _minutes(self.end)
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local.weekday() - 1) % 7]
        if start <= end:
            return today in self.days and start <= minute < end
        if minute >= start:
            return today in self.days
        return minute < end and yesterday in self.days


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class Verify(Strict):
    within_s: int = Field(default=120, ge=1, le=3600)
    snmp: bool = True
    cli: bool = True


class ChangeFile(Strict):
    name: ChangeName
    reason: str = Field(min_length=1)
    intent: dict[str, Any]  # validated by kind, below (errors keep the intent's key paths)
    vars: dict[VarName, VarValue] = Field(default_factory=dict)
    select: Select
    waves: Waves
    error_budget: ErrorBudget
    window: Window | None = None
    verify: Verify = Verify()


@dataclass(frozen=True, slots=True)
class Change:
    """A loaded change file. ``document`` keeps every key's line for later per-AP errors."""

    path: str
    name: str
    reason: str
    intent: Intent
    vars: dict[str, VarValue]
    select: Select
    waves: Waves
    error_budget: ErrorBudget
    window: Window | None
    verify: Verify
    document: Document

    @property
    def kind(self) -> str:
        return self.intent.kind

    @property
    def directory(self) -> Path:
        return Path(self.path).parent

    def problem(self, key_path: Sequence[str | int], message: str) -> Problem:
        return self.document.problem(key_path, message)


class _Prefixed:
    """A pydantic error seen from the top of the file (the intent is validated on its own)."""

    def __init__(self, error: ValidationError, prefix: tuple[str, ...]) -> None:
        self._error, self._prefix = error, prefix

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        return [
            {**item, "loc": (*self._prefix, *item["loc"])}
            for item in self._error.errors(include_url=include_url)
        ]


def load_change(path: Path | str) -> Change:
    """Load and check ``path``. Raises :class:`InputError` listing every problem found."""
    document = load_yaml(Path(path))
    if not isinstance(document.data, dict):
        raise InputError.at(document.path, 1, "a change file must be a mapping at the top level")
    try:
        parsed = ChangeFile.model_validate(document.data)
    except ValidationError as error:
        raise locate_validation_error(document, error) from None
    kind = parsed.intent.get("kind")
    model = _INTENTS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = " | ".join(_INTENTS)
        where = ("intent", "kind") if "kind" in parsed.intent else ("intent",)
        raise InputError(document.problem(where, f"kind must be one of {known}"))
    try:
        intent: Any = model.model_validate(parsed.intent)
    except ValidationError as error:
        raise locate_validation_error(document, _Prefixed(error, ("intent",))) from None  # type: ignore[arg-type]
    problems = [document.problem(("intent", *p.key), p.message) for p in check_literals(intent)]
    total = sum(parsed.waves.then)
    if total > 100:
        problems.append(document.problem(("waves", "then"), f"percentages add up to {total} > 100"))
    if problems:
        raise InputError(problems)
    return Change(
        path=document.path,
        name=parsed.name,
        reason=parsed.reason,
        intent=intent,
        vars=dict(parsed.vars),
        select=parsed.select,
        waves=parsed.waves,
        error_budget=parsed.error_budget,
        window=parsed.window,
        verify=parsed.verify,
        document=document,
    )


@dataclass(frozen=True, slots=True)
class ValueProblem:
    key: tuple[str, ...]
    message: str


def check_literals(intent: Intent) -> list[ValueProblem]:
    """The intent's values that are literals, checked against the platform constraints."""
    found: list[ValueProblem] = []

    def check(key: str, value: object, checker: Any, *args: object) -> None:
        if is_expression(value):
            return
        message = checker(*args, value)
        if message:
            found.append(ValueProblem((key,), message))

    if isinstance(intent, ChannelPlan):
        check("channel", intent.channel, check_channel, intent.band)
    elif isinstance(intent, TxPower):
        check("dbm", intent.dbm, check_tx_power)
    elif isinstance(intent, SsidRename):
        check("from", intent.from_, check_ssid)
        check("to", intent.to, check_ssid)
        if intent.from_ == intent.to:
            found.append(ValueProblem(("to",), "is the same as from"))
    elif isinstance(intent, SsidVlan):
        check("ssid", intent.ssid, check_ssid)
        check("vlan", intent.vlan, check_vlan)
    elif isinstance(intent, Hostname):
        check("name", intent.name, check_hostname)
    elif isinstance(intent, Firmware):
        check("image", intent.image, check_image)
        check("version", intent.version, check_version)
        check("server", intent.server, check_server)
    return found
