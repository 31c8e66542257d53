"""The SNMP seam: fake engine behaviour, snmprec loading, credentials, master-key sharing."""

from __future__ import annotations

import asyncio

import pytest

from collector.inventory.model import SnmpAuthProtocol, SnmpPrivProtocol, SnmpV3Auth
from collector.secrets import Secret, SecretRef, UnsetSecretError
from collector.snmp.engine import (
    Reason,
    SnmpPollError,
    SnmpTarget,
    V2cCredentials,
    V3Credentials,
    resolve_credentials,
)
from collector.snmp.fake import FakeAgent, FakeEngine

TARGET = SnmpTarget("AP-1", "127.0.0.1", 161, V2cCredentials(Secret("x")))
RECORDING = """\
1.3.6.1.2.1.1.1.0|4|Linux ap 6.1
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.3.0|67|12345
1.3.6.1.2.1.2.2.1.3.10|2|6
1.3.6.1.2.1.2.2.1.3.2|2|71
1.3.6.1.2.1.2.2.1.3.1|2|24
1.3.6.1.2.1.31.1.1.1.1.2|4x|776c616e30
1.3.6.1.2.1.31.1.1.1.6.2|70|18446744073709551615
"""


def test_snmprec_agent_gets_and_walks_in_oid_order() -> None:
    engine = FakeEngine({"AP-1": FakeAgent.from_snmprec(RECORDING)})
    got = asyncio.run(engine.get(TARGET, ["1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.9.0"]))
    assert got == {"1.3.6.1.2.1.1.3.0": 12345}  # missing objects are left out
    walked = asyncio.run(engine.walk(TARGET, "1.3.6.1.2.1.2.2.1.3"))
    assert [oid for oid, _ in walked] == [
        "1.3.6.1.2.1.2.2.1.3.1",
        "1.3.6.1.2.1.2.2.1.3.2",
        "1.3.6.1.2.1.2.2.1.3.10",
    ]
    assert asyncio.run(engine.get(TARGET, ["1.3.6.1.2.1.31.1.1.1.1.2"])) == {
        "1.3.6.1.2.1.31.1.1.1.1.2": b"wlan0"
    }


def test_snmprec_bad_line_names_its_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        FakeAgent.from_snmprec("1.3.6.1.2.1.1.3.0|67|1\nnonsense\n")


def test_fake_failure_carries_reason() -> None:
    engine = FakeEngine({"AP-1": FakeAgent({}, fail=Reason.AUTH)})
    with pytest.raises(SnmpPollError) as caught:
        asyncio.run(engine.get(TARGET, ["1.3.6.1.2.1.1.3.0"]))
    assert caught.value.reason is Reason.AUTH and str(caught.value) == "auth"


def test_reasons_are_stable_label_values() -> None:
    assert {r.value for r in Reason} == {
        "timeout",
        "auth",
        "decode",
        "no_such",
        "network",
        "agent_error",
    }


def test_v3_credentials_resolve_and_never_print_secrets() -> None:
    auth = SnmpV3Auth(
        "v3",
        SecretRef("U"),
        SnmpAuthProtocol.SHA256,
        SecretRef("A"),
        SnmpPrivProtocol.AES128,
        SecretRef("P"),
    )
    creds = resolve_credentials(auth, {"U": "user", "A": "authpass1", "P": "privpass1"})
    assert isinstance(creds, V3Credentials) and creds.auth_key.reveal() == "authpass1"
    assert "authpass1" not in repr(creds) and "privpass1" not in repr(creds)
    with pytest.raises(UnsetSecretError):
        resolve_credentials(auth, {"U": "user"})


def test_master_keys_computed_once_per_distinct_password() -> None:
    from gufo.snmp import Sha256Key

    from collector.snmp.gufo_backend import MasterKeys

    keys = MasterKeys()
    first = keys.master(Sha256Key, Secret("password-1"))
    assert keys.master(Sha256Key, Secret("password-1")) is first
    assert keys.master(Sha256Key, Secret("password-2")) != first
    assert keys.computed == 2
    assert len(first) == 32


def test_engine_refuses_nothing_at_construction_and_caps_sessions() -> None:
    from collector.snmp.gufo_backend import GufoEngine
    from collector.snmp.ports import session_cap

    assert session_cap(reserve=10**9) == 0
    engine = GufoEngine(max_sessions=0)
    assert engine.kept_sessions == 0 and engine.max_sessions == 0
