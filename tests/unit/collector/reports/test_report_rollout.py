"""The monthly report's Wi-Fi 6 rollout section: ``rollout_status`` at the end of the month.

A generated fleet of 40 Cisco APs with a 2025 programme (6 replacements, 3 new APs), a ledger copy
of 2025-06-15 .. 2025-09-30 and a rollout store in one data directory. In August 2025, as of
2025-09-01 00:00 KST: the Q1 replacement went in on 2025-07-10 and regressed (half the traffic),
one Q3 replacement went in on 2025-08-05 (verified), the other on 2025-08-27 (installed, 4 days
after it only), the Q3 new AP first answered on 2025-08-20 (verified); the Q2 ones never did
(overdue), the Q4 ones are ahead (planned); one AP outside the programme answers as another model.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fake_influxql import FakeInfluxQL
from openpyxl import load_workbook  # type: ignore[import-untyped]

import collector.inventory  # noqa: F401  (first: importing collector.districts alone is a cycle)
from collector.districts import DISTRICTS_BY_CODE, SEOUL_DISTRICTS
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import Inventory
from collector.ledger.mirror import LedgerMirror
from collector.ledger.stored import FIELDS
from collector.profiles import load_profiles
from collector.reports.build import build_monthly, month_window
from collector.reports.cli import produce
from collector.reports.rollout import StoreAsOf, store_beside
from collector.reports.table import MonthlyReport, RolloutCounts, RolloutSection
from collector.reports.writers import labels, write_all
from collector.reports.writers.csv_out import ROLLOUT_COLUMNS, plain, rollout_values
from collector.reports.writers.xlsx import ROLLOUT_DISTRICT_COLUMNS, ROLLOUT_KIND_COLUMNS
from collector.rollout.plan import Kind, PlanItem, plan_items
from collector.rollout.quarters import DAY_S, KST, kst_day
from collector.rollout.status import Cell, RolloutStatus, rollout_status
from collector.rollout.store import DayObservation, RolloutStore, Sighting
from collector.savings.tariff import load_tariffs

MONTH = "2025-08"
START, END = month_window(2025, 8)
MADE = dt.datetime(2025, 10, 15, 9, tzinfo=KST).timestamp()  # when the reports are made
LATER = dt.datetime(2025, 12, 1, tzinfo=KST).timestamp()  # last seen: long after the month
STATES = ("planned", "due", "overdue", "installed", "verified", "regressed", "drift")


def need(*binaries: str) -> None:
    """Skip (developer's machine) or fail (``CI=true``) without poppler-utils."""
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        reason = f"not installed: {', '.join(missing)} (Debian package poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so this is a failure, not a skip: {reason}", pytrace=False)
        pytest.skip(reason)


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=KST).timestamp()


@dataclasses.dataclass
class Fleet:
    inventory: Inventory
    data_dir: Path
    mirror: LedgerMirror
    store: RolloutStore
    items: dict[str, PlanItem]  # "rep_q1", "rep_q3a", "new_q3", ... -> plan item
    drifting: str  # an AP outside the programme that answers as another model


def generated(tmp_path: Path, **options: Any) -> Inventory:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(**options)), encoding="utf-8")
    return load_inventory(path)


def named_items(inventory: Inventory) -> dict[str, PlanItem]:
    """``rep_q1``, ``new_q3``, ... (``rep_q3a``, ``rep_q3b`` where a quarter has two)."""
    groups: dict[str, list[PlanItem]] = {}
    for item in sorted(plan_items(inventory), key=lambda i: i.ap.id):
        prefix = "rep" if item.kind is Kind.REPLACEMENT else "new"
        groups.setdefault(f"{prefix}_q{item.quarter.number}", []).append(item)
    out: dict[str, PlanItem] = {}
    for name, items in groups.items():
        if len(items) == 1:
            out[name] = items[0]
        else:
            out.update({f"{name}{'abcdefgh'[k]}": item for k, item in enumerate(items)})
    return out


def fill_ledger(
    mirror: LedgerMirror, inventory: Inventory, installs: dict[str, float], halved: set[str]
) -> None:
    """Every day of 2025-06-15 .. 2025-09-30 for every polled AP, and for a new AP from the day
    it first answered; ``halved`` APs carry half the traffic after their install."""
    day = kst_day(at("2025-06-15T00:00"))
    last = kst_day(at("2025-09-30T00:00"))
    while day <= last:
        rows = []
        for k, ap in enumerate(inventory):
            began = installs.get(ap.id)
            if not ap.status.is_polled and (began is None or kst_day(began) > day):
                continue
            rx, tx = 2_000_000_000 + 10_000_000 * k, 6_000_000_000 + 30_000_000 * k
            if ap.id in halved and began is not None and day > kst_day(began):
                rx, tx = rx // 2, tx // 2
            values = {"rx_bytes": rx, "tx_bytes": tx, "sessions": 300 + k, "covered_s": DAY_S,
                      "polls": 288, "polls_up": 288 - k % 3}  # fmt: skip
            rows.append((ap.id, ap.district.code, [values[f] for f in FIELDS]))
        mirror.put_day(day, rows)
        day += DAY_S


def sightings_of(
    item: PlanItem, installed: float | None, old_until: float = LATER
) -> list[Sighting]:
    """What the store saw of a programme AP: its old model until the install (or ``old_until``),
    then the planned one; a new AP: that it answers (without naming a model, like SNMP)."""
    ap = item.ap
    if item.kind is Kind.NEW:
        return [] if installed is None else [Sighting(ap.id, "snmp", "", None, installed, LATER)]
    old = Sighting(ap.id, "snmp", ap.model, "8.5", at("2025-01-01T00:00"), installed or old_until)
    if installed is None:
        return [old]
    return [old, Sighting(ap.id, "snmp", item.model, "17.9", installed, LATER)]


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    inventory = generated(
        tmp_path, aps=40, program=2025, replacements=6, new_aps=3, platform="cisco_ios_ap"
    )
    items = named_items(inventory)
    assert sorted(items) == ["new_q2", "new_q3", "new_q4", "rep_q1", "rep_q2", "rep_q3a",
                             "rep_q3b", "rep_q4a", "rep_q4b"]  # fmt: skip
    installs = {
        "rep_q1": at("2025-07-10T10:00"),  # late; regresses
        "rep_q3a": at("2025-08-05T10:00"),  # verified by the month's end
        "rep_q3b": at("2025-08-27T14:00"),  # 4 of the 7 days after it by the month's end
        "new_q3": at("2025-08-20T09:30"),  # verified
    }
    data_dir = tmp_path / "data"
    mirror = LedgerMirror.in_dir(data_dir)
    fill_ledger(
        mirror,
        inventory,
        {items[name].ap.id: when for name, when in installs.items()},
        {items["rep_q1"].ap.id},
    )
    store = RolloutStore.in_data_dir(data_dir)
    planned = {i.ap.id for i in items.values()}
    drifting = next(ap for ap in inventory if ap.id not in planned and ap.status.is_polled)
    # the Q4 AP's old model stops answering on 2025-09-05 (its swap, recorded in a test below)
    old_until = {"rep_q4a": at("2025-09-05T10:55")}
    seen = [
        s
        for name, item in items.items()
        for s in sightings_of(item, installs.get(name), old_until.get(name, LATER))
    ]
    seen += [
        Sighting(drifting.id, "snmp", drifting.model, "8.5", at("2025-01-01T00:00"),
                 at("2025-07-15T08:00")),
        Sighting(drifting.id, "ssh", "AIR-AP2802I", "8.10", at("2025-07-15T09:00"), LATER),
    ]  # fmt: skip
    q3a, q3a_day = items["rep_q3a"].ap.id, kst_day(installs["rep_q3a"])
    peaks = [
        DayObservation(q3a, day, 20 if day < q3a_day else 34)
        for day in range(kst_day(at("2025-07-20T00:00")), kst_day(at("2025-08-25T00:00")), DAY_S)
    ]
    store.record(seen, peaks)
    return Fleet(inventory, data_dir, mirror, store, items, drifting.id)


def report_of(fleet: Fleet, month: str = MONTH, now: float = MADE, **kw: Any) -> MonthlyReport:
    return build_monthly(
        FakeInfluxQL(), load_tariffs(), fleet.inventory.aps, month, now=now, mirror=fleet.mirror,
        **kw,
    )  # fmt: skip


def status_at(fleet: Fleet, end: int) -> RolloutStatus:
    return rollout_status(fleet.inventory, fleet.store, fleet.mirror, load_profiles(), float(end))


def counts_of(cell: Cell) -> dict[str, int]:
    return {"aps": cell.planned, **{s: cell.states[s] for s in STATES}}


def as_dict(counts: RolloutCounts) -> dict[str, int]:
    return {"aps": counts.aps, **{s: getattr(counts, s) for s in STATES}}


def summed(cells: list[Cell]) -> Cell:
    total = Cell()
    for cell in cells:
        total.planned += cell.planned
        total.states.update(cell.states)
    return total


def assert_section_is_the_status(
    section: RolloutSection, status: RolloutStatus, start: int, end: int
) -> None:
    assert section.as_of == end
    kinds = {k.kind: k for k in section.kinds}
    assert list(kinds) == ["replacement", "new", "all"]
    for kind in ("replacement", "new"):
        assert as_dict(kinds[kind].counts) == counts_of(status.totals[kind]), kind
        assert kinds[kind].target == status.targets.get(kind)
        assert kinds[kind].counts.done == status.totals[kind].done
    assert as_dict(kinds["all"].counts) == counts_of(summed(list(status.totals.values())))
    assert section.drift_outside == status.drift_outside
    assert [d.code for d in section.districts] == [d.code for d in SEOUL_DISTRICTS]
    for d in section.districts:
        cells = [cell for (code, _), cell in status.cells.items() if code == d.code]
        assert as_dict(d.counts) == counts_of(summed(cells)), d.code
        assert (d.name_ko, d.name_en) == (DISTRICTS_BY_CODE[d.code].name_ko,
                                          DISTRICTS_BY_CODE[d.code].name_en)  # fmt: skip
    rows = {r.ap_id: r for r in status.rows if r.installed_at and start <= r.installed_at < end}
    assert [i.ap_id for i in section.installs] == sorted(rows, key=lambda a: rows[a].installed_at)
    for install in section.installs:
        row = rows[install.ap_id]
        assert install.installed_at.timestamp() == row.installed_at
        assert (install.state, install.kind, install.quarter) == (row.state.value, row.kind,
                                                                  row.quarter)  # fmt: skip
        assert (install.before, install.after) == (row.before, row.after)
    by_code: dict[str, int] = {}
    for install in section.installs:
        by_code[install.district_code] = by_code.get(install.district_code, 0) + 1
    assert {d.code: d.counts.installed_in_month for d in section.districts if d.counts.aps} == {
        d.code: by_code.get(d.code, 0) for d in section.districts if d.counts.aps
    }


# --- the section's figures ------------------------------------------------------------------


def test_the_section_is_rollout_status_at_the_end_of_the_month(fleet: Fleet) -> None:
    report = report_of(fleet)
    section = report.rollout
    assert section is not None and report.end == END
    status = status_at(fleet, END)
    assert_section_is_the_status(section, status, START, END)
    # and the figures themselves, worked out by hand from the fixture
    kinds = {k.kind: k for k in section.kinds}
    rep, new, total = kinds["replacement"].counts, kinds["new"].counts, kinds["all"].counts
    assert as_dict(rep) == {"aps": 6, "planned": 2, "due": 0, "overdue": 1, "installed": 1,
                            "verified": 1, "regressed": 1, "drift": 0}  # fmt: skip
    assert as_dict(new) == {"aps": 3, "planned": 1, "due": 0, "overdue": 1, "installed": 0,
                            "verified": 1, "regressed": 0, "drift": 0}  # fmt: skip
    assert (rep.done, new.done, total.done, total.aps) == (3, 1, 4, 9)
    assert (kinds["replacement"].target, kinds["new"].target, kinds["all"].target) == (
        450, 280, 730)  # fmt: skip
    assert kinds["all"].done_of_target == Decimal(4) / Decimal(730)
    assert kinds["all"].done_of_plan == Decimal(4) / Decimal(9)
    assert section.drift_outside == 1 and section.observed and section.ledger
    assert section.years == (2025,)
    names = {i.ap.id: name for name, i in fleet.items.items()}
    installs = [(names[i.ap_id], i.state, i.installed_at.date().isoformat())
                for i in section.installs]  # fmt: skip
    assert installs == [("rep_q3a", "verified", "2025-08-05"), ("new_q3", "verified", "2025-08-20"),
                        ("rep_q3b", "installed", "2025-08-27")]  # fmt: skip
    q3a = section.installs[0]
    assert q3a.before is not None and q3a.after is not None
    assert q3a.before.days == 14 and q3a.after.days == 14
    assert (q3a.before.peak_clients, q3a.after.peak_clients) == (20, 34)
    assert q3a.before.traffic_per_day == q3a.after.traffic_per_day > 8e9
    assert section.installs[1].before is None  # a new AP has no "before"
    assert section.installs[2].after is not None and section.installs[2].after.days == 4
    # the store was found beside the ledger copy; giving it explicitly is the same
    assert report_of(fleet, rollout_store=fleet.store).rollout == section


def test_an_install_after_the_month_is_not_in_it(fleet: Fleet) -> None:
    """An old month's revision made later: what the store saw after the month's end is left out."""
    before = report_of(fleet).rollout
    q4 = fleet.items["rep_q4a"]
    fleet.store.record([Sighting(q4.ap.id, "snmp", q4.model, "17.9", at("2025-09-05T11:00"),
                                 LATER)])  # fmt: skip
    august = report_of(fleet).rollout
    assert august == before
    assert august is not None and august.kinds[0].counts.planned == 2
    september = report_of(fleet, "2025-09").rollout
    assert september is not None
    assert [i.ap_id for i in september.installs] == [q4.ap.id]
    _, sep_end = month_window(2025, 9)
    assert_section_is_the_status(september, status_at(fleet, sep_end), *month_window(2025, 9))
    # the same cut as the status of a store that never saw past the month's end
    cut = rollout_status(fleet.inventory, StoreAsOf(fleet.store, END), fleet.mirror,
                         load_profiles(), float(END))  # fmt: skip
    assert_section_is_the_status(august, cut, START, END)


def test_a_month_to_date_is_as_of_its_last_whole_hour(fleet: Fleet) -> None:
    now = at("2025-08-22T12:34")
    report = report_of(fleet, now=now)
    section = report.rollout
    assert report.month_to_date and section is not None
    assert section.as_of == report.end == int(at("2025-08-22T12:00"))
    # rollout_status counts the install of 2025-08-27 at 2025-08-22 (it reads every sighting
    # whatever ``now``): the section is that of the store as it stood then
    cut = rollout_status(fleet.inventory, StoreAsOf(fleet.store, report.end), fleet.mirror,
                         load_profiles(), float(report.end))  # fmt: skip
    assert_section_is_the_status(section, cut, START, report.end)
    assert section.kinds[0].counts.due == 1  # the replacement of 2025-08-27
    assert [i.installed_at.date().isoformat() for i in section.installs] == [
        "2025-08-05", "2025-08-20"]  # fmt: skip


def test_without_a_store_the_plan_shows_and_says_why_nothing_is_installed(
    fleet: Fleet, tmp_path: Path
) -> None:
    need("pdftotext")
    assert store_beside(fleet.mirror) is not None
    other = LedgerMirror.in_dir(tmp_path / "no-store")  # a data directory without a store
    fill_ledger(other, fleet.inventory, {}, set())
    assert store_beside(other) is None
    assert store_beside(LedgerMirror(tmp_path / "copy.sqlite")) is None  # not DATA_DIR/ledger/
    report = build_monthly(FakeInfluxQL(), load_tariffs(), fleet.inventory.aps, MONTH, now=MADE,
                           mirror=other)  # fmt: skip
    section = report.rollout
    assert section is not None and not section.observed and section.ledger
    status = rollout_status(fleet.inventory, None, other, load_profiles(), float(END))
    assert_section_is_the_status(section, status, START, END)
    # Q1 and Q2 overdue (nothing answered as the planned model), Q3 due, Q4 planned
    counts = section.total.counts
    assert (counts.done, counts.overdue, counts.due, counts.planned) == (0, 3, 3, 3)
    assert section.installs == ()
    files = write_all(report, tmp_path, "en", workers=1)
    text = pdf_text(next(p for p in files if p.suffix == ".pdf"))
    assert "No AP observations (rollout.sqlite)" in text
    assert labels.text("rollout_no_installs", "en") in text


def test_no_programme_is_one_line_in_every_format(tmp_path: Path) -> None:
    need("pdftotext")
    inventory = generated(tmp_path, aps=12, platform="cisco_ios_ap")
    assert not plan_items(inventory)
    mirror = LedgerMirror.in_dir(tmp_path / "data")
    fill_ledger(mirror, inventory, {}, set())
    report = build_monthly(FakeInfluxQL(), load_tariffs(), inventory.aps, MONTH, now=MADE,
                           mirror=mirror)  # fmt: skip
    assert report.rollout is None
    for lang in ("ko", "en"):
        out = tmp_path / lang
        out.mkdir()
        files = {p.name for p in write_all(report, out, lang, workers=1)}
        assert f"rollout-{MONTH}.csv" not in files
        sheet = load_workbook(out / f"report-{MONTH}.xlsx")[labels.text("rollout_sheet", lang)]
        cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
        assert cells == [labels.text("rollout_none", lang)]
        text = pdf_text(out / f"report-{MONTH}.pdf")
        line = labels.text("rollout_none", lang)
        assert sum(line in row for row in text.splitlines()) == 1, text[-2000:]
        assert labels.text("rollout_districts", lang) not in text


# --- the writers ----------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


@pytest.fixture
def written(fleet: Fleet, tmp_path: Path) -> tuple[MonthlyReport, dict[str, dict[str, Path]]]:
    report = report_of(fleet)
    out: dict[str, dict[str, Path]] = {}
    for lang in ("ko", "en"):
        folder = tmp_path / f"out-{lang}"
        folder.mkdir()
        out[lang] = {p.name: p for p in write_all(report, folder, lang, workers=1)}
    return report, out


def test_the_xlsx_sheet_holds_the_section(
    written: tuple[MonthlyReport, dict[str, dict[str, Path]]],
) -> None:
    report, out = written
    section = report.rollout
    assert section is not None
    for lang, files in out.items():
        book = load_workbook(files[f"report-{MONTH}.xlsx"])
        assert book.sheetnames[1] == labels.text("rollout_sheet", lang)
        rows = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]
        by_first = {row[0]: row for row in rows if row and row[0] is not None}
        width = len(ROLLOUT_KIND_COLUMNS)
        for k in section.kinds:
            c = k.counts
            row = by_first[labels.kind_name(k.kind, lang)][:width]
            assert row[1] == k.target and row[2] == pytest.approx(float(k.done_of_target or 0))
            assert row[4:] == [c.aps, c.done, c.planned, c.due, c.overdue, c.installed,
                               c.verified, c.regressed, c.drift, c.installed_in_month]  # fmt: skip
        width = len(ROLLOUT_DISTRICT_COLUMNS)
        for d in section.districts:
            c = d.counts
            row = by_first[d.code][:width]
            assert row[1:3] == [d.name_ko, d.name_en]
            assert row[3:] == [c.aps, c.done, c.planned, c.due, c.overdue, c.installed,
                               c.verified, c.regressed, c.drift, c.installed_in_month]  # fmt: skip
        for i in section.installs:
            row = by_first[i.ap_id]
            assert row[1] == i.district_code and row[5] == labels.kind_name(i.kind, lang)
            assert row[7] == i.installed_at.replace(tzinfo=None)
            assert row[8] == labels.state_name(i.state, lang)
            after = i.after
            assert after is not None
            assert row[14:19] == [after.days, float(labels.gb(after.traffic_per_day)),
                                  after.peak_clients, after.sessions_per_day,
                                  after.poll_success]  # fmt: skip
            if i.before is not None:
                assert row[10] == float(labels.gb(i.before.traffic_per_day))
                assert row[13] == i.before.poll_success
            else:
                assert row[9:14] == [None] * 5


def test_the_pdf_shows_the_section(
    written: tuple[MonthlyReport, dict[str, dict[str, Path]]],
) -> None:
    need("pdftotext")
    report, out = written
    section = report.rollout
    assert section is not None
    for lang, files in out.items():
        text = pdf_text(files[f"report-{MONTH}.pdf"])
        assert labels.text("rollout_title", lang) in text
        assert "와이파이6 교체·신설" in text and "Wi-Fi 6 rollout" in text
        assert labels.fmt_epoch(section.as_of) in text  # as of 2025-09-01 00:00 KST
        lines = text.splitlines()

        def numbers(label: str, lines: list[str] = lines) -> list[str]:
            """The figures after ``label`` on the first line that starts with it and them."""
            for row in lines:
                if row.strip().startswith(label):
                    rest = row[row.index(label) + len(label) :].split()
                    if rest and rest[0][0] in "0123456789-":
                        return rest
            raise AssertionError(f"no line {label!r} in the PDF")

        kinds = section.kinds
        assert numbers(labels.text("target", lang)) == ["450", "280", "730"]
        assert numbers(labels.text("plan_aps", lang)) == [str(k.counts.aps) for k in kinds]
        assert numbers(labels.text("done", lang)) == [str(k.counts.done) for k in kinds]
        assert numbers(labels.text("done_of_target", lang)) == [
            labels.fmt_pct(k.done_of_target) for k in kinds]  # fmt: skip
        for state in STATES:
            assert numbers(labels.state_label(state, lang)) == [
                str(getattr(k.counts, state)) for k in kinds], state  # fmt: skip
        for d in section.districts:
            name = labels.both_names(d.name_ko, d.name_en, lang)
            c = d.counts
            assert numbers(name) == [str(n) for n in (c.aps, c.done, c.verified, c.overdue,
                                                      c.regressed, c.drift,
                                                      c.installed_in_month)], name  # fmt: skip
        for i in section.installs:
            line = next(row for row in lines if i.ap_id in row)
            assert i.installed_at.date().isoformat() in line
            assert labels.state_name(i.state, lang) in line
            assert i.after is not None and labels.fmt_gb(i.after.traffic_per_day) in line
            assert labels.fmt_pct(labels.share(i.after.poll_success)) in line
        assert labels.text("drift_outside", lang, n=1) in text


def test_the_rollout_csv_and_the_manifest(fleet: Fleet, tmp_path: Path) -> None:
    root = tmp_path / "reports"
    query, book = FakeInfluxQL(), load_tariffs()
    first = produce(query, book, fleet.inventory.aps, MONTH, root, now=MADE, mirror=fleet.mirror)
    manifest = json.loads((first.path / "manifest.json").read_text(encoding="utf-8"))
    entries = {e["name"]: e for e in manifest["files"]}
    csv_path = first.path / f"rollout-{MONTH}.csv"
    assert f"rollout-{MONTH}.csv" in entries
    assert entries[csv_path.name]["sha256"] == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    report = report_of(fleet)
    assert report.rollout is not None
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == [labels.text(k, "ko") for k in ROLLOUT_COLUMNS]
    want = [[plain(v[k]) for k in ROLLOUT_COLUMNS] for v in rollout_values(report, report.rollout)]
    assert rows[1:] == want
    assert [r[:4] for r in rows[1:4]] == [["11000", "서울특별시", "Seoul", k]
                                          for k in ("replacement", "new", "all")]  # fmt: skip
    assert len(rows) == 1 + 3 + 25 and rows[3][5:7] == ["9", "4"]  # all: 9 planned, 4 done
    assert manifest["inputs"]["rollout"] == {
        "as_of": END, "aps": 9, "done": 4, "verified": 2, "overdue": 2, "regressed": 1,
        "drift": 0, "installed_in_month": 3,
    }  # fmt: skip
    # a re-run after the store learnt more about the month says so
    late = fleet.items["new_q2"]
    fleet.store.record([Sighting(late.ap.id, "snmp", "", None, at("2025-08-29T10:00"), LATER)])
    again = produce(query, book, fleet.inventory.aps, MONTH, root, now=MADE, mirror=fleet.mirror)
    assert again.number == 2
    assert "rollout done 4 -> 5" in again.reason, again.reason
    assert "rollout overdue 2 -> 1" in again.reason


def test_render_pages_for_a_look(
    written: tuple[MonthlyReport, dict[str, dict[str, Path]]], tmp_path: Path
) -> None:
    """The rollout pages render (a person looks at them: pdftoppm -png -r 60)."""
    need("pdftoppm")
    _, out = written
    pdf = out["ko"][f"report-{MONTH}.pdf"]
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")],
                   check=True)  # fmt: skip
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 4 and all(p.stat().st_size > 5_000 for p in pages)
