"""A Linux AP running hostapd and net-snmp (``net-snmp`` -> netmiko ``linux``).

``user@host:~$``; netmiko's config mode is ``sudo -s`` (password = the SSH password) to
``root@host:/home/user#``. Radios are ``wlan0..``; further SSIDs are BSSes ``wlan0-1``, ...
``cat /etc/hostapd/hostapd.conf`` shows the saved file, ``hostapd_cli status`` the running
state; ``hostapd_cli -i IFACE set ssid|channel|vlan_id VALUE``, ``iw dev IFACE set txpower
fixed MBM``, ``hostapd_cli save_config`` (writes the file) and ``reboot`` need root.
Facts as on OpenWrt: ``ubus call system board`` (JSON: hostname, model, release), ``cat
/proc/uptime``, ``iw dev`` (one Interface block per BSS), ``hostapd_cli -i IFACE all_sta`` (every
station's MAC, then key=value lines). Secure BSSes carry the AP's lab RADIUS secret.
Upgrades as on OpenWrt (root): ``wget -O /tmp/IMAGE http://HOST/IMAGE`` (an image the lab does
not hold: wget's 404), then ``sysupgrade /tmp/IMAGE`` flashes it and reboots (the lab keeps the
configuration, as plain sysupgrade does; it also takes ``-n`` but keeps it then too, where a
real AP would come back with its configuration wiped: never pass ``-n`` to a configured AP).
"""

from __future__ import annotations

import hashlib

from collector.lab import firmware
from collector.lab.ssh import changes
from collector.lab.ssh.dialect import Args, Command, Dialect, ErrorSite, ErrorStyle, Mode
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.views import clients_for, frequency_mhz, uptime_parts
from collector.lab.state import Config, DeviceState

_HW_MODE = {"2.4GHz": "g", "5GHz": "a", "6GHz": "a"}
_DENIED = "Failed to connect to hostapd - wpa_ctrl_open: Permission denied\n"


def _iface(radio: int, ssid: int) -> str:
    return f"wlan{radio}" if ssid == 0 else f"wlan{radio}-{ssid}"


def _lookup(state: DeviceState, name: str) -> tuple[int, int]:
    cfg = state.running
    for r in range(len(cfg.radios)):
        for s in range(len(cfg.ssids)):
            if _iface(r, s) == name:
                return r, s
    raise changes.ChangeRejected(f"{name}: No such device")


def _conf(state: DeviceState, cfg: Config) -> str:
    radius = lab_secrets(state.ap_id).radius_key
    lines: list[str] = []
    for r, radio in enumerate(cfg.radios):
        lines += [f"# {radio.band} radio", f"interface=wlan{r}", "driver=nl80211"]
        lines += ["country_code=KR", f"hw_mode={_HW_MODE.get(radio.band, 'a')}"]
        lines += [f"channel={radio.channel}", f"# txpower {radio.tx_power_dbm * 100} mBm"]
        for s, ssid in enumerate(cfg.ssids):
            lines += [f"bss={_iface(r, s)}"] if s else []
            lines += [f"ssid={ssid.name}", f"vlan_id={ssid.vlan}"]
            if ssid.secure:
                lines += ["wpa=2", "wpa_key_mgmt=WPA-EAP", "auth_server_addr=10.10.0.5"]
                lines += ["auth_server_port=1812", f"auth_server_shared_secret={radius}"]
        lines.append("")
    return "\n".join(lines)


def _status(ctx: CliSession, args: Args) -> str:
    r, _ = _lookup(ctx.state, args.get("iface", "wlan0").__str__())
    cfg = ctx.state.running
    radio = cfg.radios[r]
    counts = ctx.client_counts()
    lines = ["state=ENABLED" if radio.enabled else "state=DISABLED", f"phy=phy{r}"]
    lines += [f"freq={frequency_mhz(radio)}", f"channel={radio.channel}"]
    lines += [f"max_txpower={radio.tx_power_dbm}"]
    for s, ssid in enumerate(cfg.ssids):
        lines += [f"bss[{s}]={_iface(r, s)}", f"ssid[{s}]={ssid.name}"]
        lines += [f"num_sta[{s}]={clients_for(counts, radio.band, ssid.name)}"]
    return "\n".join(lines) + "\n"


def _bssid(state: DeviceState, r: int, s: int) -> str:
    digest = hashlib.sha256(f"bssid\0{state.ap_id}".encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:3]) + f":{r:02x}:{s:02x}"


def _iw_dev(ctx: CliSession, args: Args) -> str:
    cfg = ctx.state.running
    lines: list[str] = []
    ifindex = 3
    for r, radio in enumerate(cfg.radios):
        lines.append(f"phy#{r}")
        mhz = frequency_mhz(radio)
        for s, ssid in enumerate(cfg.ssids):
            lines += [f"\tInterface {_iface(r, s)}", f"\t\tifindex {ifindex}"]
            lines += [f"\t\twdev 0x{r + 1:x}0000000{s + 1:x}"]
            lines += [f"\t\taddr {_bssid(ctx.state, r, s)}", f"\t\tssid {ssid.name}"]
            lines += ["\t\ttype AP"]
            lines += [f"\t\tchannel {radio.channel} ({mhz} MHz), width: 20 MHz, center1: {mhz} MHz"]
            lines += [f"\t\ttxpower {radio.tx_power_dbm:.2f} dBm"]
            ifindex += 1
    return "\n".join(lines) + "\n"


def _all_sta(ctx: CliSession, args: Args) -> str:
    r, s = _lookup(ctx.state, args.str("iface"))
    cfg = ctx.state.running
    band, ssid = cfg.radios[r].band, cfg.ssids[s]
    counts = ctx.client_counts()
    lines: list[str] = []
    flags = "[AUTH][ASSOC][AUTHORIZED]" + ("[WMM][HT]" if band == "2.4GHz" else "[WMM][VHT]")
    for aid, client in enumerate(
        ctx.client_ids(band, ssid.name, clients_for(counts, band, ssid.name))
    ):
        lines += [
            client.mac,
            f"flags={flags}",
            f"aid={aid + 1}",
            "rx_bytes=48213",
            "tx_bytes=91822",
        ]
        lines += ["connected_time=3723"]
    return "\n".join(lines) + "\n" if lines else ""


def _board(ctx: CliSession, args: Args) -> str:
    s = ctx.state
    distribution, _, version = s.firmware.partition(" ")
    return (
        "{\n"
        '\t"kernel": "5.15.167",\n'
        f'\t"hostname": "{s.running.hostname}",\n'
        '\t"system": "ARMv8 Processor rev 4",\n'
        f'\t"model": "{s.model}",\n'
        f'\t"board_name": "{s.model.lower()}",\n'
        '\t"rootfs_type": "squashfs",\n'
        '\t"release": {\n'
        f'\t\t"distribution": "{distribution}",\n'
        f'\t\t"version": "{version}",\n'
        '\t\t"target": "mediatek/filogic",\n'
        f'\t\t"description": "{s.firmware}"\n'
        "\t}\n"
        "}\n"
    )


def _proc_uptime(ctx: CliSession, args: Args) -> str:
    up = max(0.0, ctx.now() - ctx.state.boot_time)
    return f"{up:.2f} {up * 3.7:.2f}\n"


def _set(ctx: CliSession, args: Args) -> str:
    r, s = _lookup(ctx.state, args.str("iface"))
    state, key, value = ctx.state, args.str("key"), args.str("value")
    try:
        if key == "ssid":
            changes.rename_ssid(state, state.running.ssids[s].name, value)
        elif key == "channel":
            changes.set_channel(state, r, int(value))
        elif key == "vlan_id":
            changes.set_ssid_vlan(state, state.running.ssids[s].name, int(value))
        else:
            return "FAIL\n"
    except (ValueError, changes.ChangeRejected):
        return "FAIL\n"
    return "OK\n"


def _txpower(ctx: CliSession, args: Args) -> str:
    r, _ = _lookup(ctx.state, args.str("iface"))
    changes.set_tx_power(ctx.state, r, args.int("mbm") // 100)
    return ""


def _save(ctx: CliSession, args: Args) -> str:
    ctx.state.save()
    return "OK\n"


def _uname(ctx: CliSession, args: Args) -> str:
    return (
        f"Linux {ctx.state.running.hostname} 6.1.0-28-arm64 #1 SMP Debian 6.1.119-1 "
        "(2024-11-22) aarch64 GNU/Linux\n"
    )


def _uptime(ctx: CliSession, args: Args) -> str:
    days, hours, minutes, _ = uptime_parts(ctx.state, ctx.now())
    return f" up {days} days, {hours:2d}:{minutes:02d},  1 user,  load average: 0.08, 0.03, 0.01\n"


def _sudo(ctx: CliSession, then: str) -> None:
    def answer(typed: str) -> str | None:
        if not ctx.check_secret(typed):
            return "Sorry, try again.\nsudo: 1 incorrect password attempt\n"
        if then == "reboot":
            ctx.reload()
        else:
            ctx.enter("root")
        return None

    ctx.ask(f"[sudo] password for {ctx.user}: ", answer, echo=False)


def _reboot(ctx: CliSession, args: Args) -> str:
    ctx.reload()
    return f"\nBroadcast message from root@{ctx.state.running.hostname}: system is rebooting\n"


_DOWNLOADED = "downloaded:"  # DeviceState.extra key prefix: files wget put in /tmp


def _wget(ctx: CliSession, args: Args) -> str:
    path, url = args.str("path"), args.str("url")
    name = firmware.image_name(url)
    try:
        firmware.version_of(ctx.state, url)
    except firmware.UnknownImage:
        return (
            f"Downloading '{url}'\nConnecting to {url.split('://', 1)[-1].split('/', 1)[0]}\n"
            "HTTP error 404\nwget: server returned error: HTTP/1.1 404 Not Found\n"
        )
    ctx.state.extra[_DOWNLOADED + path] = name
    return f"Downloading '{url}'\nWriting to '{path}'\nDownload completed (12582912 bytes)\n"


def _sysupgrade(ctx: CliSession, args: Args) -> str:
    path = args.str("path")
    name = ctx.state.extra.get(_DOWNLOADED + path)
    if name is None:
        return f"Image not found: {path}\nImage check failed.\n"
    firmware.stage(ctx.state, name)
    del ctx.state.extra[_DOWNLOADED + path]
    ctx.reload()
    return "Commencing upgrade. Closing all shell sessions.\n"


_READ = (
    Command("uname -a", _uname),
    Command("uname", lambda c, a: "Linux\n"),
    Command("hostname", lambda c, a: c.state.running.hostname + "\n"),
    Command("uptime", _uptime),
    Command("whoami", lambda c, a: ("root" if c.mode == "root" else c.user) + "\n"),
    Command("cat /etc/hostapd/hostapd.conf", lambda c, a: _conf(c.state, c.state.saved)),
    Command("hostapd_cli get_config", lambda c, a: _conf(c.state, c.state.running)),
    Command("hostapd_cli status", _status),
    Command("hostapd_cli -i <iface> status", _status),
    Command("hostapd_cli -i <iface> all_sta", _all_sta),
    Command("iw dev", _iw_dev),
    Command("ubus call system board", _board),
    Command("cat /proc/uptime", _proc_uptime),
    Command("cat /proc/device-tree/serial-number", lambda c, a: c.state.serial + "\n"),
    Command("exit", lambda c, a: c.exit_mode()),
    Command("logout", lambda c, a: c.close()),
)

_USER = (
    *_READ,
    Command("sudo -s", lambda c, a: _sudo(c, "shell")),
    Command("sudo -i", lambda c, a: _sudo(c, "shell")),
    Command("sudo reboot", lambda c, a: _sudo(c, "reboot")),
    Command("hostapd_cli -i <iface> set <key> <value>", lambda c, a: _DENIED),
    Command("hostapd_cli save_config", lambda c, a: _DENIED),
    Command(
        "iw dev <iface> set txpower fixed <mbm:int>",
        lambda c, a: "command failed: Operation not permitted (-1)\n",
    ),
    Command(
        "reboot",
        lambda c, a: (
            "Failed to set wall message, ignoring: Access denied\n"
            "Failed to reboot system via logind: Access denied\n"
        ),
    ),
)

_ROOT = (
    *_READ,
    Command("hostapd_cli -i <iface> set <key> <value>", _set),
    Command("hostapd_cli save_config", _save),
    Command("iw dev <iface> set txpower fixed <mbm:int>", _txpower),
    Command("reboot", _reboot),
    Command("wget -O <path> <url>", _wget),
    Command("sysupgrade <path>", _sysupgrade),
    Command("sysupgrade -n <path>", _sysupgrade),
)


def _invalid(site: ErrorSite) -> str:
    program = site.line.split()[0]
    if site.column == 0:
        return f"-bash: {program}: command not found\n"
    return f"{program}: invalid argument '{site.token}'\nTry '{program} --help' for more.\n"


DIALECT = Dialect(
    platform="net-snmp",
    netmiko_device_type="linux",
    modes={
        "user": Mode("user", "{user}@{hostname}:~$ ", _USER),
        "root": Mode("root", "root@{hostname}:/home/{user}# ", _ROOT),
    },
    initial_mode="user",
    errors=ErrorStyle(
        invalid=_invalid,
        incomplete=lambda site: f"{site.line.split()[0]}: missing operand\n",
        ambiguous=lambda site: f"-bash: {site.line.split()[0]}: ambiguous\n",
        rejected=lambda reason: f"{reason}\n",
    ),
    banner="Linux AP (Debian GNU/Linux 12) - lab device\n\n",
    comment_prefix="#",
    reads=frozenset(
        {
            "uname -a",
            "uname",
            "hostname",
            "uptime",
            "cat /etc/hostapd/hostapd.conf",
            "hostapd_cli get_config",
            "hostapd_cli status",
            "hostapd_cli -i <iface> status",
            "hostapd_cli -i <iface> all_sta",
            "iw dev",
            "ubus call system board",
            "cat /proc/uptime",
            "cat /proc/device-tree/serial-number",
        }
    ),
)
