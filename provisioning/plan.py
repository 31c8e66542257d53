"""Planning a change: which APs, what each gets, what its config will look like. Touches no device.

Per AP the plan holds the rendered commands, undo and save steps, the current and target values,
the expectation, and a unified diff from the AP's last backed-up (masked) running-config to the
config predicted after the change (:func:`provisioning.intents.predict`). Flags say why a plan
may not be trusted as is:

- ``no_facts``: no SSH facts yet, so nothing can be rendered (apply skips the AP);
- ``no_backup``: no backed-up config, so no diff and no drift check;
- ``stale_backup``: the backup was last confirmed more than 24 h ago. The config repository
  commits only *changed* configs, so a backup is confirmed by every later successful sweep
  (which reads the running-config): confirmed = max(commit time, facts collected_at);
- ``drift``: the latest facts disagree with the backup (its expectation for the current
  values does not match the backup text);
- ``no_change``: already at the target (apply skips it); ``outside_window``: ``now`` is outside
  the change's window; ``unrenderable``: the AP cannot take the change (``problems`` says why);
  ``no_prediction``: no diff could be predicted (raw change, or the backup lacks the lines).

Wave order: APs are sorted by SHA-256 of ``"<change name>\\0<ap id>"``: stable for a change (plan
and apply agree, a re-plan does not reshuffle) yet different per change, and uncorrelated with
ids, so the canary lands spread over districts and platforms rather than on the first district.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.errors import InputError, Problem
from collector.inventory.model import AccessPoint, Inventory
from collector.ssh.configrepo import ConfigRepo, ConfigVersion
from collector.ssh.factstore import FactStore, StoredFacts
from provisioning import intents
from provisioning.change import Change, Raw, Select, Waves
from provisioning.intents import Expectation, PredictError, TargetError, Unrenderable
from provisioning.variables import ap_context

STALE_AFTER_S = 24 * 3600
_FLAGS = (
    "no_facts",
    "no_backup",
    "stale_backup",
    "drift",
    "no_change",
    "outside_window",
    "unrenderable",
    "no_prediction",
)
_SKIP = frozenset(("no_facts", "no_change", "unrenderable"))


@dataclass(frozen=True, slots=True)
class ApPlan:
    ap_id: str
    platform: str
    commands: tuple[str, ...]
    undo: tuple[str, ...]
    save: tuple[str, ...]
    current: dict[str, str]
    target: dict[str, str]
    expect: Expectation
    diff: str
    flags: frozenset[str]
    problems: tuple[str, ...] = ()
    config_mode: bool = True
    undo_expect: Expectation = field(default_factory=Expectation)
    backup_commit: str | None = None

    @property
    def to_apply(self) -> bool:
        """Whether apply pushes to this AP (not skipped as no_facts/no_change/unrenderable)."""
        return not (self.flags & _SKIP)

    def as_json(self) -> dict[str, Any]:
        return {
            "ap_id": self.ap_id,
            "platform": self.platform,
            "commands": list(self.commands),
            "undo": list(self.undo),
            "save": list(self.save),
            "config_mode": self.config_mode,
            "current": self.current,
            "target": self.target,
            "expect": self.expect.as_json(),
            "undo_expect": self.undo_expect.as_json(),
            "diff": self.diff,
            "flags": sorted(self.flags),
            "problems": list(self.problems),
            "backup_commit": self.backup_commit,
            "to_apply": self.to_apply,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    change: Change
    aps: tuple[ApPlan, ...]
    now: float

    def ap(self, ap_id: str) -> ApPlan:
        return next(p for p in self.aps if p.ap_id == ap_id)

    @property
    def to_apply(self) -> list[str]:
        return [p.ap_id for p in self.aps if p.to_apply]

    def waves(self, ap_ids: Iterable[str] | None = None) -> list[list[str]]:
        """``ap_ids`` (default: those to apply) in waves: ``canary`` APs, then each percentage
        of the rest (rounded up, never empty; the last wave takes whatever is left)."""
        chosen = self.to_apply if ap_ids is None else ap_ids
        return waves(self.change.name, chosen, self.change.waves)

    def flag_counts(self) -> dict[str, int]:
        counted = Counter(flag for p in self.aps for flag in p.flags)
        return {flag: counted[flag] for flag in _FLAGS if counted[flag]}

    def as_json(self) -> dict[str, Any]:
        c = self.change
        return {
            "change": c.name,
            "reason": c.reason,
            "path": c.path,
            "kind": c.kind,
            "planned_at": self.now,
            "selected": len(self.aps),
            "to_apply": len(self.to_apply),
            "flags": self.flag_counts(),
            "waves": self.waves(),
            "error_budget": c.error_budget.model_dump(),
            "window": c.window.model_dump() if c.window else None,
            "verify": c.verify.model_dump(),
            "aps": [p.as_json() for p in self.aps],
        }

    def summary_lines(self) -> list[str]:
        c = self.change
        sizes = [len(w) for w in self.waves()]
        lines = [
            f"change {c.name} ({c.kind}): {c.reason}",
            f"{len(self.aps)} APs selected, {len(self.to_apply)} to change",
        ]
        lines += [f"  {flag}: {n}" for flag, n in self.flag_counts().items()]
        if sizes:
            lines.append(f"waves: {' -> '.join(str(n) for n in sizes)} APs")
        budget = c.error_budget
        lines.append(
            f"error budget: halt above {budget.max_failed_percent:g}% failed"
            + ("; halt on a failed verify" if budget.halt_on_verify_failure else "")
        )
        if c.window is not None:
            w = c.window
            lines.append(f"window: {','.join(w.days)} {w.start}-{w.end} KST")
        return lines


def wave_order(name: str, ap_ids: Iterable[str]) -> list[str]:
    return sorted(ap_ids, key=lambda ap_id: hashlib.sha256(f"{name}\0{ap_id}".encode()).digest())


def waves(name: str, ap_ids: Iterable[str], spec: Waves) -> list[list[str]]:
    """``ap_ids`` in wave order (:func:`wave_order`) cut into ``spec``'s waves."""
    ordered = wave_order(name, ap_ids)
    if not ordered:
        return []
    canary = ordered[: spec.canary]
    rest = ordered[len(canary) :]
    result = [canary]
    total, start = len(rest), 0
    percents = spec.then
    for number, percent in enumerate(percents):
        if start >= total:
            break
        last = number == len(percents) - 1
        size = total - start if last else max(1, math.ceil(total * percent / 100))
        result.append(rest[start : start + size])
        start += size
    return result


# ---- selection ----------------------------------------------------------------------------------


def select(change: Change, inventory: Inventory) -> list[AccessPoint]:
    """The APs the change's ``select`` names. Unknown districts, sites or ids are errors."""
    s: Select = change.select
    problems: list[Problem] = []

    def unknown(key: str, values: Sequence[object], known: Iterable[str]) -> set[str]:
        wanted = [str(v) for v in values]
        known_set = set(known)
        for index, value in enumerate(wanted):
            if value not in known_set:
                problems.append(change.problem(("select", key, index), f"unknown {key} {value}"))
        return set(wanted)

    districts = unknown("district", s.district, inventory.districts) if s.district else None
    sites = unknown("site", s.site, inventory.sites) if s.site else None
    ids = unknown("ids", s.ids, (ap.id for ap in inventory)) if s.ids else None
    platforms = unknown("platform", s.platform, intents.PLATFORMS) if s.platform else None
    if problems:
        raise InputError(problems)
    mounts = set(s.mount) if s.mount else None
    standards = set(s.standard) if s.standard else None
    statuses = set(s.status) if s.status else None
    chosen = [
        ap
        for ap in inventory
        if (districts is None or ap.district.code in districts)
        and (sites is None or ap.site.id in sites)
        and (ids is None or ap.id in ids)
        and (platforms is None or ap.platform in platforms)
        and (mounts is None or ap.site.mount in mounts)
        and (standards is None or ap.standard in standards)
        and (statuses is None or ap.status in statuses)
    ]
    if not chosen:
        raise InputError(change.problem(("select",), "selects no AP"))
    return chosen


# ---- planning -----------------------------------------------------------------------------------


class _Sources:
    """Facts and backups under ``data_dir``, read-only; absent stores mean 'none yet'."""

    def __init__(self, data_dir: Path) -> None:
        facts_path = Path(data_dir) / "ssh" / "facts.sqlite"
        self.facts = FactStore.in_data_dir(data_dir, readonly=True) if facts_path.exists() else None
        configs = Path(data_dir) / "configs"
        self.repo = ConfigRepo(configs) if (configs / ".git").exists() else None

    def fact(self, ap_id: str) -> StoredFacts | None:
        return self.facts.get(ap_id) if self.facts else None

    def backup(self, ap_id: str) -> ConfigVersion | None:
        return self.repo.show(ap_id) if self.repo else None

    def close(self) -> None:
        if self.facts is not None:
            self.facts.close()


def plan_change(
    change: Change, inventory: Inventory, data_dir: Path, now: float | None = None
) -> Plan:
    """Plan ``change`` over ``inventory`` with the facts and backups in ``data_dir``.

    Raises :class:`InputError` for a bad selection, a hostname change on a platform without
    hostnames, or values that do not render (located at the change's line, with the APs).
    """
    when = time.time() if now is None else now
    chosen = select(change, inventory)
    unsupported = sorted(
        {ap.platform for ap in chosen}
        - {p for p, steps in intents.PLATFORMS.items() if change.kind in steps.kinds}
    )
    if unsupported:
        raise InputError(
            change.problem(
                ("intent", "kind"),
                f"{change.kind} changes are not supported on {', '.join(unsupported)}: "
                "narrow select.platform",
            )
        )
    sources = _Sources(data_dir)
    errors: dict[tuple[str, str], list[str]] = {}
    try:
        plans = []
        for ap in chosen:
            try:
                plans.append(_plan_ap(change, ap, sources, when))
            except TargetError as error:
                errors.setdefault((error.key, error.message), []).append(ap.id)
    finally:
        sources.close()
    if errors:
        raise InputError(
            [
                change.problem(("intent", key), f"{message} (for {_some(ids)})")
                for (key, message), ids in errors.items()
            ]
        )
    return Plan(change, tuple(plans), when)


def _some(ids: list[str]) -> str:
    head = ", ".join(ids[:3])
    return head if len(ids) <= 3 else f"{head} and {len(ids) - 3} more"


def _plan_ap(change: Change, ap: AccessPoint, sources: _Sources, now: float) -> ApPlan:
    stored = sources.fact(ap.id)
    facts = stored.facts if stored else None
    version = sources.backup(ap.id)
    backup = version.text if version else None
    flags: set[str] = set()
    if facts is None:
        flags.add("no_facts")
    if version is None:
        flags.add("no_backup")
    else:
        confirmed = max(version.when, stored.collected_at if stored else 0.0)
        if now - confirmed > STALE_AFTER_S:
            flags.add("stale_backup")
    if change.window is not None and not change.window.contains(now):
        flags.add("outside_window")
    values = ap_context(ap, change.vars)
    wanted = intents.target(change, values)  # TargetError: reported per change line
    try:
        rendered = _render(change, ap, facts, wanted, backup, values)
    except Unrenderable as why:
        if facts is not None:  # without facts, no_facts already says why
            flags.add("unrenderable")
        return ApPlan(
            ap.id,
            ap.platform,
            (),
            (),
            (),
            {},
            wanted,
            Expectation(),
            "",
            frozenset(flags),
            (str(why),),
            backup_commit=version.commit if version else None,
        )
    if intents.state_of(rendered.current) == rendered.target and change.kind != "raw":
        flags.add("no_change")
    diff, problems = "", []
    if backup is not None and facts is not None:
        if rendered.undo_expect.config_problems(backup):
            flags.add("drift")
        diff, problem = _diff(change, ap, facts, rendered, backup)
        if problem:
            flags.add("no_prediction")
            problems.append(problem)
    elif change.kind == "raw":
        flags.add("no_prediction")
    return ApPlan(
        ap_id=ap.id,
        platform=ap.platform,
        commands=rendered.commands,
        undo=rendered.undo,
        save=rendered.save,
        current=rendered.current,
        target=rendered.target,
        expect=rendered.expect,
        diff=diff,
        flags=frozenset(flags),
        problems=tuple(problems),
        config_mode=rendered.config_mode,
        undo_expect=rendered.undo_expect,
        backup_commit=version.commit if version else None,
    )


def render_for(change: Change, ap: AccessPoint, facts: Any, backup: str | None) -> intents.Rendered:
    """The commands, undo and expectation for ``ap`` from facts read just now (apply renders
    again at push time, so the undo restores what the AP really had, not what the plan saw).
    Raises :class:`Unrenderable` or :class:`TargetError`."""
    values = ap_context(ap, change.vars)
    wanted = intents.target(change, values)
    return _render(change, ap, facts, wanted, backup, values)


def _render(
    change: Change,
    ap: AccessPoint,
    facts: Any,
    wanted: dict[str, str],
    backup: str | None,
    values: dict[str, Any],
) -> intents.Rendered:
    search = (str(change.directory / "templates"), str(intents.TEMPLATES))
    intent = change.intent
    if isinstance(intent, Raw):
        if facts is not None:
            values = {
                **values,
                "radios": [_radio(r) for r in facts.radios],
                "ssids": [{"name": s.name, "vlan": s.vlan} for s in facts.ssids],
            }
        try:
            return intents.render_raw(
                ap.platform,
                intent.template,
                intent.undo_template,
                values,
                tuple(intent.present),
                tuple(intent.absent),
                search,
            )
        except Exception as error:  # template errors are the change's: located at its line
            raise TargetError("template", f"raw template for {ap.platform}: {error}") from None
    return intents.render(change.kind, ap.platform, facts, wanted, backup, search=search)


def _radio(radio: Any) -> dict[str, Any]:
    return {
        "name": radio.name,
        "band": radio.band,
        "channel": radio.channel,
        "tx_power_dbm": radio.tx_power_dbm,
    }


def _diff(
    change: Change, ap: AccessPoint, facts: Any, rendered: intents.Rendered, backup: str
) -> tuple[str, str | None]:
    if change.kind == "raw":
        return "", "raw changes have no predicted config"
    try:
        ctx = intents.context(
            change.kind, ap.platform, facts, rendered.current, rendered.target, backup
        )
        predicted = intents.predict(change.kind, ap.platform, backup, ctx)
    except (PredictError, Unrenderable) as error:
        return "", f"cannot predict the config: {error}"
    return unified(ap.id, backup, predicted), None


def unified(ap_id: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{ap_id} (backup)",
            tofile=f"{ap_id} (planned)",
        )
    )
