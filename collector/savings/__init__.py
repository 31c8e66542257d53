"""Savings: what the citizens' Wi-Fi traffic would have cost them on a mobile carrier, in KRW.

This package owns the tariffs as versioned data (a tariff book in YAML, each rate with its
period in force, its source and its method; :mod:`collector.savings.tariff`) and exact money
(decimal KRW computed without rounding and rounded once, half to even, to whole won;
:mod:`collector.savings.money`). It reads what is stored and may import the shared top-level
modules ``collector.errors`` and ``collector.yamlstrict`` and the ``collector.ledger``,
``collector.inventory`` and ``collector.influx`` packages, never ``collector.collect``,
``collector.poll``, ``collector.snmp`` or ``collector.lab``.
"""
