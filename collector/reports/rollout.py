"""The monthly report's Wi-Fi 6 rollout section (와이파이6 교체·신설), as of the report's end.

The figures are :func:`collector.rollout.status.rollout_status` evaluated at the report's end
(``MonthlyReport.end``: the next month's 1st 00:00 KST, or the as-of hour of a month-to-date
report), so they read as ``pubwifi rollout status --at <that time>`` does, regrouped:

- per kind (교체 replacement, 신설 new) and in all: the APs the inventory's plan has, how many
  are in each state, how many are done (installed, verified or regressed), against the press
  release's targets (:data:`collector.rollout.plan.TARGETS`; only for a 2025 programme);
- per gu (the 25 of :data:`collector.districts.SEOUL_DISTRICTS`, in code order): the status
  cells of its quarters added up;
- the programme APs whose planned model first answered during the report's period, with the
  before/after figures of :mod:`collector.rollout.state` (traffic per day, poll success...).

**What "as of the end" can and cannot mean.** The observations are what the rollout store has
when the report is made: per AP and model the first and the last time it answered, and per day
the peak client count; the ledger's daily copy holds the bytes and polls. A revision of an old
month is evaluated with the store's sightings as they stood at that month's end (sightings that
began later are left out, last-seen times are cut at the end: :class:`StoreAsOf`), so an AP
installed in a later month is not counted as installed in it, and only days closed by the end
count for a verdict. But the store keeps first and last sightings, not every poll, so what was
never recorded (a data directory that was lost, a store started after the month) cannot be
recovered, and a ledger day rolled up again later is read as it is now.

The store is found beside the ledger copy (``DATA_DIR/ledger/ledger.sqlite`` ->
``DATA_DIR/rollout/rollout.sqlite``) unless one is given: every caller of the report already
hands it the copy of its data directory. Without a store the plan still shows (planned, due,
overdue) but nothing can be seen installed; without the copy there are no before/after figures;
the section says so in each case.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from collector.districts import DISTRICTS_BY_CODE, SEOUL_DISTRICTS
from collector.inventory.model import AccessPoint
from collector.ledger.mirror import FILE_NAME as LEDGER_FILE
from collector.ledger.mirror import LedgerMirror
from collector.profiles import Profile, load_profiles
from collector.reports.table import (
    RolloutCounts,
    RolloutDistrict,
    RolloutInstall,
    RolloutKind,
    RolloutSection,
)
from collector.rollout.plan import Kind, plan_items
from collector.rollout.quarters import KST
from collector.rollout.status import Cell, RolloutStatus, rollout_status
from collector.rollout.store import DayObservation, RolloutStore, Sighting

KINDS = tuple(kind.value for kind in Kind)  # replacement, new
ALL = "all"


class StoreAsOf(RolloutStore):
    """A rollout store's observations as they stood at ``now`` (read through, never written).

    Sightings that began at or after ``now`` are left out and last-seen times are cut at
    ``now``; day observations of days from ``now`` on are left out. Only what
    :func:`~collector.rollout.status.rollout_status` reads (``sightings``, ``days_of``) is
    offered: it opens no database of its own (so ``RolloutStore.__init__`` is not called).
    """

    def __init__(self, store: RolloutStore, now: float) -> None:
        self.path = store.path
        self._inner = store
        self._now = now

    def sightings(self) -> dict[str, list[Sighting]]:
        out: dict[str, list[Sighting]] = {}
        for ap_id, seen in self._inner.sightings().items():
            kept = [
                Sighting(s.ap_id, s.source, s.model, s.firmware, s.first_seen,
                         min(s.last_seen, self._now))
                for s in seen
                if s.first_seen < self._now
            ]  # fmt: skip
            if kept:
                out[ap_id] = kept
        return out

    def days_of(self, ap_id: str, days: Sequence[int]) -> dict[int, DayObservation]:
        return {d: o for d, o in self._inner.days_of(ap_id, days).items() if d < self._now}

    def window_totals(self, low: int, high: int) -> dict[str, tuple[int, int]]:
        raise NotImplementedError("StoreAsOf offers what rollout_status reads only")

    def record(self, sightings: Iterable[Sighting], days: Iterable[DayObservation] = ()) -> None:
        raise TypeError("StoreAsOf is read-only")

    def close(self) -> None:
        """Nothing to close: the store read through belongs to the caller."""


def store_beside(mirror: LedgerMirror | None) -> RolloutStore | None:
    """The rollout store of the data directory holding ``mirror``, read-only, if it exists."""
    if mirror is None or mirror.path.name != LEDGER_FILE or mirror.path.parent.name != "ledger":
        return None
    return RolloutStore.existing(mirror.path.parent.parent)


def build_rollout(
    aps: Iterable[AccessPoint],
    start: int,
    end: int,
    *,
    mirror: LedgerMirror | None = None,
    store: RolloutStore | None = None,
    profiles: Mapping[str, Profile] | None = None,
) -> RolloutSection | None:
    """The section for the period ``[start, end)``, as of ``end``; None without a programme.

    ``store``: the rollout store (default: the one beside ``mirror``, :func:`store_beside`).
    """
    fleet = tuple(aps)
    items = plan_items(fleet)
    if not items:
        return None
    opened = store is None
    if store is None:
        store = store_beside(mirror)
    try:
        status = rollout_status(
            fleet,
            StoreAsOf(store, end) if store is not None else None,
            mirror,
            load_profiles() if profiles is None else profiles,
            float(end),
        )
    finally:
        if opened and store is not None:
            store.close()
    return section_of(
        status,
        fleet,
        start,
        end,
        years=tuple(sorted({item.quarter.year for item in items})),
        observed=store is not None,
        ledger=mirror is not None,
    )


def section_of(
    status: RolloutStatus,
    aps: Iterable[AccessPoint],
    start: int,
    end: int,
    *,
    years: tuple[int, ...],
    observed: bool,
    ledger: bool,
) -> RolloutSection:
    """The section from a status (a regrouping: every count is one of the status's)."""
    known = {ap.id: ap for ap in aps}
    installs = []
    for row in status.rows:
        if row.kind is None or row.installed_at is None or not start <= row.installed_at < end:
            continue
        ap = known.get(row.ap_id)
        district = DISTRICTS_BY_CODE.get(row.district)
        installs.append(
            RolloutInstall(
                ap_id=row.ap_id,
                district_code=row.district,
                district_en=district.name_en if district else row.district,
                district_ko=district.name_ko if district else row.district,
                site=row.site,
                site_name=ap.site.name if ap is not None else row.site,
                kind=row.kind,
                quarter=row.quarter or "",
                installed_at=dt.datetime.fromtimestamp(row.installed_at, KST),
                state=row.state.value,
                before=row.before,
                after=row.after,
            )
        )
    installs.sort(key=lambda i: (i.installed_at, i.ap_id))
    by_kind = Counter(i.kind for i in installs)
    by_district = Counter(i.district_code for i in installs)

    kinds = []
    for kind in KINDS:
        cell = status.totals.get(kind, Cell())
        kinds.append(_kind(kind, status.targets.get(kind), cell, by_kind[kind]))
    everything = Cell()
    for kind in KINDS:
        cell = status.totals.get(kind, Cell())
        everything.planned += cell.planned
        everything.states.update(cell.states)
    target = sum(status.targets[k] for k in KINDS if k in status.targets) or None
    kinds.append(_kind(ALL, target, everything, len(installs)))

    cells: dict[str, Cell] = {}
    for (code, _quarter), cell in status.cells.items():
        into = cells.setdefault(code, Cell())
        into.planned += cell.planned
        into.states.update(cell.states)
    districts = [
        RolloutDistrict(
            d.code, d.name_en, d.name_ko, _counts(cells.get(d.code, Cell()), by_district[d.code])
        )
        for d in SEOUL_DISTRICTS
    ]
    districts += [  # an AP in a district outside Seoul's 25 (an inventory of elsewhere)
        RolloutDistrict(code, code, code, _counts(cells[code], by_district[code]))
        for code in sorted(set(cells) - set(DISTRICTS_BY_CODE))
    ]
    return RolloutSection(
        as_of=end,
        years=years,
        kinds=tuple(kinds),
        districts=tuple(districts),
        installs=tuple(installs),
        drift_outside=status.drift_outside,
        observed=observed,
        ledger=ledger,
    )


def _counts(cell: Cell, installed_in_month: int) -> RolloutCounts:
    s = cell.states
    return RolloutCounts(
        aps=cell.planned,
        planned=s["planned"],
        due=s["due"],
        overdue=s["overdue"],
        installed=s["installed"],
        verified=s["verified"],
        regressed=s["regressed"],
        drift=s["drift"],
        installed_in_month=installed_in_month,
    )


def _kind(kind: str, target: int | None, cell: Cell, installed_in_month: int) -> RolloutKind:
    counts = _counts(cell, installed_in_month)
    return RolloutKind(
        kind=kind,
        target=target,
        counts=counts,
        done_of_target=Decimal(counts.done) / Decimal(target) if target else None,
        done_of_plan=Decimal(counts.done) / Decimal(counts.aps) if counts.aps else None,
    )
