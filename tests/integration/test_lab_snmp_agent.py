"""The lab's SNMP agent against net-snmp's real clients (snmpget, snmpbulkwalk), v2c and v3.

One agent socket on a free UDP port serves several devices on 127.20.0.x; each client must see
its own device's values, wrong credentials are refused, and each wire fault shows as a client
sees it. Credentials come from the PUBWIFI_SNMP_* variables, set here to test-only values; the
clients read theirs (right or deliberately wrong) from a private snmp.conf per credential set
(:mod:`netsnmp`), never from argv.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import netsnmp
import pytest

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import (
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpV2cAuth,
    SnmpV3Auth,
)
from collector.lab.faults import FaultPlan, parse_flag
from collector.lab.fleet import Fleet
from collector.lab.hostile import XSS_CORPUS, hostile_strings
from collector.lab.mibview import Oid, SnmpFault, SnmpType, Value
from collector.lab.snmp.agent import SnmpAgent
from collector.lab.snmp.ber import GET_REQUEST
from collector.lab.snmp.credentials import community, usm_user
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.staticview import Entry, StaticMibView
from collector.lab.snmp.testing import open_v2c, request_pdu, v2c_request
from collector.secrets import SecretRef

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs("snmpget", "snmpbulkwalk"),  # net-snmp's clients (conftest.py)
]

TEST_ENV = {
    "PUBWIFI_SNMP_COMMUNITY": "lab-community-test",
    "PUBWIFI_SNMP_V3_USER": "labtest",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "auth-test-secret",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "priv-test-secret",
}
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME = ((1, 3, 6, 1, 2, 1, 1, n, 0) for n in (1, 2, 3, 5))
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_IN_OCTETS_1 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1)
IF_HC_IN_OCTETS_1 = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)
IP_AD_ENT_ADDR = (1, 3, 6, 1, 2, 1, 4, 20, 1, 1)
SLOW_SECONDS = 2.0


def _dotted(oid: Oid) -> str:
    return "." + ".".join(map(str, oid))


def _view(ip: str, name: str, number: int, boot: float) -> StaticMibView:
    entries: dict[Oid, Entry] = {
        SYS_DESCR: Value(SnmpType.OCTET_STRING, f"Lab AP {name} firmware 1.{number}".encode()),
        SYS_OBJECT_ID: Value(SnmpType.OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 14179, 1, number)),
        SYS_UPTIME: lambda now: Value(SnmpType.TIMETICKS, int((now - boot) * 100)),
        SYS_NAME: Value(SnmpType.OCTET_STRING, name.encode()),
        IF_NUMBER: Value(SnmpType.INTEGER, 2 + number),
        IF_IN_OCTETS_1: Value(SnmpType.COUNTER32, 4_000_000_000 + number),
        IF_HC_IN_OCTETS_1: Value(SnmpType.COUNTER64, 2**40 * number + 7),
        (*IP_AD_ENT_ADDR, *map(int, ip.split("."))): Value(
            SnmpType.IP_ADDRESS, socket.inet_aton(ip)
        ),
    }
    return StaticMibView(entries)


@dataclass
class Lab:
    port: int
    agent: SnmpAgent
    devices: dict[str, AgentDevice]
    conf_root: Path  # one snmp.conf directory per credential set below it

    def conf(self, credentials: netsnmp.Credentials) -> Path:
        """The snmp.conf directory for ``credentials`` (written on first use)."""
        name = hashlib.sha256(repr(credentials).encode()).hexdigest()[:12]
        directory = self.conf_root / name
        if not directory.exists():
            netsnmp.write_client_conf(directory, credentials)
        return directory


class _AgentThread:
    """The agent on its own event loop in a thread; start() returns once it is bound."""

    def __init__(self, agent: SnmpAgent) -> None:
        self.agent = agent
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self.agent.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self.agent.close()
        self._loop.close()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "the agent did not start"
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in TEST_ENV.items():
            mp.setenv(key, value)
        v3 = SnmpV3Auth(
            "lab-v3",
            SecretRef("PUBWIFI_SNMP_V3_USER"),
            SnmpAuthProtocol.SHA256,
            SecretRef("PUBWIFI_SNMP_V3_AUTH_KEY"),
            SnmpPrivProtocol.AES128,
            SecretRef("PUBWIFI_SNMP_V3_PRIV_KEY"),
        )
        user = usm_user(v3)
        v2c = community(SnmpV2cAuth("lab-v2c", SecretRef("PUBWIFI_SNMP_COMMUNITY")))
    boot = time.time() - 86_400
    faults = {3: SnmpFault.DOWN, 4: SnmpFault.SLOW, 5: SnmpFault.MALFORMED, 6: SnmpFault.TRUNCATED}
    devices = {}
    for n in range(1, 7):
        ip = f"127.20.0.{n}"
        devices[ip] = AgentDevice(
            f"AP-TEST-{n:03d}",
            _view(ip, f"ap-{n}", n, boot),
            boot,
            v2c,
            user,
            faults.get(n),
            slow_seconds=SLOW_SECONDS,
        )
    agent = SnmpAgent(lambda ip, port: devices.get(ip), host="0.0.0.0", port=0)
    runner = _AgentThread(agent)
    runner.start()
    try:
        yield Lab(agent.port, agent, devices, tmp_path_factory.mktemp("netsnmp"))
    finally:
        runner.stop()


def _argv(
    lab: Lab, tool: str, ip: str, options: list[str], *oids: Oid, timeout: float = 1
) -> list[str]:
    return [
        tool,
        "-On",
        "-r",
        "0",
        "-t",
        str(timeout),
        *options,
        f"udp:{ip}:{lab.port}",
        *map(_dotted, oids),
    ]


def _run(
    lab: Lab,
    tool: str,
    ip: str,
    auth: netsnmp.Credentials,
    *oids: Oid,
    options: tuple[str, ...] = (),
    timeout: float = 1,
) -> subprocess.CompletedProcess[str]:
    """``tool`` with ``auth`` from its snmp.conf; ``options`` are other client flags."""
    return netsnmp.run(
        _argv(lab, tool, ip, list(options), *oids, timeout=timeout), lab.conf(auth), timeout=60
    )


def _v2c(community_text: str = TEST_ENV["PUBWIFI_SNMP_COMMUNITY"]) -> netsnmp.V2c:
    return netsnmp.V2c(community_text)


def _v3(
    auth: str = TEST_ENV["PUBWIFI_SNMP_V3_AUTH_KEY"],
    priv: str = TEST_ENV["PUBWIFI_SNMP_V3_PRIV_KEY"],
) -> netsnmp.V3:
    return netsnmp.V3(TEST_ENV["PUBWIFI_SNMP_V3_USER"], auth, priv)


def _expected_lines(lab: Lab, ip: str) -> dict[str, str]:
    """What net-snmp prints (-On) for each object of the device at ``ip``, except uptime."""
    n = int(ip.rsplit(".", 1)[1])
    return {
        _dotted(SYS_DESCR): f'STRING: "Lab AP ap-{n} firmware 1.{n}"',
        _dotted(SYS_OBJECT_ID): f"OID: .1.3.6.1.4.1.14179.1.{n}",
        _dotted(SYS_NAME): f'STRING: "ap-{n}"',
        _dotted(IF_NUMBER): f"INTEGER: {2 + n}",
        _dotted(IF_IN_OCTETS_1): f"Counter32: {4_000_000_000 + n}",
        _dotted(IF_HC_IN_OCTETS_1): f"Counter64: {2**40 * n + 7}",
        _dotted((*IP_AD_ENT_ADDR, 127, 20, 0, n)): f"IpAddress: {ip}",
    }


def _parse(stdout: str) -> dict[str, str]:
    pairs = (line.split(" = ", 1) for line in stdout.splitlines() if " = " in line)
    return {oid: value for oid, value in pairs if not value.startswith("No more variables")}


def _check_uptime(printed: str, lab: Lab, ip: str) -> None:
    ticks = int(printed.split("(", 1)[1].split(")", 1)[0])
    expected = (time.time() - lab.devices[ip].boot_time) * 100
    assert printed.startswith("Timeticks: ") and abs(ticks - expected) < 500


@pytest.mark.parametrize("ip", ["127.20.0.1", "127.20.0.2"])
@pytest.mark.parametrize("version", ["v2c", "v3"])
def test_snmpget_sees_its_own_device(lab: Lab, ip: str, version: str) -> None:
    auth = _v2c() if version == "v2c" else _v3()
    expected = _expected_lines(lab, ip)
    oids = [
        SYS_DESCR,
        SYS_OBJECT_ID,
        SYS_UPTIME,
        SYS_NAME,
        IF_NUMBER,
        IF_IN_OCTETS_1,
        IF_HC_IN_OCTETS_1,
    ]
    result = _run(lab, "snmpget", ip, auth, *oids)
    assert result.returncode == 0, result.stderr
    got = _parse(result.stdout)
    _check_uptime(got.pop(_dotted(SYS_UPTIME)), lab, ip)
    assert got == {k: v for k, v in expected.items() if "IpAddress" not in v}


@pytest.mark.parametrize("ip", ["127.20.0.1", "127.20.0.2"])
@pytest.mark.parametrize("version", ["v2c", "v3"])
def test_snmpbulkwalk_reads_the_whole_view_in_order(lab: Lab, ip: str, version: str) -> None:
    auth = _v2c() if version == "v2c" else _v3()
    result = _run(lab, "snmpbulkwalk", ip, auth, (1, 3, 6, 1, 2, 1), options=("-Cr3",))
    assert result.returncode == 0, result.stderr
    got = _parse(result.stdout)
    _check_uptime(got.pop(_dotted(SYS_UPTIME)), lab, ip)
    assert got == _expected_lines(lab, ip)
    lines = result.stdout.splitlines()
    assert lines[-1].endswith("(It is past the end of the MIB tree)")  # endOfMibView, as snmpd
    printed = [line.split(" = ")[0] for line in lines[:-1]]
    assert printed == sorted(printed, key=lambda o: tuple(map(int, o.strip(".").split("."))))


def test_wrong_community_gets_no_answer(lab: Lab) -> None:
    before = lab.agent.counters.bad_communities
    result = _run(lab, "snmpget", "127.20.0.1", _v2c("not-the-community"), SYS_NAME)
    assert result.returncode != 0 and "Timeout" in result.stderr
    assert lab.agent.counters.bad_communities == before + 1


def test_wrong_auth_password_is_an_authentication_failure(lab: Lab) -> None:
    before = lab.agent.engine.v3.stats.wrong_digests
    result = _run(lab, "snmpget", "127.20.0.1", _v3(auth="wrong-auth-secret"), SYS_NAME)
    assert result.returncode != 0 and "Authentication failure" in result.stderr
    assert lab.agent.engine.v3.stats.wrong_digests == before + 1


def test_wrong_priv_password_is_a_decryption_error(lab: Lab) -> None:
    before = lab.agent.engine.v3.stats.decryption_errors
    result = _run(lab, "snmpget", "127.20.0.2", _v3(priv="wrong-priv-secret"), SYS_NAME)
    assert result.returncode != 0 and "ap-2" not in result.stdout
    assert "decrypt" in result.stderr.lower(), result.stderr
    assert lab.agent.engine.v3.stats.decryption_errors == before + 1


def test_fault_down_is_a_timeout(lab: Lab) -> None:
    result = _run(lab, "snmpget", "127.20.0.3", _v2c(), SYS_NAME)
    assert result.returncode != 0 and "Timeout" in result.stderr


def test_fault_slow_answers_only_a_patient_client(lab: Lab) -> None:
    impatient = _run(lab, "snmpget", "127.20.0.4", _v2c(), SYS_NAME, timeout=1)
    assert impatient.returncode != 0 and "Timeout" in impatient.stderr
    started = time.monotonic()
    conf = lab.conf(_v2c())
    cmd = netsnmp.checked_argv(
        _argv(lab, "snmpget", "127.20.0.4", [], SYS_NAME, timeout=SLOW_SECONDS + 2), conf
    )
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=netsnmp.client_env(conf)
    ) as patient:
        # While ap-4's answer waits, other devices answer at once: SLOW blocks nobody else.
        other = _run(lab, "snmpget", "127.20.0.1", _v2c(), SYS_NAME)
        assert other.returncode == 0 and patient.poll() is None
        assert time.monotonic() - started < SLOW_SECONDS
        stdout, stderr = patient.communicate(timeout=30)
    assert patient.returncode == 0, stderr
    assert 'STRING: "ap-4"' in stdout
    assert time.monotonic() - started >= SLOW_SECONDS


@pytest.mark.parametrize("ip", ["127.20.0.5", "127.20.0.6"])  # MALFORMED, TRUNCATED
@pytest.mark.parametrize("version", ["v2c", "v3"])
def test_fault_malformed_or_truncated_gives_no_value(lab: Lab, ip: str, version: str) -> None:
    auth = _v2c() if version == "v2c" else _v3()
    result = _run(lab, "snmpget", ip, auth, SYS_NAME, options=("-d",))
    assert result.returncode != 0
    assert "Timeout" in result.stderr  # net-snmp drops what it cannot parse, then gives up
    # -d dumps packets: the client did receive a reply from the device's address, and no value
    assert "Received " in result.stderr and f"from UDP: [{ip}]:{lab.port}" in result.stderr
    assert result.stdout == ""


def test_replies_come_from_the_destination_address(lab: Lab) -> None:
    request = v2c_request(
        TEST_ENV["PUBWIFI_SNMP_COMMUNITY"].encode(), request_pdu(GET_REQUEST, 4242, [SYS_NAME])
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(2)
        client.bind(("127.0.0.1", 0))
        for ip in ("127.20.0.1", "127.20.0.2"):
            client.sendto(request, (ip, lab.port))
            reply, source = client.recvfrom(65535)
            assert source == (ip, lab.port)
            pdu = open_v2c(reply)
            assert (pdu.request_id, pdu.varbinds[0][1].value) == (4242, f"ap-{ip[-1]}".encode())
    # A connected socket only accepts datagrams from its peer: the reply must pass that filter.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as connected:
        connected.settimeout(2)
        connected.connect(("127.20.0.2", lab.port))
        connected.send(request)
        assert open_v2c(connected.recv(65535)).varbinds[0][1].value == b"ap-2"


def test_no_device_at_an_address_is_counted(lab: Lab, tmp_path: Path) -> None:
    before = lab.agent.counters.no_device
    result = _run(lab, "snmpget", "127.20.0.99", _v2c(), SYS_NAME)
    assert result.returncode != 0 and "Timeout" in result.stderr
    assert lab.agent.counters.no_device == before + 1


# --- the hostile_strings fault: the XSS corpus reaches a real client byte for byte ----------


@dataclass
class HostileLab:
    port: int
    conf: Path
    hostile: dict[str, str]  # AP address -> the sysName it reports (one per corpus entry)
    clean: tuple[str, str]  # an AP without the fault: (address, its sysName)


@pytest.fixture(scope="module")
def hostile_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileLab]:
    """A lab fleet on 127.22.0.x in which one AP per corpus entry reports it as its sysName."""
    directory = tmp_path_factory.mktemp("hostile")
    path = directory / "inventory.yaml"
    options = GenerateOptions(aps=200, first_ip="127.22.0.1", snmp_port=161, snmp_version="2c")
    path.write_text(generate(options), encoding="utf-8")
    inventory = load_inventory(path)
    active = [ap for ap in inventory.aps if ap.status.value == "active"]
    chosen = {}
    for ap in active:
        chosen.setdefault(hostile_strings(0, ap.id).sys_name, ap)
    assert set(chosen) == set(XSS_CORPUS), "too few APs to cover the corpus"
    clean = next(ap for ap in active if ap not in chosen.values())
    rules = [parse_flag(f"hostile_strings:{ap.id}") for ap in chosen.values()]
    environ = {"PUBWIFI_SNMP_COMMUNITY": TEST_ENV["PUBWIFI_SNMP_COMMUNITY"]}
    fleet = Fleet(inventory, faults=FaultPlan(rules), environ=environ, snmp_port=161)
    agent = SnmpAgent(lambda ip, port: fleet.resolve_snmp(ip, 161), host="0.0.0.0", port=0)
    runner = _AgentThread(agent)
    runner.start()
    try:
        conf = netsnmp.write_client_conf(directory / "conf", _v2c())
        yield HostileLab(
            agent.port,
            conf,
            {str(ap.address): entry for entry, ap in chosen.items()},
            (str(clean.address), clean.id),
        )
    finally:
        runner.stop()


def _sys_name_octets(lab: HostileLab, ip: str) -> bytes:
    """sysName.0 as snmpget prints it in hex (-Ox): the exact octets, no quoting or escaping."""
    argv = ["snmpget", "-On", "-Ox", "-r", "0", "-t", "2", f"udp:{ip}:{lab.port}"]
    result = netsnmp.run([*argv, _dotted(SYS_NAME)], lab.conf, timeout=60)
    assert result.returncode == 0, result.stderr
    oid, printed = result.stdout.strip().split(" = ", 1)
    assert oid == _dotted(SYS_NAME)
    kind, _, hex_octets = printed.partition(": ")
    assert kind == "Hex-STRING", printed
    return bytes.fromhex(hex_octets)  # a long value wraps over lines: fromhex skips those


@pytest.mark.parametrize("entry", XSS_CORPUS)
def test_snmpget_reads_a_hostile_sys_name_byte_exact(hostile_lab: HostileLab, entry: str) -> None:
    ip = next(ip for ip, name in hostile_lab.hostile.items() if name == entry)
    assert _sys_name_octets(hostile_lab, ip) == entry.encode()


def test_an_ap_without_the_fault_keeps_its_sys_name(hostile_lab: HostileLab) -> None:
    ip, name = hostile_lab.clean
    assert _sys_name_octets(hostile_lab, ip) == name.encode()
