"""``pubwifi lab`` as a subprocess for acceptance tests and benchmarks.

Builds an inventory with ``pubwifi inventory generate`` (then gives chosen APs a role: platform,
SNMP version), starts ``pubwifi lab`` on free ports, waits for its JSON ready line on stdout
(never a fixed sleep) and stops it by pid. ``truth(...)`` runs ``pubwifi lab truth``.
Plain functions and classes, no pytest, so ``benchmarks/`` can use them too.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from collector.lab.platforms import load_platforms

_BESIDE_PYTHON = Path(sys.executable).with_name("pubwifi")  # the venv's console script
PUBWIFI = str(_BESIDE_PYTHON) if _BESIDE_PYTHON.exists() else shutil.which("pubwifi") or "pubwifi"
SEED = 1  # the lab's traffic and host-key seed (``pubwifi lab`` default)
#: Test-only credentials; the lab and the clients read the same values.
LAB_ENV = {
    "PUBWIFI_SNMP_COMMUNITY": "acceptance-community",
    "PUBWIFI_SNMP_V3_USER": "acceptance",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "acceptance-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "acceptance-priv-key",
    "PUBWIFI_SSH_USER": "labops",
    "PUBWIFI_SSH_PASSWORD": "acceptance-ssh-pass",
}
V3_AUTH, V2C_AUTH = "city-v3", "legacy-v2c"  # auth names ``inventory generate`` writes


def lab_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, **LAB_ENV, **(extra or {})}


def free_port(kind: int) -> int:
    """A port free on all addresses now (``socket.SOCK_DGRAM`` or ``SOCK_STREAM``)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("0.0.0.0", 0))
        port: int = sock.getsockname()[1]
        return port


def pubwifi(*args: str, timeout_s: float = 120.0) -> str:
    """Run a ``pubwifi`` command; its stdout (stderr in the error if it fails)."""
    done = subprocess.run(
        [PUBWIFI, *args],
        capture_output=True,
        text=True,
        env=lab_env(),
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pubwifi {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


def truth_argv(inventory: Path, start: int, end: int, aps: Sequence[str] = ()) -> list[str]:
    """``pubwifi lab truth`` arguments."""
    argv = ["lab", "truth", "--inventory", str(inventory)]
    argv += ["--from", str(start), "--to", str(end), "--json"]
    for ap in aps:
        argv += ["--ap", ap]
    return argv


def truth(inventory: Path, start: int, end: int, aps: Sequence[str] = ()) -> dict[str, Any]:
    """Ground truth for [start, end): ``{ap_id: {"bytes_in":.., "bytes_out":.., ...}}``."""
    document = json.loads(pubwifi(*truth_argv(inventory, start, end, aps)))
    return {row["ap"]: row for row in document["aps"]}


@dataclass(frozen=True)
class Role:
    """What a test needs one AP to be."""

    name: str
    platform: str
    snmp_version: str = "3"  # "3" (authPriv SHA-256/AES-128) or "2c"
    standard: str = "wifi5"


@dataclass(frozen=True)
class LabAp:
    id: str
    address: str
    platform: str
    snmp_version: str
    model: str


@dataclass
class LabInventory:
    path: Path
    snmp_port: int
    ssh_port: int
    aps: dict[str, LabAp]  # by role name

    def __getitem__(self, role: str) -> LabAp:
        return self.aps[role]


def build_inventory(
    path: Path, roles: Sequence[Role], snmp_port: int, ssh_port: int, first_ip: str = "127.61.0.1"
) -> LabInventory:
    """Generate ``len(roles)`` APs, then give AP number i the platform, model and SNMP version
    of ``roles[i]`` (status active, no groups or planned replacement)."""
    platforms = load_platforms()
    pubwifi(
        "inventory",
        "generate",
        "--aps",
        str(len(roles)),
        "--platform",
        "mixed",
        "--snmp-version",
        "3",
        "--snmp-port",
        str(snmp_port),
        "--ssh-port",
        str(ssh_port),
        "--first-ip",
        first_ip,
        "-o",
        str(path),
    )
    document = yaml.safe_load(path.read_text())
    assigned: dict[str, LabAp] = {}
    for role, ap in zip(roles, document["aps"], strict=True):
        model = platforms[role.platform].models[role.standard].model  # type: ignore[index]
        for key in ("groups", "replacement", "snmp_auth"):
            ap.pop(key, None)
        ap.update(platform=role.platform, model=model, standard=role.standard, status="active")
        if role.snmp_version == "2c":
            ap["snmp_auth"] = V2C_AUTH
        assigned[role.name] = LabAp(
            ap["id"], ap["address"], role.platform, role.snmp_version, model
        )
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return LabInventory(path, snmp_port, ssh_port, assigned)


@dataclass
class LabProcess:
    """One running ``pubwifi lab``; ``ready`` is its parsed ready line."""

    argv: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    ready: dict[str, Any] = field(default_factory=dict)
    spawned_at: float = 0.0  # wall-clock time of the spawn (epoch seconds)
    ready_after_s: float = 0.0  # seconds from spawn to the ready line

    @property
    def pid(self) -> int:
        assert self.proc is not None, "the lab is not running"
        return self.proc.pid

    def start(self, timeout_s: float = 60.0) -> LabProcess:
        log = self.log_path.open("ab")
        started = time.perf_counter()
        self.spawned_at = time.time()
        self.proc = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=lab_env()
        )
        log.close()
        try:
            self.ready = self._wait_ready(timeout_s)
        except (RuntimeError, TimeoutError) as error:
            self.stop()
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pubwifi lab did not start: {error}\n{tail}") from None
        self.ready_after_s = time.perf_counter() - started
        return self

    def _wait_ready(self, timeout_s: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(left):
                    break
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"exited with {self.proc.wait()} before its ready line")
                try:
                    document = json.loads(line)
                except ValueError:
                    continue
                if isinstance(document, dict) and document.get("lab") == "ready":
                    return document
        raise TimeoutError(f"no ready line within {timeout_s} s")

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM by pid (SIGKILL if it lingers); the exit status."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        return proc.returncode


def lab_process(
    inventory: LabInventory,
    log_path: Path,
    faults: Sequence[str] = (),
    fault_file: Path | None = None,
) -> LabProcess:
    """A (not yet started) lab serving ``inventory`` on its ports with ``--fault`` rules."""
    argv = [
        PUBWIFI,
        "lab",
        "--inventory",
        str(inventory.path),
        "--snmp-port",
        str(inventory.snmp_port),
        "--ssh-port",
        str(inventory.ssh_port),
    ]
    if fault_file is not None:
        argv += ["--faults", str(fault_file)]
    for rule in faults:
        argv += ["--fault", rule]
    return LabProcess(argv, log_path)
