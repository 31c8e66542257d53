"""Open data: the report as flat records per (month, area), for the Seoul open-data portal.

Three files are written side by side:

- ``opendata-YYYY-MM.json``: a UTF-8 JSON object (the schema below);
- ``opendata-YYYY-MM.csv``: the same records, one per line, the keys as the header row, UTF-8
  with a BOM (``utf-8-sig``), empty cells for null, booleans as ``true``/``false``;
- ``opendata.schema.json``: the JSON Schema (draft 2020-12) of the JSON file.

Schema of the JSON file::

    {
      "dataset": "seoul_public_wifi_monthly_savings",
      "title_ko": "월간 공공와이파이 통신비 절감", "title_en": "...",
      "month": "2026-11",            # KST calendar month
      "month_to_date": false,        # true: figures up to period_end only
      "period_start": "2026-11-01T00:00:00+09:00",
      "period_end": "2026-12-01T00:00:00+09:00",   # exclusive
      "generated_at": "...+09:00", "software_version": "0.1.0",
      "tariffs": [{"id", "krw_per_gb" (decimal string), "counts" ["rx","tx"],
                   "first_day", "last_day", "source", "method"}],
      "units": {"bytes": "...", "usage_tb": "1 TB = 10^12 bytes", ...},
      "records": [ <record>, ... ]   # the city (11000) first, then the 25 gu in code order
    }

Every record has every key below (null where a figure does not exist):

=========================  ================  ==================================================
key                        type              meaning
=========================  ================  ==================================================
month                      string            ``YYYY-MM`` (KST)
month_to_date              boolean           the month is not complete yet
area_level                 string            ``city`` (서울특별시 전체) or ``district`` (자치구)
district_code              string            시군구 코드, 5 digits; ``11000`` for the whole city
district_name_ko           string            자치구명 (서울특별시 for the city)
district_name_en           string            English name
usage_tb                   number            total_bytes / 10^12, 3 decimals (half to even)
total_bytes                integer           measured bytes, rx + tx
rx_bytes                   integer           measured bytes received by the APs
tx_bytes                   integer           measured bytes sent by the APs
sessions                   integer           client sessions
savings_krw                integer           measured bytes priced, whole won
est_uncovered_bytes        integer           estimate for uncovered AP-seconds (not in totals)
est_uncovered_krw          integer           the estimate priced, whole won (not in totals)
coverage_pct               number or null    share of expected AP-seconds the ledger covers, %
ap_count                   integer           APs expected to carry traffic
ap_with_gaps_count         integer           of those, APs with uncovered time
availability_pct           number or null    share of polls answered, %
change_prev_month_pct      number or null    change of total_bytes from the previous month, %
change_prev_year_pct       number or null    change of total_bytes from a year earlier, %
tariff_ids                 string            tariff entries that priced the month, ``;``-joined
=========================  ================  ==================================================

Percentages have 2 decimals (half to even). Every number is a field of
:class:`~collector.reports.table.MonthlyReport`, only formatted.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from collector.reports.table import AreaReport, MonthlyReport
from collector.reports.writers import labels
from collector.reports.writers.csv_out import areas

SCHEMA_NAME = "opendata.schema.json"
DATASET = "seoul_public_wifi_monthly_savings"
_NUM_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}

#: (key, JSON Schema of the value, Korean title, English description): the record, in order.
FIELDS: tuple[tuple[str, dict[str, Any], str, str], ...] = (
    ("month", {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"}, "대상 월",
     "KST calendar month, YYYY-MM"),
    ("month_to_date", {"type": "boolean"}, "월 중간 집계 여부",
     "true when the month is not complete: figures up to period_end only"),
    ("area_level", {"type": "string", "enum": ["city", "district"]}, "지역 구분",
     "city: the whole of Seoul (11000); district: one of the 25 gu"),
    ("district_code", {"type": "string", "pattern": "^[0-9]{5}$"}, "시군구 코드",
     "administrative code of the district; 11000 for the whole city"),
    ("district_name_ko", {"type": "string", "minLength": 1}, "자치구명", "Korean name"),
    ("district_name_en", {"type": "string", "minLength": 1}, "자치구명(영문)", "English name"),
    ("usage_tb", {"type": "number", "minimum": 0}, "이용량(TB)",
     "total_bytes / 10^12 (decimal TB), 3 decimals, rounded half to even"),
    ("total_bytes", _COUNT, "이용량(바이트)", "measured bytes, rx_bytes + tx_bytes"),
    ("rx_bytes", _COUNT, "수신(바이트)", "measured bytes received by the access points"),
    ("tx_bytes", _COUNT, "송신(바이트)", "measured bytes sent by the access points"),
    ("sessions", _COUNT, "접속 수", "client sessions"),
    ("savings_krw", _COUNT, "절감액(원)",
     "measured bytes priced with the tariff, whole KRW; districts add up to the city"),
    ("est_uncovered_bytes", _COUNT, "추정치(미수집 시간) 이용량(바이트)",
     "estimate for AP-seconds the ledger does not cover; never part of total_bytes"),
    ("est_uncovered_krw", _COUNT, "추정치(미수집 시간) 절감액(원)",
     "the estimate priced, whole KRW; never part of savings_krw"),
    ("coverage_pct", _NUM_OR_NULL, "커버리지(%)",
     "share of AP-seconds of the APs expected to carry traffic that the ledger covers, "
     "percent, 2 decimals; null when no AP was expected"),
    ("ap_count", _COUNT, "AP 수", "access points expected to carry traffic"),
    ("ap_with_gaps_count", _COUNT, "수집 누락 AP 수", "of those, APs with uncovered time"),
    ("availability_pct", _NUM_OR_NULL, "가용률(%)",
     "share of polls answered, percent, 2 decimals; null when unknown"),
    ("change_prev_month_pct", _NUM_OR_NULL, "전월 대비(%)",
     "relative change of total_bytes from the previous month, percent, 2 decimals; null when "
     "the previous month has no data"),
    ("change_prev_year_pct", _NUM_OR_NULL, "전년 동월 대비(%)",
     "relative change of total_bytes from the same month a year earlier, percent, 2 decimals; "
     "null when that month has no data"),
    ("tariff_ids", {"type": "string"}, "요금 기준",
     "ids of the tariff entries that priced the month, joined with ';'"),
)  # fmt: skip
KEYS = tuple(key for key, *_ in FIELDS)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def record(report: MonthlyReport, area: AreaReport) -> dict[str, Any]:
    """One flat record (JSON values)."""
    f = area.figures
    return {
        "month": report.month,
        "month_to_date": report.month_to_date,
        "area_level": "city" if area is report.city else "district",
        "district_code": area.code,
        "district_name_ko": area.name_ko,
        "district_name_en": area.name_en,
        "usage_tb": float(labels.tb(f.total_bytes)),
        "total_bytes": f.total_bytes,
        "rx_bytes": f.rx_bytes,
        "tx_bytes": f.tx_bytes,
        "sessions": f.sessions,
        "savings_krw": f.krw,
        "est_uncovered_bytes": f.est_bytes,
        "est_uncovered_krw": f.est_krw,
        "coverage_pct": _number(labels.pct(f.coverage)),
        "ap_count": f.aps,
        "ap_with_gaps_count": f.aps_with_gaps,
        "availability_pct": _number(labels.pct(f.availability)),
        "change_prev_month_pct": _number(
            labels.pct(labels.change(area.previous_month, f.total_bytes))
        ),
        "change_prev_year_pct": _number(
            labels.pct(labels.change(area.previous_year, f.total_bytes))
        ),
        "tariff_ids": ";".join(t.id for t in report.tariffs),
    }


def document(report: MonthlyReport) -> dict[str, Any]:
    """The JSON file's object."""
    return {
        "$schema": SCHEMA_NAME,
        "dataset": DATASET,
        "title_ko": labels.text("title", "ko"),
        "title_en": labels.text("title", "en"),
        "month": report.month,
        "month_to_date": report.month_to_date,
        "period_start": _iso(report.start),
        "period_end": _iso(report.end),
        "generated_at": report.generated_at.isoformat(),
        "software_version": report.software_version,
        "tariffs": [
            {
                "id": t.id,
                "krw_per_gb": f"{t.krw_per_gb:f}",
                "counts": list(t.counts),
                "first_day": t.first_day.isoformat(),
                "last_day": t.last_day.isoformat(),
                "source": t.source,
                "method": t.method,
            }
            for t in report.tariffs
        ],
        "units": {
            "bytes": "bytes, exact integers",
            "usage_tb": "1 TB = 10^12 bytes (decimal)",
            "krw": "whole Korean won",
            "pct": "percent, 2 decimals",
        },
        "records": [record(report, area) for area in areas(report)],
    }


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, labels.KST).isoformat()


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`document`."""
    tariff = {
        "type": "object",
        "required": ["id", "krw_per_gb", "counts", "first_day", "last_day", "source", "method"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "krw_per_gb": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
                           "description": "KRW per GB (10^9 bytes), a decimal string"},
            "counts": {"type": "array", "items": {"enum": ["rx", "tx"]}, "minItems": 1},
            "first_day": {"type": "string", "format": "date"},
            "last_day": {"type": "string", "format": "date"},
            "source": {"type": "string"},
            "method": {"type": "string"},
        },
    }  # fmt: skip
    rec = {
        "type": "object",
        "required": list(KEYS),
        "additionalProperties": False,
        "properties": {
            key: {**value, "title": title, "description": description}
            for key, value, title, description in FIELDS
        },
    }
    top = {
        "$schema": {"type": "string"},
        "dataset": {"const": DATASET},
        "title_ko": {"type": "string"},
        "title_en": {"type": "string"},
        "month": FIELDS[0][1],
        "month_to_date": {"type": "boolean"},
        "period_start": {"type": "string", "format": "date-time"},
        "period_end": {"type": "string", "format": "date-time",
                       "description": "exclusive end of the period"},
        "generated_at": {"type": "string", "format": "date-time"},
        "software_version": {"type": "string"},
        "tariffs": {"type": "array", "items": tariff},
        "units": {"type": "object", "additionalProperties": {"type": "string"}},
        "records": {"type": "array", "items": rec, "minItems": 1,
                    "description": "the city (11000) first, then the 25 gu in code order"},
    }  # fmt: skip
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_NAME,
        "title": "Seoul public Wi-Fi monthly savings (월간 공공와이파이 통신비 절감)",
        "description": "One record per (month, area): the city and each of the 25 gu. Bytes are "
        "measured radio bytes; savings are what the same data would have cost on a mobile "
        "tariff; estimates for uncovered time are separate fields, never added to the totals.",
        "type": "object",
        "required": list(top),
        "additionalProperties": False,
        "properties": top,
    }


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{Decimal(repr(value)):f}"
    return str(value)


def _dump(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_opendata(report: MonthlyReport, out_dir: Path) -> list[Path]:
    """The JSON, its CSV and the schema, in ``out_dir``; returns their paths."""
    data = document(report)
    json_path = out_dir / f"opendata-{report.month}.json"
    _dump(data, json_path)
    csv_path = out_dir / f"opendata-{report.month}.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(KEYS)
        for rec in data["records"]:
            writer.writerow([_csv_cell(rec[key]) for key in KEYS])
    schema_path = out_dir / SCHEMA_NAME
    _dump(schema(), schema_path)
    return [json_path, csv_path, schema_path]
