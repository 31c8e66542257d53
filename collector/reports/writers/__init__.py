"""Writers of the monthly report: one :class:`~collector.reports.table.MonthlyReport`, every format.

Writers format, they never compute: every number is a field of the table, shown as TB (bytes /
10^12, 3 decimals), a percentage or a number with thousands separators (:mod:`.labels`). Files,
all in one folder (a report revision):

- ``report-YYYY-MM.csv``: one row per area, UTF-8 with BOM (:mod:`.csv_out`);
- ``rollout-YYYY-MM.csv``: the Wi-Fi 6 rollout's counts per kind and per gu, the same encoding
  (:mod:`.csv_out`); only when the inventory has a programme;
- ``report-YYYY-MM.xlsx``: summary sheet, the rollout and one sheet per area (:mod:`.xlsx`);
- ``report-YYYY-MM.pdf``: the published document, A4, NanumGothic embedded (:mod:`.pdf`);
- ``opendata-YYYY-MM.json``, ``opendata-YYYY-MM.csv``, ``opendata.schema.json``: flat records
  for the open-data portal and their JSON Schema (:mod:`.opendata`);
- ``manifest.json``, written last by :func:`.manifest.write_manifest` with a digest per file.

``lang`` (``ko`` or ``en``) chooses the labels of the CSV, XLSX and PDF; open data is always
the same English keys with Korean names beside the English ones.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from collector.reports.table import MonthlyReport
from collector.reports.writers import labels
from collector.reports.writers.csv_out import rollout_file, write_csv, write_rollout_csv
from collector.reports.writers.opendata import write_opendata
from collector.reports.writers.pdf import font_paths, prepare, write_pdf
from collector.reports.writers.xlsx import write_xlsx

__all__ = ["file_stem", "write_all", "writer_pool"]


def file_stem(report: MonthlyReport) -> str:
    """``report-2026-11``: the name of the CSV, XLSX and PDF without suffix."""
    return f"report-{report.month}"


def _prepare_writer() -> None:
    """The writer process's start: a failure here would break the pool, so it is left for
    :func:`write_pdf` to report (write_all checks the font first anyway)."""
    with contextlib.suppress(Exception):
        prepare()


def _started() -> None:
    """A first task, so that the process starts (and prepares) now."""


@contextlib.contextmanager
def writer_pool(workers: int | None = None) -> Iterator[ProcessPoolExecutor | None]:
    """The PDF writer's process, started now (importing fpdf2 and parsing the Korean font,
    :func:`.pdf.prepare`) so that it is ready when the report is built; ``None`` with one core
    (or ``workers=1``)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if (workers or cores) < 2:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    initializer = _prepare_writer
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=initializer) as pool:
        pool.submit(_started)  # the pool starts its process on the first task
        yield pool


def write_all(
    report: MonthlyReport,
    out_dir: Path,
    lang: str,
    *,
    workers: int | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> list[Path]:
    """Write every format into ``out_dir`` (which must exist); the paths, manifest excluded.

    In order: the CSV, the rollout CSV (when there is a programme), the XLSX, the PDF, open data.

    The PDF (its Korean font is parsed per document) and the XLSX are the slow two: with more
    than one core the PDF is written in its own process (``spawn``: safe from a threaded
    collector) while this one writes the XLSX, CSV and open data. ``workers=1`` writes in turn.
    """
    labels.check_lang(lang)
    font_paths()  # fail before writing anything when the PDF's font is missing
    stem = file_stem(report)
    csv_path, xlsx_path, pdf_path = (out_dir / f"{stem}.{x}" for x in ("csv", "xlsx", "pdf"))
    rollout_path = out_dir / rollout_file(report)
    if pool is None:
        with writer_pool(workers) as own:
            if own is None:
                written = [write_csv(report, csv_path, lang)]
                rollout = write_rollout_csv(report, rollout_path, lang)
                written += [rollout] if rollout is not None else []
                return [
                    *written,
                    write_xlsx(report, xlsx_path, lang),
                    write_pdf(report, pdf_path, lang),
                    *write_opendata(report, out_dir),
                ]
            return write_all(report, out_dir, lang, pool=own)
    pdf = pool.submit(write_pdf, report, pdf_path, lang)
    written = [write_csv(report, csv_path, lang)]
    rollout = write_rollout_csv(report, rollout_path, lang)
    written += [rollout] if rollout is not None else []
    written_xlsx = write_xlsx(report, xlsx_path, lang)
    opendata = write_opendata(report, out_dir)
    return [*written, written_xlsx, pdf.result(), *opendata]
