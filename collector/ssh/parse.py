"""A platform's command outputs -> :class:`~collector.ssh.facts.ApFacts`, or FactsParseError.

Every output is first checked for the platform's CLI error texts and for truncation (the
profile's ``must_match``), then parsed with its template; templates for listings refuse unknown
lines, so junk fails loudly instead of parsing as "0 clients". Client listings are parsed into
non-identifying columns only (radio, SSID, channel, state): rows are counted, MACs, IPs and names
are never captured. The per-platform *layout* code below assembles radios and SSIDs from the
parsed tables; which command plays which role is the profile's (data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts
from collector.ssh.profile import CommandParse, SshProfile
from collector.wifi import band_from_mhz, channel_from_mhz

Row = dict[str, str | list[str]]


class FactsParseError(Exception):
    """An output that is not what the platform prints: error text, junk, truncated, missing."""

    def __init__(self, command: str, reason: str) -> None:
        super().__init__(f"{command}: {reason}")
        self.command = command
        self.reason = reason


@dataclass(slots=True)
class Parsed:
    """Parsed rows by role; follow-up roles by item (``wlan0`` -> rows)."""

    rows: dict[str, list[Row]]
    items: dict[str, dict[str, list[Row]]]
    profile: SshProfile

    def first(self, role: str, column: str) -> str | None:
        for row in self.rows.get(role, []):
            value = _text(row.get(column))
            if value:
                return value
        return None


def _text(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


# ---- numbers and bands ----------------------------------------------------------------------

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "y": 31536000}
_DURATION = re.compile(
    r"(\d+)\s*(years?|weeks?|days?|hours?|minutes?|seconds?|y|w|d|h|m|s)(?![a-z])", re.IGNORECASE
)


def parse_duration(text: str) -> int | None:
    """Seconds from ``300000``, ``3 days, 4 hours, 5 minutes``, ``1 days 1 hours ...``,
    ``2w3d4h5m6s``; None if nothing in ``text`` is a duration."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts:
        return None
    return sum(int(n) * _UNITS[unit[0].lower()] for n, unit in parts)


def band_from_text(text: str) -> str | None:
    """``802.11N 2.4GHz Radio``, ``2ghz-b/g/n``, ``5ghz-a/n/ac``, ``6ghz-ax``, and Aruba's
    ``g-channel`` / ``a-channel`` / ``6g-channel`` -> "2.4GHz" | "5GHz" | "6GHz"."""
    t = text.lower()
    if "2.4" in t or t.startswith(("2ghz", "g-channel")):
        return "2.4GHz"
    if "6ghz" in t or t.startswith("6g"):
        return "6GHz"
    if "5ghz" in t or t.startswith(("5g", "a-channel")):
        return "5GHz"
    return None


def _int(value: str | list[str] | None) -> int | None:
    text = _text(value)
    return int(text) if text.isdigit() else None


def _float(value: str | list[str] | None) -> float | None:
    try:
        return float(_text(value))
    except ValueError:
        return None


# ---- per-platform layouts ---------------------------------------------------------------------

Layout = Callable[[Parsed], tuple[list[RadioFacts], list[SsidFacts]]]


def _need(condition: object, command: str, reason: str) -> None:
    if not condition:
        raise FactsParseError(command, reason)


def _ssids(names: list[tuple[str, int | None]], clients: Mapping[str, int]) -> list[SsidFacts]:
    return [SsidFacts(name, clients.get(name, 0), vlan) for name, vlan in names]


def _count(pairs: list[str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for key in pairs:
        counted[key] = counted.get(key, 0) + 1
    return counted


def _cisco(parsed: Parsed) -> tuple[list[RadioFacts], list[SsidFacts]]:
    p = parsed.profile
    interfaces = p.parse_for("interfaces").command
    config = {_text(r["INTERFACE"]): r for r in parsed.rows["config"] if _text(r["INTERFACE"])}
    rows = parsed.rows["associations"]
    per_radio = _count([_text(r["RADIO"]) for r in rows])
    radios = []
    for row in parsed.rows["interfaces"]:
        name = _text(row["INTERFACE"])
        if not name.startswith("Dot11Radio"):
            continue
        band = band_from_text(_text(row["HARDWARE"]))
        _need(band, interfaces, f"{name}: no band in {_text(row['HARDWARE'])!r}")
        assert band is not None
        cfg = config.get(name, {})
        radios.append(
            RadioFacts(
                name=name,
                band=band,
                channel=_int(cfg.get("CHANNEL")),
                tx_power_dbm=_float(cfg.get("POWER")),
                enabled=_text(row["LINK_STATUS"]) == "up",
                clients=per_radio.get(name, 0),
            )
        )
    names = [(_text(r["SSID"]), _int(r["VLAN"])) for r in parsed.rows["config"] if _text(r["SSID"])]
    return radios, _ssids(names, _count([_text(r["SSID"]) for r in rows]))


def _aruba(parsed: Parsed) -> tuple[list[RadioFacts], list[SsidFacts]]:
    clients_command = parsed.profile.parse_for("clients").command
    rows = parsed.rows["clients"]
    if rows:
        total = _int(rows[0].get("TOTAL"))
        _need(total == len(rows), clients_command, f"{len(rows)} rows, but the total says {total}")
    radios: list[RadioFacts] = []
    for row in parsed.rows["config"]:
        keyword = _text(row["RADIO"])
        if keyword:
            band = band_from_text(keyword)
            assert band is not None  # the template only matches the three keywords
            radios.append(
                RadioFacts(keyword, band, _int(row["CHANNEL"]), _float(row["POWER"]), None, 0)
            )
    per_radio = _count([_aruba_radio(radios, r) for r in rows])
    radios = [
        RadioFacts(r.name, r.band, r.channel, r.tx_power_dbm, r.enabled, per_radio.get(r.name, 0))
        for r in radios
    ]
    names = [
        (_text(r["ESSID"]), _int(r["VLAN"])) for r in parsed.rows["config"] if _text(r["ESSID"])
    ]
    return radios, _ssids(names, _count([_text(r["ESSID"]) for r in rows]))


def _aruba_radio(radios: list[RadioFacts], row: Row) -> str:
    """The radio a client row is on: by channel; 2.4 GHz types (G, GN, BG) break a tie with a
    6 GHz radio on the same channel number."""
    channel = _int(row.get("CHANNEL"))
    candidates = [r for r in radios if r.channel == channel]
    if len(candidates) > 1:
        on_24 = _text(row.get("TYPE")).upper() in ("G", "GN", "BG", "B", "N")
        candidates = [r for r in candidates if (r.band == "2.4GHz") == on_24] or candidates
    return candidates[0].name if candidates else ""


def _routeros(parsed: Parsed) -> tuple[list[RadioFacts], list[SsidFacts]]:
    command = parsed.profile.parse_for("wireless").command
    band_of: dict[str, str] = {}
    ssid_of: dict[str, str] = {}
    first: dict[str, Row] = {}
    running: dict[str, bool] = {}
    names: list[tuple[str, int | None]] = []
    for row in parsed.rows["wireless"]:
        name = _text(row["NAME"])
        band = band_from_text(_text(row["BAND"]))
        _need(band, command, f"{name}: unknown band {_text(row['BAND'])!r}")
        assert band is not None
        band_of[name], ssid_of[name] = band, _text(row["SSID"])
        first.setdefault(band, row)
        running[band] = running.get(band, False) or "R" in _text(row["FLAGS"])
        if (ssid_of[name], _int(row["VLAN_ID"])) not in names:
            names.append((ssid_of[name], _int(row["VLAN_ID"])))
    interfaces = [_text(r["INTERFACE"]) for r in parsed.rows["registrations"]]
    unknown = [i for i in interfaces if i not in band_of]
    _need(not unknown, parsed.profile.parse_for("registrations").command, f"unknown {unknown}")
    per_band = _count([band_of[i] for i in interfaces])
    radios = []
    for band, row in first.items():
        mhz = _int(row["FREQUENCY"])
        radios.append(
            RadioFacts(
                name=_text(row["NAME"]),
                band=band,
                channel=channel_from_mhz(band, mhz) if mhz is not None else None,
                tx_power_dbm=_float(row["TX_POWER"]),
                enabled=running[band],
                clients=per_band.get(band, 0),
            )
        )
    return radios, _ssids(names, _count([ssid_of[i] for i in interfaces]))


def _hostapd(parsed: Parsed) -> tuple[list[RadioFacts], list[SsidFacts]]:
    command = parsed.profile.parse_for("interfaces").command
    by_phy: dict[str, list[Row]] = {}
    for row in parsed.rows["interfaces"]:
        by_phy.setdefault(_text(row["PHY"]), []).append(row)
    stations = parsed.items.get("stations", {})
    status = parsed.items.get("status", {})
    radios: list[RadioFacts] = []
    ssid_clients: dict[str, int] = {}
    names: list[tuple[str, int | None]] = []
    for rows in by_phy.values():
        head = rows[0]
        name = _text(head["IFACE"])
        mhz = _int(head["FREQUENCY"])
        _need(mhz is not None, command, f"{name}: no channel line")
        assert mhz is not None
        band = band_from_mhz(mhz)
        _need(band, command, f"{name}: {mhz} MHz is in no Wi-Fi band")
        assert band is not None
        total = 0
        for row in rows:
            ssid = _text(row["SSID"])
            _need(ssid, command, f"{_text(row['IFACE'])}: no ssid line")
            n = len(stations.get(_text(row["IFACE"]), []))
            total += n
            ssid_clients[ssid] = ssid_clients.get(ssid, 0) + n
            if (ssid, None) not in names:
                names.append((ssid, None))
        state = status.get(name, [{}])[0].get("STATE")
        radios.append(
            RadioFacts(
                name=name,
                band=band,
                channel=_int(head["CHANNEL"]),
                tx_power_dbm=_float(head["TXPOWER"]),
                enabled=None if state is None else _text(state) == "ENABLED",
                clients=total,
            )
        )
    return radios, _ssids(names, ssid_clients)


LAYOUTS: dict[str, Layout] = {
    "cisco_dot11": _cisco,
    "aruba_instant": _aruba,
    "routeros_wireless": _routeros,
    "hostapd": _hostapd,
}


# ---- the entry point ----------------------------------------------------------------------------


def _checked(profile: SshProfile, parse: CommandParse, command: str, raw: str | None) -> list[Row]:
    if raw is None:
        raise FactsParseError(command, "no output (the command was not run)")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    for pattern in profile.errors:
        found = pattern.search(text)
        if found:
            line = text[text.rfind("\n", 0, found.start()) + 1 :].split("\n", 1)[0]
            raise FactsParseError(command, f"CLI error: {line.strip()[:120]!r}")
    if parse.must_match is not None and parse.must_match.search(text) is None:
        raise FactsParseError(command, f"truncated: no line matching {parse.must_match.pattern!r}")
    try:
        return parse.template.parse(text)
    except Exception as error:  # textfsm raises several types; all mean junk
        reason = str(error).split(". Input Line:")[0]
        raise FactsParseError(command, f"unparseable ({parse.template.name}: {reason})") from None


def parse_facts(profile: SshProfile, outputs: Mapping[str, str]) -> ApFacts:
    """ApFacts from ``outputs`` (exact command -> raw output); FactsParseError on anything
    that is not a complete, healthy answer of the platform."""
    rows: dict[str, list[Row]] = {}
    for parse in profile.parses:
        if parse.command in profile.commands:
            rows[parse.role] = _checked(profile, parse, parse.command, outputs.get(parse.command))
    items: dict[str, dict[str, list[Row]]] = {}
    for follow in profile.follow_ups:
        wanted = follow.values(rows.get(follow.source, []))
        per_item = items.setdefault(follow.parse.role, {})
        for value, command in zip(wanted, follow.expand(wanted), strict=True):
            per_item[value] = _checked(profile, follow.parse, command, outputs.get(command))
    parsed = Parsed(rows, items, profile)
    try:
        radios, ssids = LAYOUTS[profile.layout](parsed)
    except FactsParseError:
        raise
    except Exception as error:  # a layout bug must not crash a sweep
        raise FactsParseError(profile.layout, f"cannot assemble the facts: {error!r}") from None
    values: dict[str, str | None] = {}
    for fact, (role, column) in profile.facts.items():
        values[fact] = parsed.first(role, column)
    source = {fact: profile.parse_for(role).command for fact, (role, _) in profile.facts.items()}
    for required in ("model", "firmware"):
        _need(values.get(required), source[required], f"no {required} in the output")
    _need(radios, profile.commands[-1], "no radios found")
    uptime = values.get("uptime")
    return ApFacts(
        hostname=values.get("hostname"),
        model=values.get("model"),
        serial=values.get("serial"),
        firmware=values.get("firmware"),
        uptime_s=parse_duration(uptime) if uptime else None,
        radios=tuple(radios),
        ssids=tuple(ssids),
    )
