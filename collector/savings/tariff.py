"""Tariffs as versioned data: the tariff book, its periods in force, and strict loading.

A *tariff* is a rate in KRW per decimal GB (10^9 bytes) in force over whole KST calendar days
(``effective_from`` .. ``effective_to``, both inclusive; ``None`` is open-ended), pricing the
radio directions named in ``counts``. The *book* is the file of all tariffs; periods must not
overlap (gaps are allowed, but pricing a day in a gap is an error). The packaged book is
:data:`DEFAULT_TARIFFS`. Nothing is cached: every :func:`load_tariffs` reads the file again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from collector.errors import InputError, Problem
from collector.yamlstrict import Document, load_yaml, locate_validation_error

DEFAULT_TARIFFS: Path = Path(__file__).with_name("tariffs.yaml")
DIRECTIONS: tuple[str, ...] = ("rx", "tx")
#: Rates may have at most this many decimal places (keeps :func:`~collector.savings.money.
#: krw_exact` exact within its precision).
MAX_RATE_DECIMALS = 6
MAX_RATE_INTEGER_DIGITS = 15

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Tariff:
    """One rate and the days it is in force."""

    id: str
    effective_from: dt.date
    effective_to: dt.date | None  # inclusive; None: open-ended
    krw_per_gb: Decimal
    counts: tuple[str, ...]  # a subset of ("rx", "tx"), in that order
    source: str
    method: str
    line: int = 0  # where the entry starts in its book (0: not from a file)

    def in_force(self, day: dt.date) -> bool:
        """Whether ``day`` (a KST calendar day) is in this tariff's period."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def period_text(self) -> str:
        end = "open-ended" if self.effective_to is None else str(self.effective_to)
        return f"{self.effective_from}..{end}"


@dataclass(frozen=True, slots=True)
class TariffBook:
    """All tariffs of one file, sorted by ``effective_from``; their periods do not overlap."""

    path: str
    tariffs: tuple[Tariff, ...]

    def get(self, tariff_id: str) -> Tariff:
        for tariff in self.tariffs:
            if tariff.id == tariff_id:
                return tariff
        known = ", ".join(sorted(t.id for t in self.tariffs))
        raise InputError.at("--tariff", 0, f"unknown tariff id {tariff_id!r} (known: {known})")

    def in_force(self, day: dt.date) -> Tariff:
        for tariff in self.tariffs:
            if tariff.in_force(day):
                return tariff
        covered = ", ".join(f"{t.id} {t.period_text()}" for t in self.tariffs) or "none"
        raise InputError.at(self.path, 0, f"no tariff in force on {day} (tariffs: {covered})")

    def periods(
        self, first_day: dt.date, end_day: dt.date
    ) -> list[tuple[dt.date, dt.date, Tariff]]:
        """``[first_day, end_day)`` split where the tariff changes: ``(first, end, tariff)``.

        Each piece is half-open too; together they cover the range exactly, in order. An empty
        range gives no pieces. Raises :class:`InputError` if any day of it has no tariff.
        """
        if end_day < first_day:
            raise ValueError(f"periods: end {end_day} is before first {first_day}")
        pieces: list[tuple[dt.date, dt.date, Tariff]] = []
        day = first_day
        while day < end_day:
            tariff = self.in_force(day)
            stop = end_day
            if tariff.effective_to is not None and tariff.effective_to < end_day:
                stop = tariff.effective_to + _ONE_DAY
            pieces.append((day, stop, tariff))
            day = stop
        return pieces


# --- the file's shape -------------------------------------------------------------------------


def _check_id(value: str) -> str:
    if not value:
        raise PydanticCustomError("tariff_id", "must not be empty")
    if len(value) > 64 or not _ID.fullmatch(value):
        raise PydanticCustomError(
            "tariff_id",
            "{value} is not a valid id (letters, digits, _ . -; at most 64; "
            "starting with a letter or digit)",
            {"value": repr(value)},
        )
    return value


def _check_rate(value: str | float | int) -> Decimal:
    text = str(value)
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        if re.fullmatch(r"-[0-9]+(\.[0-9]+)?", value):
            raise PydanticCustomError("tariff_rate", "must be positive, got {text}", {"text": text})
        raise PydanticCustomError(
            "tariff_rate",
            '{text} is not a decimal number (write digits and a point, e.g. "5684.66")',
            {"text": repr(text)},
        )
    try:
        rate = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern and str(float) exclude it
        raise PydanticCustomError(
            "tariff_rate", "{text} is not a decimal number", {"text": repr(text)}
        ) from None
    if not rate.is_finite():
        raise PydanticCustomError(
            "tariff_rate", "must be a finite number, got {text}", {"text": text}
        )
    if rate <= 0:
        raise PydanticCustomError("tariff_rate", "must be positive, got {text}", {"text": text})
    exponent = rate.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -MAX_RATE_DECIMALS:
        raise PydanticCustomError(
            "tariff_rate",
            "{text} has more than {n} decimal places",
            {"text": text, "n": MAX_RATE_DECIMALS},
        )
    if rate >= Decimal(10) ** MAX_RATE_INTEGER_DIGITS:
        raise PydanticCustomError("tariff_rate", "{text} is implausibly large", {"text": text})
    return rate


def _check_counts(value: list[str]) -> tuple[str, ...]:
    if not value:
        raise PydanticCustomError("tariff_counts", "must name at least one of rx, tx")
    seen: set[str] = set()
    for item in value:
        if item not in DIRECTIONS:
            raise PydanticCustomError(
                "tariff_counts", "{item} is not rx or tx", {"item": repr(item)}
            )
        if item in seen:
            raise PydanticCustomError(
                "tariff_counts", "{item} is listed more than once", {"item": repr(item)}
            )
        seen.add(item)
    return tuple(d for d in DIRECTIONS if d in seen)


def _check_text(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("tariff_text", "must not be empty")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TariffFile(_Strict):
    id: Annotated[str, AfterValidator(_check_id)]
    effective_from: dt.date
    effective_to: dt.date | None
    krw_per_gb: Annotated[str | float | int, AfterValidator(_check_rate)]
    counts: Annotated[list[str], AfterValidator(_check_counts)] = Field(
        default_factory=lambda: list(DIRECTIONS)
    )
    source: Annotated[str, AfterValidator(_check_text)]
    method: Annotated[str, AfterValidator(_check_text)]


class TariffBookFile(_Strict):
    tariffs: list[TariffFile]


# --- loading ----------------------------------------------------------------------------------


def load_tariffs(path: Path | None = None) -> TariffBook:
    """Read and check a tariff book (``None``: the packaged :data:`DEFAULT_TARIFFS`).

    Every problem found is reported at once as ``FILE:LINE: key.path: what is wrong``.
    """
    path = DEFAULT_TARIFFS if path is None else path
    document = load_yaml(path)
    try:
        parsed = TariffBookFile.model_validate(document.data)
    except ValidationError as error:
        raise locate_validation_error(document, error) from None
    tariffs = [_tariff(document, i, entry) for i, entry in enumerate(parsed.tariffs)]
    problems = _problems(document, tariffs)
    if problems:
        raise InputError(problems)
    ordered = sorted(tariffs, key=lambda t: (t.effective_from, t.line))
    return TariffBook(document.path, tuple(ordered))


def _tariff(document: Document, index: int, entry: TariffFile) -> Tariff:
    rate: Any = entry.krw_per_gb  # a Decimal once validated
    counts = tuple(d for d in DIRECTIONS if d in entry.counts)  # also for the unvalidated default
    return Tariff(
        id=entry.id,
        effective_from=entry.effective_from,
        effective_to=entry.effective_to,
        krw_per_gb=rate,
        counts=counts,
        source=entry.source,
        method=entry.method,
        line=document.line_of(("tariffs", index)),
    )


def _problems(document: Document, tariffs: list[Tariff]) -> list[Problem]:
    """What is wrong across entries: none, duplicate ids, reversed and overlapping periods."""
    problems: list[Problem] = []
    if not tariffs:
        problems.append(document.problem(("tariffs",), "at least one tariff is required"))
    first_line: dict[str, int] = {}
    valid: list[tuple[int, Tariff]] = []
    for i, tariff in enumerate(tariffs):
        if tariff.id in first_line:
            problems.append(
                document.problem(
                    ("tariffs", i, "id"),
                    f"duplicate tariff id {tariff.id!r} (first at line {first_line[tariff.id]})",
                )
            )
        else:
            first_line[tariff.id] = tariff.line
        if tariff.effective_to is not None and tariff.effective_to < tariff.effective_from:
            problems.append(
                document.problem(
                    ("tariffs", i, "effective_to"),
                    f"{tariff.effective_to} is before effective_from {tariff.effective_from}",
                )
            )
        else:
            valid.append((i, tariff))
    for n, (i, tariff) in enumerate(valid):
        for j, other in valid[:n]:
            if _overlap(tariff, other):
                problems.append(
                    document.problem(
                        ("tariffs", i),
                        f"{tariff.id} ({tariff.period_text()}, line {tariff.line}) overlaps "
                        f"{other.id} ({other.period_text()}, line {other.line}) "
                        f"at tariffs[{j}]: periods in force must not overlap",
                    )
                )
    return problems


def _overlap(a: Tariff, b: Tariff) -> bool:
    a_before_b = a.effective_to is not None and a.effective_to < b.effective_from
    b_before_a = b.effective_to is not None and b.effective_to < a.effective_from
    return not (a_before_b or b_before_a)
