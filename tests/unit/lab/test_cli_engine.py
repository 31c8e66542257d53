"""The generic CLI engine, line discipline, host keys and credentials, without SSH."""

from __future__ import annotations

from typing import Any

import pytest

from collector.lab.ssh.device import SshCredentials
from collector.lab.ssh.dialects import DIALECTS, NETMIKO_DEVICE_TYPES, dialect_for
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.hostkeys import known_hosts_line, public_key_openssh, ssh_host_key
from collector.lab.ssh.patterns import tokenize
from collector.lab.ssh.samples import sample_state
from collector.lab.ssh.terminal import LineDiscipline
from collector.secrets import UnsetSecretError
from collector.wifi import CHANNELS

NOW = 1_700_090_061.0


def cisco(**kwargs: Any) -> CliSession:
    state = sample_state("cisco_ios_ap", "AP-1", boot_time=1_700_000_000.0)
    return CliSession(
        dialect_for("cisco_ios_ap"), state, user="admin", secret="pw", clock=lambda: NOW, **kwargs
    )


def test_every_lab_platform_has_a_dialect_with_the_netmiko_type_it_needs() -> None:
    assert NETMIKO_DEVICE_TYPES == {
        "cisco_ios_ap": "cisco_ios",
        "aruba_instant": "aruba_os",
        "mikrotik_routeros": "mikrotik_routeros",
        "net-snmp": "linux",
    }
    with pytest.raises(KeyError, match="known: aruba_instant"):
        dialect_for("no_such_platform")


def test_tokenize_keeps_quotes_and_brackets_together() -> None:
    tokens = tokenize('/interface wireless set [find name=wlan1] ssid="Seoul Free" x')
    assert [t.text for t in tokens] == [
        "/interface",
        "wireless",
        "set",
        "[find name=wlan1]",
        'ssid="Seoul Free"',
        "x",
    ]
    assert [t.text for t in tokenize('dot11 ssid "Seoul Free"')] == ["dot11", "ssid", "Seoul Free"]
    assert tokens[3].column == 24


def test_abbreviations_ambiguity_and_incomplete_commands() -> None:
    cli = cisco()
    assert cli.feed_line("sh ver").startswith("Cisco IOS Software")
    assert '% Ambiguous command:  "e"' in cli.feed_line("e")  # enable / exit
    assert cli.feed_line("terminal").startswith("% Incomplete command.")
    out = cli.feed_line("show versoin")
    caret_line = out.splitlines()[0]
    assert caret_line.index("^") == len("ap-1>") + len("show ")
    assert "% Invalid input detected at '^' marker." in out


def enabled_cisco() -> CliSession:
    cli = cisco()
    cli.feed_line("enable")
    assert cli.feed_line("pw") == "ap-1#"
    return cli


def test_paging_until_terminal_length_zero() -> None:
    cli = enabled_cisco()
    out = cli.feed_line("show running-config")
    assert out.endswith(" --More-- ") and cli.wants_key
    assert len(out.splitlines()) == 24  # 23 lines and the --More-- line
    rest = cli.feed_key(" ")
    assert rest.endswith("end\nap-1#")
    assert not cli.wants_key
    cli.feed_line("terminal length 0")
    out = cli.feed_line("show running-config")
    assert "--More--" not in out and out.endswith("end\nap-1#")


def test_more_prompt_q_stops_the_listing_and_enter_shows_one_more_line() -> None:
    cli = enabled_cisco()
    first = cli.feed_line("show running-config")
    one = cli.feed_key("\r")
    assert one.count("\n") == 1 and one.endswith(" --More-- ")  # one line, then --More-- again
    out = cli.feed_key("q")
    assert "\nend\n" not in first + one + out and out.endswith("ap-1#")


def test_a_refused_change_leaves_the_running_config_untouched() -> None:
    cli = cisco()
    cli.feed_line("enable")
    cli.feed_line("pw")
    cli.feed_line("configure terminal")
    cli.feed_line("interface Dot11Radio0")
    before = (cli.state.running.radios[0].channel, cli.state.running.radios[0].tx_power_dbm)
    out = cli.feed_line("channel 36")  # a 5 GHz channel on the 2.4 GHz radio
    assert "not valid in the 2.4GHz band" in out
    assert (cli.state.running.radios[0].channel, cli.state.running.radios[0].tx_power_dbm) == before
    assert 36 in CHANNELS["5GHz"] and 36 not in CHANNELS["2.4GHz"]


def test_line_discipline_echoes_handles_crlf_backspace_and_hides_passwords() -> None:
    term = LineDiscipline(cisco())
    assert term.start() == "ap-1>"
    out = term.feed("enablx\x7fe\r\n")
    assert out.startswith("enablx\b \be\r\nPassword: ")
    assert term.feed("pw\r") == "\r\nap-1#"  # the secret is not echoed
    out = term.feed("show clock\n")
    assert "\r\n" in out and "\n" not in out.replace("\r\n", "")
    assert term.feed("abc\x03").endswith("^C\r\nap-1#")


def test_session_closes_on_exit_at_the_bottom_mode() -> None:
    cli = cisco()
    cli.feed_line("exit")
    assert cli.closed


def test_host_keys_are_stable_per_ap_and_differ_between_aps() -> None:
    a1 = public_key_openssh("seed", "AP-1")
    assert a1 == public_key_openssh("seed", "AP-1")
    assert a1 != public_key_openssh("seed", "AP-2")
    assert a1 != public_key_openssh("other-seed", "AP-1")
    assert public_key_openssh("1", "23") != public_key_openssh("12", "3")
    assert a1.startswith("ssh-ed25519 ")
    assert ssh_host_key("seed", "AP-1").export_public_key("openssh").decode().strip() == a1
    assert known_hosts_line("127.21.0.1", 2222, "AP-1", "seed") == f"[127.21.0.1]:2222 {a1}"
    assert known_hosts_line("127.21.0.1", 22, "AP-1", "seed") == f"127.21.0.1 {a1}"


def test_credentials_come_from_the_environment_and_never_print() -> None:
    creds = SshCredentials.from_env({"PUBWIFI_SSH_USER": "ops", "PUBWIFI_SSH_PASSWORD": "s3cr3t"})
    assert creds.accepts("ops", "s3cr3t")
    assert not creds.accepts("ops", "wrong") and not creds.accepts("root", "s3cr3t")
    assert "s3cr3t" not in repr(creds) and "s3cr3t" not in str(creds)
    with pytest.raises(UnsetSecretError, match="PUBWIFI_SSH_PASSWORD"):
        SshCredentials.from_env({"PUBWIFI_SSH_USER": "ops"})


@pytest.mark.parametrize("platform", sorted(DIALECTS))
def test_every_dialect_starts_with_its_prompt_and_rejects_nonsense(platform: str) -> None:
    state = sample_state(platform, "AP-9")
    cli = CliSession(DIALECTS[platform], state, user="admin", secret="pw", clock=lambda: NOW)
    assert cli.start().endswith(cli.prompt)
    out = cli.feed_line("frobnicate now")
    assert out.endswith(cli.prompt)
    assert out != cli.prompt  # some vendor-like error before the prompt
