"""The SNMP seam (:mod:`collector.snmp.engine`), its gufo_snmp backend and a fake for tests."""

from collector.snmp.engine import (
    Credentials,
    Reason,
    SnmpEngine,
    SnmpPollError,
    SnmpTarget,
    V2cCredentials,
    V3Credentials,
    Value,
    resolve_credentials,
)

__all__ = [
    "Credentials",
    "Reason",
    "SnmpEngine",
    "SnmpPollError",
    "SnmpTarget",
    "V2cCredentials",
    "V3Credentials",
    "Value",
    "resolve_credentials",
]
