"""Alert rules as data: strict loading of the rules file into frozen typed objects.

The packaged file is :data:`DEFAULT_RULES` (``collector/alerts/alerts.yaml``, every threshold
documented there); ``PUBWIFI_ALERTS=FILE`` or ``--rules FILE`` replaces it as a whole. Loading is
strict (unknown keys, wrong types, a parameter that is not one of the rule's kind, duplicate ids
or channel names, a maintenance window that ends before it starts, a secret written as a value)
and every problem is reported at once as ``FILE:LINE: key.path: what is wrong``. Against an
inventory (:func:`check_inventory`, at ``alerts run``/``alerts check``, collector start and each
scheduled evaluation), a maintenance window naming an AP, site or district the inventory does
not have is such a problem too. Channel
credentials and webhook tokens are ``${ENV}`` references, resolved only when a message is sent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from collector.errors import InputError, Problem
from collector.inventory.model import Inventory
from collector.secrets import SecretRef
from collector.timeparse import parse_time
from collector.yamlstrict import Document, load_yaml, locate_validation_error

DEFAULT_RULES: Path = Path(__file__).with_name("alerts.yaml")
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SECRET = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"  # noqa: S105 - a ${ENV} reference pattern


class Kind(enum.StrEnum):
    AP_DOWN = "ap_down"
    ZERO_CLIENTS = "zero_clients"
    LOW_TRAFFIC = "low_traffic"
    REBOOT_LOOP = "reboot_loop"
    COUNTER_DISCONTINUITY = "counter_discontinuity"
    CONFIG_CHANGED = "config_changed"
    HOST_KEY_CHANGED = "host_key_changed"
    COLLECTOR_HEALTH = "collector_health"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


#: The parameters each kind takes (anything else on a rule of that kind is an error).
PARAMETERS: Mapping[Kind, frozenset[str]] = {
    Kind.AP_DOWN: frozenset({"polls", "window_s"}),
    Kind.ZERO_CLIENTS: frozenset({"hours", "min_polls", "window_s"}),
    Kind.LOW_TRAFFIC: frozenset({"percent", "min_bytes"}),
    Kind.REBOOT_LOOP: frozenset({"reboots", "window_s"}),
    Kind.COUNTER_DISCONTINUITY: frozenset({"resets", "window_s"}),
    Kind.CONFIG_CHANGED: frozenset({"window_s"}),
    Kind.HOST_KEY_CHANGED: frozenset(),
    Kind.COLLECTOR_HEALTH: frozenset({"stale_s", "spool_bytes"}),
}
_COMMON = frozenset({"id", "kind", "severity", "group", "summary"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RuleFile(_Strict):
    id: str
    kind: Kind = Field(strict=False)
    severity: Severity = Field(default=Severity.WARNING, strict=False)
    group: bool = False
    summary: str | None = None
    polls: int | None = Field(default=None, ge=1, le=100)
    window_s: int | None = Field(default=None, ge=60)
    hours: list[int] | None = Field(default=None, min_length=2, max_length=2)
    min_polls: int | None = Field(default=None, ge=1)
    percent: float | None = Field(default=None, gt=0, lt=100, strict=False)
    min_bytes: int | None = Field(default=None, ge=0)
    reboots: int | None = Field(default=None, ge=2)
    resets: int | None = Field(default=None, ge=1)
    stale_s: int | None = Field(default=None, ge=60)
    spool_bytes: int | None = Field(default=None, ge=1)


class WebhookFile(_Strict):
    name: str
    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://[^\s/]+")
    token: str | None = Field(default=None, pattern=_SECRET)
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)


class EmailFile(_Strict):
    name: str
    kind: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = Field(default=None, pattern=_SECRET)
    password: str | None = Field(default=None, pattern=_SECRET)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(min_length=1)
    timeout_s: float = Field(default=10.0, gt=0, le=120, strict=False)


class DeliveryFile(_Strict):
    attempts: int = Field(default=6, ge=1, le=50)
    backoff_s: float = Field(default=30.0, gt=0, strict=False)
    max_backoff_s: float = Field(default=3600.0, gt=0, strict=False)


class GroupingFile(_Strict):
    min_site_aps: int = Field(default=2, ge=2)
    district_share: float = Field(default=1.0, gt=0, le=1, strict=False)
    min_district_sites: int = Field(default=2, ge=2)


class MaintenanceFile(_Strict):
    aps: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    districts: list[str | int] = Field(default_factory=list)
    start: str | int
    end: str | int
    reason: str = ""


class RulesFile(_Strict):
    version: Literal[1]
    grouping: GroupingFile = Field(default_factory=GroupingFile)
    delivery: DeliveryFile = Field(default_factory=DeliveryFile)
    channels: list[dict[str, Any]] = Field(default_factory=list)  # checked per kind below
    maintenance: list[MaintenanceFile] = Field(default_factory=list)
    rules: list[RuleFile]


# --- what the rest of the package uses ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: Kind
    severity: Severity
    group: bool  # dependency grouping: a whole site (district) in the condition is one alert
    summary: str | None
    params: Mapping[str, Any]  # only the kind's parameters that were given
    line: int = 0

    def param(self, name: str, default: Any) -> Any:
        value = self.params.get(name)
        return default if value is None else value


@dataclass(frozen=True, slots=True)
class Webhook:
    name: str
    url: str
    token: SecretRef | None
    timeout_s: float
    kind: str = "webhook"


@dataclass(frozen=True, slots=True)
class Email:
    name: str
    host: str
    port: int
    starttls: bool
    username: SecretRef | None
    password: SecretRef | None
    sender: str
    to: tuple[str, ...]
    timeout_s: float
    kind: str = "email"


Channel = Webhook | Email


@dataclass(frozen=True, slots=True)
class Delivery:
    attempts: int = 6  # sends of one message before it is a dead letter
    backoff_s: float = 30.0  # wait after the first failure; doubled after each further one
    max_backoff_s: float = 3600.0

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed send (1, 2, ...)."""
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** max(0, failures - 1)))


@dataclass(frozen=True, slots=True)
class Grouping:
    min_site_aps: int = 2
    district_share: float = 1.0
    min_district_sites: int = 2


@dataclass(frozen=True, slots=True)
class Target:
    """One name a maintenance window gives, where it is written (for inventory checks)."""

    key: str  # aps | sites | districts
    name: str
    line: int
    where: str  # maintenance[0].sites[1]


@dataclass(frozen=True, slots=True)
class Maintenance:
    aps: frozenset[str]
    sites: frozenset[str]
    districts: frozenset[str]
    start: int
    end: int
    reason: str
    targets: tuple[Target, ...] = ()

    def covers(self, ap_id: str, site: str, district: str, now: float) -> bool:
        if not self.start <= now < self.end:
            return False
        return ap_id in self.aps or site in self.sites or district in self.districts


@dataclass(frozen=True, slots=True)
class AlertRules:
    path: str
    rules: tuple[Rule, ...]
    channels: tuple[Channel, ...] = ()
    maintenance: tuple[Maintenance, ...] = ()
    grouping: Grouping = field(default_factory=Grouping)
    delivery: Delivery = field(default_factory=Delivery)


# --- loading -----------------------------------------------------------------------------------


def rules_path(explicit: Path | None, settings_path: Path | None) -> Path:
    """``--rules`` over ``PUBWIFI_ALERTS`` over the packaged file."""
    return explicit or settings_path or DEFAULT_RULES


def load_rules(path: Path | None = None) -> AlertRules:
    """Read and check a rules file (``None``: the packaged :data:`DEFAULT_RULES`)."""
    path = DEFAULT_RULES if path is None else path
    document = load_yaml(path)
    try:
        parsed = RulesFile.model_validate(document.data)
    except ValidationError as error:
        raise locate_validation_error(document, error) from None
    problems: list[Problem] = []
    rules = tuple(_rule(document, i, r, problems) for i, r in enumerate(parsed.rules))
    _unique(document, "rules", [r.id for r in parsed.rules], "id", problems)
    entries = [_channel_file(document, i, c, problems) for i, c in enumerate(parsed.channels)]
    valid = [entry for entry in entries if entry is not None]
    _unique(document, "channels", [c.name for c in valid], "name", problems)
    channels = tuple(_channel(c) for c in valid)
    windows = tuple(_window(document, i, m, problems) for i, m in enumerate(parsed.maintenance))
    g, d = parsed.grouping, parsed.delivery
    if d.max_backoff_s < d.backoff_s:
        problems.append(document.problem(("delivery", "max_backoff_s"), "is below backoff_s"))
    if not rules:
        problems.append(document.problem(("rules",), "at least one rule is required"))
    if problems:
        raise InputError(problems)
    return AlertRules(
        path=document.path,
        rules=rules,
        channels=channels,
        maintenance=windows,
        grouping=Grouping(g.min_site_aps, g.district_share, g.min_district_sites),
        delivery=Delivery(d.attempts, d.backoff_s, d.max_backoff_s),
    )


def _rule(document: Document, i: int, entry: RuleFile, problems: list[Problem]) -> Rule:
    where: tuple[str | int, ...] = ("rules", i)
    if not _ID.fullmatch(entry.id):
        problems.append(
            document.problem((*where, "id"), f"{entry.id!r} is not an id (a-z, 0-9, _; 1-64)")
        )
    given = {k for k in entry.model_fields_set if k not in _COMMON}
    allowed = PARAMETERS[entry.kind]
    for name in sorted(given - allowed):
        known = ", ".join(sorted(allowed)) or "none"
        problems.append(
            document.problem(
                (*where, name), f"not a parameter of kind {entry.kind.value} (it takes: {known})"
            )
        )
    if entry.hours is not None and not all(0 <= h <= 24 for h in entry.hours):
        problems.append(document.problem((*where, "hours"), "hours are 0..24 (KST)"))
    elif entry.hours is not None and entry.hours[0] >= entry.hours[1]:
        problems.append(document.problem((*where, "hours"), "[start, end): start before end"))
    if entry.group and entry.kind is Kind.COLLECTOR_HEALTH:
        problems.append(document.problem((*where, "group"), "collector_health has no APs"))
    params = {k: getattr(entry, k) for k in sorted(given & allowed)}
    return Rule(
        entry.id,
        entry.kind,
        entry.severity,
        entry.group,
        entry.summary,
        params,
        document.line_of(where),
    )


def _unique(
    document: Document, section: str, names: list[str], key: str, problems: list[Problem]
) -> None:
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            line = document.line_of((section, first[name]))
            problems.append(
                document.problem((section, i, key), f"duplicate {key} {name!r} (line {line})")
            )
        else:
            first[name] = i


_CHANNEL_KINDS: dict[object, type[WebhookFile] | type[EmailFile]] = {
    "webhook": WebhookFile,
    "email": EmailFile,
}


def _channel_file(
    document: Document, i: int, data: dict[str, Any], problems: list[Problem]
) -> WebhookFile | EmailFile | None:
    """One channel, checked against its kind's fields (so errors name the real keys)."""
    model = _CHANNEL_KINDS.get(data.get("kind"))
    if model is None:
        problems.append(document.problem(("channels", i, "kind"), "must be webhook or email"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        sub = Document(document.path, data, document.lines, document.line_of(("channels", i)))
        for problem in locate_validation_error(sub, error).problems:
            key, _, message = problem.message.partition(": ")
            where = f"channels[{i}]" + ("" if key == "(top level)" else f".{key}")
            problems.append(Problem(problem.file, problem.line, f"{where}: {message}"))
        return None


def _ref(text: str | None) -> SecretRef | None:
    return None if text is None else SecretRef.parse(text)


def _channel(entry: WebhookFile | EmailFile) -> Channel:
    if isinstance(entry, WebhookFile):
        return Webhook(entry.name, entry.url, _ref(entry.token), entry.timeout_s)
    return Email(
        entry.name,
        entry.host,
        entry.port,
        entry.starttls,
        _ref(entry.username),
        _ref(entry.password),
        entry.sender,
        tuple(entry.to),
        entry.timeout_s,
    )


def _window(
    document: Document, i: int, entry: MaintenanceFile, problems: list[Problem]
) -> Maintenance:
    where: tuple[str | int, ...] = ("maintenance", i)
    times: list[int] = []
    for key in ("start", "end"):
        raw = getattr(entry, key)
        try:
            times.append(raw if isinstance(raw, int) else parse_time(raw, key))
        except InputError:
            problems.append(
                document.problem((*where, key), f"{raw!r} is not ISO 8601 or epoch seconds")
            )
            times.append(0)
    start, end = times
    if start and end and end <= start:
        problems.append(document.problem((*where, "end"), "must be after start"))
    if not (entry.aps or entry.sites or entry.districts):
        problems.append(document.problem(where, "name at least one of aps, sites, districts"))
    targets = tuple(
        Target(key, str(name), document.line_of((*where, key, j)), f"maintenance[{i}].{key}[{j}]")
        for key in ("aps", "sites", "districts")
        for j, name in enumerate(getattr(entry, key))
    )
    return Maintenance(
        frozenset(entry.aps),
        frozenset(entry.sites),
        frozenset(str(d) for d in entry.districts),
        start,
        end,
        entry.reason,
        targets,
    )


def check_inventory(rules: AlertRules, inventory: Inventory) -> None:
    """Every AP, site and district a maintenance window names must be in ``inventory``.

    A name the inventory does not know would silently suppress nothing (a typo, a site that
    was renamed): every such name is one ``FILE:LINE: maintenance[i].key[j]: ...`` problem.
    Districts are codes (11110), as alerts name them.
    """
    known = {
        "aps": {ap.id for ap in inventory.aps},
        "sites": set(inventory.sites),
        "districts": set(inventory.districts),
    }
    what = {"aps": "AP", "sites": "site", "districts": "district"}
    problems = [
        Problem(
            rules.path,
            target.line,
            f"{target.where}: {what[target.key]} {target.name!r} is not in the inventory "
            f"{inventory.path}",
        )
        for window in rules.maintenance
        for target in window.targets
        if target.name not in known[target.key]
    ]
    if problems:
        raise InputError(problems)
