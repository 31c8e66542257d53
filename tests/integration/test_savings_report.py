"""Savings and the monthly report over a real influxd, from a lab month backfilled for real.

One module-scoped fleet: 12 generated APs, ``pubwifi lab backfill`` of February 2026 (and the
days around it) through the collector's own write path and ledger rollup. Then, as the real
CLI (subprocesses): ``pubwifi savings`` equals ``pubwifi lab truth`` for the month to the byte
and session, its districts add up to its total to the won, the report's tables agree with
``savings``, revisions are never overwritten, and bad months and tariffs exit 2 with one line.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import Server, create_database, influxd, running

pytestmark = [pytest.mark.integration, pytest.mark.needs("/usr/bin/influxd")]

MONTH = "2026-02"
FROM, TO = "2026-02-01T00:00:00+09:00", "2026-03-01T00:00:00+09:00"
SECRETS = {
    "PUBWIFI_SNMP_COMMUNITY": "savings-community",
    "PUBWIFI_SNMP_V3_USER": "savingsuser",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "savings-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "savings-priv-key",
}


def run(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("savings")
    server: Server = influxd(tmp / "influxd")
    with running(server):
        create_database(server, "pubwifi")
        env = {
            **os.environ, **SECRETS,
            "PUBWIFI_DATA_DIR": str(tmp / "var"),
            "PUBWIFI_INFLUX_URL": server.url,
            "PUBWIFI_INFLUX_DATABASE": "pubwifi",
            "PUBWIFI_INVENTORY": str(tmp / "inventory.yaml"),
        }  # fmt: skip
        run("inventory", "generate", "--aps", "12", "-o", str(tmp / "inventory.yaml"),
            "--seed", "29", env=env)  # fmt: skip
        run("lab", "backfill", "--inventory", str(tmp / "inventory.yaml"), "--days", "30",
            "--until", "2026-03-01T12:00:00+09:00", env=env)  # fmt: skip
        yield {"env": env, "tmp": tmp, "server": server}


def savings_json(fleet: dict[str, Any], *args: str) -> dict[str, Any]:
    out = run("savings", "--from", FROM, "--to", TO, "--json", *args, env=fleet["env"]).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def test_savings_of_the_month_equal_lab_truth(fleet: dict[str, Any]) -> None:
    inventory = fleet["env"]["PUBWIFI_INVENTORY"]
    truth = json.loads(run("lab", "truth", "--inventory", inventory, "--from", FROM, "--to", TO,
                           "--json", env=fleet["env"]).stdout)  # fmt: skip
    by_ap = {r["key"]: r for r in savings_json(fleet, "--by", "ap")["rows"]}
    answering = [row for row in truth["aps"] if row["bytes_out"] > 0]
    assert len(answering) >= 9
    for row in answering:
        mine = by_ap[row["ap"]]
        assert mine["coverage"] == 1.0, row["ap"]
        assert (mine["rx_bytes"], mine["tx_bytes"]) == (row["bytes_in"], row["bytes_out"])
        if mine["sessions"]:  # platforms with a session counter
            assert mine["sessions"] == row["sessions"], row["ap"]
    assert any(r["sessions"] for r in by_ap.values())


def test_groupings_add_up_to_the_total_to_the_won(fleet: dict[str, Any]) -> None:
    totals = []
    for by in ("ap", "site", "district", "month", "mount"):
        table = savings_json(fleet, "--by", by)
        rows, total = table["rows"], table["total"]
        assert sum(r["krw"] for r in rows) == total["krw"], by
        assert sum(r["bytes"] for r in rows) == total["bytes"], by
        assert sum(r["sessions"] for r in rows) == total["sessions"], by
        totals.append((total["bytes"], total["krw"], total["krw_exact"]))
        assert table["tariffs"][0]["id"] == "seoul-2024-implied"
    assert len(set(totals)) == 1  # every grouping of the month prices the same bytes the same
    bytes_, krw, exact = totals[0]
    assert krw == round(float(exact)) and krw == round(bytes_ * 5684.66 / 1e9)


def test_savings_csv_and_text(fleet: dict[str, Any]) -> None:
    out = run("savings", "--from", FROM, "--to", TO, "--csv", env=fleet["env"]).stdout
    rows = list(csv.DictReader(out.splitlines()))
    assert rows[-1]["key"] == "total" and len(rows) >= 3
    assert all(len(r["key"]) == 5 and r["key"].startswith("11") for r in rows[:-1])  # gu codes
    assert sum(int(r["krw"]) for r in rows[:-1]) == int(rows[-1]["krw"])
    text = run("savings", "--from", FROM, "--to", TO, env=fleet["env"]).stdout
    assert "강남구" in text and "seoul-2024-implied" in text and "coverage" in text


def test_report_agrees_with_savings_and_revisions_are_kept(fleet: dict[str, Any]) -> None:
    env, out_dir = fleet["env"], fleet["tmp"] / "reports"
    first = run("report", "monthly", "--month", MONTH, "-o", str(out_dir), env=env)
    assert "r1" in first.stdout and "first report" in first.stdout
    r1_manifest = (out_dir / MONTH / "r1" / "manifest.json").read_text()
    manifest = json.loads(r1_manifest)
    table = savings_json(fleet, "--by", "district")
    assert manifest["inputs"]["krw"] == table["total"]["krw"]
    assert manifest["inputs"]["total_bytes"] == table["total"]["bytes"]
    again = run("report", "monthly", "--month", MONTH, "-o", str(out_dir), env=env)
    assert "r2" in again.stdout and "re-run of r1" in again.stdout and "unchanged" in again.stdout
    assert (out_dir / MONTH / "r1" / "manifest.json").read_text() == r1_manifest
    assert (
        json.loads((out_dir / MONTH / "r2" / "manifest.json").read_text())["inputs"]["revision"]
        == 2
    )
    assert (out_dir / MONTH / "latest").read_text().strip() == "r2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2099-01"], "--month:0: 2099-01 is in the future"),
        (["--month", "2024-05"], "--month:0: the ledger has no data for 2024-05"),
        (["--month", MONTH, "--tariff", "nope"], "--tariff:0: unknown tariff id 'nope'"),
        (["--month", "2026-13"], "--month:0: '2026-13': expected YYYY-MM"),
    ],
)
def test_bad_months_and_tariffs_exit_2(
    fleet: dict[str, Any], args: list[str], message: str
) -> None:
    done = run("report", "monthly", *args, "-o", str(fleet["tmp"] / "bad"), env=fleet["env"],
               check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.needs("pdftotext", "pdffonts")
def test_every_format_carries_the_same_numbers(fleet: dict[str, Any]) -> None:
    """CSV, XLSX and PDF of one revision, read back by tools nobody here wrote, agree."""
    import hashlib

    import openpyxl

    env, out_dir = fleet["env"], fleet["tmp"] / "formats"
    run("report", "monthly", "--month", MONTH, "-o", str(out_dir), "--lang", "ko", env=env)
    folder = out_dir / MONTH / "r1"
    manifest = json.loads((folder / "manifest.json").read_text())
    table = savings_json(fleet, "--by", "district")
    krw, total_bytes = table["total"]["krw"], table["total"]["bytes"]
    district_krw = {r["key"]: r["krw"] for r in table["rows"]}
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
    raw = (folder / f"report-{MONTH}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv_cells = [row for row in csv.reader(raw.decode("utf-8-sig").splitlines())]
    flat = {cell for row in csv_cells for cell in row}
    assert str(krw) in flat and str(total_bytes) in flat
    assert all(str(v) in flat for v in district_krw.values())
    book = openpyxl.load_workbook(folder / f"report-{MONTH}.xlsx", read_only=True)
    numbers = {
        cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
        for cell in row if isinstance(cell, int | float) and not isinstance(cell, bool)
    }  # fmt: skip
    assert krw in numbers and total_bytes in numbers
    assert all(v in numbers for v in district_krw.values())
    assert len(book.worksheets) >= 26  # the summary and one per gu
    pdf = folder / f"report-{MONTH}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert f"{krw:,}" in text and "강남구" in text and "서울" in text
    for code, value in district_krw.items():
        assert f"{value:,}" in text, code
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    assert "Nanum" in fonts and " yes " in fonts  # embedded
    artifacts = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf),
                    str(artifacts / "report-integration")], check=True)  # fmt: skip


def _made_line(row: tuple[object, ...]) -> bool:
    """The "생성: <minute> KST" line: two reports made a minute apart differ only there."""
    return isinstance(row[0], str) and row[0].startswith(("생성:", "Generated:"))


def test_the_local_ledger_copy_answers_as_influxdb_does(fleet: dict[str, Any]) -> None:
    """The backfill's roll-up filled the copy; reading InfluxDB alone (a data directory without
    it) gives the same savings and report; ``ledger-copy`` rebuilds the same copy from InfluxDB."""
    env = fleet["env"]
    copy = Path(env["PUBWIFI_DATA_DIR"]) / "ledger" / "ledger.sqlite"
    assert copy.exists()
    bare = {**env, "PUBWIFI_DATA_DIR": str(fleet["tmp"] / "no-copy")}
    rebuilt = {**env, "PUBWIFI_DATA_DIR": str(fleet["tmp"] / "rebuilt")}
    done = run("ledger-copy", "--from", "2026-01-25", "--to", "2026-03-05", env=rebuilt)
    assert "copied 30 days" in done.stdout or "copied 31 days" in done.stdout, done.stdout
    for by in ("ap", "district", "month"):
        args = ("savings", "--from", FROM, "--to", TO, "--json", "--by", by)
        from_copy = json.loads(run(*args, env=env).stdout)
        assert json.loads(run(*args, env=bare).stdout) == from_copy
        assert json.loads(run(*args, env=rebuilt).stdout) == from_copy
    from openpyxl import load_workbook

    books = []
    for name, where in (("copy", env), ("influx", bare)):
        out = fleet["tmp"] / f"report-{name}"
        run("report", "monthly", "--month", MONTH, "-o", str(out), env=where)
        book = load_workbook(out / MONTH / "r1" / f"report-{MONTH}.xlsx", read_only=True)
        books.append(
            {
                ws.title: [row for row in ws.iter_rows(values_only=True) if not _made_line(row)]
                for ws in book.worksheets
            }
        )
    assert books[0] == books[1]  # every sheet, the daily usage included (not when each was made)
    cells = {str(v) for rows in books[0].values() for row in rows for v in row}
    assert any(c.startswith("2026-02-14") for c in cells)
