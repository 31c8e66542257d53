"""InfluxDB: the one declared schema, line protocol, a durable disk spool, writers and reads.

Data flows poller -> :mod:`~collector.influx.schema` (lines) -> :mod:`~collector.influx.spool`
(on disk, fsync'd) -> :mod:`~collector.influx.shipper` -> an :class:`~collector.influx.writer.
InfluxWriter` (:mod:`~collector.influx.v1` or :mod:`~collector.influx.v2`). Reads are InfluxQL
through :mod:`~collector.influx.query`. Every loss path is counted through
:class:`~collector.influx.hooks.SpoolMetrics`.
"""
