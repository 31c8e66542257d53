"""``pubwifi lab --trap-receiver`` feeding ``pubwifi traps``, both real subprocesses.

Four APs: "rebooting" (v3) reboots a few seconds after the lab starts and then every minute,
"flapping" (v3) loses its uplink for 2 s at the same rhythm, "probed" (v2c) gets net-snmp
``snmpget`` requests with a wrong community (twice: the lab rate-limits authenticationFailure),
"quiet" (v3) has no fault. The event store must hold cold_start, link_down + link_up and
auth_failure for exactly those APs, the receiver's /metrics must count them, and its learned
engine ids prove the v3 APs sent SNMPv3 (the receiver refuses v2c from a v3 AP). Readiness is
the processes' ready lines; events are awaited by polling the store against a deadline.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path

import netsnmp
import pytest
from labproc import LAB_ENV, LabProcess, Role, build_inventory, free_port, lab_env, lab_process
from procs import pubwifi, start, stop, wait_for_line
from servers import free_udp_port

from collector.events import Event, EventStore

pytestmark = [pytest.mark.integration, pytest.mark.needs("/usr/bin/snmpget")]

RECEIVER_HOST = "127.65.255.254"
FIRST_IP = "127.65.0.1"
LEAD_S = 8  # the first reboot and flap fall this long after the lab is started
DEADLINE_S = 100.0  # a slow start misses the first instants: the next come a minute later


def metric(url: str, name: str, **labels: str) -> float:
    with urllib.request.urlopen(url, timeout=5) as answer:
        text = answer.read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    head = f"{name}{{{want}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(head + " "):
            return float(line.split()[-1])
    return 0.0


def events_of(data_dir: Path, ap_id: str) -> list[Event]:
    """The AP's events, oldest first."""
    store = EventStore.existing(data_dir)
    if store is None:
        return []
    with store:
        return list(reversed(store.of_ap(ap_id)))


def wait_for_kinds(data_dir: Path, wanted: dict[str, list[str]]) -> dict[str, list[str]]:
    """Poll the store until each AP's kinds start with ``wanted``'s (or the deadline)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        seen = {ap: [e.kind for e in events_of(data_dir, ap)] for ap in wanted}
        if all(seen[ap][: len(kinds)] == kinds for ap, kinds in wanted.items()):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {wanted}, the event store has {seen}")
        time.sleep(0.2)  # polling the store the receiver writes


def wrong_community_get(confs: Path, address: str, port: int) -> None:
    conf = netsnmp.write_client_conf(confs / "wrong", netsnmp.V2c("not-the-community"))
    done = netsnmp.run(
        ["/usr/bin/snmpget", "-r", "0", "-t", "1", f"{address}:{port}", "1.3.6.1.2.1.1.3.0"],
        conf,
        timeout=20,
    )
    assert done.returncode != 0  # no answer to a wrong community: the agent drops it


def test_lab_faults_reach_the_receiver_as_events(tmp_path: Path) -> None:
    roles = [
        Role("rebooting", "cisco_ios_ap", "3"),
        Role("flapping", "aruba_instant", "3"),
        Role("probed", "net-snmp", "2c"),
        Role("quiet", "mikrotik_routeros", "3"),
    ]
    snmp_port, ssh_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    inventory = build_inventory(tmp_path / "inventory.yaml", roles, snmp_port, ssh_port, FIRST_IP)
    trap_port, metrics_port = free_udp_port(RECEIVER_HOST), free_port(socket.SOCK_STREAM)
    data_dir = tmp_path / "data"
    closed = f"http://127.0.0.1:{free_port(socket.SOCK_STREAM)}"  # ap_event lines stay spooled
    env = lab_env(
        {
            "PUBWIFI_DATA_DIR": str(data_dir),
            "PUBWIFI_INFLUX_URL": closed,
            "PUBWIFI_TRAPS_METRICS_PORT": str(metrics_port),  # the default of --metrics-port
        }
    )
    traps_log = tmp_path / "traps.log"
    receiver = start(
        pubwifi("traps", "--inventory", str(inventory.path), "--host", RECEIVER_HOST,
                "--port", str(trap_port)),
        env,
        traps_log,
    )  # fmt: skip
    lab: LabProcess | None = None
    try:
        wait_for_line(traps_log, '"traps": "ready"', receiver, 60)
        ready = json.loads(next(ln for ln in traps_log.read_text().splitlines() if "ready" in ln))
        assert (ready["port"], ready["metrics_port"]) == (trap_port, metrics_port)
        url = f"http://127.0.0.1:{metrics_port}/metrics"

        at = int(time.time()) + LEAD_S
        rebooting, flapping = inventory["rebooting"], inventory["flapping"]
        probed, quiet = inventory["probed"], inventory["quiet"]
        lab = lab_process(
            inventory,
            tmp_path / "lab.log",
            faults=[
                f"reboot:{rebooting.id}:at={at}:every_minutes=1",
                f"link_flap:{flapping.id}:at={at}:every_minutes=1:down_seconds=2",
            ],
        )
        lab.argv += ["--trap-receiver", f"{RECEIVER_HOST}:{trap_port}"]
        lab.start()
        assert lab.ready["trap_receiver"] == f"{RECEIVER_HOST}:{trap_port}"

        wrong_community_get(tmp_path / "c", probed.address, snmp_port)
        wrong_community_get(tmp_path / "c", probed.address, snmp_port)  # within 10 s: no trap

        seen = wait_for_kinds(
            data_dir,
            {
                rebooting.id: ["cold_start"],
                flapping.id: ["link_down", "link_up"],
                probed.id: ["auth_failure"],
            },
        )
        assert set(seen[rebooting.id]) == {"cold_start"}
        assert seen[flapping.id] == ["link_down", "link_up"] * (len(seen[flapping.id]) // 2) + (
            ["link_down"] if len(seen[flapping.id]) % 2 else []
        )
        assert seen[probed.id] == ["auth_failure"]  # one, though two requests failed
        assert events_of(data_dir, quiet.id) == []
        [down, *_] = [e for e in events_of(data_dir, flapping.id) if e.kind == "link_down"]
        assert "1.3.6.1.2.1.2.2.1.8." in down.detail and down.detail.count("=2") >= 1
        assert all(e.source == "trap" for e in events_of(data_dir, rebooting.id))

        counts = {
            kind: metric(url, "pubwifi_traps_received_total", kind=kind)
            for kind in ("cold_start", "link_down", "link_up", "auth_failure")
        }
        assert counts["cold_start"] >= 1 and counts["link_down"] >= 1
        assert counts["link_up"] >= 1 and counts["auth_failure"] == 1
        # SNMPv3 from both v3 APs: each one's own engine id learned (v2c from them is refused)
        assert metric(url, "pubwifi_traps_engine_ids") == 2
        for reason in ("bad_credentials", "bad_community", "malformed", "unknown_sender"):
            assert metric(url, "pubwifi_traps_dropped_total", reason=reason) == 0, reason
    finally:
        status = lab.stop() if lab is not None else None
        stop(receiver)
    lab_log = (tmp_path / "lab.log").read_text()
    assert status == 0, lab_log[-3000:]
    summary = json.loads(
        next(ln for ln in reversed(lab_log.splitlines()) if "lab traps: {" in ln).split(
            "lab traps: ", 1
        )[1]
    )
    assert summary["send_errors"] == {} and summary["encode_errors"] == 0
    assert summary["sent"]["auth_failure"] == 1 and summary["rate_limited"] >= 1
    for secret in LAB_ENV.values():
        assert secret not in lab_log and secret not in traps_log.read_text()
    assert "Traceback" not in lab_log + traps_log.read_text()
    assert receiver.returncode == 0
