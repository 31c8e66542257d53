"""Secrets by reference.

Configuration holds ``${ENV_NAME}`` references, never values. A reference is resolved once, into a
:class:`Secret` whose ``repr``/``str`` never show the value, so it cannot leak into logs, errors
or exports by accident. Only code that must hand the value to a protocol calls ``reveal()``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

REFERENCE = re.compile(r"^\$\{([A-Z_][A-Z0-9_]*)\}$")
REDACTED = "<secret>"


class Secret:
    """A secret value that prints as ``<secret>``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled or serialised")


class UnsetSecretError(LookupError):
    """A ``${ENV}`` reference names a variable that is not set."""

    def __init__(self, env: str) -> None:
        self.env = env
        super().__init__(f"environment variable {env} is not set")


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A reference such as ``${PUBWIFI_SNMP_V3_AUTH_KEY}``; resolves against the environment."""

    env: str

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        match = REFERENCE.match(text)
        if match is None:
            raise ValueError(
                "a secret must be a reference like ${ENV_NAME}, never the value itself"
            )
        return cls(match.group(1))

    def is_set(self, environ: Mapping[str, str] | None = None) -> bool:
        return self.env in (os.environ if environ is None else environ)

    def resolve(self, environ: Mapping[str, str] | None = None) -> Secret:
        env = os.environ if environ is None else environ
        try:
            return Secret(env[self.env])
        except KeyError:
            raise UnsetSecretError(self.env) from None

    def __str__(self) -> str:
        return "${" + self.env + "}"
