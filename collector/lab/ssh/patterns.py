"""Tokenising command lines and matching them against dialect patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from collector.lab.ssh.dialect import Args

_CAPTURE = re.compile(r"<(\w+)(?::(int))?(\.\.\.)?>")


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # without surrounding quotes
    column: int  # 0-based offset in the line


def tokenize(line: str) -> list[Token]:
    """Split on blanks; ``"quoted text"`` and ``[bracketed text]`` are single tokens."""
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start = i
        if line[i] == '"':
            end = line.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append(Token(line[i + 1 : end], start))
            i = end + 1
            continue
        depth = 0
        while i < n and (depth or not line[i].isspace()):
            if line[i] == "[":
                depth += 1
            elif line[i] == "]" and depth:
                depth -= 1
            elif line[i] == '"':
                close = line.find('"', i + 1)
                i = n - 1 if close < 0 else close
            i += 1
        tokens.append(Token(line[start:i], start))
    return tokens


@dataclass(frozen=True, slots=True)
class _Element:
    literal: str  # lower-case literal text (the part before a capture, if any)
    capture: str | None = None
    is_int: bool = False
    rest: bool = False
    regex: re.Pattern[str] | None = None


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> tuple[_Element, ...]:
    elements: list[_Element] = []
    for word in pattern.split():
        found = _CAPTURE.search(word)
        if found is None:
            elements.append(_Element(word.lower()))
            continue
        name, int_kind, rest = found.group(1), found.group(2), found.group(3)
        prefix = word[: found.start()]
        body = r"-?\d+" if int_kind else r".+"
        regex = re.compile(rf"{re.escape(prefix)}(?P<v>{body})", re.IGNORECASE)
        elements.append(_Element(prefix.lower(), name, bool(int_kind), bool(rest), regex))
    return tuple(elements)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one pattern matched a line: ``full`` (args set), ``incomplete``, or failed at
    token index ``failed_at``. ``exact`` counts literals typed in full (for ambiguity)."""

    full: bool
    incomplete: bool
    failed_at: int
    exact: int
    args: Args
    words: tuple[str, ...] = ()  # the literals the typed tokens stood for


_ABBREVIATED_INT = re.compile(r"(?P<p>\D*)(?P<v>-?\d+)")


def _capture(element: _Element, text: str, abbreviate: bool) -> str | None:
    """The captured value in ``text``, or None. ``d0`` stands for ``Dot11Radio0`` if
    abbreviations are on."""
    assert element.regex is not None
    found = element.regex.fullmatch(text)
    if found is None and abbreviate and element.literal and element.is_int:
        found = _ABBREVIATED_INT.fullmatch(text)
        if found is None or not element.literal.startswith(found.group("p").lower() or "\0"):
            return None
    return None if found is None else found.group("v")


def match(pattern: str, tokens: list[Token], line: str, abbreviate: bool) -> Outcome:
    args = Args()
    exact = 0
    words: list[str] = []
    elements = compile_pattern(pattern)
    for index, element in enumerate(elements):
        if index >= len(tokens):
            return Outcome(False, True, index, exact, args, tuple(words))
        token = tokens[index]
        if element.rest:
            args[element.capture or "rest"] = line[token.column :].rstrip()
            return Outcome(True, False, -1, exact, args, tuple(words))
        if element.capture is None:
            typed = token.text.lower()
            if typed == element.literal:
                exact += 1
            elif not (abbreviate and element.literal.startswith(typed)):
                return Outcome(False, False, index, exact, args)
            words.append(element.literal)
            continue
        value = _capture(element, token.text, abbreviate)
        if value is None:
            return Outcome(False, False, index, exact, args)
        words.append(element.literal + "<>")
        args[element.capture] = int(value) if element.is_int else value
    if len(tokens) > len(elements):
        return Outcome(False, False, len(elements), exact, args)
    return Outcome(True, False, -1, exact, args, tuple(words))
