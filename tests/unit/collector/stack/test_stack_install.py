"""Installing a missing binary from Debian's packages (apt-get is faked)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from collector.stack.install import ensure_installed
from collector.stack.service import Service, StackError


def service(binary: Path, package: str | None = "influxdb") -> Service:
    return Service(
        name="influxdb",
        binary=binary,
        package=package,
        host="127.0.0.1",
        port=8086,
        ready_path="/ping",
        ready_status=204,
        write_config=lambda _directory: None,
        argv=lambda directory: [str(binary), str(directory)],
    )


class FakeApt:
    """Answers apt-get commands from a script; ``install`` creates the binary when it works."""

    def __init__(self, binary: Path, answers: list[tuple[int, str]], policy: Path) -> None:
        self.binary = binary
        self.answers = answers
        self.policy = policy
        self.calls: list[list[str]] = []
        self.policy_seen: list[bool] = []

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        self.policy_seen.append(self.policy.exists())
        status, output = self.answers.pop(0)
        if status == 0 and argv[1] == "install":
            self.binary.write_text("")
        return status, output


INSTALL = ["apt-get", "install", "-y", "--no-install-recommends", "influxdb"]


def test_present_binary_installs_nothing(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    binary.write_text("")
    apt = FakeApt(binary, [], tmp_path / "policy-rc.d")
    assert ensure_installed(service(binary), apt, euid=lambda: 0, policy=apt.policy) is False
    assert apt.calls == []


def test_missing_binary_is_installed_with_services_kept_down(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    apt = FakeApt(binary, [(0, "Setting up influxdb")], tmp_path / "policy-rc.d")
    assert ensure_installed(service(binary), apt, euid=lambda: 0, policy=apt.policy) is True
    assert apt.calls == [INSTALL]
    assert apt.policy_seen == [True]  # policy-rc.d said "do not start daemons" during install
    assert not apt.policy.exists()  # and was removed afterwards


def test_existing_policy_file_is_left_alone(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    apt = FakeApt(binary, [(0, "")], policy)
    ensure_installed(service(binary), apt, euid=lambda: 0, policy=policy)
    assert policy.read_text() == "#!/bin/sh\nexit 101\n"


def test_missing_lists_trigger_one_update_then_install(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    answers = [(100, "E: Unable to locate package influxdb"), (0, "Reading"), (0, "ok")]
    apt = FakeApt(binary, answers, tmp_path / "policy-rc.d")
    assert ensure_installed(service(binary), apt, euid=lambda: 0, policy=apt.policy)
    assert apt.calls == [INSTALL, ["apt-get", "update"], INSTALL]


def test_other_install_failure_is_reported_with_apt_output(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    answers = [(100, "E: Could not get lock /var/lib/dpkg/lock-frontend")]
    apt = FakeApt(binary, answers, tmp_path / "policy-rc.d")
    with pytest.raises(StackError, match="apt-get install influxdb failed:\nE: Could not get"):
        ensure_installed(service(binary), apt, euid=lambda: 0, policy=apt.policy)
    assert apt.calls == [INSTALL]  # no update for a failure that lists would not fix
    assert not apt.policy.exists()


def test_not_root_is_told_the_command(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    apt = FakeApt(binary, [], tmp_path / "policy-rc.d")
    with pytest.raises(StackError, match="apt-get install -y --no-install-recommends influxdb"):
        ensure_installed(service(binary), apt, euid=lambda: 1000, policy=apt.policy)
    assert apt.calls == []


def test_unknown_package_is_an_error(tmp_path: Path) -> None:
    binary = tmp_path / "influxd"
    apt = FakeApt(binary, [], tmp_path / "policy-rc.d")
    with pytest.raises(StackError, match="no Debian package is known"):
        ensure_installed(service(binary, None), apt, euid=lambda: 0, policy=apt.policy)
