"""What the Rollout pages show, apart from the routes (:mod:`web.rollout_pages`): plain data.

The programme's status (:func:`collector.rollout.status.rollout_status`) and the candidates
(:func:`collector.rollout.candidates.candidates`) are computed at most once a minute per filter
(:class:`RolloutCache`, like the provisioning plans): a 34,280-AP fleet takes about a second,
and every page of the area reads the same result, so a page and its JSON agree.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from collector.districts import DISTRICTS_BY_CODE, SEOUL_DISTRICTS
from collector.inventory.model import AccessPoint, District
from collector.ledger.mirror import LedgerMirror
from collector.profiles import Profile, load_profiles
from collector.rollout import candidates as cand
from collector.rollout.candidates import Candidate
from collector.rollout.plan import plan_items
from collector.rollout.quarters import Quarter
from collector.rollout.state import ApRollout, Figures, State
from collector.rollout.status import COUNTED, Cell, RolloutStatus, rollout_status, standards_of
from collector.rollout.store import RolloutStore

TTL_S = 60.0
#: The states an official acts on (the CLI's "APs that need someone").
NEEDS_SOMEONE = (State.OVERDUE, State.REGRESSED, State.DRIFT)
DONE = ("verified", "installed", "regressed")
#: Map and badge colours, in drawing order (the last is drawn on top).
COLOURS = {
    "verified": "#1f9d55",
    "installed": "#7cc48f",
    "planned": "#a0a7b4",
    "due": "#2d6cdf",
    "overdue": "#e8a33d",
    "regressed": "#d64545",
    "drift": "#7b4fc9",
}
#: A site's dot takes the colour of the first of its APs' states in this order.
SEVERITY = ("drift", "regressed", "overdue", "due", "planned", "installed", "verified")
#: The order of the progress bar's segments.
BAR_ORDER = ("verified", "installed", "regressed", "drift", "overdue", "due", "planned")
#: The score's terms in the order shown (their points: :attr:`Candidate.points`).
TERMS = tuple(cand.WEIGHTS)


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    district: str | None = None
    quarter: str | None = None

    @property
    def any(self) -> bool:
        return self.district is not None or self.quarter is not None

    def args(self) -> dict[str, str]:
        out = {}
        if self.district:
            out["district"] = self.district
        if self.quarter:
            out["quarter"] = self.quarter
        return out


class BadFilter(ValueError):
    """A ``district`` or ``quarter`` the page cannot use (the page says which, with 400)."""


def parse_filters(district: str | None, quarter: str | None) -> Filters:
    district = (district or "").strip()[:16] or None
    quarter = (quarter or "").strip().upper()[:16] or None
    if district is not None and district not in DISTRICTS_BY_CODE:
        raise BadFilter(f"district {district!r} is not a Seoul district code (e.g. 11680)")
    if quarter is not None:
        try:
            Quarter.parse(quarter)
        except ValueError:
            raise BadFilter(f"quarter {quarter!r} is not a quarter like 2025Q3") from None
    return Filters(district, quarter)


# --- the cache -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Computed:
    status: RolloutStatus
    at: float  # the clock's time it was computed for
    has_store: bool
    has_ledger: bool


@dataclass
class RolloutCache:
    """The status per filter and the candidates per district, each kept for ``ttl_s``."""

    ttl_s: float = TTL_S
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # the status
    _ranking: threading.Lock = field(default_factory=threading.Lock, repr=False)  # candidates
    _status: dict[Filters, Computed] = field(default_factory=dict, repr=False)
    _candidates: dict[str | None, tuple[float, list[Candidate]]] = field(
        default_factory=dict, repr=False
    )
    _profiles: Mapping[str, Profile] | None = field(default=None, repr=False)
    _quarters: list[str] | None = field(default=None, repr=False)

    def profiles(self) -> Mapping[str, Profile]:
        if self._profiles is None:  # read once (a race reads them twice: harmless)
            self._profiles = load_profiles()
        return self._profiles

    def quarters(self, inventory: Iterable[AccessPoint]) -> list[str]:
        """The programme's quarters (the table's columns), oldest first."""
        if self._quarters is None:
            self._quarters = [q.label for q in sorted({i.quarter for i in plan_items(inventory)})]
        return self._quarters

    def status(
        self,
        inventory: Sequence[AccessPoint],
        mirror: LedgerMirror | None,
        data_dir: Path,
        filters: Filters,
    ) -> Computed:
        with self._lock:
            now = self.clock()
            found = self._status.get(filters)
            if found is not None and now - found.at < self.ttl_s:
                return found
            store = RolloutStore.existing(data_dir)
            ledger = mirror or LedgerMirror.existing(data_dir)
            try:
                status = rollout_status(
                    inventory,
                    store,
                    ledger,
                    self.profiles(),
                    now,
                    district=filters.district,
                    quarter=filters.quarter,
                )
            finally:
                if store is not None:
                    store.close()
                if ledger is not None and ledger is not mirror:
                    ledger.close()
            self._status = {f: c for f, c in self._status.items() if now - c.at < self.ttl_s}
            computed = Computed(status, now, store is not None, ledger is not None)
            self._status[filters] = computed
            return computed

    def candidates(
        self,
        inventory: Sequence[AccessPoint],
        mirror: LedgerMirror | None,
        data_dir: Path,
        district: str | None,
    ) -> tuple[float, list[Candidate]]:
        with self._ranking:
            now = self.clock()
            found = self._candidates.get(district)
            if found is not None and now - found[0] < self.ttl_s:
                return found
            store = RolloutStore.existing(data_dir)
            ledger = mirror or LedgerMirror.existing(data_dir)
            try:
                ranked = cand.candidates(
                    inventory,
                    store,
                    ledger,
                    standards_of(self.profiles()),
                    now,
                    district=district,
                    top=20,
                )
            finally:
                if store is not None:
                    store.close()
                if ledger is not None and ledger is not mirror:
                    ledger.close()
            self._candidates[district] = (now, ranked)
            return now, ranked


# --- progress --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    state: str
    count: int
    width: int  # percent of the bar


@dataclass(frozen=True, slots=True)
class Progress:
    kind: str  # "replacement" | "new" | "total"
    planned: int
    target: int | None
    done: int
    states: dict[str, int]
    segments: tuple[Segment, ...]

    @property
    def goal(self) -> int:
        """What the bar measures against: the target, or the plan when larger (or no target)."""
        return max(self.target or 0, self.planned)

    @property
    def done_share(self) -> float:
        return self.done / self.goal if self.goal else 0.0

    @property
    def attention(self) -> int:
        return sum(self.states[s.value] for s in NEEDS_SOMEONE)


def _segments(states: Mapping[str, int], goal: int) -> tuple[Segment, ...]:
    if not goal:
        return ()
    out: list[Segment] = []
    used = 0
    for state in BAR_ORDER:
        n = states.get(state, 0)
        if not n:
            continue
        width = min(100 - used, max(1, round(100 * n / goal)))
        used += width
        out.append(Segment(state, n, width))
    return tuple(out)


def progress(status: RolloutStatus) -> list[Progress]:
    """Per kind and for the whole programme: planned, target, done, states, the bar."""
    out: list[Progress] = []
    total = Counter[str]()
    planned_total = 0
    for kind in ("replacement", "new"):
        cell = status.totals.get(kind, Cell())
        states = {s.value: cell.states[s.value] for s in COUNTED}
        total.update(states)
        planned_total += cell.planned
        target = status.targets.get(kind)
        goal = max(target or 0, cell.planned)
        out.append(Progress(kind, cell.planned, target, cell.done, states, _segments(states, goal)))
    target = sum(status.targets.values()) if status.targets else None
    states = {s.value: total[s.value] for s in COUNTED}
    done = sum(states[s] for s in DONE)
    goal = max(target or 0, planned_total)
    out.append(Progress("total", planned_total, target, done, states, _segments(states, goal)))
    return out


# --- district x quarter ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CellView:
    planned: int
    done: int
    counts: tuple[tuple[str, int], ...]  # the non-zero states, in COUNTED order
    tone: str  # none | done | installed | bad | late | due | planned


def cell_view(cell: Cell | None) -> CellView:
    if cell is None or not cell.planned:
        return CellView(0, 0, (), "none")
    counts = tuple((s.value, cell.states[s.value]) for s in COUNTED if cell.states[s.value])
    states = cell.states
    if states["regressed"] or states["drift"]:
        tone = "bad"
    elif states["overdue"]:
        tone = "late"
    elif states["verified"] == cell.planned:
        tone = "done"
    elif cell.done == cell.planned:
        tone = "installed"
    elif states["due"] or cell.done:
        tone = "due"
    else:
        tone = "planned"
    return CellView(cell.planned, cell.done, counts, tone)


@dataclass(frozen=True, slots=True)
class DistrictRow:
    district: District
    cells: tuple[CellView, ...]  # one per quarter column
    total: CellView


def district_table(
    status: RolloutStatus, quarters: Sequence[str], filters: Filters
) -> tuple[list[DistrictRow], DistrictRow]:
    """One row per district (all 25, or the filtered one), a column per quarter; the total row."""
    codes = [d.code for d in SEOUL_DISTRICTS]
    codes += sorted({d for d, _ in status.cells} - set(codes))
    if filters.district:
        codes = [filters.district]
    rows: list[DistrictRow] = []
    column_totals = {q: Cell() for q in quarters}
    grand = Cell()
    for code in codes:
        row_total = Cell()
        cells: list[CellView] = []
        for q in quarters:
            cell = status.cells.get((code, q))
            if cell is not None:
                for c in (row_total, column_totals[q], grand):
                    c.planned += cell.planned
                    c.states.update(cell.states)
            cells.append(cell_view(cell))
        district = DISTRICTS_BY_CODE.get(code) or District(code, code, code)
        rows.append(DistrictRow(district, tuple(cells), cell_view(row_total)))
    seoul = District("11000", "Seoul", "서울특별시")
    footer = DistrictRow(
        seoul, tuple(cell_view(column_totals[q]) for q in quarters), cell_view(grand)
    )
    return rows, footer


def attention_by_district(status: RolloutStatus, top: int = 8) -> list[tuple[str, dict[str, int]]]:
    """The districts with the most programme APs that need someone, with their counts."""
    out: dict[str, Counter[str]] = {}
    for (district, _), cell in status.cells.items():
        counts = out.setdefault(district, Counter())
        for state in NEEDS_SOMEONE:
            counts[state.value] += cell.states[state.value]
    ranked = sorted(
        ((d, dict(c)) for d, c in out.items() if sum(c.values())),
        key=lambda item: (-sum(item[1].values()), item[0]),
    )
    return ranked[:top]


# --- the map ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteDot:
    site: str
    lat: float
    lon: float
    state: str
    rows: tuple[ApRollout, ...]


def site_dots(rows: Iterable[ApRollout]) -> list[SiteDot]:
    """One dot per site, coloured by its most urgent AP state (:data:`SEVERITY`)."""
    by_site: dict[str, list[ApRollout]] = {}
    for row in rows:
        by_site.setdefault(row.site, []).append(row)
    rank = {s: i for i, s in enumerate(SEVERITY)}
    out = []
    for site, members in sorted(by_site.items()):
        state = min((r.state.value for r in members), key=lambda s: rank.get(s, 99))
        out.append(SiteDot(site, members[0].lat, members[0].lon, state, tuple(members)))
    return out


def state_counts(rows: Iterable[ApRollout]) -> dict[str, int]:
    counts = Counter(r.state.value for r in rows)
    return {s: counts[s] for s in COLOURS if counts[s]}


# --- before and after ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # traffic | peak_clients | sessions | poll_success
    before: float | None
    after: float | None
    change: float | None  # relative change; for poll success the difference (0..1 points)

    @property
    def better(self) -> bool | None:
        if self.change is None or abs(self.change) < 1e-9:
            return None
        return self.change > 0


def metrics(before: Figures | None, after: Figures | None) -> list[Metric]:
    """The four figures compared: traffic per day, peak clients, sessions per day, poll success."""

    def pick(f: Figures | None, name: str) -> float | None:
        if f is None:
            return None
        value = getattr(f, name)
        return float(value) if value is not None else None

    out = []
    for name, attr in (
        ("traffic", "traffic_per_day"),
        ("peak_clients", "peak_clients"),
        ("sessions", "sessions_per_day"),
        ("poll_success", "poll_success"),
    ):
        b, a = pick(before, attr), pick(after, attr)
        change: float | None = None
        if a is not None and b is not None:
            if name == "poll_success":
                change = a - b
            elif b > 0:
                change = a / b - 1
        out.append(Metric(name, b, a, change))
    return out


SORT_INSTALLED = ("state", "installed", "traffic", "district")


def installed_rows(rows: Iterable[ApRollout], sort: str) -> list[ApRollout]:
    """The programme's APs that have been installed (any verdict), in the page's order."""
    found = [r for r in rows if r.installed_at is not None and r.kind is not None]
    rank = {s: i for i, s in enumerate(SEVERITY)}

    def traffic_change(r: ApRollout) -> float:
        if r.before is None or r.after is None or r.before.traffic_per_day <= 0:
            return 0.0
        return r.after.traffic_per_day / r.before.traffic_per_day - 1

    keys: dict[str, Callable[[ApRollout], tuple[object, ...]]] = {
        "state": lambda r: (rank.get(r.state.value, 99), -(r.installed_at or 0), r.ap_id),
        "installed": lambda r: (-(r.installed_at or 0), r.ap_id),
        "traffic": lambda r: (traffic_change(r), r.ap_id),
        "district": lambda r: (r.district, r.ap_id),
    }
    return sorted(found, key=keys.get(sort, keys["state"]))


# --- candidates ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreRules:
    """The candidates module's constants, for the page's explanation."""

    window_days: int
    weights: dict[str, int]  # percent
    capacity_mbps: dict[str, float]
    client_capacity: dict[str, int]
    utilisation_full: float
    missed_full: float
    reboots_full: int
    age_full_years: float
    footfall: dict[str, float]
    legacy: tuple[str, ...]


def score_rules() -> ScoreRules:
    return ScoreRules(
        window_days=cand.WINDOW_DAYS,
        weights={k: round(100 * cand.WEIGHTS[k]) for k in TERMS},
        capacity_mbps=dict(cand.CAPACITY_MBPS),
        client_capacity=dict(cand.CLIENT_CAPACITY),
        utilisation_full=cand.UTILISATION_FULL,
        missed_full=cand.MISSED_FULL,
        reboots_full=cand.REBOOTS_FULL,
        age_full_years=cand.AGE_FULL_YEARS,
        footfall={f.value: v for f, v in cand.FOOTFALL_TERM.items()},
        legacy=tuple(sorted(cand.LEGACY)),
    )


def pages_of(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))
