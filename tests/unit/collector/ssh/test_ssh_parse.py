"""SSH facts parsing against recorded lab outputs: golden parses, golden facts, and refusal of
error text, junk, truncation and missing outputs; no client identifier ever reaches ApFacts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import ssh_recordings as rec

from collector.lab.ssh.clientids import client_identity
from collector.lab.ssh.engine import CLI_ERROR, GARBAGE
from collector.ssh.parse import (
    FactsParseError,
    band_from_mhz,
    band_from_text,
    parse_duration,
    parse_facts,
)
from collector.ssh.profile import SshProfile, load_ssh_profiles

PROFILES = load_ssh_profiles()
PLATFORMS = sorted(PROFILES)


def recorded(platform: str) -> dict[str, str]:
    folder = rec.RECORDED / platform
    commands = json.loads((folder / "commands.json").read_text())
    return {c: (folder / f"{rec.slug(c)}.txt").read_text() for c in commands}


def test_every_platform_of_the_lab_has_a_profile() -> None:
    assert PLATFORMS == ["aruba_instant", "cisco_ios_ap", "mikrotik_routeros", "net-snmp"]
    assert {p.device_type for p in PROFILES.values()} == {
        "cisco_ios",
        "aruba_os",
        "mikrotik_routeros",
        "linux",
    }
    assert PROFILES["cisco_ios_ap"].enable and not PROFILES["net-snmp"].enable
    assert PROFILES["mikrotik_routeros"].config_command == "/export"
    assert PROFILES["net-snmp"].config_command == "hostapd_cli get_config"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_recorded_command_parses_to_its_golden_rows(platform: str) -> None:
    profile = PROFILES[platform]
    outputs = recorded(platform)
    assert set(profile.commands) <= set(outputs)
    for command, output in outputs.items():
        golden = json.loads((rec.RECORDED / platform / f"{rec.slug(command)}.json").read_text())
        assert rec.template_rows(profile, command, output) == golden, command


@pytest.mark.parametrize("platform", PLATFORMS)
def test_full_recorded_set_parses_to_the_golden_facts(platform: str) -> None:
    golden = json.loads((rec.RECORDED / platform / "facts.json").read_text())
    facts = parse_facts(PROFILES[platform], recorded(platform))
    assert facts == rec.facts_from_json(golden)
    bands = {r.band for r in facts.radios}
    assert bands <= {"2.4GHz", "5GHz", "6GHz"} and facts.model and facts.firmware
    expected = {(b, s): n for (b, s), n in rec.COUNTS.items() if b in bands}
    assert facts.clients == sum(expected.values())
    assert sum(r.clients or 0 for r in facts.radios) == facts.clients
    for radio in facts.radios:
        assert radio.clients == sum(n for (b, _), n in rec.COUNTS.items() if b == radio.band)
    for ssid in facts.ssids:
        assert ssid.clients == sum(n for (_, s), n in expected.items() if s == ssid.name)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_recordings_match_what_the_lab_prints_now(platform: str) -> None:
    """Fails when the lab dialect changed: re-record (see ssh_recordings) and review."""
    live = rec.collect(PROFILES[platform], rec.session(platform))
    assert live == recorded(platform)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_client_identifier_reaches_the_facts(platform: str) -> None:
    facts = parse_facts(PROFILES[platform], recorded(platform))
    text = repr(facts).lower()
    golden = "".join(
        p.read_text().lower() for p in (rec.RECORDED / platform).glob("*.json")
    )  # the golden parses hold no identifier either
    ids = [
        client_identity(rec.ap_id(platform), band, ssid, i)
        for (band, ssid), n in rec.COUNTS.items()
        for i in range(n)
    ]
    assert ids
    for client in ids:
        for form in (client.mac, client.cisco_mac, client.mac.replace(":", ""), client.ip):
            assert form not in text and form not in golden
        assert client.name not in text and client.name not in golden
    shown: set[str] = set()
    rec.collect(PROFILES[platform], rec.session(platform, shown_macs=shown))
    assert shown and not any(mac in text for mac in shown)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", [CLI_ERROR, GARBAGE])
def test_cli_error_and_garbage_raise_facts_parse_error(platform: str, fault: str) -> None:
    profile = PROFILES[platform]
    outputs = rec.collect(profile, rec.session(platform, fault=fault))
    with pytest.raises(FactsParseError) as caught:
        parse_facts(profile, outputs)
    assert str(caught.value) == f"{caught.value.command}: {caught.value.reason}"
    assert caught.value.command in outputs or caught.value.command == profile.layout


@pytest.mark.parametrize("platform", PLATFORMS)
def test_any_single_command_with_error_text_or_junk_is_refused(platform: str) -> None:
    profile = PROFILES[platform]
    good = recorded(platform)
    errors = {
        "cisco_ios_ap": "         ^\n% Invalid input detected at '^' marker.\n",
        "aruba_instant": "       ^\n% Parse error\n",
        "mikrotik_routeros": "bad command name print (line 1 column 8)\n",
        "net-snmp": "wlan7: No such device\n",
    }
    for command in good:
        for bad in (errors[platform], "Ã©â€™ junk ï¿½ line\n\x01\x02 more\n"):
            with pytest.raises(FactsParseError) as caught:
                parse_facts(profile, {**good, command: bad})
            assert caught.value.command == command or command not in profile.commands


@pytest.mark.parametrize(
    ("platform", "command", "cut"),
    [
        ("cisco_ios_ap", "show version", 0.5),
        ("cisco_ios_ap", "show running-config", 0.7),
        ("cisco_ios_ap", "show dot11 associations", 0.5),
        ("aruba_instant", "show clients", 0.8),
        ("aruba_instant", "show version", 0.4),
        ("mikrotik_routeros", "/interface wireless registration-table print", 0.5),
        ("mikrotik_routeros", "/interface wireless print", 0.5),
        ("net-snmp", "iw dev", 0.5),
        ("net-snmp", "ubus call system board", 0.5),
    ],
)
def test_truncated_output_is_refused(platform: str, command: str, cut: float) -> None:
    good = recorded(platform)
    text = good[command]
    end = int(len(text) * cut)
    while text[end - 1] in "\n\t " or text[end] == "\n":  # cut inside a line, as a drop does
        end += 1
    with pytest.raises(FactsParseError):
        parse_facts(PROFILES[platform], {**good, command: text[:end]})


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_missing_output_is_refused(platform: str) -> None:
    good = recorded(platform)
    for command in good:
        rest = {c: o for c, o in good.items() if c != command}
        with pytest.raises(FactsParseError, match="no output"):
            parse_facts(PROFILES[platform], rest)


def test_follow_ups_wait_for_their_source_and_stop_when_done() -> None:
    profile = PROFILES["net-snmp"]
    good = recorded("net-snmp")
    assert profile.follow_up({}) == ()
    first = profile.follow_up({c: good[c] for c in profile.commands})
    assert first[:3] == tuple(f"hostapd_cli -i wlan{r} status" for r in range(3))
    assert "hostapd_cli -i wlan1-1 all_sta" in first and len(first) == 9
    assert profile.follow_up(good) == ()
    assert profile.follow_up({**good, "iw dev": "Ã©â€™ junk\n"}) == ()
    for platform in ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros"):
        assert PROFILES[platform].follow_up(recorded(platform)) == ()


def test_crlf_outputs_as_netmiko_may_return_them_parse_the_same() -> None:
    good = recorded("cisco_ios_ap")
    crlf = {c: o.replace("\n", "\r\n") for c, o in good.items()}
    assert parse_facts(PROFILES["cisco_ios_ap"], crlf) == parse_facts(
        PROFILES["cisco_ios_ap"], good
    )


def test_parsing_is_fast_enough_for_a_34000_ap_sweep() -> None:
    sets = [(PROFILES[p], recorded(p)) for p in PLATFORMS]
    started = time.perf_counter()
    rounds = 100
    for _ in range(rounds):
        for profile, outputs in sets:
            parse_facts(profile, outputs)
    per_ap = (time.perf_counter() - started) / (rounds * len(sets))
    print(f"\nparse_facts: {per_ap * 1000:.2f} ms per AP")
    assert per_ap < 0.02  # 34,000 APs in well under 12 minutes of one core


def test_helpers_normalise_durations_and_bands() -> None:
    assert parse_duration("3 days, 4 hours, 5 minutes") == 3 * 86400 + 4 * 3600 + 300
    assert parse_duration("1 days 1 hours 1 minutes 1 seconds") == 90061
    assert parse_duration("2w3d4h5m6s") == 2 * 604800 + 3 * 86400 + 4 * 3600 + 306
    assert parse_duration("1 week, 2 days") == 9 * 86400
    assert parse_duration("784984") == 784984 and parse_duration("soon") is None
    assert band_from_text("802.11N 2.4GHz Radio") == "2.4GHz"
    assert band_from_text("5ghz-a/n/ac/ax") == "5GHz" and band_from_text("6ghz-ax") == "6GHz"
    assert band_from_text("6g-channel") == "6GHz" and band_from_text("a-channel") == "5GHz"
    assert band_from_text("wired") is None
    assert [band_from_mhz(m) for m in (2437, 5180, 6135, 900)] == ["2.4GHz", "5GHz", "6GHz", None]


def _write_profile(tmp_path: Path, text: str, name: str = "cisco_ios_ap") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


BASE = (
    Path(__file__).resolve().parents[4] / "collector/profiles/ssh/cisco_ios_ap.yaml"
).read_text()


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (("enable: true", "enable: true\ncolour: red"), 5, "colour"),
        (("{ntc: cisco_ios_show_version}", "{ntc: cisco_nosuch}"), 12, "cisco_nosuch"),
        (("cisco_ios_ap_show_interfaces.textfsm", "nosuch.textfsm"), 16, "nosuch.textfsm"),
        (("column: VERSION", "column: VERSON"), 28, "VERSON"),
        (("source: version, column: UPTIME", "source: nosuch, column: UPTIME"), 29, "nosuch"),
        (("platform: cisco_ios_ap", "platform: aruba_instant"), 2, "file name"),
        (("enable: true", "enable: yes"), 4, "boolean"),
        (("layout: cisco_dot11", "layout: nosuch"), 6, "layout"),
    ],
)
def test_profile_errors_name_file_and_line(
    tmp_path: Path, edit: tuple[str, str], line: int, message: str
) -> None:
    from collector.errors import InputError
    from collector.ssh.profile import load_ssh_profile

    assert edit[0] in BASE
    path = _write_profile(tmp_path, BASE.replace(edit[0], edit[1], 1))
    with pytest.raises(InputError) as caught:
        load_ssh_profile(path)
    assert str(caught.value).startswith(f"{path}:{line}:"), str(caught.value)
    assert message in str(caught.value)


def test_follow_up_placeholder_must_name_the_column(tmp_path: Path) -> None:
    from collector.errors import InputError
    from collector.ssh.profile import load_ssh_profile

    text = (rec.RECORDED.parents[4] / "collector/profiles/ssh/net-snmp.yaml").read_text()
    path = _write_profile(
        tmp_path, text.replace("-i {iface} all_sta", "-i {ifname} all_sta"), "net-snmp"
    )
    with pytest.raises(InputError) as caught:
        load_ssh_profile(path)
    assert f"{path}:" in str(caught.value) and "{iface}" in str(caught.value)


def test_profiles_load_from_another_directory_and_are_cached(tmp_path: Path) -> None:
    _write_profile(tmp_path, BASE)
    loaded = load_ssh_profiles(tmp_path)
    assert list(loaded) == ["cisco_ios_ap"]
    assert isinstance(loaded["cisco_ios_ap"], SshProfile)
    assert load_ssh_profiles()["cisco_ios_ap"] is load_ssh_profiles()["cisco_ios_ap"]
