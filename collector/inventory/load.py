"""Strict loading of inventory.yaml: file schema -> references and inheritance -> frozen model.

Inheritance is resolved here and nowhere else: ``defaults`` -> each of the AP's ``groups`` in
order -> the AP itself, later wins (nornir's order). ``vars`` (provisioning template variables)
merge name by name along the same order, so a group adds to the defaults' variables instead of
replacing them all. Every problem found is reported as
``FILE:LINE: key.path: what is wrong``; loading stops with all of them at once.
"""

from __future__ import annotations

import gc
import ipaddress
import re
import socket
from collections.abc import Collection
from pathlib import Path

from pydantic import ValidationError

from collector.districts import DISTRICTS_BY_CODE, SEOUL_LAT, SEOUL_LON
from collector.errors import InputError, Problem
from collector.inventory.model import (
    NO_VARS,
    AccessPoint,
    Inventory,
    Replacement,
    Site,
    SnmpAuth,
    SnmpV2cAuth,
    SnmpV3Auth,
    SshAuth,
    Vars,
)
from collector.inventory.schema import (
    ApFile,
    Inheritable,
    InventoryFile,
    SnmpV3AuthFile,
)
from collector.profiles import platform_keys
from collector.secrets import SecretRef
from collector.yamlstrict import Document, load_yaml, locate_validation_error

DEFAULT_SNMP_PORT = 161
DEFAULT_SSH_PORT = 22
_INHERITED = ("platform", "model", "standard", "status", "snmp_auth", "ssh_auth")


def load_inventory(path: Path | str, platforms: Collection[str] | None = None) -> Inventory:
    """Load and validate ``path``. Raises :class:`InputError` listing every problem found."""
    # A 34,000-AP file makes about a million small objects, none of them cyclic: pausing the
    # cyclic garbage collector meanwhile saves its repeated full scans (~15 % of the load).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(path), platforms)
    finally:
        if paused:
            gc.enable()


def _load(path: Path, platforms: Collection[str] | None) -> Inventory:
    try:  # fast: no line per key; a problem is located by parsing again, with lines
        return _load_once(path, platforms, key_lines=False)
    except InputError:
        return _load_once(path, platforms, key_lines=True)


def _load_once(path: Path, platforms: Collection[str] | None, *, key_lines: bool) -> Inventory:
    document = load_yaml(path, key_lines=key_lines)
    if not isinstance(document.data, dict):
        raise InputError.at(document.path, 1, "the inventory must be a mapping at the top level")
    try:
        parsed = InventoryFile.model_validate(document.data)
    except ValidationError as error:
        raise locate_validation_error(document, error) from None
    return _Resolver(document, parsed, platforms or platform_keys()).resolve()


class _Resolver:
    def __init__(self, doc: Document, parsed: InventoryFile, platforms: Collection[str]) -> None:
        self.doc = doc
        self.file = parsed
        self.platforms = platforms
        self.problems: list[Problem] = []
        self._merged: dict[tuple[str, ...], tuple[dict[str, object], int, int, Vars]] = {}

    def fail(self, key_path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.doc.problem(key_path, message))

    def resolve(self) -> Inventory:
        snmp_auths = self._snmp_auths()
        ssh_auths = {
            name: SshAuth(
                name=name,
                user=SecretRef.parse(a.user),
                password=SecretRef.parse(a.password) if a.password else None,
                key_file=SecretRef.parse(a.key_file) if a.key_file else None,
                known_hosts=a.known_hosts,
                known_hosts_file=a.known_hosts_file,
            )
            for name, a in self.file.auths.ssh.items()
        }
        for name, a in self.file.auths.ssh.items():
            if a.password is None and a.key_file is None:
                self.fail(("auths", "ssh", name), "needs a password or a key_file reference")
        sites = self._sites()
        self._check_inheritable(("defaults",), self.file.defaults, snmp_auths, ssh_auths)
        for name, group in self.file.groups.items():
            self._check_inheritable(("groups", name), group, snmp_auths, ssh_auths)
        aps = self._aps(sites, snmp_auths, ssh_auths)
        if self.problems:
            raise InputError(self.problems)
        return Inventory(
            path=self.doc.path,
            districts=dict(DISTRICTS_BY_CODE),
            sites=sites,
            snmp_auths=snmp_auths,
            ssh_auths=ssh_auths,
            aps=tuple(aps),
            _by_id={ap.id: ap for ap in aps},
        )

    def _snmp_auths(self) -> dict[str, SnmpAuth]:
        auths: dict[str, SnmpAuth] = {}
        for name, a in self.file.auths.snmp.items():
            if isinstance(a, SnmpV3AuthFile):
                auths[name] = SnmpV3Auth(
                    name=name,
                    user=SecretRef.parse(a.user),
                    auth_protocol=a.auth_protocol,
                    auth_key=SecretRef.parse(a.auth_key),
                    priv_protocol=a.priv_protocol,
                    priv_key=SecretRef.parse(a.priv_key),
                )
            else:
                auths[name] = SnmpV2cAuth(name=name, community=SecretRef.parse(a.community))
        return auths

    def _sites(self) -> dict[str, Site]:
        sites: dict[str, Site] = {}
        for site_id, s in self.file.sites.items():
            code = str(s.district)
            district = DISTRICTS_BY_CODE.get(code)
            if district is None:
                self.fail(("sites", site_id, "district"), f"unknown Seoul district code {code}")
                continue
            if not SEOUL_LAT[0] <= s.lat <= SEOUL_LAT[1]:
                self.fail(("sites", site_id, "lat"), f"latitude {s.lat} is outside Seoul")
            if not SEOUL_LON[0] <= s.lon <= SEOUL_LON[1]:
                self.fail(("sites", site_id, "lon"), f"longitude {s.lon} is outside Seoul")
            sites[site_id] = Site(
                site_id, s.name, district, s.dong, s.lat, s.lon, s.mount, s.footfall
            )
        return sites

    def _check_inheritable(
        self,
        where: tuple[str | int, ...],
        item: Inheritable,
        snmp_auths: dict[str, SnmpAuth],
        ssh_auths: dict[str, SshAuth],
    ) -> bool:
        ok = True
        if item.platform is not None and item.platform not in self.platforms:
            known = ", ".join(sorted(self.platforms))
            self.fail((*where, "platform"), f"unknown platform {item.platform!r} (known: {known})")
            ok = False
        if item.snmp_auth is not None and item.snmp_auth not in snmp_auths:
            self.fail((*where, "snmp_auth"), f"unknown SNMP auth {item.snmp_auth!r}")
            ok = False
        if item.ssh_auth is not None and item.ssh_auth not in ssh_auths:
            self.fail((*where, "ssh_auth"), f"unknown SSH auth {item.ssh_auth!r}")
            ok = False
        return ok

    def _aps(
        self,
        sites: dict[str, Site],
        snmp_auths: dict[str, SnmpAuth],
        ssh_auths: dict[str, SshAuth],
    ) -> list[AccessPoint]:
        groups = self.file.groups
        line_table = self.doc.lines.get(id(self.doc.data["aps"]))
        ap_lines: list[int] = line_table if isinstance(line_table, list) else []
        seen_ids: dict[str, int] = {}
        seen_addresses: dict[str, int] = {}
        aps: list[AccessPoint] = []
        for index, ap in enumerate(self.file.aps):
            where: tuple[str | int, ...] = ("aps", index)
            line = ap_lines[index] if index < len(ap_lines) else 0
            if ap.id in seen_ids:
                self.fail(
                    (*where, "id"), f"duplicate AP id {ap.id!r} (first at line {seen_ids[ap.id]})"
                )
                continue
            seen_ids[ap.id] = line
            if ap.address in seen_addresses:
                self.fail(
                    (*where, "address"),
                    f"duplicate address {ap.address} (first at line {seen_addresses[ap.address]})",
                )
                continue
            seen_addresses[ap.address] = line
            resolved = self._resolve_ap(where, ap, groups, line, sites, snmp_auths, ssh_auths)
            if resolved is not None:
                aps.append(resolved)
        return aps

    def _layers(
        self, where: tuple[str | int, ...], ap: ApFile, groups: dict[str, Inheritable]
    ) -> tuple[dict[str, object], int, int, Vars] | None:
        """defaults -> groups merged once per distinct group list (34,000 APs share a few)."""
        key = tuple(ap.groups)
        cached = self._merged.get(key)
        if cached is not None:
            return cached
        layers = [self.file.defaults]
        for position, name in enumerate(ap.groups):
            group = groups.get(name)
            if group is None:
                self.fail((*where, "groups", position), f"unknown group {name!r}")
                return None
            layers.append(group)
        merged: dict[str, object] = {}
        variables: dict[str, str | int | bool] = {}
        snmp_port, ssh_port = DEFAULT_SNMP_PORT, DEFAULT_SSH_PORT
        for layer in layers:
            if layer.vars:
                variables.update(layer.vars)
            for field_name in _INHERITED:
                value = getattr(layer, field_name)
                if value is not None:
                    merged[field_name] = value
            if layer.ports is not None:
                snmp_port = layer.ports.snmp or snmp_port
                ssh_port = layer.ports.ssh or ssh_port
        shared = Vars(variables) if variables else NO_VARS
        self._merged[key] = (merged, snmp_port, ssh_port, shared)
        return merged, snmp_port, ssh_port, shared

    def _resolve_ap(
        self,
        where: tuple[str | int, ...],
        ap: ApFile,
        groups: dict[str, Inheritable],
        line: int,
        sites: dict[str, Site],
        snmp_auths: dict[str, SnmpAuth],
        ssh_auths: dict[str, SshAuth],
    ) -> AccessPoint | None:
        inherited = self._layers(where, ap, groups)
        if inherited is None:
            return None
        base, snmp_port, ssh_port, variables = inherited
        if ap.vars:
            variables = Vars({**variables, **ap.vars})
        platform = ap.platform if ap.platform is not None else base.get("platform")
        model = ap.model if ap.model is not None else base.get("model")
        standard = ap.standard if ap.standard is not None else base.get("standard")
        status = ap.status if ap.status is not None else base.get("status")
        snmp_name = ap.snmp_auth if ap.snmp_auth is not None else base.get("snmp_auth")
        ssh_name = ap.ssh_auth if ap.ssh_auth is not None else base.get("ssh_auth")
        if ap.ports is not None:
            snmp_port = ap.ports.snmp or snmp_port
            ssh_port = ap.ports.ssh or ssh_port
        values = (platform, model, standard, status, snmp_name, ssh_name)
        if None in values:
            missing = ", ".join(k for k, v in zip(_INHERITED, values, strict=True) if v is None)
            self.fail(where, f"AP {ap.id}: no {missing} set here, in its groups or defaults")
            return None
        if (ap.platform is not None or ap.snmp_auth is not None or ap.ssh_auth is not None) and (
            not self._check_inheritable(where, ap, snmp_auths, ssh_auths)
        ):
            return None
        snmp_auth = snmp_auths.get(str(snmp_name))
        ssh_auth = ssh_auths.get(str(ssh_name))
        if platform not in self.platforms or snmp_auth is None or ssh_auth is None:
            return None  # already reported where the defaults or the group name it
        address = _parse_address(ap.address)
        if address is None:
            self.fail((*where, "address"), f"{ap.address!r} is not an IPv4 address")
            return None
        if not _FIRST_OCTET_USABLE[int(address) >> 24] or int(address) == 0xFFFFFFFF:
            self.fail((*where, "address"), f"{address} cannot be a management address")
            return None
        site = sites.get(ap.site)
        if site is None:
            if ap.site not in self.file.sites:
                self.fail((*where, "site"), f"unknown site {ap.site!r}")
            return None
        if ap.replacement is not None and ap.new_in is not None:
            self.fail(
                (*where, "new_in"),
                "an AP is either new (new_in) or replaced (replacement), not both",
            )
            return None
        replacement = (
            Replacement(ap.replacement.model, ap.replacement.standard, ap.replacement.quarter)
            if ap.replacement is not None
            else None
        )
        return AccessPoint(
            id=ap.id,
            site=site,
            address=address,
            platform=str(platform),
            model=str(model),
            standard=standard,  # type: ignore[arg-type]
            installed=ap.installed,
            status=status,  # type: ignore[arg-type]
            snmp_auth=snmp_auth,
            ssh_auth=ssh_auth,
            snmp_port=snmp_port,
            ssh_port=ssh_port,
            groups=tuple(ap.groups) if ap.groups else (),
            replacement=replacement,
            new_in=ap.new_in,
            line=line,
            vars=variables,
        )


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(\.{_OCTET}){{3}}")


def _parse_address(text: str) -> ipaddress.IPv4Address | None:
    """A strict dotted quad (no leading zeros, no short forms), parsed quickly."""
    if _DOTTED_QUAD.fullmatch(text) is None:
        return None
    return ipaddress.IPv4Address(int.from_bytes(socket.inet_aton(text), "big"))


# 0.x is "this network", 224-239 multicast, 240-255 reserved: never a management address.
_FIRST_OCTET_USABLE = tuple(0 < octet < 224 for octet in range(256))
