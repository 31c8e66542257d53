"""Lab secrets, client identities and the read-command faults, on every platform's dialect."""

from __future__ import annotations

import re

import pytest

from collector.lab.ssh.clientids import client_identity, client_macs
from collector.lab.ssh.dialects import DIALECTS, dialect_for
from collector.lab.ssh.engine import CLI_ERROR, GARBAGE, CliSession
from collector.lab.ssh.garbage import garbage_text
from collector.lab.ssh.hostkeys import (
    HostKeys,
    known_hosts_line,
    public_key_openssh,
    rotated_host_key,
)
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.samples import sample_state
from collector.lab.state import DeviceState

NOW = 1_700_000_000.0 + 86_400
COUNTS = {
    ("2.4GHz", "Seoul_Free_WiFi"): 3,
    ("2.4GHz", "Seoul_Secure"): 1,
    ("5GHz", "Seoul_Free_WiFi"): 2,
    ("5GHz", "Seoul_Secure"): 4,
    ("6GHz", "Seoul_Secure"): 2,
}
#: platform -> (commands that list clients, a read command, a non-read command)
LISTING = {
    "cisco_ios_ap": (["show dot11 associations"], "show version", "terminal length 0"),
    "aruba_instant": (["show clients"], "show version", "no paging"),
    "mikrotik_routeros": (
        ["/interface wireless registration-table print"],
        "/system resource print",
        "quit",
    ),
    "net-snmp": (
        [f"hostapd_cli -i {i} all_sta" for i in ("wlan0", "wlan0-1", "wlan1", "wlan1-1")]
        + ["hostapd_cli -i wlan2 all_sta", "hostapd_cli -i wlan2-1 all_sta"],
        "iw dev",
        "exit",
    ),
}


def counts(state: DeviceState, now: float) -> dict[tuple[str, str], int]:
    return dict(COUNTS)


def session(platform: str, **extra: object) -> CliSession:
    state = sample_state(platform, f"AP-{platform}")
    return CliSession(
        dialect_for(platform),
        state,
        user="admin",
        secret="pw",
        clock=lambda: NOW,
        clients=counts,
        **extra,  # type: ignore[arg-type]
    )


def test_lab_secrets_are_deterministic_per_ap_and_in_the_stated_format() -> None:
    one = lab_secrets("AP-1")
    assert one == lab_secrets("AP-1") and one != lab_secrets("AP-2")
    assert re.fullmatch(r"rad-[0-9a-f]{16}", one.radius_key)
    assert re.fullmatch(r"cmty-[0-9a-f]{12}", one.snmp_community)
    assert re.fullmatch(r"pw-[0-9a-f]{12}", one.user_password)
    assert re.fullmatch(r"\$9\$[0-9a-f]{14}\$[0-9a-f]{40}", one.enable_hash)
    assert len(set(one.all())) == 4


def test_client_identities_are_deterministic_and_locally_administered() -> None:
    first = client_identity("AP-1", "5GHz", "Seoul_Secure", 0)
    assert first == client_identity("AP-1", "5GHz", "Seoul_Secure", 0)
    assert first != client_identity("AP-1", "5GHz", "Seoul_Secure", 1)
    assert re.fullmatch(r"02(:[0-9a-f]{2}){5}", first.mac)
    assert re.fullmatch(r"10\.2\d\.\d+\.\d+", first.ip)
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{4}", first.name)
    assert first.cisco_mac == first.mac.replace(":", "")[:4] + "." + first.cisco_mac[5:]
    assert len(client_macs("AP-1", COUNTS)) == sum(COUNTS.values())


@pytest.mark.parametrize("platform", sorted(DIALECTS))
def test_every_printed_mac_is_recorded_and_predictable(platform: str) -> None:
    shown: set[str] = set()
    cli = session(platform, shown_macs=shown)
    out = "".join(cli.run_command(command) for command in LISTING[platform][0])
    radios = {r.band for r in cli.state.running.radios}
    expected = client_macs(cli.state.ap_id, {k: n for k, n in COUNTS.items() if k[0] in radios})
    assert shown == expected
    flat = out.lower().replace(".", "").replace(":", "")
    assert all(mac.replace(":", "") in flat for mac in expected)
    unrecorded = session(platform)  # no set: nothing kept
    unrecorded.run_command(LISTING[platform][0][0])


@pytest.mark.parametrize("platform", sorted(DIALECTS))
def test_cli_error_fault_breaks_reads_only(platform: str) -> None:
    cli = session(platform, fault=CLI_ERROR)
    _, read, other = LISTING[platform]
    healthy = session(platform)
    broken = cli.feed_line(read)
    expected_error = healthy.feed_line(read.replace(read.split()[0], "xyzzy", 1))
    assert broken.endswith(cli.prompt) and broken != healthy.feed_line(read)
    first_line = broken.splitlines()[0]
    assert any(
        word in broken
        for word in ("% Invalid input", "% Parse error", "bad command name", "command not found")
    ), first_line
    assert broken.count("\n") == expected_error.count("\n")
    assert "Invalid" not in cli.feed_line(other) or platform == "net-snmp"


@pytest.mark.parametrize("platform", sorted(DIALECTS))
def test_garbage_fault_answers_junk_and_the_prompt_comes_back(platform: str) -> None:
    cli = session(platform, fault=GARBAGE)
    _, read, _ = LISTING[platform]
    out = cli.feed_line(read)
    assert out.endswith(cli.prompt)
    junk = out[: -len(cli.prompt)]
    assert junk == garbage_text(f"{cli.state.ap_id}\0{read}")
    assert any(ord(c) > 127 for c in junk) and len(junk.splitlines()) == 6
    assert junk != cli.run_command(LISTING[platform][0][0])


def test_rotated_host_key_differs_and_has_its_known_hosts_line() -> None:
    normal = public_key_openssh("s", "AP-1")
    rotated = public_key_openssh("s", "AP-1", rotated=True)
    assert normal != rotated and rotated.startswith("ssh-ed25519 ")
    assert known_hosts_line("127.0.0.9", 2222, "AP-1", "s", rotated=True) == (
        f"[127.0.0.9]:2222 {rotated}"
    )
    served = rotated_host_key("s", "AP-1").export_public_key("openssh").decode().split()[:2]
    assert " ".join(served) == rotated
    keys = HostKeys("s")
    assert keys.get("AP-1") is not keys.get("AP-1", rotated=True) and len(keys) == 2
