"""Polling: platform detection, radio discovery, one typed sample per AP per cycle, sharding.

:class:`collector.poll.runner.Runner` polls through the SNMP seam (:mod:`collector.snmp`) and
hands samples to a :class:`collector.poll.sink.Sink`.
"""
