"""rollout_progress points: counted per district x quarter x kind, hourly snapshots."""

from __future__ import annotations

from collector.rollout.progress import ProgressSnapshots, progress_lines
from collector.rollout.state import ApRollout, State


def row(ap: str, district: str, quarter: str | None, kind: str | None, state: State) -> ApRollout:
    return ApRollout(ap, district, "S1", kind, quarter, "old", "new", None, None, state, None, None)


ROWS = [
    row("A1", "11680", "2025Q1", "replacement", State.VERIFIED),
    row("A2", "11680", "2025Q1", "replacement", State.OVERDUE),
    row("A3", "11680", "2025Q1", "replacement", State.REGRESSED),
    row("A4", "11680", "2025Q1", "new", State.INSTALLED),
    row("A5", "11110", "2025Q3", "replacement", State.DUE),
    row("A6", "11110", None, None, State.DRIFT),  # outside the programme: no cell
]


def test_one_line_per_cell_with_every_state_counted() -> None:
    lines = progress_lines(ROWS, 1_752_980_400)
    assert lines == [
        "rollout_progress,district=11110,kind=replacement,quarter=2025Q3 planned_aps=1i,"
        "done=0i,planned=0i,due=1i,overdue=0i,installed=0i,verified=0i,regressed=0i,drift=0i "
        "1752980400",
        "rollout_progress,district=11680,kind=new,quarter=2025Q1 planned_aps=1i,done=1i,"
        "planned=0i,due=0i,overdue=0i,installed=1i,verified=0i,regressed=0i,drift=0i 1752980400",
        "rollout_progress,district=11680,kind=replacement,quarter=2025Q1 planned_aps=3i,"
        "done=2i,planned=0i,due=0i,overdue=1i,installed=0i,verified=1i,regressed=1i,drift=0i "
        "1752980400",
    ]


def test_snapshots_are_hourly_and_skip_an_empty_programme() -> None:
    now = [1000.0]
    written: list[list[str]] = []
    asked: list[float] = []

    def rows(t: float) -> list[ApRollout]:
        asked.append(t)
        return ROWS

    snapshots = ProgressSnapshots(rows, written.append, every_s=3600, clock=lambda: now[0])
    assert snapshots() == 3 and len(written) == 1
    now[0] += 3599
    assert snapshots() == 0 and asked == [1000.0]
    now[0] += 1
    assert snapshots() == 3 and len(written) == 2
    empty = ProgressSnapshots(lambda t: [], written.append, clock=lambda: now[0])
    assert empty() == 0 and len(written) == 2
