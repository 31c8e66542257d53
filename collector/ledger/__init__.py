"""The ledger: what was carried, per AP and hour/day/month, read back from what is stored.

Owns reading stored ``radio_poll`` deltas back (:mod:`~collector.ledger.polls`), the exact
hourly apportioning rule and KST days/months (:mod:`~collector.ledger.apportion`, pure), the
hourly and daily rollups into ``ap_usage_hourly``/``ap_usage_daily``
(:mod:`~collector.ledger.rollup`, :mod:`~collector.ledger.stored`), which hours are due and
the runner that remembers them (:mod:`~collector.ledger.due`), per-AP usage with its coverage
(:mod:`~collector.ledger.usage`) and the ``pubwifi usage`` command
(:mod:`~collector.ledger.cli`). "The monthly total of one district" is
:func:`~collector.ledger.usage.usage_from_ledger` with ``district=``. It may import the shared
top-level modules, ``inventory`` and ``influx``; never ``collect``, ``poll``, ``snmp``, ``lab``,
``provisioning`` or ``web``: everything downstream (savings, reports, the UI) reads usage here.
"""
