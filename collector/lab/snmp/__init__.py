"""The lab's SNMP agent: a fast BER codec, SNMPv3 USM and one UDP socket for many devices."""

from collector.lab.snmp.agent import SnmpAgent
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.engine import AgentCounters, SnmpEngine
from collector.lab.snmp.usm import AuthProtocol, PrivProtocol, UsmUser

__all__ = [
    "AgentCounters",
    "AgentDevice",
    "AuthProtocol",
    "PrivProtocol",
    "SnmpAgent",
    "SnmpEngine",
    "UsmUser",
]
