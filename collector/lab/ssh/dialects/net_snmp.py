"""A Linux AP running hostapd and net-snmp (``net-snmp`` -> netmiko ``linux``).

``user@host:~$``; netmiko's config mode is ``sudo -s`` (password = the SSH password) to
``root@host:/home/user#``. Radios are ``wlan0..``; further SSIDs are BSSes ``wlan0-1``, ...
``cat /etc/hostapd/hostapd.conf`` shows the saved file, ``hostapd_cli status`` the running
state; ``hostapd_cli -i IFACE set ssid|channel|vlan_id VALUE``, ``iw dev IFACE set txpower
fixed MBM``, ``hostapd_cli save_config`` (writes the file) and ``reboot`` need root.
"""

from __future__ import annotations

from collector.lab.ssh import changes
from collector.lab.ssh.dialect import Args, Command, Dialect, ErrorSite, ErrorStyle, Mode
from collector.lab.ssh.engine import CliSession
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


def _conf(cfg: Config) -> str:
    lines: list[str] = []
    for r, radio in enumerate(cfg.radios):
        lines += [f"# {radio.band} radio", f"interface=wlan{r}", "driver=nl80211"]
        lines += ["country_code=KR", f"hw_mode={_HW_MODE.get(radio.band, 'a')}"]
        lines += [f"channel={radio.channel}", f"# txpower {radio.tx_power_dbm * 100} mBm"]
        for s, ssid in enumerate(cfg.ssids):
            lines += [f"bss={_iface(r, s)}"] if s else []
            lines += [f"ssid={ssid.name}", f"vlan_id={ssid.vlan}"]
            lines += ["wpa=2", "wpa_key_mgmt=WPA-EAP"] if ssid.secure else []
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


_READ = (
    Command("uname -a", _uname),
    Command("uname", lambda c, a: "Linux\n"),
    Command("hostname", lambda c, a: c.state.running.hostname + "\n"),
    Command("uptime", _uptime),
    Command("whoami", lambda c, a: ("root" if c.mode == "root" else c.user) + "\n"),
    Command("cat /etc/hostapd/hostapd.conf", lambda c, a: _conf(c.state.saved)),
    Command("hostapd_cli get_config", lambda c, a: _conf(c.state.running)),
    Command("hostapd_cli status", _status),
    Command("hostapd_cli -i <iface> status", _status),
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
)
