"""Settings: the only module that reads the environment (besides ``${ENV}`` secret references).

Sources, later wins: built-in defaults -> optional TOML file (``PUBWIFI_CONFIG`` or
``--config``) -> ``PUBWIFI_*`` environment variables. Secrets are :class:`Secret` and print
redacted. There is no usable default web secret key outside tests.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from collector.errors import InputError
from collector.secrets import Secret

InfluxFlavour = Literal["v1", "v2"]


@dataclass(frozen=True, slots=True)
class InfluxSettings:
    url: str = "http://127.0.0.1:8086"
    flavour: InfluxFlavour = "v1"  # v1: /write + /query; v2: influxdb-client, token/org/bucket
    database: str = "pubwifi"  # v1 database (v2: the bucket's DBRP mapping for InfluxQL)
    token: Secret | None = None  # v2/v3
    org: str = "pubwifi"
    bucket: str = "pubwifi"
    username: str | None = None  # v1 with auth enabled
    password: Secret | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var")
    inventory: Path = Path("inventory.yaml")
    influx: InfluxSettings = field(default_factory=InfluxSettings)
    prometheus_port: int = 9090
    metrics_port: int = 9108  # the collector's own /metrics
    traps_metrics_port: int = 9163  # the trap receiver's /metrics (pubwifi traps)
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_secret_key: Secret | None = None
    poll_interval_s: int = 300
    poll_timeout_s: float = 2.0
    poll_concurrency: int = 256
    ssh_interval_s: int = 6 * 3600  # each AP's SSH collection, spread over this interval
    ssh_timeout_s: float = 30.0  # per-AP deadline: login, every command, logout
    ssh_concurrency: int = 64  # sessions at once (threads: netmiko is blocking)
    spool_cap_bytes: int = 2 * 1024**3  # past it, the oldest spooled lines are dropped (counted)
    tariffs: Path | None = None  # a tariff book replacing the packaged one (collector/savings)
    alerts: Path | None = None  # alert rules replacing the packaged ones (collector/alerts)

    def require_web_secret_key(self) -> Secret:
        if self.web_secret_key is None:
            raise InputError.at(
                "environment", 0, "PUBWIFI_WEB_SECRET_KEY is not set (there is no default key)"
            )
        return self.web_secret_key


_ENV: dict[str, tuple[str, ...]] = {
    "PUBWIFI_DATA_DIR": ("data_dir",),
    "PUBWIFI_INVENTORY": ("inventory",),
    "PUBWIFI_INFLUX_URL": ("influx", "url"),
    "PUBWIFI_INFLUX_FLAVOUR": ("influx", "flavour"),
    "PUBWIFI_INFLUX_DATABASE": ("influx", "database"),
    "PUBWIFI_INFLUX_TOKEN": ("influx", "token"),
    "PUBWIFI_INFLUX_ORG": ("influx", "org"),
    "PUBWIFI_INFLUX_BUCKET": ("influx", "bucket"),
    "PUBWIFI_INFLUX_USERNAME": ("influx", "username"),
    "PUBWIFI_INFLUX_PASSWORD": ("influx", "password"),
    "PUBWIFI_PROMETHEUS_PORT": ("prometheus_port",),
    "PUBWIFI_METRICS_PORT": ("metrics_port",),
    "PUBWIFI_TRAPS_METRICS_PORT": ("traps_metrics_port",),
    "PUBWIFI_WEB_HOST": ("web_host",),
    "PUBWIFI_WEB_PORT": ("web_port",),
    "PUBWIFI_WEB_SECRET_KEY": ("web_secret_key",),
    "PUBWIFI_POLL_INTERVAL": ("poll_interval_s",),
    "PUBWIFI_POLL_TIMEOUT": ("poll_timeout_s",),
    "PUBWIFI_POLL_CONCURRENCY": ("poll_concurrency",),
    "PUBWIFI_SSH_INTERVAL": ("ssh_interval_s",),
    "PUBWIFI_SSH_TIMEOUT": ("ssh_timeout_s",),
    "PUBWIFI_SSH_CONCURRENCY": ("ssh_concurrency",),
    "PUBWIFI_SPOOL_CAP_BYTES": ("spool_cap_bytes",),
    "PUBWIFI_TARIFFS": ("tariffs",),
    "PUBWIFI_ALERTS": ("alerts",),
}
_SECRET_FIELDS = {"token", "password", "web_secret_key"}
_POSITIVE_INT_FIELDS = {"spool_cap_bytes", "ssh_interval_s", "ssh_concurrency"}


def _coerce(where: str, name: str, current: object, raw: object) -> object:
    if name in _SECRET_FIELDS:
        if not isinstance(raw, str) or not raw:
            raise InputError.at(where, 0, f"{name}: expected a non-empty string")
        return Secret(raw)
    if name in _POSITIVE_INT_FIELDS:
        return _positive_int(where, name, raw)
    if name in ("tariffs", "alerts"):
        if not isinstance(raw, str) or not raw:
            raise InputError.at(where, 0, f"{name}: expected a file path")
        return Path(raw)
    if name == "flavour":
        if raw not in ("v1", "v2"):
            raise InputError.at(where, 0, f"{name}: expected 'v1' or 'v2', got {raw!r}")
        return raw
    try:
        if isinstance(current, Path):
            return Path(str(raw))
        if isinstance(current, bool):
            raise TypeError
        if isinstance(current, int):
            return int(str(raw))
        if isinstance(current, float):
            return float(str(raw))
    except (TypeError, ValueError):
        kind = type(current).__name__
        raise InputError.at(where, 0, f"{name}: expected {kind}, got {raw!r}") from None
    return str(raw)


def _positive_int(where: str, name: str, raw: object) -> int:
    """A whole number of at least 1, from TOML (an integer) or the environment (digits)."""
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or value < 1:
        raise InputError.at(where, 0, f"{name}: expected a positive integer, got {raw!r}")
    return value


def _apply(settings: Settings, path: tuple[str, ...], raw: object, where: str) -> Settings:
    if len(path) == 1:
        current = getattr(settings, path[0])
        changes: dict[str, Any] = {path[0]: _coerce(where, path[0], current, raw)}
        return replace(settings, **changes)
    influx = settings.influx
    current = getattr(influx, path[1])
    value = _coerce(where, path[1], current if current is not None else "", raw)
    influx_changes: dict[str, Any] = {path[1]: value}
    return replace(settings, influx=replace(influx, **influx_changes))


def _from_file(settings: Settings, path: Path) -> Settings:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError.at(str(path), 0, f"cannot read settings: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError.at(str(path), 0, f"not valid TOML: {error}") from None
    top = {f.name for f in fields(Settings)} - {"influx"}
    for key, value in data.items():
        if key == "influx" and isinstance(value, dict):
            known = {f.name for f in fields(InfluxSettings)}
            for sub, subvalue in value.items():
                if sub not in known:
                    raise InputError.at(str(path), 0, f"influx.{sub}: unknown setting")
                settings = _apply(settings, ("influx", sub), subvalue, str(path))
        elif key in top:
            settings = _apply(settings, (key,), value, str(path))
        else:
            raise InputError.at(str(path), 0, f"{key}: unknown setting")
    return settings


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Settings from defaults, then the config file, then ``PUBWIFI_*`` variables."""
    env = os.environ if environ is None else environ
    settings = Settings()
    file = config_file or (Path(env["PUBWIFI_CONFIG"]) if env.get("PUBWIFI_CONFIG") else None)
    if file is not None:
        settings = _from_file(settings, file)
    for name, path in _ENV.items():
        if env.get(name):
            settings = _apply(settings, path, env[name], f"${name}")
    return settings
