"""What each kind of change means on each platform: commands, undo, expectation, predicted config.

For each kind, per AP: :func:`current` reads the value the change touches from the AP's latest
SSH facts (and its backed-up config where facts lack it, e.g. hostapd VLANs); :func:`target`
renders the change's value for that AP; :func:`render` fills the platform's Jinja2 template
``templates/<platform>/<kind>.j2`` from a context of the two. Why one template for both ways:
rendered with the *current* values the same template is the undo, so forward and restore can
never disagree about syntax. ``raw`` changes name both templates themselves.

:func:`predict` applies the same change to a backed-up running-config with per-platform line
edits (exact for the formats the lab's dialects print: IOS ``show running-config``, Instant
``show running-config``, RouterOS ``/export``, ``hostapd_cli get_config``); the plan diffs it
against the backup. :class:`Expectation` is what must be true afterwards, over SNMP
(``radio_poll`` ``channel``/``tx_power_dbm`` per band), SSH facts and running-config regexes.

Radio and interface layout assumed from the facts (what the lab and the collector agree on):
IOS ``Dot11RadioN``; Instant ``g-/a-/6g-channel``; RouterOS ``wlan1..wlanR`` are the radios' first
SSID and SSID *s* of radio *r* is ``wlan{s*R + r + 1}``; hostapd ``wlanR`` and ``wlanR-S``.

Firmware (``kind: firmware``): the commands download an image and end in a reload
(:attr:`Rendered.reload`: apply pushes them with
:meth:`~collector.ssh.session.CliSession.push_reload` and verifies over fresh sessions); the
expectation is the version the AP then reports. The undo re-installs the image of the version
the AP had, its name derived from the change's image by swapping the version as the platform
writes it in file names (:func:`firmware_token`: IOS ``15.3(3)JF16`` -> ``153-3.JF16``,
OpenWrt ``OpenWrt 23.05.6`` -> ``23.05.6``, others as reported). Real APs keep the previous
image too, but nothing reads it portably; so when the previous version cannot be written that
way there is no undo (:attr:`Rendered.undo_problem`) and a restore or rollback fails saying so.
Whether the image server still holds that image is only known when the AP fetches it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from collector.ssh.facts import ApFacts, RadioFacts
from collector.wifi import CHANNELS, SSID_MAX_LEN, TX_POWER_DBM, VLANS, frequency_mhz
from provisioning.variables import ENV, VarError, render_value

if TYPE_CHECKING:
    from provisioning.change import Change

KINDS = ("channel_plan", "tx_power", "ssid", "vlan", "hostname", "raw", "firmware")
TEMPLATES = Path(__file__).parent / "templates"
_HOSTNAME = re.compile(r"[A-Za-z0-9_.-]{1,63}")
_ARUBA_KEYWORD = {"2.4GHz": "g-channel", "5GHz": "a-channel", "6GHz": "6g-channel"}
_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_SERVER = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*")
#: Whether each platform's upgrade commands run in netmiko's config mode (only sysupgrade
#: needs it: root via ``sudo -s``; IOS ``archive``, Instant ``upgrade-image`` and RouterOS
#: ``/tool fetch`` are exec commands).
_FIRMWARE_CONFIG_MODE = {
    "cisco_ios_ap": False,
    "aruba_instant": False,
    "mikrotik_routeros": False,
    "net-snmp": True,
}


# ---- value checks (shared with change.py for literals) ------------------------------------------


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else None


def check_channel(band: str, value: object) -> str | None:
    number = _as_int(value)
    if number is None:
        return f"channel {value!r} is not a number"
    if number not in CHANNELS.get(band, frozenset()):
        return f"channel {number} is not valid in the {band} band"
    return None


def check_tx_power(value: object) -> str | None:
    number = _as_int(value)
    if number is None or number not in TX_POWER_DBM:
        return f"tx power {value!r} dBm is out of range 1-30"
    return None


def check_vlan(value: object) -> str | None:
    number = _as_int(value)
    if number is None or number not in VLANS:
        return f"VLAN {value!r} is out of range 1-4094"
    return None


def check_ssid(value: object) -> str | None:
    text = str(value)
    if not 1 <= len(text) <= SSID_MAX_LEN or not text.isprintable() or '"' in text:
        return f"SSID {text!r} must be 1-{SSID_MAX_LEN} printable characters without '\"'"
    return None


def check_image(value: object) -> str | None:
    if not _IMAGE.fullmatch(str(value)):
        return f"image {value!r} must be a file name (letters, digits, '.', '_', '+', '-')"
    return None


def check_server(value: object) -> str | None:
    if not _SERVER.fullmatch(str(value)):
        return f"server {value!r} must be a host name or address, optionally :port and /path"
    return None


def check_version(value: object) -> str | None:
    text = str(value)
    if not text.strip() or not text.isprintable() or len(text) > 64:
        return f"version {text!r} must be 1-64 printable characters"
    return None


def firmware_token(platform: str, version: str) -> str | None:
    """How ``version`` (as the AP reports it) appears in the platform's image file names;
    None when it cannot be written so (then no image name can be derived for it)."""
    text = version.strip()
    if platform == "cisco_ios_ap":
        ios = re.fullmatch(r"([0-9]+)\.([0-9]+)\(([0-9]+)\)([A-Za-z0-9]+)", text)
        if ios:
            return f"{ios[1]}{ios[2]}-{ios[3]}.{ios[4]}"
    if platform == "net-snmp":  # "OpenWrt 23.05.6" -> "23.05.6"; sysupgrade images are OpenWrt's
        if not text.startswith("OpenWrt "):
            return None
        text = text.removeprefix("OpenWrt ")
    return text if re.fullmatch(r"[0-9][0-9A-Za-z._-]*", text) else None


def check_image_version(platform: str, image: str, version: str) -> str | None:
    """The image must carry the version it installs (a typo in either is caught here)."""
    token = firmware_token(platform, version)
    if token is None:
        return f"version {version!r} is not a {platform} version"
    if token not in image:
        return f"image {image} does not carry version {version} (as {platform} names it: {token})"
    return None


def image_for(platform: str, image: str, version: str, other: str) -> str | None:
    """The name of the image of version ``other``, made from ``image`` (of ``version``)."""
    token, wanted = firmware_token(platform, version), firmware_token(platform, other)
    if token is None or wanted is None or token not in image:
        return None
    return image.replace(token, wanted, 1)


def check_hostname(value: object) -> str | None:
    if not _HOSTNAME.fullmatch(str(value)):
        return f"hostname {value!r} must be 1-63 letters, digits, '-', '_' or '.'"
    return None


# ---- platforms ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlatformSteps:
    """How a platform takes commands. ``config_mode``: send them inside netmiko's config mode
    (IOS/Instant ``configure terminal``, Linux ``sudo -s``); ``save``: what persists them,
    run inside config mode when ``save_in_config_mode`` (hostapd needs root), else after it."""

    config_mode: bool
    save: tuple[str, ...]
    save_in_config_mode: bool = False
    kinds: frozenset[str] = frozenset(KINDS)


PLATFORMS: dict[str, PlatformSteps] = {
    "cisco_ios_ap": PlatformSteps(True, ("write memory",)),
    "aruba_instant": PlatformSteps(True, ("write memory",)),
    "mikrotik_routeros": PlatformSteps(False, ()),  # RouterOS keeps every change at once
    # hostapd has no hostname of its own (the lab's Linux AP cannot set one either)
    "net-snmp": PlatformSteps(
        True, ("hostapd_cli save_config",), True, frozenset(KINDS) - {"hostname"}
    ),
}


# ---- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RadioExpect:
    band: str
    channel: int | None = None
    tx_power_dbm: int | None = None


@dataclass(frozen=True, slots=True)
class SsidExpect:
    name: str
    vlan: int | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """What must hold after the change. Regexes are searched with ``re.MULTILINE`` over the
    running-config as the collector stores it (masked: no regex here names a secret)."""

    radios: tuple[RadioExpect, ...] = ()
    ssids: tuple[SsidExpect, ...] = ()
    ssids_absent: tuple[str, ...] = ()
    hostname: str | None = None
    firmware: str | None = None  # the version the AP must report (SSH facts, SNMP if it has it)
    config_lines_present: tuple[str, ...] = ()
    config_lines_absent: tuple[str, ...] = ()

    def config_problems(self, text: str) -> list[str]:
        """What the running-config ``text`` gets wrong (empty: it matches)."""
        wrong = [f"missing /{p}/" for p in self.config_lines_present if not _search(p, text)]
        return wrong + [f"present /{p}/" for p in self.config_lines_absent if _search(p, text)]

    def facts_problems(self, facts: ApFacts) -> list[str]:
        """What the SSH facts ``facts`` get wrong (empty: they match)."""
        wrong: list[str] = []
        for want in self.radios:
            radio = next((r for r in facts.radios if r.band == want.band), None)
            if radio is None:
                wrong.append(f"no {want.band} radio")
                continue
            if want.channel is not None and radio.channel != want.channel:
                wrong.append(f"{want.band} channel {radio.channel} != {want.channel}")
            if want.tx_power_dbm is not None and radio.tx_power_dbm != want.tx_power_dbm:
                wrong.append(f"{want.band} tx power {radio.tx_power_dbm} != {want.tx_power_dbm}")
        by_name = {s.name: s for s in facts.ssids}
        for ssid in self.ssids:
            got = by_name.get(ssid.name)
            if got is None:
                wrong.append(f"no SSID {ssid.name}")
            elif ssid.vlan is not None and got.vlan is not None and got.vlan != ssid.vlan:
                wrong.append(f"SSID {ssid.name} VLAN {got.vlan} != {ssid.vlan}")
        wrong += [f"SSID {name} still present" for name in self.ssids_absent if name in by_name]
        if self.hostname is not None and facts.hostname != self.hostname:
            wrong.append(f"hostname {facts.hostname} != {self.hostname}")
        if self.firmware is not None and facts.firmware != self.firmware:
            wrong.append(f"firmware {facts.firmware} != {self.firmware}")
        return wrong

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def _search(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text.replace("\r\n", "\n")) is not None


@dataclass(frozen=True, slots=True)
class Rendered:
    commands: tuple[str, ...]
    undo: tuple[str, ...]
    save: tuple[str, ...]
    current: dict[str, str]
    target: dict[str, str]
    expect: Expectation
    config_mode: bool = True
    undo_expect: Expectation = field(default_factory=Expectation)  # true again after the undo
    reload: bool = False  # the commands end in a reload that ends the session (firmware)
    undo_problem: str | None = None  # why there is no undo (then ``undo`` is empty)


class Unrenderable(ValueError):
    """This AP cannot take this change (no such radio or SSID, no facts, ...): the reason."""


class PredictError(ValueError):
    """The backed-up config does not have the lines the change edits."""


# ---- current / target ---------------------------------------------------------------------------


def _radio(facts: ApFacts, band: str) -> RadioFacts:
    radio = next((r for r in facts.radios if r.band == band), None)
    if radio is None:
        raise Unrenderable(f"no {band} radio")
    return radio


def _ssid_names(facts: ApFacts) -> list[str]:
    return [s.name for s in facts.ssids]


def current(
    kind: str, facts: ApFacts | None, target: Mapping[str, str], backup: str | None = None
) -> dict[str, str]:
    """The AP's value for what ``target`` changes. Raises :class:`Unrenderable`."""
    if kind == "raw":
        return {}
    if facts is None:
        raise Unrenderable("no SSH facts for this AP yet")
    if kind in ("channel_plan", "tx_power"):
        radio = _radio(facts, target["band"])
        if kind == "channel_plan":
            if radio.channel is None:
                raise Unrenderable(f"the {radio.band} radio's channel is unknown")
            return {"band": radio.band, "channel": str(radio.channel)}
        power = radio.tx_power_dbm
        if power is None or power != int(power):
            raise Unrenderable(f"the {radio.band} radio's tx power {power} is not a whole dBm")
        return {"band": radio.band, "dbm": str(int(power))}
    if kind == "ssid":
        names = _ssid_names(facts)
        if target["from"] in names:
            return {"ssid": target["from"]}
        if target["ssid"] in names:
            return {"ssid": target["ssid"]}
        raise Unrenderable(f"no SSID {target['from']} on this AP")
    if kind == "vlan":
        ssid = next((s for s in facts.ssids if s.name == target["ssid"]), None)
        if ssid is None:
            raise Unrenderable(f"no SSID {target['ssid']} on this AP")
        vlan = ssid.vlan if ssid.vlan is not None else _backup_vlan(backup, ssid.name)
        if vlan is None:
            raise Unrenderable(f"the VLAN of SSID {ssid.name} is unknown (no facts, no backup)")
        return {"ssid": ssid.name, "vlan": str(vlan)}
    if kind == "hostname":
        if not facts.hostname:
            raise Unrenderable("the hostname is unknown")
        return {"hostname": facts.hostname}
    if kind == "firmware":
        if not facts.firmware:
            raise Unrenderable("the firmware version is unknown")
        return {"version": facts.firmware}
    raise ValueError(f"unknown kind {kind}")


def _backup_vlan(backup: str | None, ssid: str) -> int | None:
    """hostapd facts carry no VLAN: ``vlan_id=`` after the SSID's ``ssid=`` line."""
    if backup is None:
        return None
    found = re.search(rf"^ssid={re.escape(ssid)}\nvlan_id=([0-9]+)$", backup, re.MULTILINE)
    return int(found.group(1)) if found else None


def target(change: Change, context: Mapping[str, Any]) -> dict[str, str]:
    """The change's values for one AP (``context``: :func:`~provisioning.variables.ap_context`).

    Raises :class:`VarError` (an undefined variable) or :class:`TargetError` (a value out of
    range) naming the intent key, for the caller to locate in the change file.
    """
    intent: Any = change.intent
    kind = intent.kind

    def value(key: str, raw: object) -> str:
        try:
            return render_value(raw, context)  # type: ignore[arg-type]
        except VarError as error:
            raise TargetError(key, str(error)) from None

    def checked(key: str, text: str, message: str | None) -> str:
        if message:
            raise TargetError(key, message)
        return text

    if kind == "channel_plan":
        channel = value("channel", intent.channel)
        return {
            "band": intent.band,
            "channel": checked("channel", channel, check_channel(intent.band, channel)),
        }
    if kind == "tx_power":
        dbm = value("dbm", intent.dbm)
        return {"band": intent.band, "dbm": checked("dbm", dbm, check_tx_power(dbm))}
    if kind == "ssid":
        old, new = value("from", intent.from_), value("to", intent.to)
        checked("from", old, check_ssid(old))
        return {"from": old, "ssid": checked("to", new, check_ssid(new))}
    if kind == "vlan":
        ssid, vlan = value("ssid", intent.ssid), value("vlan", intent.vlan)
        checked("ssid", ssid, check_ssid(ssid))
        return {"ssid": ssid, "vlan": checked("vlan", vlan, check_vlan(vlan))}
    if kind == "hostname":
        name = value("name", intent.name)
        return {"hostname": checked("name", name, check_hostname(name))}
    if kind == "firmware":
        image, version = value("image", intent.image), value("version", intent.version)
        server = value("server", intent.server)
        checked("image", image, check_image(image))
        checked("server", server, check_server(server))
        checked("version", version, check_version(version))
        platform = str(context.get("ap", {}).get("platform", ""))
        checked("image", image, check_image_version(platform, image, version))
        return {"image": image, "server": server, "version": version}
    return {}


class TargetError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def state_of(values: Mapping[str, str]) -> dict[str, str]:
    """What is compared for ``no_change`` (an SSID rename's ``from``, a firmware change's image
    and server are not state)."""
    return {k: v for k, v in values.items() if k not in ("from", "image", "server")}


# ---- template contexts ------------------------------------------------------------------------


def _radio_index(platform: str, facts: ApFacts, radio: RadioFacts) -> int:
    digits = re.search(r"([0-9]+)$", radio.name)
    if platform == "aruba_instant" or digits is None:
        return facts.radios.index(radio)
    return int(digits.group(1)) - (1 if platform == "mikrotik_routeros" else 0)


def _ifaces_of_radio(platform: str, facts: ApFacts, r: int) -> list[str]:
    radios, ssids = len(facts.radios), max(1, len(facts.ssids))
    if platform == "mikrotik_routeros":
        return [f"wlan{s * radios + r + 1}" for s in range(ssids)]
    return [f"wlan{r}"]


def _ifaces_of_ssid(platform: str, facts: ApFacts, ssid: str) -> list[str]:
    names = _ssid_names(facts)
    s = names.index(ssid)
    indexes = [_radio_index(platform, facts, radio) for radio in facts.radios]
    if platform == "mikrotik_routeros":
        return [f"wlan{s * len(facts.radios) + r + 1}" for r in indexes]
    return [f"wlan{r}" if s == 0 else f"wlan{r}-{s}" for r in indexes]


def context(
    kind: str,
    platform: str,
    facts: ApFacts,
    old: Mapping[str, str],
    new: Mapping[str, str],
    backup: str | None = None,
) -> dict[str, Any]:
    """The template values that take the AP from ``old`` to ``new`` (swap them for the undo)."""
    if kind in ("channel_plan", "tx_power"):
        radio = _radio(facts, new["band"])
        r = _radio_index(platform, facts, radio)
        ctx: dict[str, Any] = {
            "band": radio.band,
            "radio_index": r,
            "radio_keyword": _ARUBA_KEYWORD[radio.band],
            "iface": f"wlan{r}",
            "ifaces": _ifaces_of_radio(platform, facts, r),
        }
        if kind == "channel_plan":
            power = radio.tx_power_dbm
            if platform == "aruba_instant" and power is None:
                raise Unrenderable(f"the {radio.band} radio's tx power is unknown")
            channel = int(new["channel"])
            ctx.update(
                channel=channel,
                frequency_mhz=frequency_mhz(radio.band, channel),
                tx_power=int(power) if power is not None else None,
            )
        else:
            if platform == "aruba_instant" and radio.channel is None:
                raise Unrenderable(f"the {radio.band} radio's channel is unknown")
            dbm = int(new["dbm"])
            ctx.update(dbm=dbm, mbm=dbm * 100, channel=radio.channel)
        return ctx
    if kind == "ssid":
        source = old["ssid"]
        ssid = next(s for s in facts.ssids if s.name in (old["ssid"], new["ssid"]))
        if platform == "cisco_ios_ap":
            _cisco_open_ssid(backup, ssid.name)
            if ssid.vlan is None:
                raise Unrenderable(f"the VLAN of SSID {ssid.name} is unknown")
        return {
            "from": source,
            "to": new["ssid"],
            "vlan": ssid.vlan,
            "radio_indexes": [_radio_index(platform, facts, r) for r in facts.radios],
            "ifaces": _ifaces_of_ssid(platform, facts, ssid.name),
        }
    if kind == "vlan":
        return {
            "ssid": new["ssid"],
            "vlan": int(new["vlan"]),
            "ifaces": _ifaces_of_ssid(platform, facts, new["ssid"]),
        }
    if kind == "hostname":
        return {"hostname": new["hostname"]}
    if kind == "firmware":
        return {"version": new["version"], "image": new.get("image"), "server": new.get("server")}
    raise ValueError(f"no context for kind {kind}")


def _cisco_open_ssid(backup: str | None, name: str) -> None:
    """IOS re-creates a renamed SSID; the template can only re-create an open one."""
    if backup is None:
        raise Unrenderable(f"no backup to read SSID {name}'s authentication from")
    block = re.search(
        rf"^dot11 ssid {re.escape(name)}\n((?:[ \t][^\n]*\n)*)", backup + "\n", re.MULTILINE
    )
    auth = [] if block is None else re.findall(r"authentication ([^\n]*)", block.group(1))
    if auth and auth != ["open"]:
        raise Unrenderable(
            f"SSID {name} uses 'authentication {auth[0]}': only open SSIDs can be renamed by "
            "the cisco_ios_ap template (write a raw change)"
        )


# ---- rendering ----------------------------------------------------------------------------------


def _cli_quote(value: object) -> str:
    text = str(value)
    return f'"{text}"' if " " in text else text


def _ros_quote(value: object) -> str:
    text = str(value)
    return f'"{text}"' if any(c in text for c in ' "[]=') else text


@cache
def template_env(search: tuple[str, ...]) -> jinja2.Environment:
    env = ENV.overlay(loader=jinja2.FileSystemLoader(list(search)))
    env.filters["cli"] = _cli_quote
    env.filters["ros"] = _ros_quote
    return env


def render_template(
    name: str, values: Mapping[str, Any], search: tuple[str, ...]
) -> tuple[str, ...]:
    """``name`` (``<platform>/<kind>.j2``) rendered to command lines; blank lines dropped."""
    text = template_env(search).get_template(name).render(values)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def render(
    kind: str,
    platform: str,
    facts: ApFacts | None,
    wanted: Mapping[str, str],
    backup: str | None = None,
    *,
    search: tuple[str, ...] = (str(TEMPLATES),),
) -> Rendered:
    """Commands, undo, save and expectation for one AP (not for ``raw``: see :func:`render_raw`).

    Raises :class:`Unrenderable` when the AP cannot take the change.
    """
    steps = PLATFORMS.get(platform)
    if steps is None or kind not in steps.kinds:
        raise Unrenderable(f"{kind} changes are not supported on {platform}")
    now = current(kind, facts, wanted, backup)
    assert facts is not None  # current() raised otherwise
    if kind == "firmware":
        return _render_firmware(platform, facts, now, wanted, search)
    goal = state_of(wanted)
    forward = context(kind, platform, facts, now, goal, backup)
    backward = context(kind, platform, facts, goal, now, backup)
    template = f"{platform}/{kind}.j2"
    return Rendered(
        commands=render_template(template, forward, search),
        undo=render_template(template, backward, search),
        save=steps.save,
        current=now,
        target=goal,
        expect=expectation(kind, platform, forward),
        config_mode=steps.config_mode,
        undo_expect=expectation(kind, platform, backward),
    )


def _render_firmware(
    platform: str,
    facts: ApFacts,
    now: Mapping[str, str],
    wanted: Mapping[str, str],
    search: tuple[str, ...],
) -> Rendered:
    """Upgrade to ``wanted``; the undo installs the image of the version the AP has now."""
    template = f"{platform}/firmware.j2"
    forward = context("firmware", platform, facts, now, wanted)
    previous = image_for(platform, wanted["image"], wanted["version"], now["version"])
    undo: tuple[str, ...] = ()
    problem = None
    if previous is None:
        problem = f"no image for the previous version {now['version']}"
    else:
        back = {"version": now["version"], "image": previous, "server": wanted["server"]}
        undo = render_template(template, context("firmware", platform, facts, wanted, back), search)
    return Rendered(
        commands=render_template(template, forward, search),
        undo=undo,
        save=(),  # the reload runs the saved config: nothing to save
        current=dict(now),
        target=state_of(wanted),
        expect=expectation("firmware", platform, forward),
        config_mode=_FIRMWARE_CONFIG_MODE.get(platform, True),
        undo_expect=Expectation(firmware=now["version"]),
        reload=True,
        undo_problem=problem,
    )


def render_raw(
    platform: str,
    template_name: str,
    undo_name: str,
    values: Mapping[str, Any],
    present: tuple[str, ...],
    absent: tuple[str, ...],
    search: tuple[str, ...],
) -> Rendered:
    steps = PLATFORMS.get(platform)
    if steps is None:
        raise Unrenderable(f"raw changes are not supported on {platform}")
    return Rendered(
        commands=render_template(f"{platform}/{template_name}.j2", values, search),
        undo=render_template(f"{platform}/{undo_name}.j2", values, search),
        save=steps.save,
        current={},
        target={},
        expect=Expectation(config_lines_present=present, config_lines_absent=absent),
        config_mode=steps.config_mode,
    )


# ---- expectations -------------------------------------------------------------------------------


def _e(value: object) -> str:
    return re.escape(str(value))


def _ros_line(iface: str) -> str:
    return (
        rf"^(?:set \[ find default-name={_e(iface)} \]|add master-interface=\S+ name={_e(iface)})"
    )


def expectation(kind: str, platform: str, ctx: Mapping[str, Any]) -> Expectation:
    """What holds once the AP is at the state ``ctx`` was built for."""
    present: list[str] = []
    absent: list[str] = []
    if kind == "channel_plan":
        ch, r = ctx["channel"], ctx["radio_index"]
        present = {
            "cisco_ios_ap": [rf"^interface Dot11Radio{r}$(?:\n [^\n]*)*?\n channel {ch}$"],
            "aruba_instant": [rf"^{ctx['radio_keyword']} {ch} [0-9]+$"],
            "mikrotik_routeros": [
                rf"{_ros_line(i)} [^\n]*\bfrequency={ctx['frequency_mhz']}(?=\s|$)"
                for i in ctx["ifaces"]
            ],
            "net-snmp": [rf"^interface={ctx['iface']}$(?:\n(?!interface=)[^\n]*)*?\nchannel={ch}$"],
        }[platform]
        return Expectation(
            radios=(RadioExpect(ctx["band"], channel=ch),), config_lines_present=tuple(present)
        )
    if kind == "tx_power":
        dbm, r = ctx["dbm"], ctx["radio_index"]
        present = {
            "cisco_ios_ap": [rf"^interface Dot11Radio{r}$(?:\n [^\n]*)*?\n power local {dbm}$"],
            "aruba_instant": [rf"^{ctx['radio_keyword']} [0-9]+ {dbm}$"],
            "mikrotik_routeros": [
                rf"{_ros_line(i)} [^\n]*\btx-power={dbm}(?=\s|$)" for i in ctx["ifaces"]
            ],
            "net-snmp": [
                rf"^interface={ctx['iface']}$(?:\n(?!interface=)[^\n]*)*?"
                rf"\n# txpower {dbm * 100} mBm$"
            ],
        }[platform]
        return Expectation(
            radios=(RadioExpect(ctx["band"], tx_power_dbm=dbm),),
            config_lines_present=tuple(present),
        )
    if kind == "ssid":
        old, new = ctx["from"], ctx["to"]
        line = {
            "cisco_ios_ap": "^dot11 ssid {}$",
            "aruba_instant": "^ essid {}$",
            "mikrotik_routeros": " ssid={}(?= )",
            "net-snmp": "^ssid={}$",
        }[platform]
        quote = _ros_quote if platform == "mikrotik_routeros" else str
        present = [line.format(_e(quote(new)))]
        absent = [line.format(_e(quote(old)))]
        return Expectation(
            ssids=(SsidExpect(new, ctx["vlan"]),),
            ssids_absent=(old,),
            config_lines_present=tuple(present),
            config_lines_absent=tuple(absent),
        )
    if kind == "vlan":
        ssid, vlan = ctx["ssid"], ctx["vlan"]
        present = {
            "cisco_ios_ap": [rf"^dot11 ssid {_e(ssid)}\n   vlan {vlan}$"],
            "aruba_instant": [rf"^wlan ssid-profile {_e(ssid)}$(?:\n [^\n]*)*?\n vlan {vlan}$"],
            "mikrotik_routeros": [
                rf"{_ros_line(i)} [^\n]* ssid={_e(_ros_quote(ssid))} [^\n]*\bvlan-id={vlan}(?=\s|$)"
                for i in ctx["ifaces"]
            ],
            "net-snmp": [rf"^ssid={_e(ssid)}\nvlan_id={vlan}$"],
        }[platform]
        return Expectation(ssids=(SsidExpect(ssid, vlan),), config_lines_present=tuple(present))
    if kind == "hostname":
        name = ctx["hostname"]
        present = {
            "cisco_ios_ap": [rf"^hostname {_e(name)}$"],
            "aruba_instant": [rf"^name {_e(name)}$"],
            "mikrotik_routeros": [rf"^/system identity\nset name={_e(name)}$"],
        }[platform]
        return Expectation(hostname=name, config_lines_present=tuple(present))
    if kind == "firmware":
        return Expectation(firmware=str(ctx["version"]))
    raise ValueError(f"no expectation for kind {kind}")


# ---- predicted configs --------------------------------------------------------------------------

Editor = Callable[[list[str], Mapping[str, Any]], None]


def predict(kind: str, platform: str, text: str, ctx: Mapping[str, Any]) -> str:
    """``text`` (a backed-up running-config) as it will read once ``ctx`` is applied.

    Raises :class:`PredictError` when a line the change edits is not there.
    """
    editor = _EDITORS.get((platform, kind))
    if editor is None:
        raise PredictError(f"no config prediction for {kind} on {platform}")
    lines = text.split("\n")
    editor(lines, ctx)
    out = "\n".join(lines)
    return _cisco_length(text, out) if platform == "cisco_ios_ap" else out


def _index(lines: list[str], wanted: str, start: int = 0) -> int:
    try:
        return lines.index(wanted, start)
    except ValueError:
        raise PredictError(f"no line {wanted!r}") from None


def _block_end(lines: list[str], start: int, inside: Callable[[str], bool]) -> int:
    end = start + 1
    while end < len(lines) and inside(lines[end]):
        end += 1
    return end


def _indented(line: str) -> bool:
    return line.startswith((" ", "\t"))


def _replace_in(lines: list[str], start: int, end: int, pattern: str, new: str) -> None:
    compiled = re.compile(pattern)
    for i in range(start, end):
        if compiled.fullmatch(lines[i]):
            lines[i] = new
            return
    raise PredictError(f"no line /{pattern}/ in {lines[start]!r}")


# IOS: blocks are a non-indented header and its indented lines.


def _cisco_block(lines: list[str], header: str) -> tuple[int, int]:
    start = _index(lines, header)
    return start, _block_end(lines, start, _indented)


def _cisco_radio_line(key: str, value: Callable[[Mapping[str, Any]], object]) -> Editor:
    def edit(lines: list[str], ctx: Mapping[str, Any]) -> None:
        start, end = _cisco_block(lines, f"interface Dot11Radio{ctx['radio_index']}")
        _replace_in(lines, start, end, rf" {key} [0-9]+", f" {key} {value(ctx)}")

    return edit


def _cisco_ssid(lines: list[str], ctx: Mapping[str, Any]) -> None:
    old, new = str(ctx["from"]), str(ctx["to"])
    start, end = _cisco_block(lines, f"dot11 ssid {old}")
    if end < len(lines) and lines[end] == "!":
        end += 1
    del lines[start:end]
    headers = [i for i, line in enumerate(lines) if line.startswith("dot11 ssid ")]
    if not headers:
        raise PredictError("no dot11 ssid block left to add after")
    last = _block_end(lines, headers[-1], _indented)
    last += 1 if last < len(lines) and lines[last] == "!" else 0
    lines[last:last] = [
        f"dot11 ssid {new}",
        f"   vlan {ctx['vlan']}",
        "   authentication open",
        "!",
    ]
    for index in ctx["radio_indexes"]:
        start, end = _cisco_block(lines, f"interface Dot11Radio{index}")
        del lines[_index(lines, f" ssid {old}", start)]
        bound = [i for i in range(start, end - 1) if lines[i].startswith(" ssid ")]
        if not bound:
            raise PredictError(f"no ssid line under interface Dot11Radio{index}")
        lines.insert(bound[-1] + 1, f" ssid {new}")


def _cisco_vlan(lines: list[str], ctx: Mapping[str, Any]) -> None:
    start, end = _cisco_block(lines, f"dot11 ssid {ctx['ssid']}")
    _replace_in(lines, start, end, r"   vlan [0-9]+", f"   vlan {ctx['vlan']}")


def _header_line(pattern: str, new: Callable[[Mapping[str, Any]], str]) -> Editor:
    def edit(lines: list[str], ctx: Mapping[str, Any]) -> None:
        _replace_in(lines, 0, len(lines), pattern, new(ctx))

    return edit


_LENGTH = re.compile(r"^Current configuration : ([0-9]+) bytes$", re.MULTILINE)


def _cisco_length(before: str, after: str) -> str:
    """IOS states the config's length in its header: shift it by what the edit changed."""
    found = _LENGTH.search(before)
    if found is None:
        return after
    delta = len(after) - len(before)
    return _LENGTH.sub(f"Current configuration : {int(found.group(1)) + delta} bytes", after, 1)


# Instant: flat lines and ``wlan ssid-profile NAME`` blocks; the lab renames a profile with its
# essid (real Instant keeps the profile name: check on hardware before trusting that edit).


def _aruba_radio(channel: Callable[[Mapping[str, Any]], object], power: str) -> Editor:
    def edit(lines: list[str], ctx: Mapping[str, Any]) -> None:
        keyword = ctx["radio_keyword"]
        for i, line in enumerate(lines):
            found = re.fullmatch(rf"{keyword} ([0-9]+) ([0-9]+)", line)
            if found:
                kept = found.group(2) if power == "keep" else ctx["dbm"]
                lines[i] = f"{keyword} {channel(ctx) or found.group(1)} {kept}"
                return
        raise PredictError(f"no {keyword} line")

    return edit


def _aruba_ssid(lines: list[str], ctx: Mapping[str, Any]) -> None:
    old, new = ctx["from"], ctx["to"]
    start = _index(lines, f"wlan ssid-profile {old}")
    end = _block_end(lines, start, _indented)
    lines[start] = f"wlan ssid-profile {new}"
    _replace_in(lines, start, end, rf" essid {re.escape(old)}", f" essid {new}")


def _aruba_vlan(lines: list[str], ctx: Mapping[str, Any]) -> None:
    start = _index(lines, f"wlan ssid-profile {ctx['ssid']}")
    end = _block_end(lines, start, _indented)
    _replace_in(lines, start, end, r" vlan [0-9]+", f" vlan {ctx['vlan']}")


# RouterOS /export: one line per wireless interface, key=value settings.

_ROS_VALUE = r'(?:"[^"]*"|\S+)'


def _ros_set(key: str, value: Callable[[Mapping[str, Any]], str]) -> Editor:
    def edit(lines: list[str], ctx: Mapping[str, Any]) -> None:
        for iface in ctx["ifaces"]:
            head = re.compile(_ros_line(iface) + " ")
            i = next((n for n, line in enumerate(lines) if head.match(line)), None)
            if i is None:
                raise PredictError(f"no wireless interface {iface}")
            edited, count = re.subn(rf"(?<= ){key}={_ROS_VALUE}", f"{key}={value(ctx)}", lines[i])
            if not count:
                raise PredictError(f"{iface} has no {key}=")
            lines[i] = edited

    return edit


def _ros_hostname(lines: list[str], ctx: Mapping[str, Any]) -> None:
    start = _index(lines, "/system identity")
    _replace_in(lines, start + 1, start + 2, r"set name=\S+", f"set name={ctx['hostname']}")


# hostapd get_config: ``interface=wlanR`` / ``bss=wlanR-S`` blocks up to the next one or a blank.


def _hostapd_block(lines: list[str], iface: str) -> tuple[int, int]:
    for i, line in enumerate(lines):
        if line in (f"interface={iface}", f"bss={iface}"):
            end = _block_end(
                lines, i, lambda text: bool(text) and not text.startswith(("bss=", "interface="))
            )
            return i, end
    raise PredictError(f"no interface or bss {iface}")


def _hostapd_set(pattern: str, new: Callable[[Mapping[str, Any]], str], ifaces: str) -> Editor:
    def edit(lines: list[str], ctx: Mapping[str, Any]) -> None:
        names = ctx["ifaces"] if ifaces == "ifaces" else [ctx["iface"]]
        for iface in names:
            start, end = _hostapd_block(lines, iface)
            _replace_in(lines, start, end, pattern, new(ctx))

    return edit


def _unchanged(lines: list[str], ctx: Mapping[str, Any]) -> None:
    """The config does not name the firmware (IOS prints a fixed ``version 15.3``)."""


def _aruba_version(lines: list[str], ctx: Mapping[str, Any]) -> None:
    _replace_in(lines, 0, len(lines), r"version \S+", f"version {ctx['version']}")


def _ros_version(lines: list[str], ctx: Mapping[str, Any]) -> None:
    """``/export`` starts with ``# ... by RouterOS VERSION`` (when the backup kept it)."""
    for i, line in enumerate(lines):
        if line.startswith("#") and re.search(r"\bby RouterOS \S+", line):
            lines[i] = re.sub(r"\bby RouterOS \S+", f"by RouterOS {ctx['version']}", line)
            return


_EDITORS: dict[tuple[str, str], Editor] = {
    ("cisco_ios_ap", "channel_plan"): _cisco_radio_line("channel", lambda c: c["channel"]),
    ("cisco_ios_ap", "tx_power"): _cisco_radio_line("power local", lambda c: c["dbm"]),
    ("cisco_ios_ap", "ssid"): _cisco_ssid,
    ("cisco_ios_ap", "vlan"): _cisco_vlan,
    ("cisco_ios_ap", "hostname"): _header_line(
        r"hostname \S+", lambda c: f"hostname {c['hostname']}"
    ),
    ("aruba_instant", "channel_plan"): _aruba_radio(lambda c: c["channel"], "keep"),
    ("aruba_instant", "tx_power"): _aruba_radio(lambda c: None, "set"),
    ("aruba_instant", "ssid"): _aruba_ssid,
    ("aruba_instant", "vlan"): _aruba_vlan,
    ("aruba_instant", "hostname"): _header_line(r"name \S+", lambda c: f"name {c['hostname']}"),
    ("mikrotik_routeros", "channel_plan"): _ros_set("frequency", lambda c: str(c["frequency_mhz"])),
    ("mikrotik_routeros", "tx_power"): _ros_set("tx-power", lambda c: str(c["dbm"])),
    ("mikrotik_routeros", "ssid"): _ros_set("ssid", lambda c: _ros_quote(c["to"])),
    ("mikrotik_routeros", "vlan"): _ros_set("vlan-id", lambda c: str(c["vlan"])),
    ("mikrotik_routeros", "hostname"): _ros_hostname,
    ("net-snmp", "channel_plan"): _hostapd_set(
        r"channel=[0-9]+", lambda c: f"channel={c['channel']}", "iface"
    ),
    ("net-snmp", "tx_power"): _hostapd_set(
        r"# txpower [0-9]+ mBm", lambda c: f"# txpower {c['mbm']} mBm", "iface"
    ),
    ("net-snmp", "ssid"): _hostapd_set(r"ssid=.*", lambda c: f"ssid={c['to']}", "ifaces"),
    ("net-snmp", "vlan"): _hostapd_set(
        r"vlan_id=[0-9]+", lambda c: f"vlan_id={c['vlan']}", "ifaces"
    ),
    ("cisco_ios_ap", "firmware"): _unchanged,
    ("aruba_instant", "firmware"): _aruba_version,
    ("mikrotik_routeros", "firmware"): _ros_version,
    ("net-snmp", "firmware"): _unchanged,
}
