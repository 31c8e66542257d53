"""Masking: the lab's exact lines, more syntaxes per platform, MACs/IPs, idempotence, the key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from configrepo_helpers import KEY, LAB_CONFIGS
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collector.ssh.mask import TOKEN_RE, MaskKey, mask_config, mask_output


@pytest.mark.parametrize("platform", sorted(LAB_CONFIGS))
def test_lab_configs_are_masked(platform: str) -> None:
    text, secrets = LAB_CONFIGS[platform]
    masked = mask_config(platform, text, KEY)
    for secret in secrets:
        assert secret not in masked
        assert KEY.token(secret) in masked
    assert mask_config(platform, masked, KEY) == masked
    assert len(masked.splitlines()) == len(text.splitlines())


def test_lab_lines_keep_their_structure() -> None:
    masked = mask_config("cisco_ios_ap", LAB_CONFIGS["cisco_ios_ap"][0], KEY)
    tok = KEY.token
    assert f"snmp-server community {tok('cmty-0123456789ab')} RO\n" in masked
    assert f"username admin privilege 15 password 0 {tok('pw-0123456789ab')}\n" in masked
    assert "radius-server host 10.10.0.5 auth-port 1812 acct-port 1813 key 0 <masked:" in masked
    ros = mask_config("mikrotik_routeros", LAB_CONFIGS["mikrotik_routeros"][0], KEY)
    assert f"set [ find default=yes ] name={tok('cmty-0123456789ab')}\n" in ros
    assert "set name=ap-1\n" in ros  # name= outside /snmp community is not a secret


CISCO_MORE = [
    ("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"),
    ("enable password s3cret-enable", "s3cret-enable"),
    ("username ops secret 9 $9$abcdefghij$klmnop", "$9$abcdefghij$klmnop"),
    ("snmp-server community rw-comm RW 10", "rw-comm"),
    ("radius-server key 7 0822455D0A16", "0822455D0A16"),
    ("   wpa-psk ascii 0 my psk with spaces", "my psk with spaces"),
    ("   wpa-psk hex 0 0123456789abcdef0123", "0123456789abcdef0123"),
    ("line vty 0 4\n password 7 045802150C2E", "045802150C2E"),
    (
        "radius server city\n address ipv4 10.10.0.5 auth-port 1812\n key 7 060506324F41",
        "060506324F41",
    ),
]


@pytest.mark.parametrize(("line", "secret"), CISCO_MORE)
def test_more_cisco_syntaxes(line: str, secret: str) -> None:
    masked = mask_config("cisco_ios_ap", line + "\n", KEY)
    assert secret not in masked
    assert KEY.token(secret) in masked


def test_cisco_snmp_v3_user_masks_both_keys() -> None:
    line = "snmp-server user ops city-v3 v3 auth sha AuthKey-123 priv aes 128 PrivKey-456\n"
    masked = mask_config("cisco_ios_ap", line, KEY)
    assert masked == (
        f"snmp-server user ops city-v3 v3 auth sha {KEY.token('AuthKey-123')} "
        f"priv aes 128 {KEY.token('PrivKey-456')}\n"
    )


def test_aruba_more() -> None:
    text = (
        "wlan ssid-profile city\n wpa-passphrase pass phrase 1\n"
        "snmp-server user ops sha AuthKey-1 aes PrivKey-2\n"
    )
    masked = mask_config("aruba_instant", text, KEY)
    for secret in ("pass phrase 1", "AuthKey-1", "PrivKey-2"):
        assert secret not in masked


def test_routeros_quoted_and_bare() -> None:
    text = (
        "/interface wireless security-profiles\n"
        'add name=p1 wpa2-pre-shared-key="psk with \\"quote\\"" wpa-pre-shared-key=bare-psk\n'
        "/snmp community\n"
        'add name=c2 authentication-password="auth pw" encryption-password=enc-pw\n'
        "/user add name=admin password=user-pw group=full\n"
    )
    masked = mask_config("mikrotik_routeros", text, KEY)
    for secret in ('psk with \\"quote\\"', "bare-psk", "c2", "auth pw", "enc-pw", "user-pw"):
        assert secret not in masked, secret
    assert "add name=p1 " in masked  # a profile name is not a secret
    assert f'authentication-password="{KEY.token("auth pw")}"' in masked


def test_hostapd_more() -> None:
    text = (
        "wpa_passphrase=a passphrase\nwpa_psk=0123456789abcdef0123456789abcdef\n"
        "acct_server_shared_secret=acct-s\nradius_das_client=10.0.0.9 das-s\n"
    )
    masked = mask_config("net-snmp", text, KEY)
    for secret in ("a passphrase", "0123456789abcdef0123456789abcdef", "acct-s", "das-s"):
        assert secret not in masked
    assert "radius_das_client=10.0.0.9 <masked:" in masked


def test_unknown_platform_gets_generic_rules() -> None:
    text = 'admin password hunter2\nsnmp community s3c\nwifi psk: "k k"\nradius-key=rk1\n'
    masked = mask_config("some_new_os", text, KEY)
    for secret in ("hunter2", "s3c", '"k k"', "k k", "rk1"):
        assert secret not in masked


def test_macs_in_every_form_are_one_token() -> None:
    text = "a 02:11:22:33:44:55\nb 02-11-22-33-44-55\nc 0211.2233.4455\nd 02:11:22:33:44:55.\n"
    masked = mask_config("cisco_ios_ap", text, KEY)
    token = KEY.token("021122334455")
    assert masked == f"a {token}\nb {token}\nc {token}\nd {token}.\n"


def test_not_macs_are_kept() -> None:
    text = "time 12:30:45\nip 10.10.0.5\nversion 17.9.4a\nv6 fe80::211:22ff:fe33:4455\n"
    assert mask_config("cisco_ios_ap", text, KEY) == text


def test_mask_output_masks_ips_too() -> None:
    out = "client 10.1.2.3 aa:bb:cc:dd:ee:ff fe80::1 2001:db8::5 up 12:30:45 v17.9.4\n"
    masked = mask_output("cisco_ios_ap", out, KEY)
    for ident in ("10.1.2.3", "aa:bb:cc:dd:ee:ff", "fe80::1", "2001:db8::5"):
        assert ident not in masked
    assert "12:30:45" in masked
    assert mask_output("cisco_ios_ap", masked, KEY) == masked


def test_a_different_key_gives_different_tokens() -> None:
    other = MaskKey(bytes(32))
    text = "snmp-server community cmty-1 RO\n"
    assert mask_config("cisco_ios_ap", text, KEY) != mask_config("cisco_ios_ap", text, other)


# -- property-style: random secrets of various shapes in every syntax ---------------------------

TEMPLATES: list[tuple[str, str, bool]] = [  # (platform, line with {s}, value may hold spaces)
    ("cisco_ios_ap", "enable secret 9 {s}", False),
    ("cisco_ios_ap", "enable password {s}", False),
    ("cisco_ios_ap", "username admin privilege 15 password 0 {s}", True),
    ("cisco_ios_ap", "snmp-server community {s} RO", False),
    ("cisco_ios_ap", "radius-server host 10.10.0.5 auth-port 1812 acct-port 1813 key 0 {s}", True),
    ("cisco_ios_ap", "   wpa-psk ascii 0 {s}", True),
    ("aruba_instant", "mgmt-user admin {s}", False),
    ("aruba_instant", "snmp-server community {s}", False),
    ("aruba_instant", "wlan auth-server r\n ip 10.10.0.5\n key {s}", True),
    ("aruba_instant", "wlan ssid-profile x\n wpa-passphrase {s}", True),
    ("mikrotik_routeros", "/radius\nadd address=10.10.0.5 secret={s} service=wireless", False),
    ("mikrotik_routeros", '/radius\nadd address=10.10.0.5 secret="{s}" service=wireless', True),
    ("mikrotik_routeros", "/snmp community\nset [ find default=yes ] name={s}", False),
    ("mikrotik_routeros", '/snmp community\nadd name="{s}" addresses=10.0.0.0/8', True),
    ("mikrotik_routeros", "/user add name=admin password={s} group=full", False),
    ("net-snmp", "wpa_passphrase={s}", True),
    ("net-snmp", "auth_server_shared_secret={s}", True),
    ("generic", "password {s}", False),
]

_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+,-./:;<=>?@^_~|"
_WORD = st.text(alphabet=_CHARS, min_size=8, max_size=40)
_PHRASE = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=80, deadline=None)
@given(
    template=st.sampled_from(TEMPLATES),
    word=_WORD,
    phrase=_PHRASE,
    trailing=st.sampled_from(["", " ", "  \t"]),
    crlf=st.booleans(),
)
def test_random_secrets_never_leak(
    template: tuple[str, str, bool], word: str, phrase: str, trailing: str, crlf: bool
) -> None:
    platform, line, spaced = template
    secret = phrase if spaced else word
    if '"' in line:
        secret = secret.replace('"', "").replace("\\", "") or "x" * 8
    assume(not TOKEN_RE.search(secret) and len(secret.strip()) >= 8)
    assume(secret not in f"hostname ap-1\n{line}\nend\n")  # so any occurrence is a leak
    end = "\r\n" if crlf else "\n"
    body = line.format(s=secret).replace("\n", end)
    text = f"hostname ap-1{end}{body}{trailing}{end}end{end}"
    masked = mask_config(platform, text, KEY)
    assert secret not in masked
    assert masked.count(end) == text.count(end)
    assert mask_config(platform, masked, KEY) == masked
    assert mask_output(platform, masked, KEY) == mask_output(platform, text, KEY)


# -- the key -----------------------------------------------------------------------------------


def test_key_is_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "mask.key"
    first = MaskKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == 32
    assert MaskKey.load_or_create(path) == first
    assert first.secret.hex() not in repr(first)
    assert [p.name for p in path.parent.iterdir()] == ["mask.key"]


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mask.key"
    MaskKey.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="0600"):
        MaskKey.load_or_create(path)


def test_key_of_wrong_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mask.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"short")
    os.close(fd)
    with pytest.raises(ValueError, match="32 bytes"):
        MaskKey.load_or_create(path)
