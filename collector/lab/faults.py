"""Fault injection: which APs misbehave, how, and when.

A rule targets one AP (``ap``) or a seeded fraction of the fleet (``fraction`` + ``seed``:
an AP is picked when ``hash(seed, kind, AP id) < fraction``, so the same APs fail every run).
From flags: ``--fault KIND:TARGET[:key=value...]``, e.g. ``--fault down:AP-11110-00001``,
``--fault reboot:0.01:every_minutes=30``, ``--fault slow:0.05:delay_seconds=4``.
From a file (strict YAML, ``FILE:LINE`` errors)::

    faults:
      - {kind: counter32_wrap, fraction: 0.02, seed: 7, wrap_minutes: 10}
      - {kind: reboot, ap: AP-11680-00012, at: 2025-03-01T09:00:00+09:00}

Kinds: down, slow, malformed, truncated (how the agent answers); reboot, discontinuity (at a
time and/or every N minutes); link_flap (at a time and/or every N minutes the AP's wired uplink
goes down for ``down_seconds``, default 30: its ifOperStatus reads down(2) and ifLastChange moves,
then it comes back up); counter32_wrap (octet counters start ``wrap_minutes`` of traffic
short of 2^32); swapped_to_wifi6 (from ``at``, default the lab's start: the vendor's Wi-Fi 6
model, counters restart); goes_live (``at`` required: a new AP that nobody answers for before
``at`` and that boots at ``at``, as a new install starting to answer); hostile_strings (over
SNMP the AP reports entries of :data:`collector.lab.hostile.XSS_CORPUS` as its sysName, model
and firmware, and in its sysDescr; which entries is fixed by ``seed`` and the AP id); for the
SSH server: ssh_login_fails (every login refused), ssh_hangs (the session opens, then nothing),
ssh_host_key_changed (the AP serves another Ed25519 key, derived from (seed, AP id, "rotated"):
a replaced or impersonated AP, which a client must refuse before sending a password),
ssh_cli_error (login works, every read command answers with the platform's invalid-input error),
ssh_garbage (read commands answer with deterministic junk and mojibake, the prompt still comes
back). With ``pubwifi lab --trap-receiver HOST:PORT`` the APs also send the SNMP notifications
of their faults (:mod:`collector.lab.notify`): coldStart when a reboot fires, linkDown then
linkUp for a link_flap, authenticationFailure on a request with a wrong community or unknown
user. Ground truth is unaffected: faults change what the devices report, not the traffic the
model carried.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from collector.errors import InputError
from collector.lab.traffic import unit_hash
from collector.yamlstrict import load_yaml, locate_validation_error


class FaultKind(enum.StrEnum):
    DOWN = "down"
    SLOW = "slow"
    MALFORMED = "malformed"
    TRUNCATED = "truncated"
    REBOOT = "reboot"
    DISCONTINUITY = "discontinuity"
    COUNTER32_WRAP = "counter32_wrap"
    SWAPPED_TO_WIFI6 = "swapped_to_wifi6"
    GOES_LIVE = "goes_live"
    HOSTILE_STRINGS = "hostile_strings"
    SSH_LOGIN_FAILS = "ssh_login_fails"
    SSH_HANGS = "ssh_hangs"
    SSH_HOST_KEY_CHANGED = "ssh_host_key_changed"
    SSH_CLI_ERROR = "ssh_cli_error"
    SSH_GARBAGE = "ssh_garbage"
    LINK_FLAP = "link_flap"


TIMED = frozenset({FaultKind.REBOOT, FaultKind.DISCONTINUITY, FaultKind.LINK_FLAP})


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    ap: str | None = None
    fraction: float | None = Field(default=None, gt=0, le=1)
    seed: int = 0
    at: dt.datetime | float | None = None  # a time (ISO 8601 or epoch seconds)
    every_minutes: float | None = Field(default=None, gt=0)
    delay_seconds: float = Field(default=3.0, ge=0, le=120)  # slow
    wrap_minutes: float = Field(default=10.0, gt=0)  # counter32_wrap
    down_seconds: float = Field(default=30.0, gt=0, le=86_400)  # link_flap

    @model_validator(mode="after")
    def _one_target(self) -> FaultRule:
        if (self.ap is None) == (self.fraction is None):
            raise ValueError("give exactly one of 'ap' (an AP id) or 'fraction' (0-1]")
        if self.kind is FaultKind.GOES_LIVE and self.at is None:
            raise ValueError("goes_live needs 'at' (when the new AP starts to answer)")
        if self.kind in TIMED and self.at is None and self.every_minutes is None:
            raise ValueError(f"{self.kind.value} needs 'at' (a time) or 'every_minutes'")
        if (
            self.kind is FaultKind.LINK_FLAP
            and self.every_minutes is not None
            and self.down_seconds >= self.every_minutes * 60
        ):
            raise ValueError("link_flap: 'down_seconds' must be shorter than 'every_minutes'")
        return self

    @property
    def at_epoch(self) -> float | None:
        """``at`` as epoch seconds (None without ``at``)."""
        if self.at is None:
            return None
        if isinstance(self.at, dt.datetime):
            if self.at.tzinfo is None:
                raise ValueError("'at' needs a timezone, e.g. 2025-03-01T09:00:00+09:00")
            return self.at.timestamp()
        return float(self.at)

    def selects(self, ap_id: str) -> bool:
        if self.ap is not None:
            return self.ap == ap_id
        assert self.fraction is not None
        return unit_hash(self.seed, ap_id, f"fault:{self.kind.value}") < self.fraction


class FaultFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    faults: list[FaultRule]


class FaultPlan:
    """All rules; ``for_ap`` tells which apply to one AP."""

    def __init__(self, rules: Sequence[FaultRule] = ()) -> None:
        self.rules = tuple(rules)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def for_ap(self, ap_id: str) -> list[FaultRule]:
        return [rule for rule in self.rules if rule.selects(ap_id)]

    def unknown_aps(self, ap_ids: set[str]) -> list[str]:
        return [r.ap for r in self.rules if r.ap is not None and r.ap not in ap_ids]


def parse_flag(text: str) -> FaultRule:
    """``KIND:TARGET[:key=value...]`` -> a rule; bad flags raise InputError."""
    parts = text.split(":")
    if len(parts) < 2:
        raise InputError.at("--fault", 0, f"{text!r}: expected KIND:AP_ID or KIND:FRACTION")
    kind, target, *options = parts
    fields: dict[str, object] = {"kind": kind}
    try:
        fields["fraction"] = float(target)
    except ValueError:
        fields["ap"] = target
    for option in options:
        key, sep, value = option.partition("=")
        if not sep:
            raise InputError.at("--fault", 0, f"{text!r}: option {option!r} is not key=value")
        fields[key] = value
    try:
        return FaultRule.model_validate(fields)
    except Exception as error:
        messages = getattr(error, "errors", None)
        detail = (
            "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'fault'}: {e['msg']}"
                for e in messages(include_url=False)
            )
            if messages
            else str(error)
        )
        raise InputError.at("--fault", 0, f"{text!r}: {detail}") from None


def load_fault_file(path: Path) -> list[FaultRule]:
    document = load_yaml(path)
    try:
        return list(FaultFile.model_validate(document.data).faults)
    except Exception as error:
        raise locate_validation_error(document, error) from None


def build_plan(paths: Path | Sequence[Path] | None, flags: Sequence[str]) -> FaultPlan:
    """The rules of the fault file(s), in order, then those of the flags."""
    files = [] if paths is None else [paths] if isinstance(paths, Path) else list(paths)
    rules = [rule for path in files for rule in load_fault_file(path)]
    rules += [parse_flag(flag) for flag in flags]
    return FaultPlan(rules)
