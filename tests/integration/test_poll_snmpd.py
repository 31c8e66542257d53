"""The poller against Debian's net-snmp snmpd: v2c and v3 authPriv (SHA-256/AES-128).

One snmpd on udp:0.0.0.0:PORT answers every 127.x address (loopback sources only). Values are
checked against net-snmp's own ``snmpget`` read around the poll.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from snmpd import SYS_NAME, Snmpd, snmpd_agent

from collector.inventory.model import (
    AccessPoint,
    District,
    Footfall,
    KnownHostsPolicy,
    Lifecycle,
    Mount,
    Site,
    SnmpAuth,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpV2cAuth,
    SnmpV3Auth,
    SshAuth,
    WifiStandard,
)
from collector.poll.runner import Runner, RunnerOptions
from collector.poll.sample import Sample
from collector.poll.sink import ListSink
from collector.profiles import load_profiles
from collector.secrets import SecretRef
from collector.snmp.gufo_backend import GufoEngine

pytestmark = pytest.mark.integration
__all__ = ["snmpd_agent"]  # the fixture, imported explicitly

SITE = Site(
    "S1",
    "t",
    District("11110", "Jongno-gu", "종로구"),
    "Sajik-dong",
    37.57,
    126.98,
    Mount.PARK,
    Footfall.LOW,
)
SSH = SshAuth("ssh", SecretRef("PUBWIFI_SSH_USER"), None, None, KnownHostsPolicy.STRICT, None)
V2C = SnmpV2cAuth("v2c", SecretRef("PUBWIFI_SNMP_COMMUNITY"))
V3 = SnmpV3Auth(
    "v3",
    SecretRef("PUBWIFI_SNMP_V3_USER"),
    SnmpAuthProtocol.SHA256,
    SecretRef("PUBWIFI_SNMP_V3_AUTH_KEY"),
    SnmpPrivProtocol.AES128,
    SecretRef("PUBWIFI_SNMP_V3_PRIV_KEY"),
)
V3_WRONG = SnmpV3Auth(
    "v3-wrong",
    SecretRef("PUBWIFI_SNMP_V3_USER"),
    SnmpAuthProtocol.SHA256,
    SecretRef("WRONG_AUTH_KEY"),
    SnmpPrivProtocol.AES128,
    SecretRef("PUBWIFI_SNMP_V3_PRIV_KEY"),
)
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"
DEADLINE = 1.0
PUBWIFI = str(Path(sys.executable).with_name("pubwifi"))


def ap(ap_id: str, address: str, auth: SnmpAuth, port: int) -> AccessPoint:
    return AccessPoint(
        id=ap_id,
        site=SITE,
        address=ipaddress.IPv4Address(address),
        platform="net-snmp",
        model="generic",
        standard=WifiStandard.WIFI5,
        installed=None,
        status=Lifecycle.ACTIVE,
        snmp_auth=auth,
        ssh_auth=SSH,
        snmp_port=port,
        ssh_port=22,
    )


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A UDP port where something listens and never answers (a dead AP, no ICMP refusal)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.30.0.9", 0))
        yield sock.getsockname()[1]


def poll(
    agent: Snmpd, aps: list[AccessPoint], cycles: int = 1, engine: GufoEngine | None = None
) -> list[list[Sample]]:
    environ = {**agent.environ(), "WRONG_AUTH_KEY": "not-the-password"}

    async def run() -> list[list[Sample]]:
        nonlocal engine
        engine = engine or GufoEngine(request_timeout=DEADLINE / 2, retries=1, max_sessions=100)
        runner = Runner(
            engine, load_profiles(), RunnerOptions(deadline_s=DEADLINE), environ=environ
        )
        results = []
        for _ in range(cycles):
            sink = ListSink()
            await runner.poll_once(aps, sink)
            results.append(sink.samples)
        return results

    return asyncio.run(run())


def test_v2c_and_v3_read_what_snmpget_reads(snmpd_agent: Snmpd) -> None:
    agent = snmpd_agent
    aps = [ap(f"V2C-{i}", f"127.30.0.{i}", V2C, agent.port) for i in (1, 2, 3)]
    aps += [ap(f"V3-{i}", f"127.30.0.{i}", V3, agent.port) for i in (1, 2, 3)]
    if_types = agent.snmpwalk("127.30.0.1", "1.3.6.1.2.1.2.2.1.3")
    rows = [oid.rsplit(".", 1)[1] for oid, kind in if_types.items() if kind in ("6", "71")]
    assert rows, if_types
    counter_oids = [f"{col}.{row}" for row in rows for col in (IF_HC_IN, IF_HC_OUT)]
    before = agent.snmpget("127.30.0.1", "1.3.6.1.2.1.1.3.0", *counter_oids)
    first, second = poll(agent, aps, cycles=2)
    after = agent.snmpget("127.30.0.1", "1.3.6.1.2.1.1.3.0", *counter_oids)
    for samples, rediscovered in ((first, True), (second, False)):
        assert [s.ap_id for s in samples if s.up] and all(s.up for s in samples), samples
        for sample in samples:
            assert sample.sys_name == SYS_NAME and sample.platform == "net-snmp"
            assert not sample.platform_mismatch and sample.rediscovered is rediscovered
            assert [r.index for r in sample.radios] == rows
            assert sample.uptime is not None
            assert int(before["1.3.6.1.2.1.1.3.0"]) <= sample.uptime
            assert sample.uptime <= int(after["1.3.6.1.2.1.1.3.0"])
            for radio in sample.radios:
                assert radio.rx_bytes is not None and radio.rx_bytes.bits == 64
                assert radio.tx_bytes is not None
                for oid, counter in ((IF_HC_IN, radio.rx_bytes), (IF_HC_OUT, radio.tx_bytes)):
                    key = f"{oid}.{radio.index}"
                    assert int(before[key]) <= counter.value <= int(after[key])


def test_dead_ap_times_out_without_delaying_others(snmpd_agent: Snmpd, silent_port: int) -> None:
    aps = [ap("DEAD", "127.30.0.9", V2C, silent_port)]
    aps += [ap(f"LIVE-{i}", f"127.30.0.{i}", V2C, snmpd_agent.port) for i in (1, 2, 3)]
    [samples] = poll(snmpd_agent, aps)
    by_id = {s.ap_id: s for s in samples}
    assert by_id["DEAD"].reason == "timeout" and not by_id["DEAD"].up
    assert DEADLINE * 0.9 <= by_id["DEAD"].elapsed_s <= DEADLINE * 1.3
    for i in (1, 2, 3):
        assert by_id[f"LIVE-{i}"].up and by_id[f"LIVE-{i}"].elapsed_s < DEADLINE / 4


def test_past_the_session_cap_v2c_sessions_are_re_aimed_and_read_the_right_agent(
    snmpd_agent: Snmpd,
    silent_port: int,
) -> None:
    """No session kept: idle v2c sessions serve the next APs; a dead AP's is never reused."""
    aps = [ap(f"V2C-{i}", f"127.30.0.{i}", V2C, snmpd_agent.port) for i in range(1, 7)]
    aps += [ap("DEAD", "127.30.0.9", V2C, silent_port)]
    aps += [ap(f"V3-{i}", f"127.30.0.{i}", V3, snmpd_agent.port) for i in (1, 2)]
    engine = GufoEngine(request_timeout=DEADLINE / 2, retries=1, max_sessions=0)
    cycles = poll(snmpd_agent, aps, cycles=3, engine=engine)
    for samples in cycles:
        by_id = {s.ap_id: s for s in samples}
        assert by_id.pop("DEAD").reason == "timeout"
        assert all(s.up and s.sys_name == SYS_NAME for s in by_id.values()), by_id
    assert engine.kept_sessions == 0
    # 6 live v2c APs x 4 requests (2 at first contact) re-aim but for the first few; v3 never
    assert engine.sessions_reaimed >= 12
    # without the pool: a socket per request, 6 x 4 + v3 2 x 4 + dead 3 x 2 = 38
    assert engine.sessions_opened < 30


def test_a_re_aimed_session_talks_only_to_its_new_peer(
    snmpd_agent: Snmpd,
    silent_port: int,
) -> None:
    """connect() moves gufo's socket: pointed at a silent port the same session times out."""
    from collector.snmp.engine import SnmpPollError, SnmpTarget, resolve_credentials

    environ = snmpd_agent.environ()

    async def run() -> tuple[list[str], int]:
        engine = GufoEngine(request_timeout=0.3, retries=0, max_sessions=0)
        creds = resolve_credentials(V2C, environ)
        outcomes = []
        for key, address, port in (
            ("A", "127.30.0.1", snmpd_agent.port),
            ("B", "127.30.0.9", silent_port),
            ("C", "127.30.0.2", snmpd_agent.port),
            ("D", "127.30.0.3", snmpd_agent.port),
        ):
            try:
                answer = await engine.get(
                    SnmpTarget(key, address, port, creds), ["1.3.6.1.2.1.1.5.0"]
                )
                outcomes.append(str(answer["1.3.6.1.2.1.1.5.0"], "utf-8"))
            except SnmpPollError as error:
                outcomes.append(error.reason.value)
        return outcomes, engine.sessions_reaimed

    outcomes, reaimed = asyncio.run(run())
    # A's session went to B and timed out there (dropped); C opened anew; D re-aimed C's
    assert outcomes == [SYS_NAME, "timeout", SYS_NAME, SYS_NAME]
    assert reaimed == 2


def test_a_re_aimed_session_that_finds_the_pool_full_leaves_the_event_loop(
    snmpd_agent: Snmpd,
) -> None:
    """A re-aimed session is registered for good; if it cannot go back, it is unregistered."""
    from collector.snmp.engine import SnmpTarget, resolve_credentials
    from collector.snmp.gufo_session import LeanSession

    creds = resolve_credentials(V2C, snmpd_agent.environ())

    def target(i: int) -> SnmpTarget:
        return SnmpTarget(f"AP-{i}", f"127.30.0.{i}", snmpd_agent.port, creds)

    async def run() -> tuple[bool, bool, int]:
        engine = GufoEngine(request_timeout=0.5, retries=0, max_sessions=0, max_spares=1)
        await engine.get(target(1), ["1.3.6.1.2.1.1.5.0"])  # its session goes to the pool
        entry = await engine._open(target(2))  # ... and is re-aimed at AP 2
        session = entry.session
        assert isinstance(session, LeanSession) and engine.sessions_reaimed == 1
        await session.get_many(["1.3.6.1.2.1.1.5.0"])
        registered_while_out = session._registered
        engine._spare_count = engine.max_spares  # another session filled the pool meanwhile
        engine._give_back(entry)
        return registered_while_out, session._registered, engine._spare_count

    registered_while_out, registered_after, pooled = asyncio.run(run())
    assert registered_while_out and not registered_after and pooled == 1


def test_wrong_v3_password_is_reason_auth(snmpd_agent: Snmpd) -> None:
    aps = [
        ap("WRONG", "127.30.0.1", V3_WRONG, snmpd_agent.port),
        ap("RIGHT", "127.30.0.2", V3, snmpd_agent.port),
    ]
    [samples] = poll(snmpd_agent, aps)
    by_id = {s.ap_id: s for s in samples}
    assert by_id["WRONG"].reason == "auth" and by_id["RIGHT"].up


def _poll_cli(agent: Snmpd, inventory: str, data_dir: str, *extra: str) -> list[dict[str, Any]]:
    """``pubwifi poll --once`` as a process; its JSON lines, in order."""
    env = {**os.environ, **agent.environ(), "PUBWIFI_DATA_DIR": data_dir}
    result = subprocess.run(
        [PUBWIFI, "poll", "--once", "--inventory", inventory, "--timeout", "1", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and result.stdout.rstrip().splitlines()[-1].startswith("{")  # last line: JSON
    return lines


def test_repeat_and_discovery_cache_cut_requests_per_ap(snmpd_agent: Snmpd, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    subprocess.run(
        [
            PUBWIFI,
            "inventory",
            "generate",
            "--aps",
            "40",
            "--platform",
            "net-snmp",
            "--first-ip",
            "127.16.0.1",
            "--snmp-port",
            str(snmpd_agent.port),
            "--snmp-version",
            "2c",
            "-o",
            str(inventory),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = str(tmp_path / "data")
    first, steady = _poll_cli(snmpd_agent, str(inventory), data, "--repeat", "2")
    aps = first["aps"]
    assert [first["cycle"], steady["cycle"]] == [1, 2]
    assert first["ok"] == steady["ok"] == aps > 0
    assert first["engine"]["requests"] == 2 * aps  # first contact: one walk + one GET
    assert steady["engine"]["requests"] == aps and steady["conditions"] == {}
    saved: set[str] = set()  # one file per worker process (discovery-1of1[-wJofW].json)
    for path in (tmp_path / "data").glob("discovery-1of1*.json"):
        saved |= set(json.loads(path.read_text())["aps"])
    assert len(saved) == aps
    # a new process starts from the cache: its first cycle is already one GET per AP
    (warm,) = _poll_cli(snmpd_agent, str(inventory), data)
    assert warm["ok"] == aps and warm["engine"]["requests"] == aps
    assert "rediscovered" not in warm["conditions"]
    # --rediscover ignores it
    (cold,) = _poll_cli(snmpd_agent, str(inventory), data, "--rediscover")
    assert cold["engine"]["requests"] == 2 * aps
