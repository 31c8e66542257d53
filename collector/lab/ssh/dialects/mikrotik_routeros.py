"""MikroTik RouterOS (``mikrotik_routeros`` -> netmiko ``mikrotik_routeros``).

Prompt ``[admin@host] > ``; netmiko logs in as ``admin+ct511w4098h`` (terminal options after
``+``), has no enable or config mode and no paging. Interfaces: ``wlan1..wlanN`` are the radios'
first SSID, then one virtual interface per further SSID and radio. RouterOS keeps every change
at once, so ``set`` also saves (there is no separate save command). ``registration-table print``
lists every client (MAC, last IP) RouterOS style; ``/export`` carries the AP's lab secrets.
Upgrades as RouterOS does them by hand: ``/tool fetch url=http://HOST/routeros-V-ARCH.npk``
puts the package in the files, the next ``/system reboot`` installs it; a package the lab does
not hold fails as fetch does on an HTTP 404.
"""

from __future__ import annotations

from collector.lab import firmware
from collector.lab.ssh import changes
from collector.lab.ssh.dialect import Args, Command, Dialect, ErrorSite, ErrorStyle, Mode
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.labsecrets import lab_secrets
from collector.lab.ssh.patterns import tokenize
from collector.lab.ssh.views import clients_for, frequency_mhz, uptime_parts
from collector.lab.state import Config, DeviceState
from collector.wifi import channel_from_mhz

_BANDS = {"2.4GHz": "2ghz-b/g/n/ax", "5GHz": "5ghz-a/n/ac/ax", "6GHz": "6ghz-ax"}


def _interfaces(cfg: Config) -> list[tuple[str, int, int]]:
    """(name, radio index, SSID index) in RouterOS order."""
    radios = len(cfg.radios)
    return [
        (f"wlan{s * radios + r + 1}", r, s) for s in range(len(cfg.ssids)) for r in range(radios)
    ]


def _find(state: DeviceState, target: str) -> tuple[str, int, int]:
    name = target.strip("[]").replace("find", "").replace("default-name=", "name=").strip()
    name = name.removeprefix("name=").strip('"')
    for number, entry in enumerate(_interfaces(state.running)):
        if name in (entry[0], str(number)):
            return entry
    raise changes.ChangeRejected("no such item")


def _uptime(state: DeviceState, now: float) -> str:
    """RouterOS style: ``2w3d04:05:06`` is printed as ``2w3d4h5m6s``."""
    days, hours, minutes, seconds = uptime_parts(state, now)
    weeks, days = divmod(days, 7)
    head = (f"{weeks}w" if weeks else "") + (f"{days}d" if days else "")
    return f"{head}{hours}h{minutes}m{seconds}s"


def _resource(ctx: CliSession, args: Args) -> str:
    s = ctx.state
    rows = [
        ("uptime", _uptime(s, ctx.now())),
        ("version", f"{s.firmware} (stable)"),
        ("free-memory", "211.9MiB"),
        ("total-memory", "256.0MiB"),
        ("cpu", "ARM"),
        ("cpu-count", "4"),
        ("cpu-load", "3%"),
        ("architecture-name", "arm"),
        ("board-name", s.model),
        ("platform", "MikroTik"),
    ]
    return "\n".join(f"{k:>21}: {v}" for k, v in rows) + "\n"


def _wireless_print(ctx: CliSession, args: Args) -> str:
    cfg = ctx.state.running
    lines = ["Flags: X - disabled, R - running "]
    for number, (name, r, s) in enumerate(_interfaces(cfg)):
        radio, ssid = cfg.radios[r], cfg.ssids[s]
        flag = "R" if radio.enabled and ssid.enabled else "X"
        lines.append(
            f' {number:>2}  {flag} name="{name}" mode=ap-bridge ssid="{ssid.name}" '
            f"band={_BANDS.get(radio.band, radio.band)} frequency={frequency_mhz(radio)} "
            f"channel-width=20mhz tx-power={radio.tx_power_dbm} tx-power-mode=all-rates-fixed "
            f"vlan-mode=use-tag vlan-id={ssid.vlan}"
        )
    return "\n".join(lines) + "\n"


def _count(ctx: CliSession, args: Args) -> str:
    return f"{sum(ctx.client_counts().values())}\n"


def _registrations(ctx: CliSession, args: Args) -> str:
    counts = ctx.client_counts()
    cfg = ctx.state.running
    lines: list[str] = []
    for name, r, s in _interfaces(cfg):
        band, ssid = cfg.radios[r].band, cfg.ssids[s].name
        for client in ctx.client_ids(band, ssid, clients_for(counts, band, ssid)):
            lines.append(
                f" {len(lines)} interface={name} mac-address={client.mac.upper()} ap=no wds=no "
                f'bridge=no rx-rate="54Mbps" tx-rate="65Mbps" uptime=1h2m3s '
                f"last-ip={client.ip}"
            )
    return "\n".join(lines) + "\n" if lines else ""


def _wireless_set(ctx: CliSession, args: Args) -> str:
    _, radio_index, ssid_index = _find(ctx.state, args.str("target"))
    state = ctx.state
    for token in tokenize(args.str("settings")):
        key, _, value = token.text.partition("=")
        value = value.strip('"')
        if key == "ssid":
            changes.rename_ssid(state, state.running.ssids[ssid_index].name, value)
        elif key in ("frequency", "channel") and value.isdigit():
            band = state.running.radios[radio_index].band
            number = int(value)
            channel = channel_from_mhz(band, number) if key == "frequency" else number
            changes.set_channel(state, radio_index, channel)
        elif key == "tx-power" and value.isdigit():
            changes.set_tx_power(state, radio_index, int(value))
        elif key == "vlan-id" and value.isdigit():
            changes.set_ssid_vlan(state, state.running.ssids[ssid_index].name, int(value))
        elif key == "disabled" and value in ("yes", "no"):
            changes.set_radio_enabled(state, radio_index, value == "no")
        elif key not in ("tx-power-mode", "vlan-mode", "mode", "band", "channel-width"):
            raise changes.ChangeRejected(f"input does not match any value of {key}")
    state.save()  # RouterOS persists every change at once
    return ""


def _quoted(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ' "[]=') else value


def _export(ctx: CliSession, args: Args) -> str:
    s = ctx.state
    cfg = s.running
    lines = [f"# by RouterOS {s.firmware}", f"# model = {s.model}", f"# serial number = {s.serial}"]
    lines.append("/interface wireless")
    for name, r, i in _interfaces(cfg):
        radio, ssid = cfg.radios[r], cfg.ssids[i]
        head = f"set [ find default-name={name} ]"
        if i:
            head = f"add master-interface=wlan{r + 1} name={name}"
        lines.append(
            f"{head} band={_BANDS.get(radio.band, radio.band)} "
            f"disabled={'no' if radio.enabled else 'yes'} frequency={frequency_mhz(radio)} "
            f"mode=ap-bridge ssid={_quoted(ssid.name)} tx-power={radio.tx_power_dbm} "
            f"tx-power-mode=all-rates-fixed vlan-id={ssid.vlan} vlan-mode=use-tag"
        )
    secrets = lab_secrets(s.ap_id)
    lines += ["/radius", f"add address=10.10.0.5 secret={secrets.radius_key} service=wireless"]
    lines += ["/snmp community", f"set [ find default=yes ] name={secrets.snmp_community}"]
    lines += ["/system identity", f"set name={cfg.hostname}"]
    return "\n".join(lines) + "\n"


def _reboot(ctx: CliSession, args: Args) -> None:
    def answer(typed: str) -> str | None:
        if typed.strip().lower() == "y":
            ctx.reload()
            return "system will reboot shortly\n"
        return "action cancelled\n"

    ctx.ask("Reboot, yes? [y/N]: ", answer, echo=True)


def _fetch(ctx: CliSession, args: Args) -> str:
    url = args.str("url")
    host = url.split("://", 1)[-1].split("/", 1)[0]
    try:
        firmware.stage(ctx.state, url)  # an .npk in the files is installed at the next boot
    except firmware.UnknownImage:
        return (
            "      status: failed\n\n"
            f'failure: closing connection: <404 Not Found "{firmware.image_name(url)}"> '
            f"{host}:80 (4)\n"
        )
    return (
        "      status: finished\n  downloaded: 12288KiB\n       total: 12288KiB\n    duration: 1s\n"
    )


def _identity_set(ctx: CliSession, args: Args) -> None:
    changes.set_hostname(ctx.state, args.str("name"))
    ctx.state.save()


_MAIN = (
    Command("/system resource print", _resource),
    Command("/system identity print", lambda c, a: f"  name: {c.state.running.hostname}\n"),
    Command("/system identity set name=<name>", _identity_set),
    Command(
        "/system routerboard print",
        lambda c, a: (
            f"       routerboard: yes\n             model: {c.state.model}\n"
            f"     serial-number: {c.state.serial}\n  current-firmware: {c.state.firmware}\n"
        ),
    ),
    Command("/interface wireless print", _wireless_print),
    Command("/interface wireless registration-table print count-only", _count),
    Command("/interface wireless registration-table print", _registrations),
    Command("/interface wireless set <target> <settings...>", _wireless_set),
    Command("/export", _export),
    Command("/export compact", _export),
    Command("/system reboot", _reboot),
    Command("/tool fetch url=<url>", _fetch),
    Command("quit", lambda c, a: c.close()),
)


def _column(site: ErrorSite) -> str:
    return f"(line 1 column {site.column + 1})"


_VERBS = frozenset(("print", "set", "add", "remove", "export", "reboot", "count-only"))


def _invalid(site: ErrorSite) -> str:
    words = site.line[: site.column].split()
    if "=" not in site.token and not _VERBS.intersection(words):
        return f"bad command name {site.token.lstrip('/')} {_column(site)}\n"
    return f"expected end of command {_column(site)}\n"


DIALECT = Dialect(
    platform="mikrotik_routeros",
    netmiko_device_type="mikrotik_routeros",
    modes={"main": Mode("main", "[{user}@{hostname}] > ", _MAIN)},
    initial_mode="main",
    errors=ErrorStyle(
        invalid=_invalid,
        incomplete=lambda site: f"syntax error {_column(site)}\n",
        ambiguous=lambda site: f"ambiguous value of command {_column(site)}\n",
        rejected=lambda reason: f"failure: {reason}\n",
    ),
    abbreviations=True,
    banner="\n\n  MikroTik RouterOS (c) 1999-2024       https://www.mikrotik.com/\n\n",
    user_suffix_separator="+",
    reads=frozenset(
        {
            "/system resource print",
            "/system identity print",
            "/system routerboard print",
            "/interface wireless print",
            "/interface wireless registration-table print count-only",
            "/interface wireless registration-table print",
            "/export",
            "/export compact",
        }
    ),
)
