"""The programme's status: every AP's row, counts per district and quarter, totals vs target.

Reads everything once: the rollout store's sightings (one query), and for the installed APs
only their 29 days around the install from the ledger copy and the store (indexed lookups),
so a 34,280-AP fleet with its 730 programme APs answers in well under 2 s
(``benchmarks/bench_rollout.py``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collector.inventory.model import AccessPoint
from collector.ledger.mirror import LedgerMirror
from collector.ledger.stored import FIELDS
from collector.profiles import Profile
from collector.rollout.plan import TARGETS, Kind, plan_items
from collector.rollout.quarters import DAY_S, Quarter, kst_day
from collector.rollout.state import (
    WINDOW_DAYS,
    ApRollout,
    Day,
    DaysAround,
    Figures,
    State,
    evaluate,
)
from collector.rollout.store import RolloutStore

COUNTED = (
    State.PLANNED,
    State.DUE,
    State.OVERDUE,
    State.INSTALLED,
    State.VERIFIED,
    State.REGRESSED,
    State.DRIFT,
)
_I = {name: FIELDS.index(name) for name in ("rx_bytes", "tx_bytes", "sessions", "polls")}
_UP = FIELDS.index("polls_up")


@dataclass(slots=True)
class Cell:
    """One district x quarter (or a total): APs in the plan, and how many are in each state."""

    planned: int = 0  # APs the plan puts here (all states)
    states: Counter[str] = field(default_factory=Counter)

    def add(self, state: State) -> None:
        self.planned += 1
        self.states[state.value] += 1

    @property
    def done(self) -> int:
        """Installed in any form (installed, verified, regressed)."""
        return sum(self.states[s] for s in ("installed", "verified", "regressed"))

    def as_dict(self) -> dict[str, int]:
        out = {"planned_aps": self.planned}
        out.update({state.value: self.states[state.value] for state in COUNTED})
        return out


@dataclass(slots=True)
class RolloutStatus:
    now: float
    rows: list[ApRollout]
    cells: dict[tuple[str, str], Cell]  # (district code, quarter) -> cell
    totals: dict[str, Cell]  # kind -> cell
    targets: dict[str, int]  # kind -> the press release's figure (empty if none)
    drift_outside: int  # drifting APs outside the programme
    sites: dict[str, tuple[Figures | None, Figures | None]]  # site -> (before, after)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "totals": {
                kind: {**cell.as_dict(), "target": self.targets.get(kind)}
                for kind, cell in self.totals.items()
            },
            "drift_outside_programme": self.drift_outside,
            "cells": [
                {"district": d, "quarter": q, **cell.as_dict()}
                for (d, q), cell in sorted(self.cells.items())
            ],
            "aps": [row.as_dict() for row in self.rows],
        }


def standards_of(profiles: Mapping[str, Profile]) -> dict[str, str]:
    """Model name -> Wi-Fi standard, from every profile's ``models``."""
    return {m: info.standard for p in profiles.values() for m, info in p.models.items()}


def rollout_status(
    inventory: Iterable[AccessPoint],
    store: RolloutStore | None,
    mirror: LedgerMirror | None,
    profiles: Mapping[str, Profile],
    now: float,
    *,
    district: str | None = None,
    quarter: str | None = None,
) -> RolloutStatus:
    """The status of the programme over the APs of ``inventory`` (any iterable: read once)."""
    aps = tuple(inventory)
    standards = standards_of(profiles)
    sightings = store.sightings() if store is not None else {}
    items = {item.ap.id: item for item in plan_items(aps)}
    wanted_quarter = Quarter.parse(quarter) if quarter else None
    rows: list[ApRollout] = []
    cells: dict[tuple[str, str], Cell] = {}
    totals: dict[str, Cell] = {kind.value: Cell() for kind in Kind}
    drift_outside = 0
    fetched: dict[str, dict[int, Day]] = {}  # the ledger days read per AP, reused per site
    for ap in aps:
        if district is not None and ap.district.code != district:
            continue
        item = items.get(ap.id)
        seen = sightings.get(ap.id, [])
        if any(s.last_seen > now for s in seen):  # as of an earlier time: what was seen by then
            seen = [s._replace(last_seen=now) if s.last_seen > now else s
                    for s in seen if s.first_seen <= now]  # fmt: skip
        if item is None and all(s.model in ("", ap.model) for s in seen):
            continue  # outside the programme and answering as itself: nothing to show
        if wanted_quarter is not None and (item is None or item.quarter != wanted_quarter):
            continue
        # the ledger days around the install, read only once evaluate() has found one
        days: Mapping[int, Day] | DaysAround = (
            {} if mirror is None else functools.partial(_fetch, ap.id, store, mirror, fetched)
        )
        row = evaluate(ap, item, seen, days, now, standards)
        if row is None:
            continue
        rows.append(row)
        if item is None:
            drift_outside += 1
            continue
        cells.setdefault((ap.district.code, item.quarter.label), Cell()).add(row.state)
        totals[item.kind.value].add(row.state)
    years = {item.quarter.year for item in items.values()}
    targets = dict(TARGETS[2025]) if years == {2025} and district is None and not quarter else {}
    return RolloutStatus(
        now,
        rows,
        cells,
        totals,
        targets,
        drift_outside,
        _site_figures(rows, store, mirror, fetched),
    )


def _fetch(
    ap_id: str,
    store: RolloutStore | None,
    mirror: LedgerMirror,
    fetched: dict[str, dict[int, Day]],
    install_day: int,
) -> dict[int, Day]:
    """The AP's ledger days around its install day, kept in ``fetched`` for the site figures."""
    days = window_days(ap_id, install_day, store, mirror)
    if days:
        fetched[ap_id] = days
    return days


def window_days(
    ap_id: str, install_day: int, store: RolloutStore | None, mirror: LedgerMirror
) -> dict[int, Day]:
    keys = [install_day + k * DAY_S for k in range(-WINDOW_DAYS, WINDOW_DAYS + 1)]
    ledger = mirror.ap_days(ap_id, keys)
    peaks = store.days_of(ap_id, keys) if store is not None else {}
    out: dict[int, Day] = {}
    for day, values in ledger.items():
        peak = peaks.get(day)
        out[day] = Day(
            day,
            values[_I["rx_bytes"]],
            values[_I["tx_bytes"]],
            values[_I["sessions"]],
            values[_I["polls"]],
            values[_UP],
            peak.peak_clients if peak is not None else None,
        )
    return out


def _site_figures(
    rows: Sequence[ApRollout],
    store: RolloutStore | None,
    mirror: LedgerMirror | None,
    fetched: Mapping[str, dict[int, Day]],
) -> dict[str, tuple[Figures | None, Figures | None]]:
    """Per site with an installed AP: its programme APs' days summed, around the first install."""
    if mirror is None:
        return {}
    by_site: dict[str, list[ApRollout]] = {}
    for row in rows:
        if row.installed_at is not None and row.kind is not None:
            by_site.setdefault(row.site, []).append(row)
    out: dict[str, tuple[Figures | None, Figures | None]] = {}
    for site, members in by_site.items():
        first = kst_day(min(r.installed_at for r in members if r.installed_at is not None))
        summed: dict[int, list[int]] = {}
        peaks: dict[int, int] = {}
        for row in members:
            same = row.installed_at is not None and kst_day(row.installed_at) == first
            held = fetched.get(row.ap_id) if same else None
            if held is None:
                held = window_days(row.ap_id, first, store, mirror)
            for day, d in held.items():
                acc = summed.setdefault(day, [0, 0, 0, 0, 0])
                for i, v in enumerate((d.rx_bytes, d.tx_bytes, d.sessions, d.polls, d.polls_up)):
                    acc[i] += v
                if d.peak_clients is not None:
                    peaks[day] = peaks.get(day, 0) + d.peak_clients
        days = {k: Day(k, v[0], v[1], v[2], v[3], v[4], peaks.get(k)) for k, v in summed.items()}
        before = [days[k] for k in sorted(days) if k < first]
        after = [days[k] for k in sorted(days) if k > first and k in _after_keys(members)]
        out[site] = (Figures.of(before), Figures.of(after))
    return out


def _after_keys(members: Sequence[ApRollout]) -> set[int]:
    """The after-days every member has (so a site's after-figures compare like with like)."""
    common: set[int] | None = None
    for row in members:
        keys = set(row.days_after)
        common = keys if common is None else common & keys
    return common or set()
