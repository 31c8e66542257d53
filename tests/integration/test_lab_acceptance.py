"""Issue 3's acceptance tests: ``pubwifi lab`` as a process, seen only through real clients.

net-snmp's ``snmpget``/``snmpbulkwalk`` (credentials in a private snmp.conf, never in argv) and
netmiko talk to one lab process serving every platform over SNMPv2c and SNMPv3 authPriv
(SHA-256/AES-128), with ``--fault`` rules on chosen APs. What the tests expect comes from the
data (collector/profiles/*.yaml for OIDs, collector/lab/platforms/*.yaml for models) and from
``pubwifi lab truth``; counters are compared at the device second each read belongs to:
``boot = round(wall - uptime/100)``, ``second = boot + floor(uptime/100)``.

The Counter32-wrap test starts a second, one-AP lab: the fault places the counter relative to
the lab's start, so only a fresh lab makes the wrap land a few seconds into the test whatever
the test order. Run: ``.venv/bin/pytest tests/integration/test_lab_acceptance.py`` (~45 s).
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netsnmp
import pytest
from labproc import (
    LAB_ENV,
    SEED,
    LabAp,
    LabInventory,
    LabProcess,
    Role,
    build_inventory,
    free_port,
    lab_process,
    truth,
)
from netmiko import (
    ConnectHandler,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from collector.lab.platforms import Model, load_platforms
from collector.lab.ssh.dialects import NETMIKO_DEVICE_TYPES
from collector.lab.ssh.hostkeys import known_hosts_line
from collector.profiles.schema import MibObject, Profile, load_profiles

pytestmark = [
    pytest.mark.integration,
    pytest.mark.needs("snmpget", "snmpbulkwalk"),  # net-snmp's clients (conftest.py)
]

PLATFORMS = ("cisco_ios_ap", "aruba_instant", "mikrotik_routeros", "net-snmp")
VERSIONS = ("2c", "3")
PROFILES: dict[str, Profile] = load_profiles()
LAB_PLATFORMS = load_platforms()
SYSTEM = "1.3.6.1.2.1.1"
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME = (f"{SYSTEM}.{n}.0" for n in (1, 2, 3, 5))
IF_TABLE, IF_X_TABLE = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"  # the entries
IF_IN, IF_OUT, IF_SPEED = "1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.2.2.1.16", "1.3.6.1.2.1.2.2.1.5"
IF_HC_IN, IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"
IF_HIGH_SPEED, IF_NAME = "1.3.6.1.2.1.31.1.1.1.15", "1.3.6.1.2.1.31.1.1.1.1"
IF_DISCONTINUITY = "1.3.6.1.2.1.31.1.1.1.19"
FAULTS = {  # role -> --fault rule (the AP id is filled in)
    "down": ("cisco_ios_ap", "down:{ap}"),
    "slow": ("mikrotik_routeros", "slow:{ap}:delay_seconds=3"),
    "malformed": ("aruba_instant", "malformed:{ap}"),
    "truncated": ("net-snmp", "truncated:{ap}"),
    "reboot": ("cisco_ios_ap", "reboot:{ap}:every_minutes=0.1"),
    "discontinuity": ("mikrotik_routeros", "discontinuity:{ap}:every_minutes=0.1"),
    "ssh_login_fails": ("aruba_instant", "ssh_login_fails:{ap}"),
    "ssh_hangs": ("cisco_ios_ap", "ssh_hangs:{ap}"),
    **{f"swapped/{p}": (p, "swapped_to_wifi6:{ap}") for p in PLATFORMS},
}
#: Wi-Fi 6E/7 APs (6 GHz radio), read over SNMPv3 authPriv: a 64-bit and a 32-bit-only platform
WIFI_6GHZ = {
    "cisco_ios_ap/wifi6e": ("cisco_ios_ap", "wifi6e"),
    "aruba_instant/wifi7": ("aruba_instant", "wifi7"),
}
ROLES = [
    *(Role(f"{p}/{v}", p, v) for p in PLATFORMS for v in VERSIONS),
    *(Role(name, platform, "3", standard) for name, (platform, standard) in WIFI_6GHZ.items()),
    *(Role(f"{p}/ssh", p) for p in PLATFORMS),
    *(Role(name, platform) for name, (platform, _) in FAULTS.items()),
]


# -- net-snmp's command-line clients --------------------------------------------------------


@dataclass(frozen=True)
class Varbind:
    oid: str  # numeric, no leading dot
    type: str  # "INTEGER", "Counter64", "STRING", ...; "Timeticks" (bare under -Ot); "NoSuch"
    value: Any  # int for numbers and timeticks, str otherwise


_LINE = re.compile(r"^\.((?:\d+\.)*\d+) = (?:([A-Za-z0-9-]+): )?(.*)$")
_NUMERIC = {"INTEGER", "Counter32", "Counter64", "Gauge32", "Timeticks", "Unsigned32"}


def parse_varbinds(text: str) -> list[Varbind]:
    """``-On -Oe -Ot`` output; a line that does not start a varbind continues a string."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            rows.append([match[1], match[2] or "", match[3]])
        elif rows:
            rows[-1][2] += "\n" + line
    return [_varbind(*row) for row in rows]


def _varbind(oid: str, kind: str, text: str) -> Varbind:
    if not kind:
        if text.startswith(("No Such", "No more variables")):
            return Varbind(oid, "NoSuch", text)
        if text == '""':  # an empty string has no type prefix
            return Varbind(oid, "STRING", "")
        kind = "Timeticks"  # -Ot prints timeticks as a bare number
    if kind in _NUMERIC:
        return Varbind(oid, kind, int(text))
    if kind == "STRING" and text.startswith('"'):
        text = text[1:-1] if text.endswith('"') else text[1:]
    return Varbind(oid, kind, text.removeprefix("."))


@dataclass
class Snmp:
    """Runs net-snmp clients against the lab with credentials from a snmp.conf per version."""

    port: int
    conf_dirs: dict[str, Path]

    def run(
        self, tool: str, ap: LabAp, oids: Sequence[str], timeout: float = 1, retries: int = 0
    ) -> subprocess.CompletedProcess[str]:
        argv = [
            tool,
            "-On",
            "-Oe",
            "-Ot",
            "-t",
            str(timeout),
            "-r",
            str(retries),
            f"{ap.address}:{self.port}",
            *oids,
        ]
        return netsnmp.run(
            argv, self.conf_dirs[ap.snmp_version], timeout=timeout * (retries + 1) + 10
        )

    def get(self, ap: LabAp, oids: Sequence[str], timeout: float = 1) -> dict[str, Varbind]:
        done = self.run("snmpget", ap, oids, timeout)
        assert done.returncode == 0, f"snmpget {ap.id}: {done.stderr}"
        return {vb.oid: vb for vb in parse_varbinds(done.stdout)}

    def timed_get(self, ap: LabAp, oids: Sequence[str]) -> tuple[float, dict[str, Varbind]]:
        """(wall time of the read, varbinds): the midpoint of the client's run."""
        before = time.time()
        got = self.get(ap, oids)
        return (before + time.time()) / 2, got

    def walk(self, ap: LabAp, oid: str) -> dict[str, Varbind]:
        """``snmpbulkwalk`` of ``oid``: varbinds by the index after ``oid`` (``"1"``, ...).

        Past the agent's last object the client prints endOfMibView under the last OID it
        asked for; that is the end of the walk, not a value."""
        done = self.run("snmpbulkwalk", ap, [oid])
        assert done.returncode == 0, f"snmpbulkwalk {ap.id} {oid}: {done.stderr}"
        return {
            vb.oid[len(oid) + 1 :]: vb
            for vb in parse_varbinds(done.stdout)
            if vb.oid.startswith(oid + ".") and vb.type != "NoSuch"
        }


def write_snmp_conf(directory: Path, version: str) -> Path:
    """The lab's credentials for ``version`` in ``directory``/snmp.conf (:mod:`netsnmp`)."""
    credentials: netsnmp.Credentials = (
        netsnmp.V2c(LAB_ENV["PUBWIFI_SNMP_COMMUNITY"])
        if version == "2c"
        else netsnmp.V3(
            LAB_ENV["PUBWIFI_SNMP_V3_USER"],
            LAB_ENV["PUBWIFI_SNMP_V3_AUTH_KEY"],
            LAB_ENV["PUBWIFI_SNMP_V3_PRIV_KEY"],
        )
    )
    return netsnmp.write_client_conf(directory, credentials)


def device_second(wall: float, uptime_centis: int) -> tuple[int, int]:
    """(boot, the whole second the read's counters belong to)."""
    boot = round(wall - uptime_centis / 100)
    return boot, boot + uptime_centis // 100


# -- the lab ----------------------------------------------------------------------------------


@dataclass
class Lab:
    inventory: LabInventory
    process: LabProcess
    snmp: Snmp

    def ap(self, role: str) -> LabAp:
        return self.inventory[role]


def start_lab(
    tmp: Path,
    roles: Sequence[Role],
    faults: dict[str, str],
    first_ip: str,
    snmp: Snmp | None = None,
) -> Lab:
    snmp_port, ssh_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    inventory = build_inventory(tmp / "inventory.yaml", roles, snmp_port, ssh_port, first_ip)
    rules = [rule.format(ap=inventory[role].id) for role, rule in faults.items()]
    process = lab_process(inventory, tmp / "lab.log", rules).start()
    conf = snmp.conf_dirs if snmp else {v: write_snmp_conf(tmp / f"snmp-{v}", v) for v in VERSIONS}
    return Lab(inventory, process, Snmp(snmp_port, conf))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One lab process for the module: every platform x version, plus one AP per fault."""
    running = start_lab(
        tmp_path_factory.mktemp("lab"),
        ROLES,
        {role: rule for role, (_, rule) in FAULTS.items()},
        "127.61.0.1",
    )
    try:
        yield running
    finally:
        assert running.process.stop() == 0, "the lab did not exit cleanly on SIGTERM"


def radios(lab: Lab, ap: LabAp) -> dict[str, str]:
    """The AP's radio rows as the profile finds them: {row index: band} (wired left out)."""
    spec = PROFILES[ap.platform].radios
    selected = [
        i for i, vb in lab.snmp.walk(ap, spec.select.oid).items() if vb.value in spec.select_values
    ]
    assert spec.band is not None
    named = lab.snmp.walk(ap, spec.band.oid)
    bands = {i: spec.band_map.get(str(named[i].value), spec.band_map.get("*")) for i in selected}
    found: dict[str, str] = {
        i: band for i, band in bands.items() if band is not None and band != "wired"
    }
    assert found, f"{ap.id}: no radio rows"
    return found


def column(obj: MibObject, index: str) -> str:
    return f"{obj.oid}.{index}"


def wifi(ap: LabAp, standard: str = "wifi5") -> Model:
    return LAB_PLATFORMS[ap.platform].models[standard]  # type: ignore[index]


# -- 1. every platform, v2c and v3 authPriv, read with snmpget and snmpbulkwalk ------------------


CASES = [f"{p}/{v}" for p in PLATFORMS for v in VERSIONS]


PROFILE_TYPES = {  # profile type -> what net-snmp may print ("gauge" also names levels)
    "counter32": {"Counter32"},
    "counter64": {"Counter64"},
    "timeticks": {"Timeticks"},
    "string": {"STRING"},
    "gauge": {"Gauge32", "INTEGER", "Counter32"},
}
LAB_TYPES = {  # platform data type -> what net-snmp prints
    "integer": {"INTEGER"},
    "gauge": {"Gauge32"},
    "counter32": {"Counter32"},
    "counter64": {"Counter64"},
    "timeticks": {"Timeticks"},
    "string": {"STRING"},
    "oid": {"OID"},
    "bytes": {"Hex-STRING", "STRING"},
    "ipaddress": {"IpAddress"},
}


@pytest.mark.parametrize("role", CASES)
def test_snmpget_reads_the_system_group(lab: Lab, role: str) -> None:
    ap = lab.ap(role)
    profile, model = PROFILES[ap.platform], wifi(ap)
    system = lab.snmp.get(ap, [f"{SYSTEM}.{n}.0" for n in range(1, 8)])
    assert system[SYS_OBJECT_ID].value == model.sys_object_id
    assert any(system[SYS_OBJECT_ID].value.startswith(p) for p in profile.detect.sys_object_id)
    assert re.search(profile.detect.sys_descr or "", system[SYS_DESCR].value)
    assert system[SYS_NAME].value == ap.id
    assert system[SYS_UPTIME].type == "Timeticks" and system[SYS_UPTIME].value > 0
    assert all(vb.type != "NoSuch" for vb in system.values())


@pytest.mark.parametrize("role", CASES)
def test_snmpbulkwalk_reads_if_table_and_if_x_table_where_64_bit(lab: Lab, role: str) -> None:
    ap = lab.ap(role)
    if_table = lab.snmp.walk(ap, IF_TABLE)
    if_count = lab.snmp.get(ap, ["1.3.6.1.2.1.2.1.0"])["1.3.6.1.2.1.2.1.0"].value
    descr = {k[2:]: vb.value for k, vb in if_table.items() if k.startswith("2.")}
    assert len(descr) == if_count >= 2
    octets = {vb.type for k, vb in if_table.items() if k.split(".")[0] in ("10", "16")}
    assert octets == {"Counter32"}
    if_x_table = lab.snmp.walk(ap, IF_X_TABLE)
    if PROFILES[ap.platform].counter_bits == 32:
        assert if_x_table == {}, "a 32-bit-only platform must not serve ifXTable"
        return
    assert {k[2:]: vb.value for k, vb in if_x_table.items() if k.startswith("1.")} == descr
    hc_octets = {vb.type for k, vb in if_x_table.items() if k.split(".")[0] in ("6", "10")}
    assert hc_octets == {"Counter64"}
    rows = sorted(descr)
    same_instant = lab.snmp.get(ap, [f"{c}.{r}" for r in rows for c in (IF_IN, IF_HC_IN)])
    for r in rows:  # Counter32 = Counter64 mod 2^32 when read in one PDU
        assert same_instant[f"{IF_HC_IN}.{r}"].value % 2**32 == same_instant[f"{IF_IN}.{r}"].value


@pytest.mark.parametrize("role", CASES)
def test_every_profile_object_is_served_with_its_type(lab: Lab, role: str) -> None:
    ap = lab.ap(role)
    profile, model = PROFILES[ap.platform], wifi(ap)
    scalars = lab.snmp.get(ap, [obj.oid for obj in profile.scalars.values()])
    for name, obj in profile.scalars.items():
        assert scalars[obj.oid].type != "NoSuch", f"{name} {obj.mib}"
    if "model" in profile.scalars:
        assert scalars[profile.scalars["model"].oid].value == model.model
    found = radios(lab, ap)
    assert sorted(found.values()) == sorted(model.radios)
    for name, obj in profile.radios.columns.items():
        values = lab.snmp.walk(ap, obj.oid)
        assert set(found) <= set(values), f"{obj.mib} rows {sorted(values)} miss {sorted(found)}"
        served = {values[i].type for i in found}
        assert served <= PROFILE_TYPES[obj.type.value], f"{name} {obj.mib}: {served}"


@pytest.mark.parametrize("role", CASES)
def test_snmpbulkwalk_reads_every_vendor_table(lab: Lab, role: str) -> None:
    ap = lab.ap(role)
    for name, table in LAB_PLATFORMS[ap.platform].tables.items():
        cells = lab.snmp.walk(ap, table.entry)
        for number, spec in table.columns.items():
            served = {vb.type for index, vb in cells.items() if index.startswith(f"{number}.")}
            assert served and served <= LAB_TYPES[spec.type], f"{name}.{spec.name}: {served}"


@pytest.mark.parametrize("role", sorted(WIFI_6GHZ))
def test_snmpbulkwalk_over_v3_reads_the_6ghz_radio_and_its_interface(lab: Lab, role: str) -> None:
    ap = lab.ap(role)
    platform, standard = WIFI_6GHZ[role]
    model, profile = wifi(ap, standard), PROFILES[platform]
    assert ap.snmp_version == "3" and ap.model == model.model
    assert lab.snmp.get(ap, [SYS_OBJECT_ID])[SYS_OBJECT_ID].value == model.sys_object_id
    found = radios(lab, ap)  # snmpbulkwalk of the profile's radio columns
    assert sorted(found.values()) == sorted(model.radios)
    assert list(found.values()).count("6GHz") == 1, found
    # the 6 GHz radio's interface in ifTable (and ifXTable where the platform has it)
    number = list(model.radios).index("6GHz")
    name = LAB_PLATFORMS[platform].interfaces.radio_name.format(n=number, n1=number + 1)
    if_table = lab.snmp.walk(ap, IF_TABLE)
    rows = [k[2:] for k, vb in if_table.items() if k.startswith("2.") and vb.value == name]
    assert len(rows) == 1, f"{name} not in ifDescr: {if_table}"
    row = rows[0]
    rate = model.radios["6GHz"]
    assert if_table[f"3.{row}"].value == 71  # ieee80211
    assert if_table[f"5.{row}"].value == min(rate * 1_000_000, 2**32 - 1)  # ifSpeed saturates
    assert {if_table[f"{c}.{row}"].type for c in (10, 16)} == {"Counter32"}
    if profile.counter_bits == 64:
        assert next(i for i, band in found.items() if band == "6GHz") == row  # radio = ifIndex
        if_x_table = lab.snmp.walk(ap, IF_X_TABLE)
        assert if_x_table[f"1.{row}"].value == name
        assert if_x_table[f"15.{row}"].value == rate
        assert {if_x_table[f"{c}.{row}"].type for c in (6, 10)} == {"Counter64"}


# -- 2. counters advance exactly as `lab truth` says ----------------------------------------------


@dataclass
class CounterRead:
    second: int
    boot: int
    rx: int  # sum over radios of the rx (ifIn) counters, as read
    tx: int
    raw: dict[str, Varbind]
    sessions: int | None = None  # sum over radios of the association counters, where there are


def read_counters(
    lab: Lab, ap: LabAp, rows: Sequence[str], extra: Sequence[str] = ()
) -> CounterRead:
    """sysUpTime, every radio's rx/tx octet counter and (where the profile has one) its
    session counter, in ONE snmpget."""
    columns = PROFILES[ap.platform].radios.columns
    rx = [column(columns["rx_bytes"], r) for r in rows]
    tx = [column(columns["tx_bytes"], r) for r in rows]
    sessions = [column(columns["sessions"], r) for r in rows] if "sessions" in columns else []
    wall, got = lab.snmp.timed_get(ap, [SYS_UPTIME, *rx, *tx, *sessions, *extra])
    boot, second = device_second(wall, got[SYS_UPTIME].value)
    return CounterRead(
        second,
        boot,
        sum(got[o].value for o in rx),
        sum(got[o].value for o in tx),
        got,
        sum(got[o].value for o in sessions) if sessions else None,
    )


def counter_modulus(ap: LabAp) -> int:
    return 1 << PROFILES[ap.platform].counter_bits


COUNTER_CASES = [*CASES, *sorted(WIFI_6GHZ)]
SESSION_PLATFORMS = [p for p in PLATFORMS if "sessions" in PROFILES[p].radios.columns]
assert SESSION_PLATFORMS == ["cisco_ios_ap"], SESSION_PLATFORMS  # what the profiles say today


@pytest.fixture(scope="module")
def two_reads(lab: Lab) -> dict[str, tuple[CounterRead, CounterRead]]:
    """Every platform x version (and the 6 GHz APs) read at t1 and again about 3 s later."""
    rows = {role: sorted(radios(lab, lab.ap(role))) for role in COUNTER_CASES}
    first = {role: read_counters(lab, lab.ap(role), rows[role]) for role in COUNTER_CASES}
    time.sleep(3)  # the interval being measured, not a synchronisation
    return {
        role: (first[role], read_counters(lab, lab.ap(role), rows[role])) for role in COUNTER_CASES
    }


@pytest.mark.parametrize("role", COUNTER_CASES)
def test_counters_advance_exactly_as_lab_truth_says(
    lab: Lab, two_reads: dict[str, tuple[CounterRead, CounterRead]], role: str
) -> None:
    ap = lab.ap(role)
    one, two = two_reads[role]
    assert one.boot == two.boot and two.second > one.second
    expected = truth(lab.inventory.path, one.second, two.second, [ap.id])[ap.id]
    modulus = counter_modulus(ap)
    assert expected["bytes_out"] > 0
    assert (two.tx - one.tx) % modulus == expected["bytes_out"] % modulus
    assert (two.rx - one.rx) % modulus == expected["bytes_in"] % modulus
    since_boot = truth(lab.inventory.path, one.boot, two.second, [ap.id])[ap.id]
    if modulus == 2**64:  # and the whole counter is the traffic since boot
        assert (two.tx, two.rx) == (since_boot["bytes_out"], since_boot["bytes_in"])
    if ap.platform not in SESSION_PLATFORMS:
        assert one.sessions is None and two.sessions is None
        return
    # the association counter (Counter32) counts new sessions exactly as truth does, and
    # from boot (a few sessions a second never wrap it here)
    assert one.sessions is not None and two.sessions is not None
    assert (two.sessions - one.sessions) % 2**32 == expected["sessions"] % 2**32
    assert since_boot["sessions"] > 0
    assert two.sessions == since_boot["sessions"]


# -- 3. netmiko through the running lab, host keys checked -------------------------------------


SSH_CONFIG: dict[str, Any] = {  # (radio name, channel, dBm) -> commands; SSID renamed in each
    "cisco_ios_ap": lambda name, ch, dbm: [
        f"interface {name}",
        f"channel {ch}",
        f"power local {dbm}",
        "exit",
        "no dot11 ssid Seoul_Free_WiFi",
        "dot11 ssid Seoul_Free_WiFi_2",
        "vlan 300",
    ],
    "aruba_instant": lambda name, ch, dbm: [
        "wlan ssid-profile Seoul_Free_WiFi",
        "essid Seoul_Free_WiFi_2",
        "vlan 300",
        "exit",
        f"a-channel {ch} {dbm}",
    ],
    "mikrotik_routeros": lambda name, ch, dbm: [
        f"/interface wireless set [find name={name}] frequency={5000 + 5 * ch} tx-power={dbm}",
        "/interface wireless set [find name=wlan1] ssid=Seoul_Free_WiFi_2 vlan-id=300",
    ],
    "net-snmp": lambda name, ch, dbm: [
        f"hostapd_cli -i {name} set channel {ch}",
        f"iw dev {name} set txpower fixed {dbm}00",
        "hostapd_cli -i wlan0 set ssid Seoul_Free_WiFi_2",
        "hostapd_cli save_config",
    ],
}
SSH_READ = {  # the "show version" equivalent, and the configuration dump
    "cisco_ios_ap": ("show version", "show running-config"),
    "aruba_instant": ("show version", "show running-config"),
    "mikrotik_routeros": ("/system resource print", "/export"),
    "net-snmp": ("uname -a", "hostapd_cli get_config"),
}


def netmiko(lab: Lab, ap: LabAp, known_hosts: Path, key_of: str | None = None, **extra: Any) -> Any:
    """netmiko's ConnectHandler with strict host-key checking against a known_hosts file that
    holds the key of AP ``key_of`` (default: ``ap`` itself) for ``ap``'s address."""
    line = known_hosts_line(ap.address, lab.inventory.ssh_port, key_of or ap.id, SEED)
    known_hosts.write_text(line + "\n")
    return ConnectHandler(
        device_type=NETMIKO_DEVICE_TYPES[ap.platform],
        host=ap.address,
        port=lab.inventory.ssh_port,
        username=LAB_ENV["PUBWIFI_SSH_USER"],
        password=LAB_ENV["PUBWIFI_SSH_PASSWORD"],
        secret=LAB_ENV["PUBWIFI_SSH_PASSWORD"],
        ssh_strict=True,
        system_host_keys=False,
        alt_host_keys=True,
        alt_key_file=str(known_hosts),
        allow_agent=False,
        use_keys=False,
        fast_cli=True,
        **extra,
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_netmiko_reads_configures_saves_and_snmp_sees_the_change(
    lab: Lab, platform: str, tmp_path: Path
) -> None:
    ap = lab.ap(f"{platform}/ssh")
    columns = PROFILES[platform].radios.columns
    five = next(i for i, band in radios(lab, ap).items() if band == "5GHz")
    name = (
        lab.snmp.get(ap, [f"{IF_NAME}.{five}"])[f"{IF_NAME}.{five}"].value
        if (platform != "aruba_instant")
        else ""
    )
    channel = 149
    if "channel" in columns:
        before = channel_number(platform, lab.snmp.get(ap, [column(columns["channel"], five)]))
        channel = 36 if before == 149 else 149
    version_command, dump_command = SSH_READ[platform]
    conn = netmiko(lab, ap, tmp_path / "known_hosts")
    try:
        version = conn.send_command(version_command)
        assert ap.model in version if platform != "net-snmp" else ap.id in version, version
        if platform == "cisco_ios_ap":
            conn.enable()
        out = conn.send_config_set(SSH_CONFIG[platform](name, channel, 14))
        assert not re.search(r"Invalid|error|FAIL|denied", out, re.IGNORECASE), out
        if platform in ("cisco_ios_ap", "aruba_instant"):
            conn.save_config()
        dump = conn.send_command(dump_command)
        if platform == "net-snmp":  # no channel object over SNMP: the CLI shows it
            assert f"channel={channel}" in conn.send_command(f"hostapd_cli -i {name} status")
    finally:
        conn.disconnect()
    assert "Seoul_Free_WiFi_2" in dump, dump
    if "channel" in columns:
        got = lab.snmp.get(ap, [column(columns["channel"], five)])
        assert channel_number(platform, got) == channel
    if "tx_power" in columns:
        power = lab.snmp.get(ap, [column(columns["tx_power"], five)])
        value = next(iter(power.values())).value
        unit = columns["tx_power"].unit
        assert value == (14 if unit == "dBm" else 1 + (30 - 14) // 3)  # level: 3 dB steps


def test_netmiko_refuses_a_host_key_that_is_not_the_aps(lab: Lab, tmp_path: Path) -> None:
    """Host-key checking is really on: another AP's key in known_hosts is refused."""
    ap, other = lab.ap("cisco_ios_ap/ssh"), lab.ap("aruba_instant/ssh")
    with pytest.raises(Exception, match="does not match"):
        netmiko(lab, ap, tmp_path / "known_hosts", key_of=other.id)


def channel_number(platform: str, got: dict[str, Varbind]) -> int:
    value = next(iter(got.values())).value
    if isinstance(value, str):  # aruba: "149E"
        return int(re.match(r"\d+", value)[0])  # type: ignore[index]
    if PROFILES[platform].radios.columns["channel"].unit == "MHz":
        return (int(value) - 5000) // 5
    return int(value)


# -- 4. faults, as a client sees them -------------------------------------------------------


def test_down_ap_times_out(lab: Lab) -> None:
    ap = lab.ap("down")
    done = lab.snmp.run("snmpget", ap, [SYS_UPTIME])
    assert done.returncode != 0 and "Timeout" in done.stderr
    assert lab.snmp.get(lab.ap("cisco_ios_ap/3"), [SYS_UPTIME])  # the rest still answer


def test_slow_ap_times_out_at_1s_and_answers_at_6s(lab: Lab) -> None:
    ap = lab.ap("slow")
    quick = lab.snmp.run("snmpget", ap, [SYS_NAME], timeout=1)
    assert quick.returncode != 0 and "Timeout" in quick.stderr
    started = time.monotonic()
    patient = lab.snmp.get(ap, [SYS_NAME], timeout=6)
    assert patient[SYS_NAME].value == ap.id
    # SNMPv3: engine discovery, then the GET; each answer comes 3 s late
    assert 2 * 3 - 0.5 <= time.monotonic() - started < 2 * 6


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
def test_malformed_and_truncated_answers_fail_in_the_client(lab: Lab, kind: str) -> None:
    done = lab.snmp.run("snmpget", lab.ap(kind), [SYS_UPTIME, SYS_NAME])
    assert done.returncode != 0 and SYS_NAME not in done.stdout
    # net-snmp 5.9: "snmpget: Timeout (parse header length 17 too short: need 65535)"
    assert "Timeout" in done.stderr and "parse" in done.stderr, done.stderr


def wait_for(read: Any, changed: Any, deadline_s: float) -> Any:
    """Read repeatedly (0.25 s apart) until ``changed(value)``; the value, or fail."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = read()
        if changed(value):
            return value
        time.sleep(0.25)  # polling interval of a readiness check
    pytest.fail(f"no change within {deadline_s} s")


def test_reboot_restarts_uptime_and_counters(lab: Lab) -> None:
    ap = lab.ap("reboot")  # every 6 s
    rows = sorted(radios(lab, ap))
    before = read_counters(lab, ap, rows)
    assert before.second - before.boot <= 6
    after = wait_for(lambda: read_counters(lab, ap, rows), lambda r: r.boot > before.boot, 8)
    uptime = after.raw[SYS_UPTIME].value
    assert uptime < (after.second - before.boot) * 100  # sysUpTime went back
    carried = truth(lab.inventory.path, after.boot, after.second, [ap.id])[ap.id]
    assert (after.tx, after.rx) == (carried["bytes_out"], carried["bytes_in"])  # from zero


def test_discontinuity_restarts_counters_but_not_uptime(lab: Lab) -> None:
    ap = lab.ap("discontinuity")  # every 6 s
    rows = sorted(radios(lab, ap))
    marks = [f"{IF_DISCONTINUITY}.{r}" for r in rows]
    before = read_counters(lab, ap, rows, marks)
    mark = before.raw[marks[0]].value
    assert mark > 0 and all(before.raw[m].value == mark for m in marks)
    after = wait_for(
        lambda: read_counters(lab, ap, rows, marks), lambda r: r.raw[marks[0]].value != mark, 8
    )
    assert after.boot == before.boot  # no reboot
    assert after.raw[SYS_UPTIME].value > before.raw[SYS_UPTIME].value
    restarted = before.boot + after.raw[marks[0]].value // 100
    assert after.raw[marks[0]].value > mark
    carried = truth(lab.inventory.path, restarted, after.second, [ap.id])[ap.id]
    assert (after.tx, after.rx) == (carried["bytes_out"], carried["bytes_in"])


def test_ssh_login_failure_is_an_authentication_error(lab: Lab, tmp_path: Path) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        netmiko(lab, lab.ap("ssh_login_fails"), tmp_path / "known_hosts")


def test_hanging_ssh_session_makes_netmiko_time_out(lab: Lab, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises((ReadTimeout, NetmikoTimeoutException)):
        netmiko(
            lab,
            lab.ap("ssh_hangs"),
            tmp_path / "known_hosts",
            read_timeout_override=2,
            conn_timeout=3,
        )
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("platform", PLATFORMS)
def test_swapped_ap_reports_the_vendors_wifi6_model(lab: Lab, platform: str) -> None:
    ap, peer = lab.ap(f"swapped/{platform}"), lab.ap(f"{platform}/3")
    new, old = wifi(ap, "wifi6"), wifi(ap, "wifi5")
    profile = PROFILES[platform]
    swapped = lab.snmp.get(ap, [SYS_OBJECT_ID, SYS_DESCR, SYS_UPTIME])
    unswapped = lab.snmp.get(peer, [SYS_OBJECT_ID, SYS_DESCR])
    assert swapped[SYS_OBJECT_ID].value == new.sys_object_id
    assert unswapped[SYS_OBJECT_ID].value == old.sys_object_id
    template = LAB_PLATFORMS[platform].sys_descr
    for field in ("model", "firmware", "family", "image", "arch"):
        if "{" + field + "}" in template:
            assert getattr(new, field) in swapped[SYS_DESCR].value
    if "model" in profile.scalars:
        oid = profile.scalars["model"].oid
        assert lab.snmp.get(ap, [oid])[oid].value == new.model
    found = radios(lab, ap)
    assert sorted(found.values()) == sorted(new.radios)
    speed = IF_HIGH_SPEED if profile.counter_bits == 64 else IF_SPEED
    scale = 1 if profile.counter_bits == 64 else 1_000_000
    if platform != "aruba_instant":  # aruba's radio rows are not ifIndex: its ifTable rows are
        rates = lab.snmp.get(ap, [f"{speed}.{i}" for i in found])
        assert {band: rates[f"{speed}.{i}"].value // scale for i, band in found.items()} == (
            new.radios
        )
    # swapped at the lab's start: uptime (and the counters) restarted then
    assert swapped[SYS_UPTIME].value / 100 <= time.time() - lab.process.spawned_at + 1


# -- 4b. Counter32 wrap: its own lab, so the wrap lands a few seconds after start ---------------


def wrap_minutes_for(inventory: Path, ap_id: str, seconds: float) -> float:
    """``wrap_minutes`` such that the AP's counters reach 2^32 about ``seconds`` after start.

    The fault puts the uplink's ifInOctets ``wrap_minutes`` of *average* traffic short of 2^32;
    the average is a week's truth / a week, the present rate the last minute's truth."""
    now = int(time.time())
    week = truth(inventory, now - 7 * 86_400, now, [ap_id])[ap_id]["bytes_out"] / (7 * 86_400)
    present = truth(inventory, now - 60, now, [ap_id])[ap_id]["bytes_out"] / 60
    return float(max(present, 1.0) * seconds / (week * 60))


def test_counter32_wrap_is_seen_by_the_client(lab: Lab, tmp_path: Path) -> None:
    roles = [Role("wrap", "aruba_instant", "3")]
    inventory = build_inventory(tmp_path / "probe.yaml", roles, 1, 1, "127.62.0.1")
    minutes = wrap_minutes_for(inventory.path, inventory["wrap"].id, 5)
    wrapped = start_lab(
        tmp_path,
        roles,
        {"wrap": f"counter32_wrap:{{ap}}:wrap_minutes={minutes}"},
        "127.62.0.1",
        lab.snmp,
    )
    try:
        ap = wrapped.ap("wrap")
        uplink = next(
            i for i, vb in wrapped.snmp.walk(ap, "1.3.6.1.2.1.2.2.1.3").items() if vb.value == 6
        )  # ethernetCsmacd: receives what the radios send
        oid = f"{IF_IN}.{uplink}"

        def read() -> tuple[int, int]:
            wall, got = wrapped.snmp.timed_get(ap, [SYS_UPTIME, oid])
            return device_second(wall, got[SYS_UPTIME].value)[1], got[oid].value

        first = read()
        assert first[1] > 2**32 - 2**28, "the counter should start just short of 2^32"
        last = wait_for(read, lambda r: r[1] < first[1], 20)
        carried = truth(wrapped.inventory.path, first[0], last[0], [ap.id])[ap.id]
        assert last[1] + 2**32 - first[1] == carried["bytes_out"]
    finally:
        assert wrapped.process.stop() == 0
