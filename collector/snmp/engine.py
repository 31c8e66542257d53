"""The SNMP seam: what the poller needs from an SNMP engine, and nothing more.

Two calls (``get`` and ``walk``), one error family with a stable ``reason`` (used as a
Prometheus label), and the target description. :mod:`collector.snmp.gufo_backend` is the real
engine; :mod:`collector.snmp.fake` is the one unit tests use. Only the backend imports gufo_snmp.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from collector.inventory.model import (
    SnmpAuth,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpV2cAuth,
)
from collector.secrets import Secret

#: A decoded SNMP value: integers for INTEGER/Counter/Gauge/TimeTicks, bytes for OCTET STRING,
#: str for OBJECT IDENTIFIER (numeric, no leading dot), None for NULL.
Value = int | float | str | bytes | None


class Reason(enum.StrEnum):
    """Why a poll failed. Stable snake_case: these are Prometheus label values."""

    TIMEOUT = "timeout"  # no (complete) answer within the deadline
    AUTH = "auth"  # SNMPv3 authentication/privacy failed, or a REPORT came back
    DECODE = "decode"  # the answer could not be decoded, or had the wrong type
    NO_SUCH = "no_such"  # the agent has no such object/instance
    NETWORK = "network"  # the request could not be sent (socket error, unreachable)
    AGENT_ERROR = "agent_error"  # the agent answered with an error status (genErr, tooBig...)


class SnmpPollError(Exception):
    """A failed SNMP exchange with one target. ``reason`` is a :class:`Reason`."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)


@dataclass(frozen=True, slots=True)
class V2cCredentials:
    community: Secret


@dataclass(frozen=True, slots=True)
class V3Credentials:
    """SNMPv3 USM authPriv credentials (values revealed only inside the backend)."""

    user: Secret
    auth_protocol: SnmpAuthProtocol
    auth_key: Secret
    priv_protocol: SnmpPrivProtocol
    priv_key: Secret


Credentials = V2cCredentials | V3Credentials


def resolve_credentials(auth: SnmpAuth, environ: Mapping[str, str] | None = None) -> Credentials:
    """Resolve an inventory auth's ``${ENV}`` references (raises ``UnsetSecretError``)."""
    if isinstance(auth, SnmpV2cAuth):
        return V2cCredentials(auth.community.resolve(environ))
    return V3Credentials(
        user=auth.user.resolve(environ),
        auth_protocol=auth.auth_protocol,
        auth_key=auth.auth_key.resolve(environ),
        priv_protocol=auth.priv_protocol,
        priv_key=auth.priv_key.resolve(environ),
    )


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """One agent to talk to. ``key`` (the AP id) names its kept session."""

    key: str
    address: str
    port: int
    credentials: Credentials


class SnmpEngine(Protocol):
    """What the poller calls. Every failure raises :class:`SnmpPollError`."""

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        """GET ``oids`` (numeric, no leading dot). Objects the agent lacks are left out."""
        ...

    async def walk(self, target: SnmpTarget, column_oid: str) -> list[tuple[str, Value]]:
        """Every ``(oid, value)`` under ``column_oid``, in agent order."""
        ...

    def forget(self, key: str) -> None:
        """Drop what is kept for ``key`` (its session), e.g. after a swap or a timeout."""
        ...
