"""SNMP notifications: ``pubwifi traps``, pysnmp's notification receiver in front of the fleet.

This package owns receiving traps and informs (SNMPv3 authPriv with USM users from the
inventory's auths, the senders' engine ids learned once a message from that AP authenticates;
SNMPv2c where a device cannot do better), telling which AP sent one by its source address,
turning standard and profile-named trap OIDs into events (``ap_event`` points through the
collector's spool, and rows of :class:`collector.events.EventStore`), and counting every
notification dropped, by reason, in :mod:`collector.metrics`. Trap contents are data: stored
verbatim in the event store, never interpreted. pysnmp is imported only by
:mod:`collector.traps.receiver` and :mod:`collector.traps.usm` (SNMPv3 and INFORMs); v1/v2c
traps take the strict stdlib decoder :mod:`collector.traps.decode` (``--decoder pysnmp`` for all).
"""
