"""The seam between the lab's SNMP agent (protocol) and its devices (data).

The agent knows BER, USM and UDP; a device knows its MIB. They meet here: the agent asks a
:class:`MibView` for values at the instant a request arrives.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

Oid = tuple[int, ...]


class SnmpType(enum.Enum):
    INTEGER = 0x02
    OCTET_STRING = 0x04
    NULL = 0x05
    OBJECT_IDENTIFIER = 0x06
    IP_ADDRESS = 0x40
    COUNTER32 = 0x41
    GAUGE32 = 0x42
    TIMETICKS = 0x43
    OPAQUE = 0x44
    COUNTER64 = 0x46
    NO_SUCH_OBJECT = 0x80
    NO_SUCH_INSTANCE = 0x81
    END_OF_MIB_VIEW = 0x82


@dataclass(frozen=True, slots=True)
class Value:
    """A typed SNMP value. ``value`` is int, bytes, an Oid, or None for the exceptions."""

    type: SnmpType
    value: int | bytes | Oid | None = None


NO_SUCH_OBJECT = Value(SnmpType.NO_SUCH_OBJECT)
NO_SUCH_INSTANCE = Value(SnmpType.NO_SUCH_INSTANCE)
END_OF_MIB_VIEW = Value(SnmpType.END_OF_MIB_VIEW)


class MibView(Protocol):
    """What one device answers, evaluated at wall-clock time ``now`` (seconds since the epoch)."""

    def get(self, oid: Oid, now: float) -> Value:
        """The value at exactly ``oid``, or NO_SUCH_OBJECT / NO_SUCH_INSTANCE."""
        ...

    def get_next(self, oid: Oid, now: float) -> tuple[Oid, Value]:
        """The first object strictly after ``oid`` in lexicographic order, or END_OF_MIB_VIEW."""
        ...


class SnmpFault(enum.Enum):
    """Agent-level faults: how a device misbehaves on the wire (data faults live in the MIB)."""

    DOWN = "down"  # no answer at all
    SLOW = "slow"  # answers after a delay
    MALFORMED = "malformed"  # answers with bytes that are not valid BER
    TRUNCATED = "truncated"  # answers with a valid message cut short
