"""Per-platform SSH collection as data: ``collector/profiles/ssh/<platform>.yaml``.

Each file says how netmiko reaches the platform (``device_type``, ``enable``), which commands a
sweep runs for facts (each with a *role* the layout code refers to, and how its output is parsed:
an ntc-templates template where one parses the CLI correctly, else a small TextFSM template in
``templates/``), which commands follow per item of an earlier output (``for_each``), where each
scalar fact comes from, the platform's CLI error texts, and the running-config command.

Loading is strict (``collector.yamlstrict`` + pydantic ``extra="forbid"``); every problem is an
:class:`~collector.errors.InputError` ``FILE:LINE: message``. Templates are read at load time and
compiled lazily, once per thread (TextFSM state machines are not thread-safe), because a sweep
parses 34,000 APs' outputs.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import textfsm  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, model_validator

from collector.errors import InputError
from collector.yamlstrict import Document, load_yaml, locate_validation_error

SSH_PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles" / "ssh"
TEMPLATE_DIR = SSH_PROFILE_DIR / "templates"
Layout = Literal["cisco_dot11", "aruba_instant", "routeros_wireless", "hostapd"]
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _ntc_dir() -> Path:
    """ntc-templates' template folder (found, not imported: the package has no type hints)."""
    spec = importlib.util.find_spec("ntc_templates")
    assert spec is not None and spec.origin is not None, "ntc-templates is a dependency"
    return Path(spec.origin).resolve().parent / "templates"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _ParseSpec(_Strict):
    ntc: str | None = None  # an ntc-templates template name, e.g. cisco_ios_show_version
    template: str | None = None  # a file in collector/profiles/ssh/templates/

    @model_validator(mode="after")
    def _one(self) -> _ParseSpec:
        if (self.ntc is None) == (self.template is None):
            raise ValueError("give exactly one of 'ntc' (a template name) or 'template' (a file)")
        return self


class _CommandSpec(_Strict):
    role: str = Field(pattern=r"^[a-z][a-z_]*$")
    command: str = Field(min_length=1)
    parse: _ParseSpec
    must_match: str | None = None  # a line the complete output has (catches truncation)


class _ForEach(_Strict):
    source: str  # role of an earlier command
    column: str  # its parsed column; the placeholder is the column's name in lower case
    match: str | None = None  # only values matching this regex


class _FollowUpSpec(_CommandSpec):
    for_each: _ForEach


class _FactSpec(_Strict):
    source: str
    column: str


class _FactsSpec(_Strict):
    model: _FactSpec
    firmware: _FactSpec
    hostname: _FactSpec | None = None
    serial: _FactSpec | None = None
    uptime: _FactSpec | None = None


class _ProfileFile(_Strict):
    platform: str
    device_type: str
    enable: bool
    config_command: str = Field(min_length=1)
    layout: Layout
    errors: list[str] = Field(min_length=1)
    commands: list[_CommandSpec] = Field(min_length=1)
    follow_up: list[_FollowUpSpec] = Field(default_factory=list)
    facts: _FactsSpec


class Template:
    """One TextFSM template: text kept, state machine compiled once per thread."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self._local = threading.local()
        self.header = tuple(self._fsm().header)

    def _fsm(self) -> textfsm.TextFSM:
        fsm: textfsm.TextFSM | None = getattr(self._local, "fsm", None)
        if fsm is None:
            fsm = self._local.fsm = textfsm.TextFSM(io.StringIO(self.text))
        return fsm

    def parse(self, text: str) -> list[dict[str, str | list[str]]]:
        """Rows as column -> value; raises textfsm.TextFSMError on a line the template refuses."""
        fsm = self._fsm()
        fsm.Reset()
        rows = fsm.ParseText(text)
        return [dict(zip(self.header, row, strict=True)) for row in rows]


@dataclass(frozen=True, slots=True)
class CommandParse:
    """How one command's output is checked and parsed."""

    role: str
    command: str  # exact, or with a {placeholder} for follow-ups
    template: Template
    must_match: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    parse: CommandParse
    source: str
    column: str
    match: re.Pattern[str] | None

    def expand(self, values: list[str]) -> tuple[str, ...]:
        placeholder = "{" + self.column.lower() + "}"
        return tuple(self.parse.command.replace(placeholder, value) for value in values)

    def values(self, rows: list[dict[str, str | list[str]]]) -> list[str]:
        found: list[str] = []
        for row in rows:
            value = row.get(self.column)
            wanted = isinstance(value, str) and value and value not in found
            if wanted and (self.match is None or self.match.search(str(value))):
                found.append(str(value))
        return found


@dataclass(frozen=True, slots=True)
class SshProfile:
    platform: str
    device_type: str
    enable: bool
    config_command: str
    commands: tuple[str, ...]  # facts commands to run first, in order
    layout: str = field(default="", compare=False)
    parses: tuple[CommandParse, ...] = field(default=(), repr=False, compare=False)
    follow_ups: tuple[FollowUp, ...] = field(default=(), repr=False, compare=False)
    facts: Mapping[str, tuple[str, str]] = field(default_factory=dict, repr=False, compare=False)
    errors: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    def parse_for(self, role: str) -> CommandParse:
        return next(p for p in self.parses if p.role == role)

    def follow_up(self, outputs: Mapping[str, str]) -> tuple[str, ...]:
        """More commands to run given the outputs so far; () when done.

        A follow-up waits for its source command; a source output that does not parse yields no
        follow-ups (parse_facts then reports that command).
        """
        wanted: list[str] = []
        for follow in self.follow_ups:
            source = self.parse_for(follow.source)
            raw = outputs.get(source.command)
            if raw is None:
                continue
            try:
                rows = source.template.parse(raw.replace("\r\n", "\n"))
            except Exception:  # noqa: S112 (unparseable source: no follow-ups; parse_facts says why)
                continue
            for command in follow.expand(follow.values(rows)):
                if command not in outputs and command not in wanted:
                    wanted.append(command)
        return tuple(wanted)


def _compile(pattern: str, document: Document, key: tuple[str | int, ...]) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as error:
        raise InputError(document.problem(key, f"bad regular expression: {error}")) from None


def _template(spec: _ParseSpec, document: Document, key: tuple[str | int, ...]) -> Template:
    if spec.ntc is not None:
        path, name = _ntc_dir() / f"{spec.ntc}.textfsm", spec.ntc
        missing = f"ntc-templates has no template {spec.ntc!r}"
    else:
        assert spec.template is not None
        path, name = TEMPLATE_DIR / spec.template, spec.template
        missing = f"no template file {spec.template!r} in {TEMPLATE_DIR}"
    if not path.is_file() or "/" in name or "\\" in name:
        raise InputError(document.problem((*key, "parse"), missing))
    try:
        return _cached_template(str(path))
    except textfsm.TextFSMTemplateError as error:
        raise InputError(document.problem((*key, "parse"), f"{name}: {error}")) from None


@functools.cache
def _cached_template(path: str) -> Template:
    return Template(Path(path).name, Path(path).read_text())


def _command(spec: _CommandSpec, document: Document, key: tuple[str | int, ...]) -> CommandParse:
    must = None
    if spec.must_match is not None:
        must = _compile(spec.must_match, document, (*key, "must_match"))
    return CommandParse(spec.role, spec.command, _template(spec.parse, document, key), must)


def load_ssh_profile(path: Path) -> SshProfile:
    """Load one profile file strictly; problems raise InputError with file and line."""
    document = load_yaml(path)
    try:
        spec = _ProfileFile.model_validate(document.data)
    except Exception as error:  # pydantic.ValidationError, located to its line
        raise locate_validation_error(document, error) from None
    if spec.platform != path.stem:
        message = f"platform: {spec.platform!r} must match the file name {path.stem!r}"
        raise InputError(document.problem(("platform",), message))
    parses = [_command(c, document, ("commands", i)) for i, c in enumerate(spec.commands)]
    roles = [p.role for p in parses]
    follow_ups: list[FollowUp] = []
    for index, follow in enumerate(spec.follow_up):
        key: tuple[str | int, ...] = ("follow_up", index)
        if follow.for_each.source not in roles:
            message = f"unknown source role {follow.for_each.source!r} (known: {roles})"
            raise InputError(document.problem((*key, "for_each", "source"), message))
        placeholders = _PLACEHOLDER.findall(follow.command)
        if placeholders != [follow.for_each.column.lower()]:
            message = f"must contain exactly one {{{follow.for_each.column.lower()}}} placeholder"
            raise InputError(document.problem((*key, "command"), message))
        parse = _command(follow, document, key)
        match = None
        if follow.for_each.match is not None:
            match = _compile(follow.for_each.match, document, (*key, "for_each", "match"))
        follow_ups.append(FollowUp(parse, follow.for_each.source, follow.for_each.column, match))
        roles.append(follow.role)
    if len(set(roles)) != len(roles):
        duplicate = next(r for r in roles if roles.count(r) > 1)
        raise InputError(document.problem(("commands",), f"role {duplicate!r} appears twice"))
    facts: dict[str, tuple[str, str]] = {}
    for name in ("hostname", "model", "serial", "firmware", "uptime"):
        fact: _FactSpec | None = getattr(spec.facts, name)
        if fact is None:
            continue
        source = next((p for p in parses if p.role == fact.source), None)
        if source is None:
            message = f"unknown source role {fact.source!r} (known: {[p.role for p in parses]})"
            raise InputError(document.problem(("facts", name, "source"), message))
        if fact.column not in source.template.header:
            message = f"{source.template.name} has no column {fact.column!r}"
            raise InputError(document.problem(("facts", name, "column"), message))
        facts[name] = (fact.source, fact.column)
    return SshProfile(
        platform=spec.platform,
        device_type=spec.device_type,
        enable=spec.enable,
        config_command=spec.config_command,
        commands=tuple(p.command for p in parses),
        layout=spec.layout,
        parses=tuple(parses) + tuple(f.parse for f in follow_ups),
        follow_ups=tuple(follow_ups),
        facts=facts,
        errors=tuple(_compile(e, document, ("errors", i)) for i, e in enumerate(spec.errors)),
    )


@functools.cache
def _load_dir(directory: Path) -> dict[str, SshProfile]:
    return {p.stem: load_ssh_profile(p) for p in sorted(directory.glob("*.yaml"))}


def load_ssh_profiles(directory: Path | None = None) -> dict[str, SshProfile]:
    """Every SSH profile in ``directory`` (default: the packaged ones, cached), by platform."""
    return dict(_load_dir((directory or SSH_PROFILE_DIR).resolve()))
