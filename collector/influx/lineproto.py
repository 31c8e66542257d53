"""InfluxDB line protocol, built directly as strings (no per-point objects in the hot path).

Escaping (the same in InfluxDB 1.x, 2.x, 3.x and VictoriaMetrics): measurement names escape
``,`` and space; tag keys, tag values and field keys escape ``,``, ``=`` and space; string field
values are double-quoted with ``"`` and ``\\`` escaped. Integers carry the ``i`` suffix.

Anything a server would reject, or that the servers disagree on, raises :class:`BadPoint` with a
short ``reason`` (a metric label), so the caller sets that one point aside and keeps the rest:
NaN or infinite floats, integers outside int64, text that is not valid UTF-8 (lone surrogates),
control characters (a newline would split the line), backslashes in names and tag values (1.x
and 2.x unescape them differently), empty keys, strings over 64 KiB and timestamps whose
nanoseconds overflow int64. A line built here never contains a newline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

FieldValue = int | float | bool | str

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_STRING_BYTES = 64 * 1024
#: Seconds whose nanoseconds still fit in int64 (about year 2262).
MAX_TIMESTAMP_S = INT64_MAX // 1_000_000_000

_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f\\\\\ud800-\udfff]")
_MEASUREMENT_ESCAPES = str.maketrans({",": "\\,", " ": "\\ "})
_KEY_ESCAPES = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


class BadPoint(ValueError):
    """One point that cannot be written; ``reason`` is a short label for counting."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def _check_name(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise BadPoint("type", f"{what} must be text, got {type(text).__name__}")
    if not text:
        raise BadPoint("empty", f"{what} is empty")
    bad = _NAME_FORBIDDEN.search(text)
    if bad is not None:
        char = bad.group()
        if char == "\\":
            raise BadPoint("backslash", f"{what} {text!r} contains a backslash")
        if "\ud800" <= char <= "\udfff":
            raise BadPoint("utf8", f"{what} {text!r} is not valid UTF-8")
        raise BadPoint("control_char", f"{what} {text!r} contains a control character")
    return text


def escape_measurement(name: str) -> str:
    """A measurement name, checked and escaped."""
    return _check_name(name, "measurement").translate(_MEASUREMENT_ESCAPES)


def escape_key(text: str, what: str = "key") -> str:
    """A tag key, tag value or field key, checked and escaped."""
    return _check_name(text, what).translate(_KEY_ESCAPES)


def tag_set(tags: Mapping[str, str]) -> str:
    """``,k=v`` pairs sorted by key (the order InfluxDB stores); empty values are left out."""
    parts = []
    for key in sorted(tags):
        value = tags[key]
        if value == "":
            continue
        parts.append(f",{escape_key(key, 'tag key')}={escape_key(value, f'tag {key}')}")
    return "".join(parts)


def format_string(value: str) -> str:
    """A quoted string field value."""
    bad = _CONTROL_OR_SURROGATE.search(value)
    if bad is not None:
        reason = "utf8" if "\ud800" <= bad.group() <= "\udfff" else "control_char"
        raise BadPoint(reason, f"string value {value[:40]!r} is not writable")
    if len(value) * 4 > MAX_STRING_BYTES and len(value.encode()) > MAX_STRING_BYTES:
        raise BadPoint("string_too_long", f"string value of {len(value.encode())} bytes")
    return '"' + value.translate(_STRING_ESCAPES) + '"'


def format_value(value: FieldValue) -> str:
    """One field value: ``12i``, ``0.5``, ``true``, ``"text"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return f"{int(value)}i"
        raise BadPoint("int_range", f"integer {value} is outside int64")
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(float(value))
        raise BadPoint("nan_inf", f"float {value} is not finite")
    if isinstance(value, str):
        return format_string(value)
    raise BadPoint("type", f"field value of type {type(value).__name__}")


def format_timestamp(seconds: int) -> str:
    """A timestamp in whole seconds (write with ``precision=s``)."""
    if type(seconds) is not int:
        raise BadPoint("type", f"timestamp must be int seconds, got {type(seconds).__name__}")
    if not -MAX_TIMESTAMP_S <= seconds <= MAX_TIMESTAMP_S:
        raise BadPoint("time_range", f"timestamp {seconds} s overflows int64 nanoseconds")
    return str(seconds)


def field_set(fields: Iterable[tuple[str, FieldValue]]) -> str:
    """``k=v,k2=v2`` from (escaped key, value) pairs; at least one field is required."""
    text = ",".join(f"{key}={format_value(value)}" for key, value in fields)
    if not text:
        raise BadPoint("no_fields", "a point needs at least one field")
    return text


def build_line(
    measurement: str, tags: Mapping[str, str], fields: Mapping[str, FieldValue], seconds: int
) -> str:
    """A whole line from unescaped parts (the general, slower path; see schema for the fast one)."""
    escaped = ((escape_key(key, "field key"), value) for key, value in fields.items())
    return (
        f"{escape_measurement(measurement)}{tag_set(tags)} {field_set(escaped)} "
        f"{format_timestamp(seconds)}"
    )


def check_line(line: str) -> None:
    """Raise :class:`BadPoint` if a ready-made line cannot travel (newline, bad UTF-8)."""
    bad = _CONTROL_OR_SURROGATE.search(line)
    if bad is not None:
        reason = "utf8" if "\ud800" <= bad.group() <= "\udfff" else "control_char"
        raise BadPoint(reason, f"line {line[:60]!r} contains an unwritable character")
