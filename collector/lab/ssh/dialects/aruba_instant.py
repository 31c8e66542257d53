"""Aruba Instant AP (``aruba_instant`` -> netmiko ``aruba_os``).

Prompt ``host#`` (netmiko's driver checks ``#`` for enable, sends ``no paging``, enters
``configure term`` and looks for ``(config) #``). ``wlan ssid-profile NAME`` with ``essid`` and
``vlan``; ``a-channel``/``g-channel CHANNEL TX-POWER``; ``write memory`` and netmiko's
``copy running-config startup-config``; ``reload``. The lab applies changes at once (no
``commit apply``). ``show clients`` lists every client (name, IP, MAC) as Aruba Instant does; the
configs carry the AP's lab secrets (:mod:`collector.lab.ssh.labsecrets`).
Upgrades from exec mode: ``upgrade-image URL`` downloads, installs and reboots (as Instant does);
``upgrade-image2-no-reboot URL`` installs for the next ``reload``. An image the lab does not
hold fails with ``Image upgrade failed`` (wording not checked against a real Instant AP).
"""

from __future__ import annotations

from collector.lab import firmware
from collector.lab.ssh import changes
from collector.lab.ssh.dialect import Args, Command, Dialect, ErrorSite, ErrorStyle, Mode
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.views import clients_for, uptime_parts

_BAND_COMMANDS = {"g-channel": "2.4GHz", "a-channel": "5GHz", "6g-channel": "6GHz"}
_TYPE = {"2.4GHz": "GN", "5GHz": "AC", "6GHz": "AX"}
_COLUMNS = (  # (title, width): wide enough for 32-character SSIDs and role names
    ("Name", 18),
    ("IP Address", 16),
    ("MAC Address", 19),
    ("OS", 9),
    ("ESSID", 33),
    ("Access Point", 17),
    ("Channel", 9),
    ("Type", 6),
    ("Role", 33),
    ("IPv6 Address", 14),
    ("Signal", 10),
    ("Speed (mbps)", 0),
)


def _show_version(ctx: CliSession, args: Args) -> str:
    s = ctx.state
    days, hours, minutes, seconds = uptime_parts(s, ctx.now())
    return (
        "Aruba Operating System Software.\n"
        f"ArubaOS (MODEL: {s.model}), Version {s.firmware}\n"
        "Website: http://www.arubanetworks.com\n"
        "(c) Copyright 2023 Hewlett Packard Enterprise Development LP.\n"
        "FIPS Mode :disabled\n\n"
        f"AP uptime is {days} days {hours} hours {minutes} minutes {seconds} seconds\n"
        f"Serial Number: {s.serial}\n"
    )


def _row(cells: tuple[str, ...]) -> str:
    """Fixed-width columns; a long value still leaves one space before the next column."""
    return "".join(f"{c:<{w - 1}} " if w else c for c, (_, w) in zip(cells, _COLUMNS, strict=True))


def _os(name: str) -> str:
    return "iOS" if name.startswith(("iphone", "ipad", "macbook")) else "Android"


def _show_clients(ctx: CliSession, args: Args) -> str:
    counts = ctx.client_counts()
    cfg = ctx.state.running
    lines = ["", "Client List", "-----------", _row(tuple(t for t, _ in _COLUMNS))]
    lines.append(_row(tuple("-" * len(t) for t, _ in _COLUMNS)))
    total = 0
    for radio in cfg.radios:
        for ssid in cfg.ssids:
            clients = ctx.client_ids(
                radio.band, ssid.name, clients_for(counts, radio.band, ssid.name)
            )
            total += len(clients)
            lines += [
                _row(
                    (
                        c.name,
                        c.ip,
                        c.mac,
                        _os(c.name),
                        ssid.name,
                        cfg.hostname,
                        str(radio.channel),
                        _TYPE.get(radio.band, "AX"),
                        ssid.name,
                        "--",
                        "48(good)",
                        "866(good)",
                    )
                )
                for c in clients
            ]
    return "\n".join([*lines, "", f"Number of Clients   :{total}", ""])


def _config_text(ctx: CliSession, saved: bool) -> str:
    cfg = ctx.state.saved if saved else ctx.state.running
    lines = [f"version {ctx.state.firmware}", "virtual-controller-country KR"]
    lines += [f"name {cfg.hostname}", f"mgmt-vlan {cfg.mgmt_vlan}"]
    secrets = lab_secrets(ctx.state.ap_id)
    lines += [f"mgmt-user admin {secrets.user_password}"]
    lines += [f"snmp-server community {secrets.snmp_community}", ""]
    lines += ["wlan auth-server city-radius", " ip 10.10.0.5", " port 1812"]
    lines += [f" key {secrets.radius_key}", ""]
    for index, ssid in enumerate(cfg.ssids):
        lines += [f"wlan ssid-profile {ssid.name}", " enable" if ssid.enabled else " disable"]
        lines += [f" index {index}", f" essid {ssid.name}", f" vlan {ssid.vlan}"]
        lines += [" opmode wpa3-aes-ccm-128" if ssid.secure else " opmode opensystem", ""]
    for radio in cfg.radios:
        command = next(k for k, band in _BAND_COMMANDS.items() if band == radio.band)
        lines.append(f"{command} {radio.channel} {radio.tx_power_dbm}")
    return "\n".join(lines) + "\n"


def _channel(ctx: CliSession, args: Args, band: str) -> str:
    target = changes.radio_by_band(ctx.state, band)
    index = ctx.state.running.radios.index(target)
    changes.set_channel(ctx.state, index, args.int("channel"))
    changes.set_tx_power(ctx.state, index, args.int("power"))
    return ""


def _save(ctx: CliSession, args: Args) -> str:
    ctx.state.save()
    return "Saving Configuration...\n\nConfiguration Saved.\n"


def _reload(ctx: CliSession, args: Args) -> None:
    def answer(typed: str) -> str | None:
        if typed.strip().lower() in ("y", "yes"):
            ctx.reload()
            return None
        return "Reload cancelled.\n"

    ctx.ask("Do you really want to restart the system(y/n): ", answer, echo=True)


def _upgrade(ctx: CliSession, args: Args, *, reboot: bool) -> str:
    url = args.str("url")
    try:
        version = firmware.stage(ctx.state, url)
    except firmware.UnknownImage:
        return (
            f"Upgrading image from {url}...\n"
            "Image upgrade failed: image download failed (file not found on the server)\n"
        )
    text = f"Upgrading image from {url}...\nImage upgraded to version {version}.\n"
    if reboot:
        ctx.reload()
        return text + "Rebooting the AP to run the new image...\n"
    return text + "Reload the AP to run the new image.\n"


def _profile(ctx: CliSession, args: Args) -> None:
    ssid = changes.add_ssid(ctx.state, args.str("name"))
    ctx.enter("ssid-profile", ssid=ssid.name)


def _essid(ctx: CliSession, args: Args) -> None:
    changes.rename_ssid(ctx.state, ctx.var("ssid"), args.str("name"))
    ctx.exit_mode()
    ctx.enter("ssid-profile", ssid=args.str("name"))


def _remove_profile(ctx: CliSession, args: Args) -> None:
    changes.remove_ssid(ctx.state, args.str("name"))


def _configure(ctx: CliSession, args: Args) -> None:
    ctx.enter("config")


def _paging(ctx: CliSession, args: Args) -> None:
    ctx.page_length = 0


def _channel_command(name: str, band: str) -> Command:
    return Command(f"{name} <channel:int> <power:int>", lambda c, a: _channel(c, a, band))


_CHANNELS = tuple(_channel_command(name, band) for name, band in _BAND_COMMANDS.items())

_EXEC = (
    Command("show version", _show_version),
    Command("show clients", _show_clients),
    Command("show running-config", lambda c, a: _config_text(c, saved=False)),
    Command("show startup-config", lambda c, a: _config_text(c, saved=True)),
    Command("no paging", _paging),
    Command("configure terminal", _configure),
    Command("write memory", _save),
    Command("copy running-config startup-config", _save),
    Command("reload", _reload),
    Command("upgrade-image <url>", lambda c, a: _upgrade(c, a, reboot=True)),
    Command("upgrade-image2-no-reboot <url>", lambda c, a: _upgrade(c, a, reboot=False)),
    Command("exit", lambda c, a: c.close()),
    *_CHANNELS,
)

_CONFIG = (
    Command("name <name>", lambda c, a: changes.set_hostname(c.state, a.str("name"))),
    Command("hostname <name>", lambda c, a: changes.set_hostname(c.state, a.str("name"))),
    Command("wlan ssid-profile <name>", _profile),
    Command("no wlan ssid-profile <name>", _remove_profile),
    Command("write memory", _save),
    Command("end", lambda c, a: c.leave_to("exec")),
    Command("exit", lambda c, a: c.exit_mode()),
    *_CHANNELS,
)

_SSID_PROFILE = (
    Command("essid <name>", _essid),
    Command("vlan <n:int>", lambda c, a: changes.set_ssid_vlan(c.state, c.var("ssid"), a.int("n"))),
    Command("enable", lambda c, a: None),
    Command("end", lambda c, a: c.leave_to("exec")),
    Command("exit", lambda c, a: c.exit_mode()),
)


def _caret(site: ErrorSite, message: str) -> str:
    return " " * (len(site.prompt) + site.column) + f"^\n{message}\n"


DIALECT = Dialect(
    platform="aruba_instant",
    netmiko_device_type="aruba_os",
    modes={
        "exec": Mode("exec", "{hostname}# ", _EXEC),
        "config": Mode("config", "{hostname} (config) # ", _CONFIG),
        "ssid-profile": Mode(
            "ssid-profile", '{hostname} (SSID Profile "{ssid}") # ', _SSID_PROFILE, "config"
        ),
    },
    initial_mode="exec",
    errors=ErrorStyle(
        invalid=lambda site: _caret(site, "% Parse error"),
        incomplete=lambda site: "% Incomplete command\n",
        ambiguous=lambda site: _caret(site, "% Ambiguous command"),
        rejected=lambda reason: f"% Invalid value: {reason}\n",
    ),
    abbreviations=True,
    page_length=24,
    more_prompt="--More-- (q) quit (u) pageup (/) search (n) repeat",
    reads=frozenset({"show version", "show clients", "show running-config", "show startup-config"}),
)
