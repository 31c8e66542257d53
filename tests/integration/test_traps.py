"""``pubwifi traps`` as a real subprocess, fed by net-snmp's ``snmptrap``/``snmpinform``.

One receiver for the module, on a 127.x address and a free UDP port, its data directory in tmp;
credentials reach net-snmp through a private snmp.conf (never argv) and the receiver through
the environment. Each test sends from an AP's own address (``--clientaddr``) and waits for the
receiver's own counters on /metrics, never a fixed sleep.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import netsnmp
import pytest
from labproc import LAB_ENV, LabInventory, Role, build_inventory, lab_env
from procs import pubwifi, start, stop, wait_for_line
from servers import free_port, free_udp_port

pytestmark = [pytest.mark.integration, pytest.mark.needs("/usr/bin/snmptrap")]

RECEIVER_HOST = "127.62.255.254"
STRANGER = "127.62.255.1"  # no AP has this address
COLD_START, LINK_DOWN, LINK_UP, WARM_START = (f"1.3.6.1.6.3.1.1.5.{n}" for n in (1, 3, 4, 2))
IF_DESCR_1 = "1.3.6.1.2.1.2.2.1.2.1"
HOSTILE = "<script>alert('trap')</script>\"; rm -rf / #"


@dataclass
class Receiver:
    inventory: LabInventory
    port: int
    metrics_url: str
    data_dir: Path
    confs: Path

    def metric(self, name: str, **labels: str) -> float:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as answer:
            text = answer.read().decode()
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        head = f"{name}{{{want}}}" if labels else name
        for line in text.splitlines():
            if line.startswith(head + " "):
                return float(line.split()[-1])
        return 0.0

    def wait_metric(self, name: str, at_least: float, timeout_s: float = 20, **labels: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.metric(name, **labels) >= at_least:
                return
            time.sleep(0.05)  # polling the receiver's own counter
        raise AssertionError(f"{name}{labels} stayed below {at_least}")

    def events(self) -> list[tuple[str, str, str, str]]:
        path = self.data_dir / "events" / "events.sqlite"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            query = "SELECT ap_id, kind, source, detail FROM events ORDER BY id"
            return db.execute(query).fetchall()

    def wait_event(self, row: tuple[str, str, str, str], timeout_s: float = 20) -> None:
        """Until ``row`` is in the event store (written in batches, a moment after counting)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if (self.data_dir / "events" / "events.sqlite").exists() and row in self.events():
                return
            time.sleep(0.05)  # polling the store the receiver writes
        raise AssertionError(f"{row} not in the event store: {self.events()}")

    def send(self, tool: str, source: str, creds: netsnmp.Credentials, *varbinds: str) -> str:
        conf = netsnmp.write_client_conf(self.confs / f"{tool}-{abs(hash(creds))}", creds)
        done = netsnmp.run(
            [tool, "-r", "1", "-t", "2", "--clientaddr=" + source,
             f"{RECEIVER_HOST}:{self.port}", "", *varbinds],
            conf,
            timeout=20,
        )  # fmt: skip
        return f"{done.returncode}:{done.stderr}"


V3 = netsnmp.V3(
    LAB_ENV["PUBWIFI_SNMP_V3_USER"],
    LAB_ENV["PUBWIFI_SNMP_V3_AUTH_KEY"],
    LAB_ENV["PUBWIFI_SNMP_V3_PRIV_KEY"],
)
V2C = netsnmp.V2c(LAB_ENV["PUBWIFI_SNMP_COMMUNITY"])


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    root = tmp_path_factory.mktemp("traps")
    roles = [
        Role("cisco", "cisco_ios_ap", "3"),
        Role("aruba", "aruba_instant", "3"),
        Role("legacy", "net-snmp", "2c"),
    ]
    inventory = build_inventory(root / "inventory.yaml", roles, 16161, 16022, "127.62.0.1")
    port, metrics_port = free_udp_port(RECEIVER_HOST), free_port()
    closed = f"http://127.0.0.1:{free_port()}"  # no InfluxDB: ap_event lines wait in the spool
    env = lab_env({"PUBWIFI_DATA_DIR": str(root / "data"), "PUBWIFI_INFLUX_URL": closed})
    log = root / "traps.log"
    proc = start(
        pubwifi("traps", "--inventory", str(inventory.path), "--host", RECEIVER_HOST,
                "--port", str(port), "--metrics-port", str(metrics_port)),
        env,
        log,
    )  # fmt: skip
    try:
        wait_for_line(log, '"traps": "ready"', proc, 60)
        ready = json.loads(next(ln for ln in log.read_text().splitlines() if '"ready"' in ln))
        assert ready["port"] == port and ready["aps"] == 3
        yield Receiver(
            inventory, port, f"http://127.0.0.1:{metrics_port}/metrics", root / "data", root / "c"
        )
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()


def test_v3_auth_priv_trap_becomes_an_event_with_the_engine_id_learned(receiver: Receiver) -> None:
    cisco = receiver.inventory["cisco"]
    before = receiver.metric("pubwifi_traps_received_total", kind="cold_start")
    assert receiver.send("snmptrap", cisco.address, V3, COLD_START).startswith("0:")
    receiver.wait_metric("pubwifi_traps_received_total", before + 1, kind="cold_start")
    receiver.wait_event((cisco.id, "cold_start", "trap", ""))
    receiver.wait_metric("pubwifi_traps_engine_ids", 1)


def test_hostile_strings_are_stored_verbatim(receiver: Receiver) -> None:
    aruba = receiver.inventory["aruba"]
    before = receiver.metric("pubwifi_traps_received_total", kind="link_down")
    result = receiver.send("snmptrap", aruba.address, V3, LINK_DOWN, IF_DESCR_1, "s", HOSTILE)
    assert result.startswith("0:"), result
    receiver.wait_metric("pubwifi_traps_received_total", before + 1, kind="link_down")
    receiver.wait_event((aruba.id, "link_down", "trap", f"{IF_DESCR_1}={HOSTILE}"))


def test_v2c_trap_from_a_v2c_ap(receiver: Receiver) -> None:
    legacy = receiver.inventory["legacy"]
    before = receiver.metric("pubwifi_traps_received_total", kind="link_up")
    assert receiver.send("snmptrap", legacy.address, V2C, LINK_UP).startswith("0:")
    receiver.wait_metric("pubwifi_traps_received_total", before + 1, kind="link_up")
    receiver.wait_event((legacy.id, "link_up", "trap", ""))


def test_v3_inform_is_acknowledged(receiver: Receiver) -> None:
    cisco = receiver.inventory["cisco"]
    before = receiver.metric("pubwifi_traps_received_total", kind="warm_start")
    result = receiver.send("snmpinform", cisco.address, V3, WARM_START)
    assert result.startswith("0:"), result  # snmpinform exits 0 only when the inform is answered
    receiver.wait_metric("pubwifi_traps_received_total", before + 1, kind="warm_start")


@pytest.mark.parametrize(
    ("sender", "creds", "reason"),
    [
        ("stranger", V2C, "unknown_sender"),
        ("legacy", netsnmp.V2c("not-the-community"), "bad_community"),
        ("cisco", V2C, "bad_community"),  # v2c from an AP configured for v3: refused
        ("cisco", netsnmp.V3(V3.user, "a-wrong-auth-key", V3.priv_key), "bad_credentials"),
        ("aruba", netsnmp.V3("someone-else", V3.auth_key, V3.priv_key), "bad_credentials"),
    ],
)
def test_refused_notifications_are_counted_and_dropped(
    receiver: Receiver, sender: str, creds: netsnmp.Credentials, reason: str
) -> None:
    source = STRANGER if sender == "stranger" else receiver.inventory[sender].address
    cold_starts = [e for e in receiver.events() if e[1] == "cold_start"]
    before = receiver.metric("pubwifi_traps_dropped_total", reason=reason)
    receiver.send("snmptrap", source, creds, COLD_START)
    receiver.wait_metric("pubwifi_traps_dropped_total", before + 1, reason=reason)
    # the receiver still works; once a later trap's event is stored, the refused one left none
    legacy = receiver.inventory["legacy"]
    token = f"after-{reason}-{sender}"
    assert receiver.send("snmptrap", legacy.address, V2C, LINK_UP, IF_DESCR_1, "s", token)[0] == "0"
    receiver.wait_event((legacy.id, "link_up", "trap", f"{IF_DESCR_1}={token}"))
    assert [e for e in receiver.events() if e[1] == "cold_start"] == cold_starts


def test_v1_trap_from_a_v2c_ap_takes_the_fast_path(receiver: Receiver) -> None:
    legacy = receiver.inventory["legacy"]
    before = receiver.metric("pubwifi_traps_received_total", kind="link_down")
    conf = netsnmp.write_client_conf(receiver.confs / "v1", V2C)
    done = netsnmp.run(
        ["snmptrap", "-v", "1", "-r", "1", "-t", "2", "--clientaddr=" + legacy.address,
         f"{RECEIVER_HOST}:{receiver.port}", "1.3.6.1.4.1.8072.3.2.10", legacy.address, "2", "0",
         "", IF_DESCR_1, "s", "v1-wlan0"],
        conf,
        timeout=20,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    receiver.wait_metric("pubwifi_traps_received_total", before + 1, kind="link_down")
    detail = (
        f"1.3.6.1.6.3.18.1.3.0={legacy.address}\n1.3.6.1.6.3.18.1.4.0=\n"
        f"1.3.6.1.6.3.1.1.4.3.0=1.3.6.1.4.1.8072.3.2.10\n{IF_DESCR_1}=v1-wlan0"
    )
    receiver.wait_event((legacy.id, "link_down", "trap", detail))


def test_v2c_inform_is_acknowledged_by_pysnmp(receiver: Receiver) -> None:
    legacy = receiver.inventory["legacy"]
    before = receiver.metric("pubwifi_traps_received_total", kind="warm_start")
    result = receiver.send("snmpinform", legacy.address, V2C, WARM_START)
    assert result.startswith("0:"), result  # answered: INFORMs stay on pysnmp
    receiver.wait_metric("pubwifi_traps_received_total", before + 1, kind="warm_start")


def test_the_receive_buffer_is_reported(receiver: Receiver) -> None:
    assert receiver.metric("pubwifi_traps_recv_buffer_bytes") > 0
