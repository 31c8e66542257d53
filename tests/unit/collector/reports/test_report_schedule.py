"""collector.reports.schedule / store: due on the 1st at 06:00 KST, made once, never overwritten."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from collector.errors import InputError
from collector.reports import store
from collector.reports.schedule import MonthlyReportJob, due_month

KST = dt.timezone(dt.timedelta(hours=9))


def at(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=KST).timestamp()


def test_last_month_is_due_from_the_first_at_six_kst(tmp_path: Path) -> None:
    assert due_month(at(2026, 12, 1, 5, 59), tmp_path) == "2026-10"  # not yet: October's turn
    assert due_month(at(2026, 12, 1, 6, 0), tmp_path) == "2026-11"
    assert due_month(at(2026, 12, 17, 13, 0), tmp_path) == "2026-11"  # missed: made at start
    assert due_month(at(2027, 1, 1, 6, 0), tmp_path) == "2026-12"  # across the year
    (tmp_path / "2026-11" / "r1").mkdir(parents=True)
    assert due_month(at(2026, 12, 1, 6, 0), tmp_path) is None  # made already


def test_the_job_makes_a_month_once_and_gives_up_on_bad_input(tmp_path: Path) -> None:
    made: list[str] = []

    def make(month: str) -> None:
        made.append(month)
        (tmp_path / month / "r1").mkdir(parents=True)

    job = MonthlyReportJob(tmp_path, make, clock=lambda: at(2026, 12, 1, 6, 5))
    assert job() == "2026-11" and job() is None and made == ["2026-11"]

    def empty(month: str) -> None:
        made.append(month)
        raise InputError.at("--month", 0, "the ledger has no data")

    job = MonthlyReportJob(tmp_path, empty, clock=lambda: at(2027, 1, 1, 7, 0))
    assert job() is None and job() is None
    assert made == ["2026-11", "2026-12"]  # tried once, logged, not retried every 5 minutes


def test_revisions_are_numbered_and_published_whole(tmp_path: Path) -> None:
    number, staging = store.new_revision(tmp_path, "2026-11")
    (staging / "a.csv").write_text("x")
    store.publish(tmp_path, "2026-11", number, staging)
    number2, staging2 = store.new_revision(tmp_path, "2026-11")
    assert (number, number2) == (1, 2)
    (staging2 / "a.csv").write_text("y")
    final = store.publish(tmp_path, "2026-11", number2, staging2)
    assert (tmp_path / "2026-11" / "r1" / "a.csv").read_text() == "x"  # never overwritten
    assert final.name == "r2" and (tmp_path / "2026-11" / "latest").read_text() == "r2\n"
    assert store.revisions(tmp_path, "2026-11") == [1, 2]
    assert not list((tmp_path / "2026-11").glob(".*partial"))
