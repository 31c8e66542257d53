"""What a platform's CLI is, as data: modes, prompts, command tables and error wording.

A dialect module builds one :class:`Dialect`; :mod:`.engine` runs it. Command patterns are
space-separated tokens: ``show version`` (literals, abbreviable where the dialect allows),
``<n:int>`` / ``<name>`` (captures), ``Dot11Radio<radio:int>`` (a literal with a capture) and a
final ``<rest...>`` (the raw rest of the line).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collector.lab.ssh.engine import CliSession as Context


class Args(dict[str, "int | str"]):
    """Captured pattern arguments, with typed accessors."""

    def int(self, name: str) -> int:
        value = self[name]
        assert isinstance(value, int)
        return value

    def str(self, name: str) -> str:
        return str(self[name])


#: A command's action: returns its output (``\n`` line ends) or None for no output.
Handler = Callable[["Context", Args], "str | None"]


@dataclass(frozen=True, slots=True)
class Command:
    pattern: str
    handler: Handler
    help: str = ""


@dataclass(frozen=True, slots=True)
class Mode:
    """A CLI mode. ``fallback`` is tried when a line matches nothing here (IOS leaves
    ``(config-if)`` for ``(config)`` that way); ``exit`` pops to the previous mode."""

    name: str
    prompt: str  # str.format template over hostname, user and the mode's variables
    commands: tuple[Command, ...]
    fallback: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorSite:
    """Where a line went wrong: ``column`` is the 0-based offset of the bad token in ``line``."""

    prompt: str
    line: str
    column: int
    token: str


@dataclass(frozen=True, slots=True)
class ErrorStyle:
    """How a platform words its errors."""

    invalid: Callable[[ErrorSite], str]
    incomplete: Callable[[ErrorSite], str]
    ambiguous: Callable[[ErrorSite], str]
    rejected: Callable[[str], str]  # a value the device refuses; the argument is the reason


@dataclass(frozen=True, slots=True)
class Dialect:
    platform: str
    netmiko_device_type: str
    modes: Mapping[str, Mode]
    initial_mode: str
    errors: ErrorStyle
    abbreviations: bool = False
    page_length: int = 0  # lines per page until the session turns paging off; 0 = never pages
    more_prompt: str = " --More-- "
    banner: str = ""  # printed once before the first prompt
    comment_prefix: str | None = None
    user_suffix_separator: str | None = None  # RouterOS: "admin+ct511w" logs in as "admin"
    reads: frozenset[str] = frozenset()  # patterns of read commands (what CLI faults break)
    extra: Mapping[str, str] = field(default_factory=dict)

    def mode(self, name: str) -> Mode:
        return self.modes[name]
