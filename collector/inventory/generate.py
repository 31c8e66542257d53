"""Generate a valid, deterministic inventory of N APs spread over Seoul's 25 districts.

Used for the lab, the benchmarks and tests. The auths reference the environment variables the
lab also reads (``PUBWIFI_SNMP_*``, ``PUBWIFI_SSH_*``). Output is plain YAML text written
directly (fast for 34,000 APs) and loads with :func:`collector.inventory.load_inventory`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from collector.districts import SEOUL_DISTRICTS
from collector.inventory.model import Footfall, Mount, WifiStandard
from collector.inventory.program import (
    FACILITIES,
    PLACES,
    SMART_POLE_DISTRICTS,
    LegacyAp,
    apportion,
    counts_for,
    pick_replacements,
    quarters,
)
from collector.inventory.seoul import (
    DISTRICT_DATA,
    FOOTFALL_MIX,
    MOUNT_MIX,
    PLATFORM_MODELS,
    REPLACEMENT_SHARE,
    STANDARD_MIX,
)

ENV_VARS = (
    "PUBWIFI_SNMP_COMMUNITY",
    "PUBWIFI_SNMP_V3_USER",
    "PUBWIFI_SNMP_V3_AUTH_KEY",
    "PUBWIFI_SNMP_V3_PRIV_KEY",
    "PUBWIFI_SSH_USER",
    "PUBWIFI_SSH_PASSWORD",
)


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    aps: int
    first_ip: str = "127.16.0.1"
    snmp_port: int = 161
    ssh_port: int = 22
    platform: str = "mixed"  # or one platform key
    snmp_version: str = "3"  # "3" or "2c"
    seed: int = 2025
    program: int | None = None  # a rollout programme for this year (collector.inventory.program)
    replacements: int | None = None  # programme size; default: the press release's, scaled
    new_aps: int | None = None


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


T = TypeVar("T")


def _pick(rng: random.Random, mix: Sequence[tuple[T, int]]) -> T:
    return rng.choices([item for item, _ in mix], weights=[w for _, w in mix])[0]


def _district_counts(total: int) -> list[tuple[str, int]]:
    """Largest-remainder apportionment of ``total`` APs by district weight (exact sum)."""
    weights = {d.code: DISTRICT_DATA[d.code][0] for d in SEOUL_DISTRICTS}
    whole = sum(weights.values())
    exact = {code: total * w / whole for code, w in weights.items()}
    counts = {code: int(x) for code, x in exact.items()}
    leftover = total - sum(counts.values())
    for code in sorted(exact, key=lambda c: (counts[c] - exact[c], c))[:leftover]:
        counts[code] += 1
    return [(d.code, counts[d.code]) for d in SEOUL_DISTRICTS]


def generate(options: GenerateOptions) -> str:
    """The inventory text for ``options``."""
    if options.aps < 1:
        raise ValueError("--aps must be at least 1")
    if options.platform != "mixed" and options.platform not in PLATFORM_MODELS:
        raise ValueError(f"unknown platform {options.platform!r}")
    first = ipaddress.IPv4Address(options.first_ip)
    if int(first) + options.aps - 1 > int(ipaddress.IPv4Address("255.255.255.254")):
        raise ValueError("not enough addresses after --first-ip")
    rng = random.Random(options.seed)
    out: list[str] = [_header(options)]
    site_lines: list[str] = ["sites:"]
    ap_lines: list[str] = ["aps:"]
    index = 0
    planned = 0
    replacement_target = round(options.aps * REPLACEMENT_SHARE)
    legacy: list[LegacyAp] = []
    next_numbers: dict[str, tuple[int, int]] = {}
    for code, count in _district_counts(options.aps):
        made = 0
        site_no = 0
        while made < count:
            site_no += 1
            mount, _, mount_ko, (low, high) = rng.choices(
                MOUNT_MIX, weights=[m[1] for m in MOUNT_MIX]
            )[0]
            footfall = _pick(rng, FOOTFALL_MIX)
            site_id, line = _site_line(rng, code, site_no, mount_ko, mount.value, footfall.value)
            site_lines.append(line)
            for _ in range(min(rng.randint(low, high), count - made)):
                made += 1
                address = first + index
                index += 1
                ap_id = f"AP-{code}-{made:05d}"
                replace = (
                    planned < replacement_target
                    and rng.random() < REPLACEMENT_SHARE * _plan_weight(footfall)
                )
                line, did_plan, standard, has_wifi6 = _ap_line(
                    rng, options, ap_id, site_id, str(address), mount, replace
                )
                planned += did_plan
                legacy.append(LegacyAp(len(ap_lines), code, footfall, standard, has_wifi6))
                ap_lines.append(line)
        next_numbers[code] = (site_no, made)
    if options.program:
        _add_program(options, rng, legacy, next_numbers, first + index, site_lines, ap_lines)
    out.extend(site_lines)
    out.extend(ap_lines)
    return "\n".join(out) + "\n"


def _add_program(
    options: GenerateOptions,
    fleet_rng: random.Random,
    legacy: list[LegacyAp],
    next_numbers: dict[str, tuple[int, int]],
    next_address: ipaddress.IPv4Address,
    site_lines: list[str],
    ap_lines: list[str],
) -> None:
    """Add the rollout programme (:mod:`collector.inventory.program`) to the lines."""
    year = options.program
    assert year is not None
    rng = random.Random(f"program-{options.seed}-{year}")
    counts = counts_for(options.aps, options.replacements, options.new_aps)
    codes = [d.code for d in SEOUL_DISTRICTS]
    weights = [float(DISTRICT_DATA[c][0]) for c in codes]
    per_district = dict(zip(codes, apportion(counts.replacements, weights), strict=True))
    # the fleet is the one made without --program (same seed, same APs); only its plan differs
    for position, line in enumerate(ap_lines):
        if ", replacement: {" in line:
            ap_lines[position] = line.split(", replacement: {", 1)[0] + "}"
    chosen = pick_replacements(legacy, per_district, rng)
    by_position = {a.position: a for a in legacy}
    for position, quarter in zip(chosen, quarters(year, len(chosen), rng), strict=True):
        platform = ap_lines[position].split("platform: ", 1)[1].split(",", 1)[0]
        model = PLATFORM_MODELS[platform][1][WifiStandard.WIFI6]
        assert by_position[position].has_wifi6
        ap_lines[position] = (
            ap_lines[position][:-1] + f", replacement: {{model: {_q(model)}, standard: wifi6, "
            f"quarter: {quarter}}}}}"
        )
    pole_districts = sorted(rng.sample(codes, min(SMART_POLE_DISTRICTS, counts.smart_poles)))
    sites: list[tuple[str, str, str, str, str, int]] = []  # (district, kind ko, mount, ...)
    for code, poles in zip(
        pole_districts, apportion(counts.smart_poles, [1.0] * len(pole_districts)), strict=True
    ):
        sites.extend(
            (code, "어린이보호구역 스마트폴", "smart_pole", "high", "pole", 1) for _ in range(poles)
        )
    rest = counts.new - counts.smart_poles
    for kinds, share in ((FACILITIES, rest - rest // 2), (PLACES, rest // 2)):
        for code, aps_here in zip(codes, apportion(share, weights), strict=True):
            while aps_here > 0:
                _, name_ko, mount, footfall, per_site = rng.choice(kinds)
                take = min(per_site, aps_here)
                sites.append((code, name_ko, mount, footfall, "site", take))
                aps_here -= take
    new_quarters = iter(quarters(year, counts.new, rng))
    address = next_address
    for code, name_ko, mount, footfall, _, take in sorted(sites, key=lambda s: s[0]):
        site_no, made = next_numbers.get(code, (0, 0))
        site_no += 1
        site_id, line = _site_line(rng, code, site_no, name_ko, mount, footfall)
        site_lines.append(line)
        for _ in range(take):
            made += 1
            platform = _new_platform(fleet_rng, options)
            model = PLATFORM_MODELS[platform][1][WifiStandard.WIFI6]
            ap_lines.append(
                f"  - {{id: AP-{code}-{made:05d}, site: {site_id}, address: {address}, "
                f"platform: {platform}, model: {_q(model)}, standard: wifi6, status: planned, "
                f"new_in: {next(new_quarters)}}}"
            )
            address += 1
        next_numbers[code] = (site_no, made)


def _site_line(
    rng: random.Random, code: str, site_no: int, kind_ko: str, mount: str, footfall: str
) -> tuple[str, str]:
    """The site's id and its line under ``sites:``: a dong of the district drawn from ``rng``,
    then its position near the district's centre."""
    _, lat0, lon0, dongs = DISTRICT_DATA[code]
    dong = rng.choice(dongs)
    site_id = f"S{code}-{site_no:04d}"
    lat = round(lat0 + rng.uniform(-0.018, 0.018), 6)
    lon = round(lon0 + rng.uniform(-0.022, 0.022), 6)
    line = (
        f"  {site_id}: {{name: {_q(f'{dong} {kind_ko} {site_no}')}, district: {code}, "
        f"dong: {_q(dong)}, lat: {lat}, lon: {lon}, mount: {mount}, footfall: {footfall}}}"
    )
    return site_id, line


def _new_platform(rng: random.Random, options: GenerateOptions) -> str:
    if options.platform != "mixed":
        return options.platform
    platforms = [p for p, (_, models) in PLATFORM_MODELS.items() if WifiStandard.WIFI6 in models]
    return rng.choices(platforms, weights=[PLATFORM_MODELS[p][0] for p in platforms])[0]


def _plan_weight(footfall: Footfall) -> float:
    """Busy sites are replaced first (the city's priority: high-footfall places)."""
    return 6.0 if footfall in (Footfall.HIGH, Footfall.VERY_HIGH) else 1.5


def _ap_line(
    rng: random.Random,
    options: GenerateOptions,
    ap_id: str,
    site_id: str,
    address: str,
    mount: Mount,
    replace: bool,
) -> tuple[str, int, WifiStandard, bool]:
    if options.platform == "mixed":
        platform = rng.choices(
            list(PLATFORM_MODELS), weights=[share for share, _ in PLATFORM_MODELS.values()]
        )[0]
    else:
        platform = options.platform
    models = PLATFORM_MODELS[platform][1]
    standard = _pick(rng, [(s, w) for s, w in STANDARD_MIX if s in models])
    if mount is Mount.INDOOR and standard is WifiStandard.WIFI4:
        standard = WifiStandard.WIFI5 if WifiStandard.WIFI5 in models else standard
    first_year = 2021 if standard.is_wifi6_or_later else 2015
    installed = dt.date(first_year, 1, 1) + dt.timedelta(
        days=rng.randrange((dt.date(2024, 12, 31) - dt.date(first_year, 1, 1)).days)
    )
    status = rng.choices(["active", "offline", "failed", "staged"], weights=[985, 7, 5, 3])[0]
    fields = [
        f"id: {ap_id}",
        f"site: {site_id}",
        f"address: {address}",
        f"platform: {platform}",
        f"model: {_q(models[standard])}",
        f"standard: {standard.value}",
        f"installed: {installed.isoformat()}",
    ]
    if status != "active":  # active comes from defaults
        fields.append(f"status: {status}")
    if standard is WifiStandard.WIFI4 and options.snmp_version == "3":
        fields.append("groups: [snmpv3-incapable]")
    planned = 0
    if replace and not standard.is_wifi6_or_later and WifiStandard.WIFI6 in models:
        quarter = f"2025Q{rng.randint(1, 4)}"
        fields.append(
            f"replacement: {{model: {_q(models[WifiStandard.WIFI6])}, standard: wifi6, "
            f"quarter: {quarter}}}"
        )
        planned = 1
    line = "  - {" + ", ".join(fields) + "}"
    return line, planned, standard, WifiStandard.WIFI6 in models


def _program_args(options: GenerateOptions) -> str:
    """The options beyond --aps and --seed that made this file (so the header reproduces it)."""
    extra = ""
    for flag, value, default in (
        ("--first-ip", options.first_ip, "127.16.0.1"),
        ("--snmp-port", options.snmp_port, 161),
        ("--ssh-port", options.ssh_port, 22),
        ("--platform", options.platform, "mixed"),
        ("--snmp-version", options.snmp_version, "3"),
    ):
        if value != default:
            extra += f" {flag} {value}"
    if not options.program:
        return extra
    extra += f" --program {options.program}"
    if options.replacements is not None:
        extra += f" --replacements {options.replacements}"
    if options.new_aps is not None:
        extra += f" --new-aps {options.new_aps}"
    return extra


def _header(options: GenerateOptions) -> str:
    snmp_auth = "city-v3" if options.snmp_version == "3" else "legacy-v2c"
    command = f"pubwifi inventory generate --aps {options.aps} --seed {options.seed}"
    return f"""\
# Generated by `{command}{_program_args(options)}`.
# Seoul public Wi-Fi (서울시 공공와이파이) fleet; secrets are ${{ENV}} references only.
version: 1
auths:
  snmp:
    city-v3:
      version: 3
      user: ${{PUBWIFI_SNMP_V3_USER}}
      auth_protocol: sha256
      auth_key: ${{PUBWIFI_SNMP_V3_AUTH_KEY}}
      priv_protocol: aes128
      priv_key: ${{PUBWIFI_SNMP_V3_PRIV_KEY}}
    legacy-v2c:
      version: 2c
      community: ${{PUBWIFI_SNMP_COMMUNITY}}
  ssh:
    city-ssh:
      user: ${{PUBWIFI_SSH_USER}}
      password: ${{PUBWIFI_SSH_PASSWORD}}
      known_hosts: accept-new
defaults:
  status: active
  snmp_auth: {snmp_auth}
  ssh_auth: city-ssh
  ports: {{snmp: {options.snmp_port}, ssh: {options.ssh_port}}}
groups:
  # Wi-Fi 4 units whose firmware has no SNMPv3 authPriv: v2c until they are replaced.
  snmpv3-incapable: {{snmp_auth: legacy-v2c}}
"""
