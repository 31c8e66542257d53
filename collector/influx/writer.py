"""The write seam: :class:`InfluxWriter`, and the HTTP status handling both flavours share.

A writer sends batches of about 5,000 lines, in order, and answers per status:

* 2xx: written.
* 400 naming bad points (parse errors, field type conflicts, points beyond retention): the bad
  lines are set aside and the rest written. Lines the server names (``unable to parse '...'``)
  are cut out directly; otherwise the batch is bisected until the bad lines stand alone. Re-sending
  a point InfluxDB already stored is harmless (same series and time: overwritten with itself).
* 413: the batch is split in halves.
* 401/403/404, and a 400 that is not about points: :class:`WriteConfigError` (keep data, shout).
* 429/5xx/connection errors: :class:`WriteRetryableError` (keep data, back off, retry).

Lines are handled strictly in order, so when an error stops a batch part-way the error's
``result`` covers exactly the first ``result.handled`` lines, which may be committed.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Protocol

DEFAULT_BATCH_LINES = 5000

_BAD_POINT = re.compile(
    r"unable to parse|cannot parse|partial write|field type conflict|invalid field|"
    r"invalid number|invalid boolean|bad timestamp|beyond retention|out of range",
    re.IGNORECASE,
)
_NAMED_LINE = re.compile(r"unable to parse '(.*?)': ")


@dataclass(frozen=True, slots=True)
class SetAside:
    """A line the database refused, and why (a short label)."""

    line: str
    reason: str


@dataclass(slots=True)
class WriteResult:
    """What became of the first ``handled`` lines handed to :meth:`InfluxWriter.write`."""

    written: int = 0
    set_aside: list[SetAside] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.written + len(self.set_aside)


class WriteError(Exception):
    """A write stopped; ``result`` tells what was done before it (a prefix of the lines)."""

    def __init__(self, message: str, result: WriteResult | None = None) -> None:
        super().__init__(message)
        self.result = result or WriteResult()


class WriteConfigError(WriteError):
    """Wrong URL, database, token or permissions: retrying will not help until a person acts."""


class WriteRetryableError(WriteError):
    """The database is busy, failing or unreachable: keep the data and retry later."""

    def __init__(
        self,
        message: str,
        reason: str,
        retry_after_s: float | None = None,
        result: WriteResult | None = None,
    ) -> None:
        super().__init__(message, result)
        self.reason = reason
        self.retry_after_s = retry_after_s


class InfluxWriter(Protocol):
    """Writes line-protocol lines (precision: seconds) to one database."""

    def write(self, lines: list[str]) -> WriteResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Response:
    """What one HTTP write returned. ``status`` 0: no answer (connection error)."""

    status: int
    body: str = ""
    retry_after_s: float | None = None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (dates are ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def error_text(body: str) -> str:
    """The message inside a JSON error body (1.x ``error``, 2.x ``message``), else the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()
    if isinstance(data, dict):
        text = data.get("error") or data.get("message")
        if isinstance(text, str):
            return text
    return body.strip()


def _reason(text: str) -> str:
    lowered = text.lower()
    if "field type conflict" in lowered:
        return "server_type_conflict"
    if "beyond retention" in lowered:
        return "server_retention"
    if "parse" in lowered:
        return "server_parse"
    return "server_rejected"


class HttpWriter(ABC):
    """Status handling for a writer whose one job is :meth:`_post` of a list of lines."""

    def __init__(self, batch_lines: int = DEFAULT_BATCH_LINES) -> None:
        self.batch_lines = batch_lines
        self.requests = 0

    @abstractmethod
    def _post(self, lines: list[str]) -> Response:
        """Send ``lines`` in one request; connection failures return ``Response(0, why)``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def write(self, lines: list[str]) -> WriteResult:
        result = WriteResult()
        try:
            for start in range(0, len(lines), self.batch_lines):
                self._send(lines[start : start + self.batch_lines], result)
        except WriteError as error:
            error.result = result
            raise
        return result

    def _send(self, lines: list[str], result: WriteResult) -> None:
        self.requests += 1
        response = self._post(lines)
        status = response.status
        if 200 <= status < 300:
            result.written += len(lines)
            return
        text = error_text(response.body)
        if status == 413:
            if len(lines) == 1:
                result.set_aside.append(SetAside(lines[0], "server_too_large"))
                return
            self._send_halves(lines, result)
            return
        if status in (400, 422) and _BAD_POINT.search(text):
            self._set_aside_bad(lines, text, result)
            return
        if status == 0:
            raise WriteRetryableError(f"cannot reach InfluxDB: {text}", "connection")
        if status == 429 or status >= 500:
            message = f"InfluxDB answered {status}: {text[:200]}"
            raise WriteRetryableError(message, f"http_{status}", response.retry_after_s)
        raise WriteConfigError(f"InfluxDB refused the write with {status}: {text[:300]}")

    def _send_halves(self, lines: list[str], result: WriteResult) -> None:
        middle = len(lines) // 2
        self._send(lines[:middle], result)
        self._send(lines[middle:], result)

    def _set_aside_bad(self, lines: list[str], text: str, result: WriteResult) -> None:
        if len(lines) == 1:
            result.set_aside.append(SetAside(lines[0], _reason(text)))
            return
        named = set(_NAMED_LINE.findall(text))
        if named and named <= set(lines):
            good: list[str] = []
            for line in lines:
                if line in named:
                    if good:
                        self._send(good, result)
                        good = []
                    result.set_aside.append(SetAside(line, "server_parse"))
                else:
                    good.append(line)
            if good:
                self._send(good, result)
            return
        self._send_halves(lines, result)
