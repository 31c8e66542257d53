"""The report's writers: every format read back equals the one table it was written from."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from report_sample import sample_report

from collector.reports.table import MonthlyReport
from collector.reports.writers import labels, opendata, write_all
from collector.reports.writers.csv_out import COLUMNS, area_values, areas, plain
from collector.reports.writers.manifest import write_manifest
from collector.reports.writers.pdf import FontMissingError, font_paths
from collector.reports.writers.xlsx import AREA_COLUMNS, sheet_name

ROOT = Path(__file__).resolve().parents[4]
ARTIFACTS = ROOT / "var" / "test-artifacts"
PACKAGES = {"pdftotext": "poppler-utils", "pdffonts": "poppler-utils", "pdftoppm": "poppler-utils"}


def need(*binaries: str) -> None:
    """Skip (developer's machine) or fail (``CI=true``) unless every binary is installed."""
    missing = [f"{b} (Debian package {PACKAGES[b]})" for b in binaries if shutil.which(b) is None]
    if not missing:
        return
    reason = "not installed: " + ", ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so this is a failure, not a skip: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def report() -> MonthlyReport:
    return sample_report()


@pytest.fixture(scope="module", params=["ko", "en"])
def written(
    request: pytest.FixtureRequest, report: MonthlyReport, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, dict[str, Path]]:
    lang: str = request.param
    out = tmp_path_factory.mktemp(f"report-{lang}")
    files = write_all(report, out, lang)
    return lang, out, {p.name: p for p in files}


def test_the_sample_adds_up(report: MonthlyReport) -> None:
    city = report.city.figures
    assert [a.code for a in report.districts] == sorted(a.code for a in report.districts)
    assert len(report.districts) == 25 and len(report.city.daily) == 30
    for field in ("total_bytes", "sessions", "krw", "est_bytes", "aps", "expected_ap_s"):
        assert sum(getattr(a.figures, field) for a in report.districts) == getattr(city, field)
    for area in areas(report):
        f = area.figures
        assert sum(d.figures.total_bytes for d in area.daily) == f.total_bytes
        assert sum(d.figures.krw for d in area.daily) == f.krw
        assert sum(m.figures.krw for m in area.by_mount) == f.krw
        assert sum(m.figures.total_bytes for m in area.by_mount) == f.total_bytes
    assert city.krw == round(city.krw_exact)


def test_write_all_names_every_file(written: tuple[str, Path, dict[str, Path]]) -> None:
    _, out, files = written
    assert set(files) == {
        "report-2026-11.csv", "report-2026-11.xlsx", "report-2026-11.pdf",
        "opendata-2026-11.json", "opendata-2026-11.csv", "opendata.schema.json",
    }  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == sorted(files)
    assert all(p.stat().st_size > 0 for p in files.values())


def test_unknown_language_is_refused(report: MonthlyReport, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown report language 'fr'"):
        write_all(report, tmp_path, "fr")
    assert list(tmp_path.iterdir()) == []


# --- CSV ------------------------------------------------------------------------------------


def test_csv_has_a_bom_and_parses_back_equal_to_the_table(
    written: tuple[str, Path, dict[str, Path]], report: MonthlyReport
) -> None:
    lang, _, files = written
    raw = files["report-2026-11.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == [labels.text(key, lang) for key in COLUMNS]
    assert ("이용량(TB)" if lang == "ko" else "Usage (TB)") in rows[0]
    body = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["code"] for r in body] == ["11000", *(a.code for a in report.districts)]
    for row, area in zip(body, areas(report), strict=True):
        f = area.figures
        assert int(row["bytes"]) == f.total_bytes
        assert int(row["rx_bytes"]) == f.rx_bytes and int(row["tx_bytes"]) == f.tx_bytes
        assert int(row["sessions"]) == f.sessions and int(row["krw"]) == f.krw
        assert int(row["est_bytes"]) == f.est_bytes and int(row["est_krw"]) == f.est_krw
        assert int(row["aps"]) == f.aps and int(row["aps_with_gaps"]) == f.aps_with_gaps
        assert Decimal(row["usage_tb"]) == labels.tb(f.total_bytes)
        assert abs(Decimal(row["usage_tb"]) - f.tb) <= Decimal("0.0005")
        assert f.coverage is not None
        assert abs(Decimal(row["coverage_pct"]) / 100 - f.coverage) <= Decimal("0.00005")
        assert row["name_ko"] == area.name_ko and row["name_en"] == area.name_en
        assert row == {k: plain(v) for k, v in area_values(area).items()}
        assert "," not in row["bytes"] and "E" not in row["usage_tb"]
    # a gu with no ledger a year earlier: an empty cell, not 0
    assert next(r for r in body if r["code"] == "11740")["change_prev_year_pct"] == ""
    assert sum(int(r["krw"]) for r in body[1:]) == int(body[0]["krw"])


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_cells_are_numbers_equal_to_the_table(
    written: tuple[str, Path, dict[str, Path]], report: MonthlyReport
) -> None:
    lang, _, files = written
    wb = load_workbook(files["report-2026-11.xlsx"])
    names = wb.sheetnames
    assert names[0] == labels.text("summary", lang)
    assert names[1] == labels.text("rollout_sheet", lang)  # one line: no programme here
    assert names[2:] == [sheet_name(a, lang) for a in areas(report)]
    assert len(names) == 1 + 1 + 1 + 25 and all(len(n) <= 31 for n in names)
    if lang == "ko":
        assert "11680 강남구" in names
    summary = wb[names[0]]
    assert summary.freeze_panes is not None
    head = next(
        row for row in range(1, 10) if summary.cell(row, 1).value == labels.text("code", lang)
    )
    assert summary.freeze_panes == f"C{head + 1}"
    keys = [key for key, _ in AREA_COLUMNS]
    col = {key: i + 1 for i, key in enumerate(keys)}
    for offset, area in enumerate(areas(report), start=1):
        f, r = area.figures, head + offset

        def cell(key: str, r: int = r) -> Any:
            return summary.cell(r, col[key])

        assert cell("code").value == area.code
        for key, want in (("bytes", f.total_bytes), ("rx_bytes", f.rx_bytes),
                          ("tx_bytes", f.tx_bytes), ("sessions", f.sessions), ("krw", f.krw),
                          ("est_krw", f.est_krw), ("aps", f.aps)):  # fmt: skip
            assert isinstance(cell(key).value, int) and cell(key).value == want, key
            assert cell(key).number_format == "#,##0"
        assert isinstance(cell("usage_tb").value, float)
        assert cell("usage_tb").value == pytest.approx(float(f.tb), rel=1e-12)
        assert cell("usage_tb").number_format.endswith("0.000")
        assert cell("coverage").value == pytest.approx(float(f.coverage or 0), rel=1e-12)
        assert cell("coverage").number_format == "0.0%"
    gangnam = wb[sheet_name(next(a for a in report.districts if a.code == "11680"), lang)]
    assert gangnam.freeze_panes is not None
    area = next(a for a in report.districts if a.code == "11680")
    values = [c.value for row in gangnam.iter_rows() for c in row]
    assert area.figures.krw in values
    assert all(d.figures.krw in values for d in area.daily)
    assert all(s.name in values for s in area.top_sites)
    assert labels.mount_name(area.by_mount[0].mount, lang) in values


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_text_fonts_and_page_one(
    written: tuple[str, Path, dict[str, Path]], report: MonthlyReport, tmp_path: Path
) -> None:
    need("pdftotext", "pdffonts", "pdftoppm")
    lang, _, files = written
    pdf = files["report-2026-11.pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "월간 공공와이파이 통신비 절감 보고서" in text
    assert "Monthly Public Wi-Fi Savings Report" in text
    assert f"{report.city.figures.krw:,}" in text  # the city's KRW, with separators
    assert labels.fmt_tb(report.city.figures.total_bytes) in text
    names = [a.name_ko if lang == "ko" else a.name_en for a in report.districts]
    assert all(name in text for name in names), [n for n in names if n not in text]
    assert ("강남구" if lang == "ko" else "Gangnam-gu") in text
    assert "seoul-2024-implied" in text and "5,684.66" in text
    assert re.search(r"(1\s*/\s*\d+\s*쪽|Page 1 of \d+)", text)
    assert "pubwifi 0.1.0" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    nanum = [line for line in fonts.splitlines() if "NanumGothic" in line]
    assert nanum and all(" yes " in line for line in nanum), fonts  # embedded
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    (png,) = tmp_path.glob("page*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, ARTIFACTS / ("report-page1.png" if lang == "ko"
                                      else f"report-page1-{lang}.png"))  # fmt: skip


def test_pdf_says_month_to_date(tmp_path: Path) -> None:
    need("pdftotext")
    files = write_all(sample_report(month_to_date=True), tmp_path, "ko")
    pdf = next(p for p in files if p.suffix == ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "월 중간 집계" in text and "2026-11-18 15:00 KST" in text


def test_a_missing_font_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(FontMissingError, match="fonts-nanum"):
        font_paths(tmp_path)


# --- open data ------------------------------------------------------------------------------


def _check(value: Any, schema: dict[str, Any], where: str) -> None:
    """The subset of JSON Schema the open-data schema uses (when jsonschema is not installed)."""
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        kinds: dict[str, Any] = {
            "string": str, "integer": int, "number": (int, float), "boolean": bool,
            "object": dict, "array": list, "null": type(None),
        }  # fmt: skip
        ok = any(
            isinstance(value, kinds[n]) and not (isinstance(value, bool) and n != "boolean")
            for n in names
        )
        assert ok, f"{where}: {value!r} is not {types}"
    if "const" in schema:
        assert value == schema["const"], where
    if "enum" in schema:
        assert value in schema["enum"], where
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{where}: {value!r}"
    if "minimum" in schema and isinstance(value, int | float):
        assert value >= schema["minimum"], where
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: {key} missing"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(props), f"{where}: {set(value) - set(props)}"
        for key, item in value.items():
            sub = props.get(key, schema.get("additionalProperties"))
            if isinstance(sub, dict):
                _check(item, sub, f"{where}.{key}")
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0), where
        for i, item in enumerate(value):
            _check(item, schema.get("items", {}), f"{where}[{i}]")


def test_open_data_validates_against_its_schema(
    written: tuple[str, Path, dict[str, Path]], report: MonthlyReport
) -> None:
    _, _, files = written
    schema = json.loads(files["opendata.schema.json"].read_text(encoding="utf-8"))
    data = json.loads(files["opendata-2026-11.json"].read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:
        _check(data, schema, "$")
    else:  # pragma: no cover - only where jsonschema happens to be installed
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
        _check(data, schema, "$")
    records = data["records"]
    assert len(records) == 26 and records[0]["area_level"] == "city"
    assert [r["district_code"] for r in records[1:]] == [a.code for a in report.districts]
    for rec, area in zip(records, areas(report), strict=True):
        assert rec["total_bytes"] == area.figures.total_bytes
        assert rec["savings_krw"] == area.figures.krw
        assert rec["usage_tb"] == float(labels.tb(area.figures.total_bytes))
        assert rec["month"] == "2026-11" and rec["tariff_ids"] == "seoul-2024-implied"
    assert sum(r["savings_krw"] for r in records[1:]) == records[0]["savings_krw"]
    # the CSV twin: the same records, UTF-8 with BOM
    raw = files["opendata-2026-11.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(opendata.KEYS)
    for row, rec in zip(rows, records, strict=True):
        assert int(row["total_bytes"]) == rec["total_bytes"]
        assert row["district_name_ko"] == rec["district_name_ko"]
        assert (row["change_prev_year_pct"] == "") == (rec["change_prev_year_pct"] is None)


def test_open_data_docstring_documents_every_key() -> None:
    doc = opendata.__doc__ or ""
    assert all(re.search(rf"^{key}\s", doc, re.MULTILINE) for key in opendata.KEYS)


# --- manifest -------------------------------------------------------------------------------


def test_manifest_digests_match_the_files(
    written: tuple[str, Path, dict[str, Path]], report: MonthlyReport
) -> None:
    _, out, files = written
    inputs = {"month": "2026-11", "revision": 1, "reason": "first report"}
    path = write_manifest(report, out, list(files.values()), inputs)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink()  # the module-scoped folder is shared with the other tests
    assert manifest["month"] == "2026-11" and manifest["tariffs"] == ["seoul-2024-implied"]
    assert manifest["software_version"] == "0.1.0" and manifest["inputs"] == inputs
    assert manifest["generated_at"] == report.generated_at.isoformat()
    assert manifest["coverage"] == pytest.approx(float(report.city.figures.coverage or 0),
                                                 abs=5e-5)  # fmt: skip
    assert [e["name"] for e in manifest["files"]] == list(files)
    for entry in manifest["files"]:
        data = (out / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
