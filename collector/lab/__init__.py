"""The lab: a simulated Seoul public Wi-Fi fleet over real SNMP and SSH, with exact ground truth."""
