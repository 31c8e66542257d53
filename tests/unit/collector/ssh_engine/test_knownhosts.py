"""The host-key store: trust on first use, strict, changed keys refused and re-trusted."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from collector.errors import InputError
from collector.inventory.model import KnownHostsPolicy
from collector.ssh.knownhosts import KnownHosts, Verdict, fingerprint, host_entry

KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAIBtQ5n2D0lqQW3m4A5R8sY4Kj7o3mXh1m4k2y0v9nQ2a"
ED = "ssh-ed25519"
ACCEPT, STRICT = KnownHostsPolicy.ACCEPT_NEW, KnownHostsPolicy.STRICT


def test_host_entry_is_what_openssh_writes() -> None:
    assert host_entry("127.16.0.5", 22) == "127.16.0.5"
    assert host_entry("127.16.0.5", 16022) == "[127.16.0.5]:16022"


def test_accept_new_records_the_first_key_in_openssh_format(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "known_hosts"
    store = KnownHosts(path)
    host = host_entry("127.16.0.5", 16022)
    assert store.check(host, "AP-1", ED, KEY_A, ACCEPT) is Verdict.ACCEPTED_NEW
    assert store.check(host, "AP-1", ED, KEY_A, ACCEPT) is Verdict.KNOWN
    store.close()
    assert path.read_text() == f"{host} {ED} {KEY_A}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KnownHosts(path).check(host, "AP-1", ED, KEY_A, STRICT) is Verdict.KNOWN


def test_strict_refuses_an_unknown_key_and_records_nothing(tmp_path: Path) -> None:
    store = KnownHosts(tmp_path / "known_hosts")
    assert store.check("[127.0.0.9]:22", "AP-9", ED, KEY_A, STRICT) is Verdict.UNKNOWN_REFUSED
    assert len(store) == 0 and not (tmp_path / "known_hosts").exists()


@pytest.mark.parametrize("policy", [ACCEPT, STRICT])
def test_a_changed_key_is_always_refused_and_kept_until_trusted(
    tmp_path: Path, policy: KnownHostsPolicy
) -> None:
    path = tmp_path / "known_hosts"
    host = "[127.16.0.7]:16022"
    path.write_text(f"{host} {ED} {KEY_A}\n")
    store = KnownHosts(path)
    assert store.check(host, "AP-7", ED, KEY_B, policy) is Verdict.CHANGED_REFUSED
    assert store.check(host, "AP-7", ED, KEY_B, policy) is Verdict.CHANGED_REFUSED
    [change] = store.changed()
    assert (change.ap_id, change.host, change.times) == ("AP-7", host, 2)
    assert change.known == f"{ED} {KEY_A}" and change.seen == f"{ED} {KEY_B}"
    # the refusal survives a restart
    assert [c.host for c in KnownHosts(path).changed()] == [host]
    store.trust(host)
    assert store.changed() == []
    assert store.check(host, "AP-7", ED, KEY_B, STRICT) is Verdict.KNOWN
    assert store.check(host, "AP-7", ED, KEY_A, STRICT) is Verdict.CHANGED_REFUSED
    assert path.read_text() == f"{host} {ED} {KEY_B}\n"


def test_a_key_of_another_type_for_a_known_host_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"h {ED} {KEY_A}\n")
    store = KnownHosts(path)
    assert store.check("h", "AP", "ssh-rsa", KEY_B, ACCEPT) is Verdict.CHANGED_REFUSED


def test_forget_makes_the_next_key_new(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"h {ED} {KEY_A}\n")
    store = KnownHosts(path)
    assert store.forget("h")
    assert store.check("h", "AP", ED, KEY_B, ACCEPT) is Verdict.ACCEPTED_NEW


def test_a_bad_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(f"# comment\nh {ED} {KEY_A}\ngarbage\n")
    with pytest.raises(InputError) as caught:
        KnownHosts(path)
    assert str(caught.value.problems[0]).startswith(f"{path}:3: ")


def test_fingerprint_matches_ssh_keygen_format() -> None:
    assert fingerprint(f"{ED} {KEY_A}").startswith("SHA256:")
    assert fingerprint("nonsense") == "SHA256:?"
