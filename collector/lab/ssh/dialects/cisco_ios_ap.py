"""Cisco IOS autonomous AP (``cisco_ios_ap`` -> netmiko ``cisco_ios``).

``host>`` user exec, ``enable`` (secret = the SSH password) to ``host#``, ``configure terminal``,
``interface Dot11Radio0``, ``dot11 ssid NAME`` / ``vlan N``, ``channel N``, ``power local N``,
``write memory``, ``reload``; IOS abbreviations (``sh ver``, ``conf t``, ``wr mem``).
Upgrades as on autonomous IOS APs: ``archive download-sw /overwrite /reload tftp://HOST/IMAGE``
(download, install for the next boot, reload at once) or without ``/reload`` (then ``reload``);
images the lab does not hold fail with IOS's ``%Error opening`` (:mod:`collector.lab.firmware`).
``show dot11 associations`` lists every client (MAC, IP, name) as IOS does; the configs carry
the AP's lab secrets (:mod:`collector.lab.ssh.labsecrets`) in IOS syntax.
"""

from __future__ import annotations

import hashlib

from collector.lab import firmware
from collector.lab.ssh import changes
from collector.lab.ssh.dialect import Args, Command, Dialect, ErrorSite, ErrorStyle, Mode
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.views import clients_for, uptime_words

_HARDWARE = {"2.4GHz": "802.11N 2.4GHz", "5GHz": "802.11AC 5GHz", "6GHz": "802.11AX 6GHz"}
_ASSOC_HEADER = (
    "MAC Address    IP address      IPV6 address                              Device        "
    "Name            Parent         State"
)


def _enable(ctx: CliSession, args: Args) -> None:
    def answer(typed: str) -> str | None:
        if ctx.check_secret(typed):
            ctx.enter("exec")
            return None
        return "% Bad secrets\n"

    ctx.ask("Password: ", answer, echo=False)


def _terminal_length(ctx: CliSession, args: Args) -> None:
    ctx.page_length = args.int("n")


def _show_version(ctx: CliSession, args: Args) -> str:
    s = ctx.state
    return (
        f"Cisco IOS Software, C2700 Software (AP3G2-K9W8-M), Version {s.firmware}, "
        "RELEASE SOFTWARE (fc1)\n"
        "Technical Support: http://www.cisco.com/techsupport\n"
        "Copyright (c) 1986-2023 by Cisco Systems, Inc.\n\n"
        "ROM: Bootstrap program is C2700 boot loader\n\n"
        f"{s.running.hostname} uptime is {uptime_words(s, ctx.now())}\n"
        "System returned to ROM by reload\n"
        f'System image file is "flash:/ap3g2-k9w8-mx.{s.firmware}"\n\n'
        f"cisco {s.model} (PowerPC) processor (revision A0) with 376810K/134656K bytes of memory.\n"
        f"Processor board ID {s.serial}\n"
        f"{len(s.running.radios)} Gigabit Ethernet interface(s), "
        f"{len(s.running.radios)} 802.11 Radio(s)\n\n"
        f"Top Assembly Serial Number      : {s.serial}\n"
        f"Product/Model Number            : {s.model}\n"
        "Configuration register is 0xF\n"
    )


def _config_text(ctx: CliSession, saved: bool) -> str:
    cfg = ctx.state.saved if saved else ctx.state.running
    secrets = lab_secrets(ctx.state.ap_id)
    lines = ["!", "version 15.3", f"hostname {cfg.hostname}"]
    lines += [
        f"enable secret 9 {secrets.enable_hash}",
        f"username {ctx.user or 'admin'} privilege 15 password 0 {secrets.user_password}",
        f"snmp-server community {secrets.snmp_community} RO",
        "radius-server host 10.10.0.5 auth-port 1812 acct-port 1813 key 0 " + secrets.radius_key,
        "!",
    ]
    for ssid in cfg.ssids:
        lines += [f"dot11 ssid {ssid.name}", f"   vlan {ssid.vlan}"]
        auth = "open eap eap_methods" if ssid.secure else "open"
        lines += [f"   authentication {auth}", "!"]
    for index, radio in enumerate(cfg.radios):
        lines += [f"interface Dot11Radio{index}", " no ip address"]
        lines += [f" ssid {ssid.name}" for ssid in cfg.ssids]
        lines += [f" channel {radio.channel}", f" power local {radio.tx_power_dbm}"]
        lines += [" station-role root", "!" if radio.enabled else " shutdown\n!"]
    lines += ["interface BVI1", f" description mgmt vlan {cfg.mgmt_vlan}", "!", "end"]
    body = "\n".join(lines) + "\n"
    head = "Building configuration...\n\n" if not saved else ""
    return f"{head}Current configuration : {len(body)} bytes\n{body}"


def _show_associations(ctx: CliSession, args: Args) -> str:
    counts = ctx.client_counts()
    cfg = ctx.state.running
    lines: list[str] = []
    for index, radio in enumerate(cfg.radios):
        lines += [f"802.11 Client Stations on Dot11Radio{index}: ", ""]
        for ssid in cfg.ssids:
            clients = ctx.client_ids(
                radio.band, ssid.name, clients_for(counts, radio.band, ssid.name)
            )
            if not clients:
                continue
            state = "EAP-Assoc" if ssid.secure else "Assoc"
            lines += [f"SSID [{ssid.name}] : ", "", _ASSOC_HEADER]
            lines += [
                f"{c.cisco_mac} {c.ip:<15} {'::':<41} {'unknown':<13} {c.name:<15} "
                f"{'self':<14} {state}"
                for c in clients
            ]
            lines.append("")
    return "\n".join(lines) + "\n"


def _mac_base(ctx: CliSession) -> str:
    digits = hashlib.sha256(f"bia\0{ctx.state.ap_id}".encode()).hexdigest()[:10]
    return "02" + digits


def _dotted(hex12: str) -> str:
    return f"{hex12[0:4]}.{hex12[4:8]}.{hex12[8:12]}"


def _show_interfaces(ctx: CliSession, args: Args) -> str:
    cfg = ctx.state.running
    base = _mac_base(ctx)
    blocks = [
        (
            "GigabitEthernet0",
            True,
            "PowerPCElvis Ethernet",
            f"{base[:10]}ff",
            "1000Mb/s",
            "MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,",
        )
    ]
    for index, radio in enumerate(cfg.radios):
        hardware = _HARDWARE.get(radio.band, radio.band) + " Radio"
        blocks.append(
            (
                f"Dot11Radio{index}",
                radio.enabled,
                hardware,
                f"{base[:10]}{index * 16:02x}",
                "",
                "MTU 1500 bytes, BW 867000 Kbit/sec, DLY 1000 usec,",
            )
        )
    lines: list[str] = []
    for name, up, hardware, mac, speed, mtu in blocks:
        status = "up, line protocol is up" if up else "administratively down, line protocol is down"
        lines += [
            f"{name} is {status} ",
            f"  Hardware is {hardware}, address is {_dotted(mac)} (bia {_dotted(mac)})",
            f"  {mtu} ",
            "     reliability 255/255, txload 1/255, rxload 1/255",
            "  Encapsulation ARPA, loopback not set",
        ]
        lines += [f"  Full-duplex, {speed}, media type is RJ45"] if speed else []
        lines += [
            "  Last input 00:00:00, output 00:00:00, output hang never",
            "  5 minute input rate 0 bits/sec, 0 packets/sec",
            "  5 minute output rate 0 bits/sec, 0 packets/sec",
        ]
    return "\n".join(lines) + "\n"


def _save(ctx: CliSession, args: Args) -> str:
    ctx.state.save()
    return "Building configuration...\n[OK]\n"


def _copy_run_start(ctx: CliSession, args: Args) -> None:
    def answer(typed: str) -> str:
        return _save(ctx, Args())

    ctx.ask("Destination filename [startup-config]? ", answer, echo=True)


def _reload(ctx: CliSession, args: Args) -> None:
    def answer(typed: str) -> str | None:
        if typed.strip().lower() in ("", "y", "yes", "confirm"):
            ctx.reload()
        return None

    ctx.ask("Proceed with reload? [confirm]", answer, echo=True)


def _archive_download(ctx: CliSession, args: Args, *, reload: bool) -> str:
    url = args.str("url")
    name = firmware.image_name(url)
    host = url.split("://", 1)[-1].split("/", 1)[0]
    try:
        firmware.stage(ctx.state, url)
    except firmware.UnknownImage:
        return (
            "examining image...\n"
            f"%Error opening {url} (No such file or directory)\n"
            "ERROR: Problem extracting files from archive.\n"
        )
    installed = name.removesuffix(".tar").replace("-tar.", "-mx.")
    text = (
        "examining image...\n"
        f"Loading {name} from {host} (via BVI1): !!!!!!!!!!!!!!!!!!!!\n"
        "[OK - 20336640 bytes]\n"
        "extracting info (283 bytes)\n"
        f"New software image installed in flash:/{installed}\n"
        "Configuring system to use new image...done.\n"
    )
    if reload:
        ctx.reload()
        return text + "Requested system reload in progress...\narchive download: takes 96 seconds\n"
    return text + "archive download: takes 96 seconds\n"


def _configure(ctx: CliSession, args: Args) -> str:
    ctx.enter("config")
    return "Enter configuration commands, one per line.  End with CNTL/Z.\n"


def _interface(ctx: CliSession, args: Args) -> None:
    changes.radio(ctx.state, args.int("radio"))
    ctx.enter("config-if", radio=str(args.int("radio")))


def _dot11_ssid(ctx: CliSession, args: Args) -> None:
    changes.add_ssid(ctx.state, args.str("name"))
    ctx.enter("config-ssid", ssid=args.str("name"))


def _radio(ctx: CliSession) -> int:
    return int(ctx.var("radio"))


def _exec_do(ctx: CliSession, args: Args) -> str:
    return ctx.run_in_mode("exec", args.str("rest"))


def _bind_ssid(ctx: CliSession, args: Args) -> None:
    changes.ssid(ctx.state, args.str("name"))  # all SSIDs ride on every radio in the lab


def _end(ctx: CliSession, args: Args) -> None:
    ctx.leave_to("exec")


def _exit(ctx: CliSession, args: Args) -> None:
    ctx.exit_mode()


def _terminal_width(ctx: CliSession, args: Args) -> None:
    return None


_COMMON = (
    Command("terminal length <n:int>", _terminal_length),
    Command("terminal width <n:int>", _terminal_width),
    Command("show version", _show_version),
    Command("show dot11 associations", _show_associations),
    Command("show interfaces", _show_interfaces),
    Command("exit", _exit),
    Command("logout", lambda ctx, a: ctx.close()),
)

_EXEC = (
    *_COMMON,
    Command("configure terminal", _configure),
    Command("show running-config", lambda ctx, a: _config_text(ctx, saved=False)),
    Command("show startup-config", lambda ctx, a: _config_text(ctx, saved=True)),
    Command("write memory", _save),
    Command("copy running-config startup-config", _copy_run_start),
    Command("reload", _reload),
    Command(
        "archive download-sw /overwrite /reload <url>",
        lambda c, a: _archive_download(c, a, reload=True),
    ),
    Command(
        "archive download-sw /overwrite <url>",
        lambda c, a: _archive_download(c, a, reload=False),
    ),
    Command("disable", lambda ctx, a: ctx.leave_to("user")),
    Command("enable", lambda ctx, a: None),
)

_CONFIG = (
    Command("hostname <name>", lambda ctx, a: changes.set_hostname(ctx.state, a.str("name"))),
    Command("interface Dot11Radio<radio:int>", _interface),
    Command("dot11 ssid <name>", _dot11_ssid),
    Command("no dot11 ssid <name>", lambda c, a: changes.remove_ssid(c.state, a.str("name"))),
    Command("do <rest...>", _exec_do),
    Command("end", _end),
    Command("exit", _exit),
)
_LEAVE = (Command("do <rest...>", _exec_do), Command("end", _end), Command("exit", _exit))

_CONFIG_IF = (
    Command("channel <n:int>", lambda c, a: changes.set_channel(c.state, _radio(c), a.int("n"))),
    Command(
        "power local <n:int>",
        lambda c, a: changes.set_tx_power(c.state, _radio(c), a.int("n")),
    ),
    Command("ssid <name>", _bind_ssid),
    Command("shutdown", lambda c, a: changes.set_radio_enabled(c.state, _radio(c), False)),
    Command("no shutdown", lambda c, a: changes.set_radio_enabled(c.state, _radio(c), True)),
    Command("station-role root", lambda c, a: None),
    *_LEAVE,
)

_CONFIG_SSID = (
    Command("vlan <n:int>", lambda c, a: changes.set_ssid_vlan(c.state, c.var("ssid"), a.int("n"))),
    Command("authentication open", lambda c, a: None),
    *_LEAVE,
)


def _invalid(site: ErrorSite) -> str:
    return " " * (len(site.prompt) + site.column) + "^\n% Invalid input detected at '^' marker.\n"


DIALECT = Dialect(
    platform="cisco_ios_ap",
    netmiko_device_type="cisco_ios",
    modes={
        "user": Mode("user", "{hostname}>", (*_COMMON, Command("enable", _enable))),
        "exec": Mode("exec", "{hostname}#", _EXEC),
        "config": Mode("config", "{hostname}(config)#", _CONFIG),
        "config-if": Mode("config-if", "{hostname}(config-if)#", _CONFIG_IF, fallback="config"),
        "config-ssid": Mode("config-ssid", "{hostname}(config-ssid)#", _CONFIG_SSID, "config"),
    },
    initial_mode="user",
    errors=ErrorStyle(
        invalid=_invalid,
        incomplete=lambda site: "% Incomplete command.\n",
        ambiguous=lambda site: f'% Ambiguous command:  "{site.line.strip()}"\n',
        rejected=lambda reason: f"% Invalid input: {reason}\n",
    ),
    abbreviations=True,
    page_length=24,
    more_prompt=" --More-- ",
    comment_prefix="!",
    reads=frozenset(
        {
            "show version",
            "show dot11 associations",
            "show interfaces",
            "show running-config",
            "show startup-config",
        }
    ),
)
