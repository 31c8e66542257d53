"""Request -> reply without sockets: v2c, the USM checks and their Reports, faults, counters."""

from __future__ import annotations

import socket

import pytest

from collector.lab.mibview import SnmpFault, SnmpType, Value
from collector.lab.snmp.agent import IP_PKTINFO, SnmpAgent
from collector.lab.snmp.ber import GET_BULK_REQUEST, GET_REQUEST, REPORT, RESPONSE, TRAP_V2
from collector.lab.snmp.device import AgentDevice, engine_id_for
from collector.lab.snmp.engine import MALFORMED_REPLY, SnmpEngine
from collector.lab.snmp.message import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, V3Message
from collector.lab.snmp.staticview import StaticMibView
from collector.lab.snmp.testing import (
    V3Target,
    open_v2c,
    open_v3,
    request_pdu,
    v2c_request,
    v3_request,
)
from collector.lab.snmp.usm import AuthProtocol, KeyCache, PrivProtocol, UsmUser
from collector.secrets import Secret

NOW = 1_750_000_000.0
BOOT = NOW - 3600
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
USER = UsmUser(
    b"lab", AuthProtocol.SHA256, Secret("authpass123"), PrivProtocol.AES128, Secret("privpass123")
)
VIEW = StaticMibView(
    {
        SYS_NAME: Value(SnmpType.OCTET_STRING, b"ap-1"),
        (1, 3, 6, 1, 2, 1, 1, 3, 0): Value(SnmpType.TIMETICKS, 360000),
    }
)


def _device(fault: SnmpFault | None = None) -> AgentDevice:
    return AgentDevice("AP-1", VIEW, BOOT, b"public", USER, fault)


def _target(device: AgentDevice, **changes: object) -> V3Target:
    fields: dict[str, object] = {
        "engine_id": device.engine_id,
        "engine_boots": device.engine_boots,
        "engine_time": device.engine_time(NOW),
        "user_name": USER.name,
        "keys": KeyCache().keys(USER, device.engine_id),
    }
    fields.update(changes)
    return V3Target(**fields)  # type: ignore[arg-type]


def _get(request_id: int = 5) -> bytes:
    return request_pdu(GET_REQUEST, request_id, [SYS_NAME])


def _report_stat(reply: bytes | None, keys: object = None) -> tuple[int, int]:
    assert reply is not None
    msg, scoped = open_v3(reply, keys)  # type: ignore[arg-type]
    assert scoped.pdu.tag == REPORT
    ((oid, value),) = scoped.pdu.varbinds
    assert oid[:-2] == USM_STATS and value.type is SnmpType.COUNTER32
    return oid[-2], msg.flags


# ---------------------------------------------------------------- v2c


def test_v2c_get_answers_with_the_community_and_request_id() -> None:
    engine = SnmpEngine()
    reply = engine.handle(v2c_request(b"public", _get(9)), _device(), NOW)
    assert reply is not None
    pdu = open_v2c(reply)
    assert (pdu.tag, pdu.request_id, pdu.varbinds[0][1].value) == (RESPONSE, 9, b"ap-1")
    assert (engine.counters.v2c_requests, engine.counters.answered) == (1, 1)


def test_v2c_wrong_or_missing_community_is_dropped_and_counted() -> None:
    engine = SnmpEngine()
    assert engine.handle(v2c_request(b"private", _get()), _device(), NOW) is None
    v3_only = AgentDevice("AP-2", VIEW, BOOT, None, USER)
    assert engine.handle(v2c_request(b"public", _get()), v3_only, NOW) is None
    assert engine.counters.bad_communities == 2 and engine.counters.answered == 0


def test_v1_garbage_and_traps_are_dropped_and_counted() -> None:
    engine = SnmpEngine()
    from collector.lab.snmp.message import encode_community_message

    assert engine.handle(encode_community_message(0, b"public", _get()), _device(), NOW) is None
    assert engine.handle(b"\x30\x03\x02\x01", _device(), NOW) is None
    trap = v2c_request(b"public", request_pdu(TRAP_V2, 1, [SYS_NAME]))
    assert engine.handle(trap, _device(), NOW) is None
    c = engine.counters
    assert (c.bad_versions, c.parse_errors, c.unexpected_pdus) == (1, 1, 1)


def test_v2c_bulk_reply_stays_under_the_size_cap() -> None:
    big = StaticMibView(
        {(1, 3, 6, 1, 9, i): Value(SnmpType.OCTET_STRING, bytes(100)) for i in range(100)}
    )
    engine = SnmpEngine(max_response=1400)
    request = v2c_request(b"public", request_pdu(GET_BULK_REQUEST, 1, [(1, 3)], 0, 100))
    reply = engine.handle(request, AgentDevice("AP-3", big, BOOT, b"public"), NOW)
    assert reply is not None and len(reply) <= 1400
    varbinds = open_v2c(reply).varbinds
    assert varbinds[-1][0] == (1, 3, 6, 1, 9, len(varbinds) - 1)
    assert len(reply) + 111 > 1400  # one more 111-byte varbind would not have fitted


# ---------------------------------------------------------------- v3 / USM


def test_discovery_reports_unknown_engine_id_with_boots_and_time() -> None:
    engine, device = SnmpEngine(), _device()
    probe = v3_request(V3Target(b"", 0, 0, b"", None), _get(3), msg_id=11)
    reply = engine.handle(probe, device, NOW)
    stat, flags = _report_stat(reply)
    msg, scoped = open_v3(reply, None)  # type: ignore[arg-type]
    assert (stat, flags, msg.msg_id, scoped.pdu.request_id) == (4, 0, 11, 3)
    assert msg.usm is not None and msg.usm.engine_id == engine_id_for("AP-1")
    assert (msg.usm.engine_boots, msg.usm.engine_time) == (device.engine_boots, 3600)
    assert engine.v3.stats.unknown_engine_ids == 1


def test_authpriv_get_is_answered_encrypted_and_signed() -> None:
    engine, device = SnmpEngine(), _device()
    target = _target(device)
    reply = engine.handle(v3_request(target, _get(21), msg_id=12, salt=b"saltsalt"), device, NOW)
    assert reply is not None
    msg, scoped = open_v3(reply, target.keys)
    assert isinstance(msg, V3Message) and msg.flags == FLAG_AUTH | FLAG_PRIV
    assert msg.usm is not None and len(msg.usm.priv_params) == 8
    assert msg.encrypted_pdu is not None and b"ap-1" not in reply
    assert (scoped.pdu.request_id, scoped.pdu.varbinds[0][1].value) == (21, b"ap-1")
    assert engine.counters.v3_requests == 1


@pytest.mark.parametrize(
    ("change", "stat", "counter"),
    [
        ({"user_name": b"nobody"}, 3, "unknown_user_names"),
        (
            {
                "keys": KeyCache().keys(
                    UsmUser(
                        b"lab",
                        AuthProtocol.SHA256,
                        Secret("wrongpass1"),
                        PrivProtocol.AES128,
                        Secret("privpass123"),
                    ),
                    engine_id_for("AP-1"),
                )
            },
            5,
            "wrong_digests",
        ),
        ({"engine_time": 0}, 2, "not_in_time_windows"),
        ({"engine_boots": 1}, 2, "not_in_time_windows"),
        (
            {
                "keys": KeyCache().keys(
                    UsmUser(
                        b"lab",
                        AuthProtocol.SHA256,
                        Secret("authpass123"),
                        PrivProtocol.AES128,
                        Secret("wrongpriv1"),
                    ),
                    engine_id_for("AP-1"),
                )
            },
            6,
            "decryption_errors",
        ),
    ],
)
def test_usm_failures_are_reported_and_counted(
    change: dict[str, object], stat: int, counter: str
) -> None:
    engine, device = SnmpEngine(), _device()
    reply = engine.handle(v3_request(_target(device, **change), _get(), msg_id=13), device, NOW)
    good_keys = KeyCache().keys(USER, device.engine_id)
    got_stat, flags = _report_stat(reply, good_keys)
    assert got_stat == stat
    # notInTimeWindow is authenticated so the manager can trust the boots/time it carries
    assert flags == (FLAG_AUTH if stat == 2 else 0)
    assert getattr(engine.v3.stats, counter) == 1
    assert engine.counters.v3_requests == 0


def test_unsupported_level_and_unreportable_requests() -> None:
    engine, device = SnmpEngine(), _device()
    no_auth = v3_request(_target(device, keys=None), _get(), msg_id=14)
    stat, _ = _report_stat(engine.handle(no_auth, device, NOW))
    assert stat == 1 and engine.v3.stats.unsupported_sec_levels == 1
    quiet = v3_request(
        _target(device, user_name=b"x"), _get(), msg_id=15, flags=FLAG_AUTH | FLAG_PRIV
    )
    assert engine.handle(quiet, device, NOW) is None  # not reportable: no Report
    priv_only = v3_request(_target(device), _get(), msg_id=16, flags=FLAG_PRIV | FLAG_REPORTABLE)
    assert engine.handle(priv_only, device, NOW) is None
    assert engine.v3.stats.invalid_msgs == 1


def test_device_without_v3_user_reports_unknown_user() -> None:
    engine, device = SnmpEngine(), AgentDevice("AP-9", VIEW, BOOT, b"public", None)
    stat, _ = _report_stat(engine.handle(v3_request(_target(device), _get(), 1), device, NOW))
    assert stat == 3


# ---------------------------------------------------------------- faults


def test_faults_down_malformed_truncated() -> None:
    engine = SnmpEngine()
    request = v2c_request(b"public", _get())
    assert engine.handle(request, _device(SnmpFault.DOWN), NOW) is None
    assert engine.handle(request, _device(SnmpFault.MALFORMED), NOW) == MALFORMED_REPLY
    whole = engine.handle(request, _device(), NOW)
    cut = engine.handle(request, _device(SnmpFault.TRUNCATED), NOW)
    assert whole is not None and cut is not None and whole.startswith(cut)
    assert 0 < len(cut) < len(whole)
    c = engine.counters
    assert (c.fault_down, c.fault_malformed, c.fault_truncated) == (1, 1, 1)


# ---------------------------------------------------------------- agent's address filter


class _RecordingSocket:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes, tuple[str, int]]] = []

    def sendmsg(
        self,
        buffers: list[bytes],
        anc: list[tuple[int, int, bytes]],
        flags: int,
        addr: tuple[str, int],
    ) -> int:
        self.sent.append((buffers[0], anc[0][2], addr))
        return len(buffers[0])


def _pktinfo(dest: str) -> list[tuple[int, int, bytes]]:
    return [(socket.IPPROTO_IP, IP_PKTINFO, bytes(4) + socket.inet_aton(dest) * 2)]


def test_agent_answers_only_loopback_destinations_from_that_address() -> None:
    seen: list[tuple[str, int]] = []

    def resolve(ip: str, port: int) -> AgentDevice | None:
        seen.append((ip, port))
        return _device() if ip == "127.20.0.7" else None

    agent = SnmpAgent(resolve, port=0)
    sock = _RecordingSocket()
    agent._sock = sock  # type: ignore[assignment]
    request = v2c_request(b"public", _get())
    client = ("127.0.0.1", 40000)
    agent._on_datagram(sock, request, _pktinfo("10.1.2.3"), 0, client)  # type: ignore[arg-type]
    agent._on_datagram(sock, request, [], 0, client)  # type: ignore[arg-type]
    agent._on_datagram(sock, request, _pktinfo("127.20.0.8"), 0, client)  # type: ignore[arg-type]
    agent._on_datagram(sock, request, _pktinfo("127.20.0.7"), 0, client)  # type: ignore[arg-type]
    assert agent.counters.not_loopback == 2 and agent.counters.no_device == 1
    assert [ip for ip, _ in seen] == ["127.20.0.8", "127.20.0.7"]
    ((reply, pktinfo, addr),) = sock.sent
    assert pktinfo[4:8] == socket.inet_aton("127.20.0.7") and addr == client
    assert open_v2c(reply).request_id == 5
