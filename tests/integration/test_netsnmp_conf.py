"""The shared net-snmp client helper (netsnmp.py): private snmp.conf, no secret in argv."""

from __future__ import annotations

import stat
from pathlib import Path

import netsnmp
import pytest

COMMUNITY = "helper-community-test"
V3 = netsnmp.V3("helper", "helper-auth-test", "helper-priv-test")


def test_conf_is_private_and_holds_the_credentials(tmp_path: Path) -> None:
    v2c = netsnmp.write_client_conf(tmp_path / "v2c", netsnmp.V2c(COMMUNITY))
    v3 = netsnmp.write_client_conf(tmp_path / "v3", V3)
    for directory in (v2c, v3):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stat.S_IMODE((directory / "snmp.conf").stat().st_mode) == 0o600
    assert netsnmp.secrets_of(v2c) == [COMMUNITY]
    assert netsnmp.secrets_of(v3) == [V3.auth_key, V3.priv_key]
    assert "defSecurityLevel authPriv" in (v3 / "snmp.conf").read_text()
    env = netsnmp.client_env(v3, {"PATH": "/usr/bin"})
    assert env["SNMPCONFPATH"] == env["HOME"] == str(v3)


def test_an_argv_with_a_secret_is_refused(tmp_path: Path) -> None:
    conf = netsnmp.write_client_conf(tmp_path / "v3", V3)
    argv = ["snmpget", "-On", "udp:127.0.0.1:161", "1.3.6.1.2.1.1.5.0"]
    assert netsnmp.checked_argv(argv, conf) == argv
    with pytest.raises(ValueError, match="in argv") as refused:
        netsnmp.run(["snmpget", "-A", V3.auth_key, *argv[1:]], conf, timeout=5)
    assert V3.auth_key not in str(refused.value)  # the message does not repeat the secret
