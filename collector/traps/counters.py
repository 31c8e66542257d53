"""What the trap receiver reports about itself (:mod:`collector.metrics` implements it)."""

from __future__ import annotations

from typing import Protocol

#: Why a notification was not turned into an event (label values of
#: ``pubwifi_traps_dropped_total``, exported at 0 from the start).
DROP_REASONS = (
    "unknown_sender",  # the source address is no AP of the inventory
    "bad_community",  # v1/v2c: not the AP's community, or v2c from an AP configured for v3
    "bad_credentials",  # v3: wrong user, digest, time window, decryption; or not authPriv
    "malformed",  # not a decodable SNMP notification
    "unknown_trap",  # an snmpTrapOID neither SNMPv2-MIB nor the AP's profile names
    "queue_full",  # the receive queue was full (a flood): shed before decoding
    "socket_buffer",  # the kernel dropped it: the socket's receive buffer was full
    "shutdown",  # still waiting in the receive queue when the receiver stopped
    "write_backlog",  # too many events waiting for the store: shed
    "write_failed",  # the event store or the spool refused a batch
    "internal",  # a bug, counted; the receiver carries on
)


class TrapCounters(Protocol):
    def received(self, kind: str) -> None:
        """One notification became an event of ``kind``."""
        ...

    def dropped(self, reason: str, n: int = 1) -> None:
        """``n`` notifications (or their events) lost, for ``reason`` (one of DROP_REASONS)."""
        ...

    def queue_depth(self, n: int) -> None:
        """Datagrams waiting to be decoded now."""
        ...

    def engine_ids(self, n: int) -> None:
        """Sender engine ids learned so far."""
        ...

    def socket_drops(self, n: int) -> None:
        """Datagrams the kernel dropped on the receive socket since it opened (buffer full)."""
        ...

    def recv_buffer(self, n: int) -> None:
        """The receive buffer the kernel granted the socket, in bytes (SO_RCVBUF)."""
        ...


class NoCounters:
    """Counters that count nothing (tests that do not look at them)."""

    def received(self, kind: str) -> None:
        pass

    def dropped(self, reason: str, n: int = 1) -> None:
        pass

    def queue_depth(self, n: int) -> None:
        pass

    def engine_ids(self, n: int) -> None:
        pass

    def socket_drops(self, n: int) -> None:
        pass

    def recv_buffer(self, n: int) -> None:
        pass
