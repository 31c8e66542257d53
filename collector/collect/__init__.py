"""Collection: what happens to one poll, from an SNMP sample to exact points on disk.

Owns the exact counter arithmetic (:mod:`~collector.collect.counters`, pure, imports nothing of
the project), the durable baselines (:mod:`~collector.collect.baselines`), the accountant that
turns samples into ``ap_poll``/``radio_poll`` lines (:mod:`~collector.collect.accounting`), the
write path of a collector process (:mod:`~collector.collect.pipeline`: baselines, spool,
shipper), stable polling phases (:mod:`~collector.collect.phases`), the APScheduler-driven
collector process (:mod:`~collector.collect.scheduler`, the only APScheduler importer) and the
``pubwifi collect`` command (:mod:`~collector.collect.cli`). It may import the shared top-level
modules, ``inventory``, ``profiles``, ``snmp``, ``poll``, ``influx`` and ``ledger`` (the
scheduler runs the rollups); never ``lab``, ``stack``, ``provisioning`` or ``web``.
"""
