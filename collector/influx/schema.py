"""The time-series schema, declared once: measurements, tags, fields, units in the names.

Tags are what reports and dashboards group by (``ap``, ``site``, ``district``, ``mount``,
``platform``, ``standard``, ``band``); fields are values. There is no client tag or field at all,
so a client MAC cannot be written: :meth:`Measurement.prefix` refuses undeclared tag keys and
:meth:`Measurement.line` undeclared fields. Each field has one kind, so a field never changes type
between points (which InfluxDB rejects as a "field type conflict").

Hot path: build an AP's escaped ``prefix`` once per AP (its tags do not change between polls),
then call :meth:`Measurement.line` per poll with just the values.

These names are a public API (dashboards, reports): change them with a changelog entry.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.influx.lineproto import (
    BadPoint,
    FieldValue,
    escape_key,
    escape_measurement,
    format_timestamp,
    format_value,
    tag_set,
)
from collector.inventory.model import AccessPoint, Mount, WifiStandard


class Kind(enum.StrEnum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR = "str"


class Band(enum.StrEnum):
    """Values of the ``band`` tag."""

    GHZ_2_4 = "2.4GHz"
    GHZ_5 = "5GHz"
    GHZ_6 = "6GHz"
    WIRED = "wired"  # an AP whose profile finds no radio rows (a generic Linux host)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    doc: str


@dataclass(frozen=True)
class Measurement:
    """One measurement: its tag keys (with allowed values where closed) and typed fields."""

    name: str
    tags: tuple[str, ...]
    fields: tuple[Field, ...]
    doc: str
    allowed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    _escaped_name: str = field(init=False, repr=False, compare=False)
    _fields: dict[str, tuple[str, Kind]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_escaped_name", escape_measurement(self.name))
        keys = {f.name: (escape_key(f.name, "field key"), f.kind) for f in self.fields}
        object.__setattr__(self, "_fields", keys)

    def prefix(self, tags: Mapping[str, str]) -> str:
        """``measurement,tag=value,...``: every declared tag must be given, nothing else."""
        if set(tags) != set(self.tags):
            missing = sorted(set(self.tags) - set(tags))
            extra = sorted(set(tags) - set(self.tags))
            raise BadPoint("schema", f"{self.name}: tags missing {missing}, undeclared {extra}")
        for key, values in self.allowed.items():
            if tags[key] not in values:
                allowed = sorted(values)
                raise BadPoint("schema", f"{self.name}: {key}={tags[key]!r} not in {allowed}")
        return self._escaped_name + tag_set(tags)

    def line(self, prefix: str, values: Mapping[str, FieldValue | None], seconds: int) -> str:
        """One line from a :meth:`prefix`; ``None`` values are left out (not measured)."""
        declared = self._fields
        parts = []
        for key, value in values.items():
            if value is None:
                continue
            spec = declared.get(key)
            if spec is None:
                raise BadPoint("schema", f"{self.name}: undeclared field {key!r}")
            escaped, kind = spec
            parts.append(f"{escaped}={format_value(_coerce(self.name, key, kind, value))}")
        if not parts:
            raise BadPoint("no_fields", f"{self.name}: a point needs at least one field")
        return f"{prefix} {','.join(parts)} {format_timestamp(seconds)}"


def _coerce(measurement: str, key: str, kind: Kind, value: FieldValue) -> FieldValue:
    if kind is Kind.INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is Kind.FLOAT:
        if isinstance(value, float):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
    elif kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
    elif isinstance(value, str):
        return value
    raise BadPoint("type", f"{measurement}.{key} is {kind}, got {type(value).__name__}")


AP_TAGS = ("ap", "site", "district", "mount", "platform", "standard")
RADIO_TAGS = (*AP_TAGS, "band")
_STANDARDS = frozenset(s.value for s in WifiStandard)
_MOUNTS = frozenset(m.value for m in Mount)
_BANDS = frozenset(b.value for b in Band)

AP_POLL = Measurement(
    "ap_poll",
    AP_TAGS,
    (
        Field("up", Kind.INT, "1 if the AP answered this poll, else 0"),
        Field("uptime_s", Kind.INT, "sysUpTime in seconds"),
        Field("response_ms", Kind.FLOAT, "time to the AP's answer, milliseconds"),
    ),
    "One point per AP per poll.",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)
AP_INFO = Measurement(
    "ap_info",
    AP_TAGS,
    (
        Field("model", Kind.STR, "model the AP reports"),
        Field("firmware", Kind.STR, "firmware version the AP reports"),
        Field("reported_standard", Kind.STR, "Wi-Fi standard the AP's model implies"),
        Field("sys_name", Kind.STR, "sysName the AP reports"),
    ),
    "Slow-changing strings, kept out of the per-poll points: written when they change and daily.",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)
RADIO_POLL = Measurement(
    "radio_poll",
    RADIO_TAGS,
    (
        Field("rx_bytes", Kind.INT, "bytes received since the previous poll (exact delta)"),
        Field("tx_bytes", Kind.INT, "bytes sent since the previous poll (exact delta)"),
        Field("sessions", Kind.INT, "new client sessions since the previous poll"),
        Field(
            "interval_s",
            Kind.INT,
            "seconds the deltas cover (0: none counted; absent: the poll was not wholly counted)",
        ),
        Field("clients", Kind.INT, "clients associated now"),
        Field("channel", Kind.INT, "radio channel number"),
        Field("tx_power_dbm", Kind.FLOAT, "transmit power, dBm"),
        Field("counter_wraps", Kind.INT, "counters that wrapped since the previous poll"),
        Field(
            "counter_resets",
            Kind.INT,
            "counters that restarted without a reboot since the previous poll",
        ),
    ),
    "One point per radio per poll.",
    {"standard": _STANDARDS, "mount": _MOUNTS, "band": _BANDS},
)
_USAGE_FIELDS = (
    Field("rx_bytes", Kind.INT, "bytes received in the period"),
    Field("tx_bytes", Kind.INT, "bytes sent in the period"),
    Field("sessions", Kind.INT, "new client sessions in the period"),
    Field("covered_s", Kind.INT, "seconds of the period the deltas cover (the rest is gaps)"),
    Field("polls", Kind.INT, "ap_poll points of the AP stamped in the period (polls made)"),
    Field("polls_up", Kind.INT, "of those, the ones the AP answered (up=1): availability"),
)
AP_USAGE_HOURLY = Measurement(
    "ap_usage_hourly",
    AP_TAGS,
    _USAGE_FIELDS,
    "The ledger: one point per AP per hour, stamped at the hour's start; sums to any month.",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)
AP_USAGE_DAILY = Measurement(
    "ap_usage_daily",
    AP_TAGS,
    _USAGE_FIELDS,
    "The ledger: one point per AP per day (KST), stamped at the day's start.",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)

AP_FACTS = Measurement(
    "ap_facts",
    AP_TAGS,
    (
        Field("model", Kind.STR, "model the CLI states"),
        Field("serial", Kind.STR, "serial number the CLI states"),
        Field("firmware", Kind.STR, "firmware version the CLI states"),
        Field("uptime_s", Kind.INT, "uptime the CLI states, seconds"),
        Field("clients", Kind.INT, "associated clients, all SSIDs (a count)"),
        Field("radios", Kind.INT, "radios the CLI lists"),
        Field("ssids", Kind.INT, "SSIDs the CLI lists"),
        Field("session_s", Kind.FLOAT, "seconds the SSH collection of this AP took"),
    ),
    "One point per AP per SSH sweep (facts from the CLI; counts only, no client identifiers).",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)
SSID_TAGS = (*AP_TAGS, "ssid")
AP_SSID_CLIENTS = Measurement(
    "ap_ssid_clients",
    SSID_TAGS,
    (Field("clients", Kind.INT, "clients associated with this SSID, all radios (a count)"),),
    "One point per SSID of an AP per SSH sweep: the aggregate client count the MIB lacks.",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)

EVENT_TAGS = (*AP_TAGS, "kind")
AP_EVENT = Measurement(
    "ap_event",
    EVENT_TAGS,
    (
        Field("source", Kind.STR, "where the event came from: trap, poll, ssh"),
        Field("detail", Kind.STR, "what the device said (data, shown escaped)"),
        Field("count", Kind.INT, "1 per event (sum() counts them)"),
    ),
    "One point per AP event (a trap received, a reboot seen); kind is snake_case: cold_start, "
    "warm_start, link_down, link_up, auth_failure or a platform's own trap from its profile.",
    {"standard": _STANDARDS, "mount": _MOUNTS},
)

ROLLOUT_PROGRESS = Measurement(
    "rollout_progress",
    ("district", "quarter", "kind"),
    (
        Field("planned_aps", Kind.INT, "APs the plan puts in this district and quarter"),
        Field("done", Kind.INT, "of those, installed in any form (installed, verified, regressed)"),
        Field("planned", Kind.INT, "their quarter has not begun"),
        Field("due", Kind.INT, "their quarter has begun; the planned model has not answered"),
        Field("overdue", Kind.INT, "their quarter is over; the planned model has not answered"),
        Field("installed", Kind.INT, "the planned model answers; not yet verified"),
        Field("verified", Kind.INT, "7 whole days after the install answered and carried traffic"),
        Field("regressed", Kind.INT, "worse after the install than before (replacements)"),
        Field("drift", Kind.INT, "answering as neither the inventory's nor the planned model"),
    ),
    "The Wi-Fi 6 programme per district x quarter x kind (replacement, new), written hourly by "
    "the collector from `pubwifi rollout status`: the latest point is the current state.",
    {"kind": frozenset({"replacement", "new"})},
)

MEASUREMENTS: tuple[Measurement, ...] = (
    AP_POLL,
    AP_INFO,
    RADIO_POLL,
    AP_USAGE_HOURLY,
    AP_USAGE_DAILY,
    AP_FACTS,
    AP_SSID_CLIENTS,
    AP_EVENT,
    ROLLOUT_PROGRESS,
)


def ap_tags(ap: AccessPoint) -> dict[str, str]:
    """The AP-level tags of ``ap`` (from the inventory, never from what the AP says)."""
    return {
        "ap": ap.id,
        "site": ap.site.id,
        "district": ap.site.district.code,
        "mount": ap.site.mount.value,
        "platform": ap.platform,
        "standard": ap.standard.value,
    }


def radio_tags(ap: AccessPoint, band: Band) -> dict[str, str]:
    """Tags of one radio of ``ap``."""
    return {**ap_tags(ap), "band": band.value}
