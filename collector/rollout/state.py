"""One AP's rollout state and its before/after figures, from observations and ledger days (pure).

**States.** ``planned`` (its quarter has not begun) -> ``due`` (the quarter has begun) ->
``overdue`` (the quarter is over) while the planned model has not answered; ``installed`` from
the first time the planned model answers (a new AP: the first time it answers at all, unless it
names another model); then, once the 7 whole KST days after the install day are in the ledger:

- ``regressed`` (replacements only) when the days after are worse than the days before: poll
  success more than :data:`AVAILABILITY_DROP` (2 percentage points) lower, or traffic per day
  below :data:`TRAFFIC_FLOOR` (80 %) of before;
- else ``verified`` when each of those 7 days had at least :data:`VERIFY_POLL_SUCCESS` (95 %)
  of its polls answered and carried traffic;
- else it stays ``installed``, with the first day that failed in its note.

``drift`` overrides all of them: the AP answers as a model that is neither the inventory's nor
the planned one (also for APs outside the programme: an unplanned swap, a wrong inventory).

**Before/after.** Over the :data:`WINDOW_DAYS` (14) whole KST days before the install day and
the up to 14 after it (the install day itself is in neither): traffic per day (bytes received
plus sent), peak clients (the highest of the days' peaks), sessions per day, poll success
(polls answered / polls made), each over the days the ledger holds.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from collector.inventory.model import AccessPoint
from collector.rollout.plan import Kind, PlanItem
from collector.rollout.quarters import DAY_S, kst_date, kst_day
from collector.rollout.store import Sighting

WINDOW_DAYS = 14
VERIFY_DAYS = 7
VERIFY_POLL_SUCCESS = 0.95
AVAILABILITY_DROP = 0.02
TRAFFIC_FLOOR = 0.80


class State(enum.StrEnum):
    PLANNED = "planned"  # 계획
    DUE = "due"  # 진행 분기
    OVERDUE = "overdue"  # 지연
    INSTALLED = "installed"  # 설치됨
    VERIFIED = "verified"  # 검증됨
    REGRESSED = "regressed"  # 성능 저하
    DRIFT = "drift"  # 불일치


@dataclass(frozen=True, slots=True)
class Day:
    """One AP's KST day: the ledger's sums and the rollout store's peak clients."""

    day: int
    rx_bytes: int
    tx_bytes: int
    sessions: int
    polls: int
    polls_up: int
    peak_clients: int | None = None


#: The ledger days of one AP around its install, from the install's KST day (what
#: :func:`evaluate` asks for once it knows the AP is installed).
DaysAround = Callable[[int], Mapping[int, Day]]


@dataclass(frozen=True, slots=True)
class Figures:
    days: int
    traffic_per_day: float  # bytes
    peak_clients: int | None
    sessions_per_day: float
    poll_success: float | None  # 0..1; None without polls

    @classmethod
    def of(cls, days: Sequence[Day]) -> Figures | None:
        if not days:
            return None
        n = len(days)
        polls = sum(d.polls for d in days)
        peaks = [d.peak_clients for d in days if d.peak_clients is not None]
        return cls(
            days=n,
            traffic_per_day=sum(d.rx_bytes + d.tx_bytes for d in days) / n,
            peak_clients=max(peaks) if peaks else None,
            sessions_per_day=sum(d.sessions for d in days) / n,
            poll_success=sum(d.polls_up for d in days) / polls if polls else None,
        )


@dataclass(frozen=True, slots=True)
class ApRollout:
    ap_id: str
    district: str
    site: str
    kind: str | None  # "replacement" | "new" | None (outside the programme: drift only)
    quarter: str | None
    inventory_model: str
    planned_model: str | None
    observed_model: str | None
    observed_standard: str | None
    state: State
    since: float | None  # when the state began (epoch seconds)
    installed_at: float | None
    before: Figures | None = None
    after: Figures | None = None
    note: str = ""
    lat: float = 0.0
    lon: float = 0.0
    days_after: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["state"] = self.state.value
        out["since_date"] = kst_date(self.since) if self.since is not None else None
        out["installed_date"] = kst_date(self.installed_at) if self.installed_at else None
        del out["days_after"]
        return out


def observed_model(sightings: Sequence[Sighting]) -> Sighting | None:
    """The sighting naming a model that was seen last (ties: SSH, which always names one)."""
    named = [s for s in sightings if s.model]
    if not named:
        return None
    return max(named, key=lambda s: (s.last_seen, s.source == "ssh"))


def install_time(item: PlanItem, sightings: Sequence[Sighting]) -> float | None:
    """When the planned model first answered (a new AP: when it first answered at all).

    SSH dates a model from the AP's boot (uptime): never before another model was last seen.
    """
    if item.kind is Kind.NEW:
        times = [s.first_seen for s in sightings if s.model in ("", item.model)]
    else:
        times = [s.first_seen for s in sightings if s.model == item.model]
    if not times:
        return None
    others = [s.last_seen for s in sightings if s.model and s.model != item.model]
    return max([min(times), *others]) if others else min(times)


def evaluate(
    ap: AccessPoint,
    item: PlanItem | None,
    sightings: Sequence[Sighting],
    days: Mapping[int, Day] | DaysAround,
    now: float,
    standards: Mapping[str, str],
) -> ApRollout | None:
    """The AP's row; ``None`` for an AP outside the programme that shows no drift.

    ``days`` holds the ledger days of the AP (only whole KST days the ledger copy has), or
    fetches them: called once with the install's KST day, only for an installed AP (so the
    caller reads the ledger for those alone, and the install time is found here only);
    ``standards`` maps model names to Wi-Fi standards (the profiles' ``models``).
    """
    seen = observed_model(sightings)
    model = seen.model if seen is not None else None
    planned = item.model if item is not None else None
    base: dict[str, Any] = {
        "ap_id": ap.id,
        "district": ap.district.code,
        "site": ap.site.id,
        "kind": item.kind.value if item is not None else None,
        "quarter": item.quarter.label if item is not None else None,
        "inventory_model": ap.model,
        "planned_model": planned,
        "observed_model": model,
        "observed_standard": standards.get(model) if model else None,
        "lat": ap.site.lat,
        "lon": ap.site.lon,
    }
    if model is not None and model not in (ap.model, planned):
        first = min(s.first_seen for s in sightings if s.model == model)
        expected = ap.model if planned is None else f"{ap.model} or the planned {planned}"
        return ApRollout(
            **base,
            state=State.DRIFT,
            since=first,
            installed_at=None,
            note=f"answers as {model} (over {seen.source if seen else '?'}); expected {expected}",
        )
    if item is None:
        return None
    installed = install_time(item, sightings)
    if installed is None:
        q = item.quarter
        if now < q.start:
            state, since, note = State.PLANNED, None, f"quarter begins {kst_date(q.start)}"
        elif now < q.end:
            state, since, note = State.DUE, float(q.start), f"quarter ends {kst_date(q.end - 1)}"
        else:
            late = int((now - q.end) // DAY_S)
            state, since, note = State.OVERDUE, float(q.end), f"{late} days past its quarter"
        if ap.status.value == "planned" and state is not State.PLANNED:
            note += "; status: planned in the inventory (not polled: set staged when installed)"
        return ApRollout(**base, state=state, since=since, installed_at=None, note=note)
    held = days(kst_day(installed)) if callable(days) else days
    return _after_install(base, item, installed, held, now)


def _after_install(
    base: dict[str, Any],
    item: PlanItem,
    installed: float,
    days: Mapping[int, Day],
    now: float,
) -> ApRollout:
    install_day = kst_day(installed)
    before_days = [
        days[d] for d in range(install_day - WINDOW_DAYS * DAY_S, install_day, DAY_S) if d in days
    ]
    after_keys = [install_day + k * DAY_S for k in range(1, WINDOW_DAYS + 1)]
    after_days = [days[d] for d in after_keys if d in days and d + DAY_S <= now]
    after = Figures.of(after_days)
    # a new AP has no "before" (it did not exist); a replaced one is compared with its old self
    before = Figures.of(before_days) if item.kind is Kind.REPLACEMENT else None
    row = {**base, "installed_at": installed, "before": before, "after": after}
    row["days_after"] = [d.day for d in after_days]
    first_seven = after_keys[:VERIFY_DAYS]
    held = {d.day: d for d in after_days}
    if not all(d in held for d in first_seven):
        have = sum(d in held for d in first_seven)
        note = f"{have} of the {VERIFY_DAYS} days after install in the ledger"
        if item.quarter.end <= installed:
            note += f"; installed {int((installed - item.quarter.end) // DAY_S)} days late"
        return ApRollout(**row, state=State.INSTALLED, since=installed, note=note)
    verdict_at = float(first_seven[-1] + DAY_S)
    if item.kind is Kind.REPLACEMENT and before is not None and after is not None:
        worse = _worse(before, after)
        if worse:
            return ApRollout(**row, state=State.REGRESSED, since=verdict_at, note=worse)
    for key in first_seven:
        d = held[key]
        success = d.polls_up / d.polls if d.polls else 0.0
        if success < VERIFY_POLL_SUCCESS or d.rx_bytes + d.tx_bytes <= 0:
            why = (
                f"{success:.1%} of polls answered"
                if success < VERIFY_POLL_SUCCESS
                else "no traffic"
            )
            note = f"not verified: {kst_date(key)}: {why}"
            return ApRollout(**row, state=State.INSTALLED, since=installed, note=note)
    return ApRollout(
        **row, state=State.VERIFIED, since=verdict_at, note="7 days after install all good"
    )


def _worse(before: Figures, after: Figures) -> str:
    reasons = []
    if (
        before.poll_success is not None
        and after.poll_success is not None
        and after.poll_success < before.poll_success - AVAILABILITY_DROP
    ):
        reasons.append(
            f"poll success {after.poll_success:.1%} after vs {before.poll_success:.1%} before"
        )
    if after.traffic_per_day < TRAFFIC_FLOOR * before.traffic_per_day:
        ratio = after.traffic_per_day / before.traffic_per_day
        reasons.append(f"traffic per day {ratio:.0%} of before")
    return "; ".join(reasons)
