"""The lab's notifications: the receiver flag, v3/v2c encoding (checked by the real trap
receiver, pysnmp), the schedule of reboot and link_flap faults, authenticationFailure from the
agent (rate-limited), and send errors counted, never raised."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.cli import main
from collector.errors import InputError
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint, Inventory, SnmpV3Auth
from collector.lab.faults import FaultPlan, build_plan, parse_flag
from collector.lab.fleet import Fleet
from collector.lab.notify import TrapSchedule, TrapSender, parse_receiver
from collector.lab.snmp.agent import IP_PKTINFO, SnmpAgent
from collector.lab.snmp.ber import GET_REQUEST, NULL_VALUE, Pdu, encode_pdu
from collector.lab.snmp.device import AgentDevice
from collector.lab.snmp.staticview import StaticMibView
from collector.lab.snmp.testing import v2c_request
from collector.lab.traps import COLD_START
from collector.profiles import load_profiles
from collector.traps.cli import credentials
from collector.traps.mapping import TrapKinds
from collector.traps.receiver import TrapReceiver

ENV = {
    "PUBWIFI_SNMP_COMMUNITY": "notify-community",
    "PUBWIFI_SNMP_V3_USER": "notifier",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "notify-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "notify-priv-key",
    "PUBWIFI_SSH_USER": "admin",
    "PUBWIFI_SSH_PASSWORD": "notify-ssh-password",
}
T0 = 1_750_000_000.0
IF_OPER_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_LAST_CHANGE = (1, 3, 6, 1, 2, 1, 2, 2, 1, 9)
UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Wire:
    """Stands in for the sender's sockets: records (source, datagram)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def attach(self, sender: TrapSender) -> None:
        wire = self

        class _Sock:
            def __init__(self, source: str) -> None:
                self.source = source

            def send(self, data: bytes) -> int:
                wire.sent.append((self.source, data))
                return len(data)

        sender._socket = _Sock  # type: ignore[assignment,method-assign]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    yield


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    path = tmp_path_factory.mktemp("notify") / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=120, first_ip="127.41.0.1", snmp_port=16161)))
    return load_inventory(path)


def _active(inventory: Inventory, v3: bool, skip: int = 0) -> AccessPoint:
    found = [
        ap
        for ap in inventory
        if ap.status.value == "active" and isinstance(ap.snmp_auth, SnmpV3Auth) == v3
    ]
    return found[skip]


def _fleet(inventory: Inventory, *flags: str, clock: Clock) -> Fleet:
    plan = FaultPlan([parse_flag(flag) for flag in flags])
    return Fleet(inventory, seed=1, faults=plan, environ=ENV, clock=clock)


def _receiver(inventory: Inventory) -> TrapReceiver:
    return TrapReceiver(
        inventory.aps, credentials(inventory), TrapKinds.from_profiles(load_profiles()), _Sink()
    )


class _Sink:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def put(self, ap: AccessPoint, event: object) -> None:
        self.events.append((ap.id, event.kind, event.detail))  # type: ignore[attr-defined]


def _received(receiver: TrapReceiver, wire: Wire) -> list[tuple[str, str, str]]:
    """What the real receiver makes of the recorded datagrams (outcome per datagram checked)."""
    sink = receiver.sink
    assert isinstance(sink, _Sink)
    outcomes = [receiver.process(data, (source, 40000)) for source, data in wire.sent]
    assert outcomes == ["event"] * len(outcomes), outcomes
    wire.sent.clear()
    events, sink.events = sink.events, []
    return events


# --- the flag ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:16162", ("127.0.0.1", 16162)), ("localhost:162", ("127.0.0.1", 162)),
     ("127.62.255.254:1", ("127.62.255.254", 1))],
)  # fmt: skip
def test_the_receiver_flag_takes_loopback_host_and_port(
    text: str, expected: tuple[str, int]
) -> None:
    assert parse_receiver(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("10.0.0.1:162", "loopback only"),
        ("0.0.0.0:162", "loopback only"),
        ("traps.example:162", "loopback only"),
        ("127.0.0.1", "expected HOST:PORT"),
        (":162", "expected HOST:PORT"),
        ("127.0.0.1:0", "UDP port 1-65535"),
        ("127.0.0.1:70000", "UDP port 1-65535"),
        ("127.0.0.1:x", "UDP port 1-65535"),
    ],
)
def test_a_bad_receiver_flag_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_receiver(text)
    assert str(caught.value).startswith("--trap-receiver:0: ") and says in str(caught.value)


def test_the_lab_refuses_a_bad_receiver_before_starting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lab", "--inventory", "nowhere.yaml", "--trap-receiver", "192.0.2.1:162"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--trap-receiver:0: ") and "Traceback" not in err


# --- fault rules ---------------------------------------------------------------------------------
def test_link_flap_is_a_timed_fault_with_down_seconds(tmp_path: Path) -> None:
    rule = parse_flag("link_flap:AP-1:every_minutes=30:down_seconds=20")
    assert (rule.kind.value, rule.every_minutes, rule.down_seconds) == ("link_flap", 30, 20)
    with pytest.raises(InputError, match="needs 'at'"):
        parse_flag("link_flap:AP-1")
    with pytest.raises(InputError, match="shorter than 'every_minutes'"):
        parse_flag("link_flap:AP-1:every_minutes=1:down_seconds=60")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("faults:\n  - {kind: down, ap: AP-1}\n")
    second.write_text("faults:\n  - {kind: link_flap, ap: AP-2, at: 1750000000}\n")
    plan = build_plan([first, second], ["reboot:AP-3:every_minutes=20"])
    assert [(r.kind.value, r.ap) for r in plan.rules] == [
        ("down", "AP-1"), ("link_flap", "AP-2"), ("reboot", "AP-3"),
    ]  # fmt: skip


# --- encoding, checked by the product's receiver ----------------------------------------------
@pytest.mark.usefixtures("env")
def test_v3_and_v2c_aps_send_what_the_receiver_accepts(inventory: Inventory) -> None:
    v3, v2c = _active(inventory, True), _active(inventory, False)
    fleet = _fleet(inventory, clock=Clock(T0))
    sender, wire, receiver = TrapSender(("127.0.0.1", 9)), Wire(), _receiver(inventory)
    wire.attach(sender)
    for ap in (v3, v2c):
        agent = fleet.agent_of(ap, T0)
        assert agent is not None
        assert sender.send(agent, str(ap.address), COLD_START, (), T0)
    assert wire.sent[0][1][:5] != wire.sent[1][1][:5]  # v3 and v2c framing
    assert _received(receiver, wire) == [(v3.id, "cold_start", ""), (v2c.id, "cold_start", "")]
    assert len(receiver.engine_ids) == 1  # the v3 AP's own engine id, learned
    assert sender.stats.sent == {"cold_start": 2}


@pytest.mark.usefixtures("env")
def test_a_trap_signed_with_other_keys_is_refused(inventory: Inventory) -> None:
    v3 = _active(inventory, True)
    other = {**ENV, "PUBWIFI_SNMP_V3_AUTH_KEY": "not-the-auth-key"}
    fleet = Fleet(inventory, seed=1, environ=other, clock=Clock(T0))
    sender, wire, receiver = TrapSender(("127.0.0.1", 9)), Wire(), _receiver(inventory)
    wire.attach(sender)
    agent = fleet.agent_of(v3, T0)
    assert agent is not None and sender.send(agent, str(v3.address), COLD_START, (), T0)
    assert receiver.process(wire.sent[0][1], (str(v3.address), 40000)) == "bad_credentials"


# --- the schedule --------------------------------------------------------------------------------
@pytest.mark.usefixtures("env")
def test_reboot_and_link_flap_send_their_traps_when_due(inventory: Inventory) -> None:
    rebooting, flapping = _active(inventory, True), _active(inventory, True, skip=1)
    silent, v2c = _active(inventory, True, skip=2), _active(inventory, False)
    clock = Clock(T0)
    fleet = _fleet(
        inventory,
        f"reboot:{rebooting.id}:at={T0 + 60}:every_minutes=10",
        f"link_flap:{flapping.id}:at={T0 + 30}:every_minutes=5:down_seconds=5",
        f"reboot:{silent.id}:at={T0 + 60}",
        f"down:{silent.id}",
        f"reboot:{v2c.id}:at={T0 - 5}",  # before the lab started: not announced
        clock=clock,
    )
    sender, wire, receiver = TrapSender(("127.0.0.1", 9)), Wire(), _receiver(inventory)
    wire.attach(sender)
    schedule = TrapSchedule(fleet, sender)
    assert schedule.next_time() == T0 + 30
    assert schedule.fire_due(T0 + 29) == 0 and wire.sent == []

    clock.now = T0 + 30.2
    assert schedule.fire_due(clock.now) == 1
    [(ap_id, kind, detail)] = _received(receiver, wire)
    assert (ap_id, kind) == (flapping.id, "link_down")
    view = fleet.member(flapping).agent.view
    uplink = next(int(line.split("=")[1]) for line in detail.splitlines() if "2.2.1.1." in line)
    assert f"1.3.6.1.2.1.2.2.1.8.{uplink}=2" in detail
    assert view.get((*IF_OPER_STATUS, uplink), T0 + 31).value == 2  # the MIB agrees
    down_at = view.get((*IF_LAST_CHANGE, uplink), T0 + 31).value
    assert isinstance(down_at, int) and down_at > 0

    clock.now = T0 + 35.1
    assert schedule.fire_due(clock.now) == 1
    [(ap_id, kind, detail)] = _received(receiver, wire)
    assert (ap_id, kind) == (flapping.id, "link_up")
    assert f"1.3.6.1.2.1.2.2.1.8.{uplink}=1" in detail
    assert view.get((*IF_OPER_STATUS, uplink), clock.now).value == 1
    assert view.get((*IF_LAST_CHANGE, uplink), clock.now).value == down_at + 500

    clock.now = T0 + 60.3
    assert schedule.fire_due(clock.now) == 2  # the reboot, and the down AP's (silent)
    assert _received(receiver, wire) == [(rebooting.id, "cold_start", "")]
    agent = fleet.member(rebooting).agent
    assert agent.boot_time == T0 + 60
    uptime = agent.view.get(UPTIME, clock.now).value
    assert isinstance(uptime, int) and uptime < 100
    assert sender.stats.silent == 1
    assert schedule.next_time() == T0 + 330  # the next flap (then T0 + 660: the next reboot)
    assert sender.stats.sent == {"link_down": 1, "link_up": 1, "cold_start": 1}


@pytest.mark.usefixtures("env")
def test_a_fraction_rule_schedules_the_aps_it_selects(inventory: Inventory) -> None:
    plan_flag = "reboot:0.2:every_minutes=30"
    fleet = _fleet(inventory, plan_flag, clock=Clock(T0))
    schedule = TrapSchedule(fleet, TrapSender(("127.0.0.1", 9)))
    rule = parse_flag(plan_flag)
    assert len(schedule) == sum(rule.selects(ap.id) for ap in inventory) > 0


# --- authenticationFailure from the agent ------------------------------------------------------
class _RecordingSocket:
    def sendmsg(self, *args: object) -> int:
        return 0


def _pktinfo(dest: str) -> list[tuple[int, int, bytes]]:
    return [(socket.IPPROTO_IP, IP_PKTINFO, bytes(4) + socket.inet_aton(dest) * 2)]


def test_bad_credentials_send_one_auth_failure_per_ap_per_interval() -> None:
    device = AgentDevice("AP-7", StaticMibView({}), T0 - 3600, b"right-community")
    tick = Clock(0.0)
    sender, wire = TrapSender(("127.0.0.1", 9), monotonic=tick), Wire()
    wire.attach(sender)
    agent = SnmpAgent(lambda ip, port: device, port=0, on_auth_failure=sender.auth_failure)
    agent._sock = _RecordingSocket()  # type: ignore[assignment]
    pdu = encode_pdu(Pdu(GET_REQUEST, 5, 0, 0, [(UPTIME, NULL_VALUE)]))

    def request(community: bytes) -> None:
        data = v2c_request(community, pdu)
        agent._on_datagram(agent._sock, data, _pktinfo("127.20.0.7"), 0, ("127.0.0.1", 4000))  # type: ignore[arg-type]

    request(b"right-community")
    assert wire.sent == []
    request(b"wrong")
    request(b"wrong")
    assert [source for source, _ in wire.sent] == ["127.20.0.7"]
    assert sender.stats.rate_limited == 1
    tick.now = 10.5
    request(b"wrong")
    assert len(wire.sent) == 2 and sender.stats.sent == {"auth_failure": 2}
    assert wire.sent[0][1].find(b"right-community") > 0  # sent with the AP's own community


# --- never raises, never blocks ------------------------------------------------------------------
def test_send_errors_are_counted_and_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens there once closed
    device = AgentDevice("AP-8", StaticMibView({}), T0 - 3600, b"s3cret-community")
    sender = TrapSender(("127.0.0.1", closed))
    try:
        results = [sender.send(device, "127.44.0.8", COLD_START, (), T0) for _ in range(4)]
        assert results[0] is True and False in results  # the refusal surfaces on a later send
        assert sender.stats.send_errors.get("ECONNREFUSED", 0) >= 1
        nobody = AgentDevice("AP-9", StaticMibView({}), T0 - 3600)  # neither v3 user nor community
        assert sender.send(nobody, "127.44.0.9", COLD_START, (), T0) is False
        assert sender.stats.encode_errors == 1
        sender.report()
    finally:
        sender.close()
    logged = [r.getMessage() for r in caplog.records if r.name == "collector.lab.notify"]
    summary = json.loads(next(m for m in logged if m.startswith("lab traps: {")).split(": ", 1)[1])
    assert summary["encode_errors"] == 1 and summary["send_errors"]["ECONNREFUSED"] >= 1
    assert logged and not any("s3cret" in m for m in logged)


@pytest.mark.usefixtures("env")
def test_the_schedule_task_sends_in_real_time_and_stops_when_cancelled(
    inventory: Inventory,
) -> None:
    ap = _active(inventory, False)

    async def scenario() -> list[bytes]:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.setblocking(False)
            now = time.time()
            plan = FaultPlan([parse_flag(f"reboot:{ap.id}:at={now + 0.3}")])
            fleet = Fleet(inventory, seed=1, faults=plan, environ=ENV, clock=time.time)
            sender = TrapSender(listener.getsockname())
            task = asyncio.create_task(TrapSchedule(fleet, sender).run())
            loop = asyncio.get_running_loop()
            data = await asyncio.wait_for(loop.sock_recv(listener, 65535), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            sender.close()
            return [data]

    [data] = asyncio.run(scenario())
    assert ENV["PUBWIFI_SNMP_COMMUNITY"].encode() in data  # the v2c AP's coldStart


# --- warmStart on a CLI reload -------------------------------------------------------------------
@pytest.mark.usefixtures("env")
def test_a_cli_reload_sends_a_warm_start(inventory: Inventory) -> None:
    ap = _active(inventory, True)
    clock = Clock(T0)
    fleet = _fleet(inventory, clock=clock)
    sender, wire, receiver = TrapSender(("127.0.0.1", 9)), Wire(), _receiver(inventory)
    wire.attach(sender)
    TrapSchedule(fleet, sender)
    member = fleet.member(ap)
    clock.now = T0 + 7
    member.device.state.reboot(clock.now)  # what the CLI's reload does
    assert member.ssh.on_reload is not None
    member.ssh.on_reload()
    assert _received(receiver, wire) == [(ap.id, "warm_start", "")]


def test_the_ssh_channel_tells_the_device_when_its_cli_reloaded() -> None:
    from collector.lab.ssh.session import ChannelSession

    class _Cli:
        reloaded = True
        dialect = None

        def run_command(self, command: str) -> str:
            return "reloading"

    class _Chan:
        def __init__(self) -> None:
            self.closed = False

        def write(self, text: str) -> None:
            pass

        def exit(self, status: int) -> None:
            pass

        def get_connection(self) -> _Chan:
            return self

        def close(self) -> None:
            self.closed = True

    calls: list[str] = []

    def broken() -> None:
        calls.append("reload")
        raise RuntimeError("a broken hook must not break the CLI")

    session = ChannelSession(_Cli(), hangs=False, ap_id="AP-1", on_reload=broken)  # type: ignore[arg-type]
    chan = _Chan()
    session.connection_made(chan)  # type: ignore[arg-type]
    session.exec_requested("reload")
    session.session_started()
    assert calls == ["reload"] and chan.closed
