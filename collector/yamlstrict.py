"""Strict YAML for files people edit: every value located to its line, no YAML 1.1 surprises.

Parsing uses libyaml's event stream (fast) and builds plain Python values itself with
YAML 1.2 core-schema rules, so it can refuse what YAML 1.1 tools would silently misread:

- ``on``/``off``/``yes``/``no``/``y``/``n`` read as booleans,
- ``0161`` read as octal (113), ``10:20:30`` (an unquoted MAC or time) read as base 60,
- duplicate mapping keys (PyYAML keeps the last one silently),
- merge keys (``<<``), custom tags and multiple documents.

Each such problem is an :class:`InputError` naming ``FILE:LINE`` and the key path. Lines of every
key and sequence item are kept in a side table so that later validation errors (pydantic) can be
located too (:func:`locate_validation_error`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml's C parser; the pure-Python one is a slower fallback
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from collector.errors import InputError, Problem

PathKey = str | int
KeyPath = tuple[PathKey, ...]

_WORDS: dict[str, object] = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
    "null": None,
    "Null": None,
    "NULL": None,
    "~": None,
    "": None,
}
_YAML11_BOOLS = frozenset(
    w for base in ("yes", "no", "on", "off", "y", "n") for w in (base, base.title(), base.upper())
)
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_HEX_OCT = re.compile(r"0x[0-9a-fA-F]+|0o[0-7]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNDERSCORE_NUMBER = re.compile(r"[-+]?[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?")
_NUMERIC_START = frozenset("0123456789+-.")


@dataclass(slots=True)
class Document:
    """A parsed file: plain data plus where each key and item was written."""

    path: str
    data: Any
    # id(container) -> {key: line} for mappings, [line, ...] for sequences
    lines: dict[int, dict[Any, int] | list[int]] = field(default_factory=dict)
    start_line: int = 1

    def line_of(self, key_path: Sequence[PathKey]) -> int:
        """The line of the deepest part of ``key_path`` that exists (1-based)."""
        node: Any = self.data
        line = self.start_line
        for key in key_path:
            table = self.lines.get(id(node))
            if table is None:
                break
            try:
                line = table[key]  # type: ignore[index]
                node = node[key]
            except (KeyError, IndexError, TypeError):
                continue  # not a key of the data (e.g. a union's tag): look deeper
        return line

    def problem(self, key_path: Sequence[PathKey], message: str) -> Problem:
        return Problem(self.path, self.line_of(key_path), f"{format_path(key_path)}: {message}")


def format_path(key_path: Sequence[PathKey]) -> str:
    text = ""
    for key in key_path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text or "(top level)"


class _Trap(Exception):
    """A scalar YAML 1.1 would misread; located by the caller, which knows the key path."""


def _scalar(event: Any, path: str) -> object:
    value: str = event.value
    if event.style:  # quoted or block scalar: always a string ('' or None is plain)
        return value
    tag = event.tag
    if tag is not None and tag != "!":
        if tag in ("tag:yaml.org,2002:str", "!!str"):
            return value
        raise _Trap(f"tag {tag} is not allowed here")
    if value in _WORDS:
        return _WORDS[value]
    if value in _YAML11_BOOLS:
        raise _Trap(
            f'{value!r} is read as a boolean by YAML 1.1 tools: quote it ("{value}") '
            "if it is text, or write true/false"
        )
    if value[0] not in _NUMERIC_START:
        return value
    return _number_like(value)


def _number_like(value: str) -> object:
    if value.count(".") > 1:  # an address or version: no YAML number has two dots
        return value
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Trap(f"{value} is not a valid date") from None
    if _INT.fullmatch(value):
        return int(value)
    if _LEADING_ZERO.fullmatch(value):
        raise _Trap(
            f"{value} has a leading zero and YAML 1.1 reads it as octal "
            f"({_octal_reading(value)}): quote it or drop the zero"
        )
    if _SEXAGESIMAL.fullmatch(value):
        raise _Trap(
            f"{value} is read as a base-60 number by YAML 1.1 (an unquoted MAC address or "
            "time?): quote it"
        )
    if _UNDERSCORE_NUMBER.fullmatch(value):
        raise _Trap(f"{value} is read as a number by YAML 1.1: quote it")
    if _HEX_OCT.fullmatch(value):
        return int(value, 0)
    if _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Trap(f"{value} is not a valid date") from None
    if _FLOAT.fullmatch(value):
        return float(
            value.replace("inf", "Infinity")
            .replace("Inf", "Infinity")
            .replace("INF", "Infinity")
            .lstrip(".")
        )
    return value


def _octal_reading(value: str) -> str:
    digits = value.lstrip("+-").replace("_", "")
    try:
        return f"= {int(digits, 8)}"
    except ValueError:
        return "not even valid octal"


def load_yaml(path: Path, *, key_lines: bool = True) -> Document:
    """Parse ``path`` strictly. Raises :class:`InputError` (never a parser traceback).

    ``key_lines=False`` skips recording the line of every mapping key (sequence items keep
    theirs): faster for big files whose caller parses again, with lines, only to report errors.
    """
    name = str(path)
    try:
        with path.open("rb") as stream:
            loader = _Loader(stream)
            try:
                return _build(loader.get_event, name, key_lines)
            finally:
                loader.dispose()
    except OSError as error:
        raise InputError.at(name, 0, f"cannot read: {error.strerror}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise InputError.at(name, line, f"not valid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise InputError.at(name, 0, f"not valid YAML: {error}") from None
    except UnicodeDecodeError as error:
        raise InputError.at(name, 0, f"not UTF-8 text: {error.reason}") from None


def _build(next_event: Callable[[], Any], path: str, key_lines: bool = True) -> Document:
    """Build plain values from the event stream (a hot loop: kept flat on purpose)."""
    doc = Document(path, None)
    lines = doc.lines
    anchors: dict[str, object] = {}
    # frames: [container, pending key or _NO_KEY, key line, line table, is_mapping, own key]
    stack: list[list[Any]] = []
    frame: list[Any] | None = None
    documents = 0
    root: object = None
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    mapping_end, sequence_end, alias_event = (
        yaml.MappingEndEvent,
        yaml.SequenceEndEvent,
        yaml.AliasEvent,
    )
    words, numeric_start, bools11 = _WORDS, _NUMERIC_START, _YAML11_BOOLS
    no_key = _NO_KEY
    while True:
        event: Any = next_event()
        kind = type(event)
        if kind is scalar_event:
            raw: str = event.value
            try:
                if event.tag is None and event.style:  # quoted: text, whatever it looks like
                    value: object = raw
                elif event.style or event.tag is not None:
                    value = _scalar(event, path)
                elif raw in words:
                    value = words[raw]
                elif raw in bools11 or raw[0] in numeric_start:
                    value = _scalar(event, path)
                else:
                    value = raw
            except _Trap as trap:
                where = format_path(_current_path(stack))
                raise InputError.at(path, event.start_mark.line + 1, f"{where}: {trap}") from None
            if event.anchor:
                anchors[event.anchor] = value
            if frame is not None and frame[4]:  # the common case, attached right here
                if frame[1] is no_key:
                    if value in frame[0] or value == "<<":
                        _check_key(frame, value, event.start_mark.line + 1, path)
                    frame[1] = value
                    if key_lines:
                        frame[2] = event.start_mark.line + 1
                else:
                    frame[0][frame[1]] = value
                    if key_lines:
                        frame[3][frame[1]] = frame[2]
                    frame[1] = no_key
                continue
        elif kind is mapping_start or kind is sequence_start:
            line = event.start_mark.line + 1
            if event.tag is not None and event.tag not in _CONTAINER_TAGS:
                raise InputError.at(path, line, f"tag {event.tag} is not allowed here")
            is_mapping = kind is mapping_start
            value = {} if is_mapping else []
            table: dict[Any, int] | list[int] = {} if is_mapping else []
            lines[id(value)] = table
            if event.anchor:
                anchors[event.anchor] = value
        elif kind is mapping_end or kind is sequence_end:
            stack.pop()
            frame = stack[-1] if stack else None
            continue
        elif kind is alias_event:
            line = event.start_mark.line + 1
            if event.anchor not in anchors:
                raise InputError.at(path, line, f"unknown alias *{event.anchor}")
            value = anchors[event.anchor]
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise InputError.at(path, event.start_mark.line + 1, "only one document allowed")
            continue
        elif kind is yaml.StreamEndEvent:
            break
        else:
            continue
        # attach value to its parent
        if frame is None:
            root = value
        elif frame[4]:
            if frame[1] is no_key:  # a key: its line is what messages point at
                line = event.start_mark.line + 1
                _check_key(frame, value, line, path)
                frame[1], frame[2] = value, line
            else:  # a value: filed under its key's line, so no need to read its own
                frame[0][frame[1]] = value
                frame[3][frame[1]] = frame[2]
                frame[1] = no_key
        else:
            frame[0].append(value)
            frame[3].append(event.start_mark.line + 1)
        if kind is mapping_start or kind is sequence_start:
            if frame is None:
                own_key: PathKey | None = None
            elif frame[4]:
                own_key = next(reversed(frame[0]))  # the key just attached
            else:
                own_key = len(frame[0]) - 1
            frame = [value, no_key, 0, table, kind is mapping_start, own_key]
            stack.append(frame)
    doc.data = root
    return doc


def _current_path(stack: list[list[Any]]) -> KeyPath:
    """The key path of the value being read (a pending mapping key, or the next list index)."""
    parts: list[PathKey] = [frame[5] for frame in stack[1:]]
    if stack:
        container, key, _, _, is_mapping, _ = stack[-1]
        if not is_mapping:
            parts.append(len(container))
        elif key is not _NO_KEY:
            parts.append(key)
    return tuple(parts)


def _check_key(frame: list[Any], key: object, line: int, path: str) -> None:
    if isinstance(key, (dict, list)):
        raise InputError.at(path, line, "a mapping key must be a plain value")
    if key == "<<":
        raise InputError.at(path, line, "merge keys (<<) are not supported; use groups")
    if key in frame[0]:
        first = frame[3].get(key)  # unknown when key lines are not recorded
        where = f" (first at line {first})" if first is not None else ""
        raise InputError.at(
            path,
            line,
            f"duplicate key {key!r}{where}; YAML tools would silently keep only the last",
        )


_CONTAINER_TAGS = frozenset(("!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"))


class _NoKey:
    __slots__ = ()


_NO_KEY: Any = _NoKey()


def locate_validation_error(document: Document, error: Exception) -> InputError:
    """Turn a pydantic ``ValidationError`` into ``FILE:LINE: path: message`` problems."""
    errors = getattr(error, "errors", None)
    if errors is None:
        return InputError.at(document.path, document.start_line, str(error))
    problems = []
    for item in errors(include_url=False):
        loc = _data_path(document.data, item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif item["type"] == "string_pattern_mismatch" and "\\$" in str(item.get("ctx", "")):
            message = "must be a ${ENV_NAME} reference, never the secret itself"
        problems.append(document.problem(loc, message))
    return InputError(problems)


def _data_path(data: Any, loc: Sequence[PathKey]) -> KeyPath:
    """pydantic's location without the parts that are not in the data (union tags etc.)."""
    parts: list[PathKey] = []
    node = data
    for part in loc:
        if _contains(node, part):
            node = node[part]
            parts.append(part)
        elif isinstance(node, dict) and not _is_tag(part):
            parts.append(part)  # a missing or unknown key: name it
            node = None
    return tuple(parts)


def _contains(node: Any, part: PathKey) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _is_tag(part: PathKey) -> bool:
    """pydantic adds union tags and validator names to locations; they are not keys."""
    return isinstance(part, str) and (part.startswith("function-") or part in ("3", "2c"))
