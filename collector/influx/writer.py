"""The write seam: :class:`InfluxWriter`, and the HTTP status handling both flavours share.

A writer sends batches of about 5,000 lines, in order, and answers per status:

* 2xx: written.
* 400/422, a batch the server refused to parse or store: the bad lines are set aside and the rest
  written. Lines the server names (``unable to parse '...'``) are cut out directly; otherwise the
  batch is bisected until the bad lines stand alone. Re-sending a point InfluxDB already stored
  is harmless (same series and time: overwritten with itself). When the message is not one known
  to be about points (InfluxDB 1.x/2.x parse errors, type conflicts, retention; InfluxDB 3
  ``parsing failed for write_lp endpoint``), a line refused alone is set aside only once the
  server takes (or names as bad) a line sent after it in the same write. Lines refused with
  nothing taken after them stay in the spool: :class:`WriteConfigError` if the server took
  nothing at all (the request, not the lines, is at fault: a proxy, a broken body),
  :class:`WriteRetryableError` (``http_400_unconfirmed``) if it took earlier lines. A 400/422
  naming a missing database, bucket, retention policy or organisation is a configuration error
  at once.
* 413: the batch is split in halves.
* 401/403/404 (and other 4xx): :class:`WriteConfigError` (keep data, shout, retry later).
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
    r"invalid number|invalid boolean|bad timestamp|beyond retention|out of range|"
    r"parsing failed|parse error",
    re.IGNORECASE,
)
_NO_TARGET = re.compile(
    r"\b(database|bucket|retention policy|organi[sz]ation|org)\b[^\n]*\bnot found\b",
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
    if "pars" in lowered:  # parse, parsing
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
        attempt = _Attempt()
        try:
            for start in range(0, len(lines), self.batch_lines):
                self._send(lines[start : start + self.batch_lines], attempt)
            if attempt.pending:
                raise attempt.held_error()
        except WriteError as error:
            error.result = attempt.result
            raise
        return attempt.result

    def _send(self, lines: list[str], attempt: _Attempt) -> None:
        self.requests += 1
        response = self._post(lines)
        status = response.status
        result = attempt.result
        if 200 <= status < 300:
            attempt.settle()
            result.written += len(lines)
            return
        text = error_text(response.body)
        if status == 413:
            if len(lines) == 1:
                attempt.settle()
                result.set_aside.append(SetAside(lines[0], "server_too_large"))
                return
            self._send_halves(lines, attempt)
            return
        if status in (400, 422):
            if _BAD_POINT.search(text):
                self._set_aside_bad(lines, text, attempt)
                return
            if not _NO_TARGET.search(text):
                if len(lines) > 1:
                    self._send_halves(lines, attempt)
                    return
                attempt.refused_alone(lines[0], status, text)
                return
        if status == 0:
            raise WriteRetryableError(f"cannot reach InfluxDB: {text}", "connection")
        if status == 429 or status >= 500:
            message = f"InfluxDB answered {status}: {text[:200]}"
            raise WriteRetryableError(message, f"http_{status}", response.retry_after_s)
        raise WriteConfigError(f"InfluxDB refused the write with {status}: {text[:300]}")

    def _send_halves(self, lines: list[str], attempt: _Attempt) -> None:
        middle = len(lines) // 2
        self._send(lines[:middle], attempt)
        self._send(lines[middle:], attempt)

    def _set_aside_bad(self, lines: list[str], text: str, attempt: _Attempt) -> None:
        result = attempt.result
        if len(lines) == 1:
            attempt.settle()
            result.set_aside.append(SetAside(lines[0], _reason(text)))
            return
        named = set(_NAMED_LINE.findall(text))
        if named and named <= set(lines):
            good: list[str] = []
            for line in lines:
                if line in named:
                    if good:
                        self._send(good, attempt)
                        good = []
                    attempt.settle()
                    result.set_aside.append(SetAside(line, "server_parse"))
                else:
                    good.append(line)
            if good:
                self._send(good, attempt)
            return
        self._send_halves(lines, attempt)


@dataclass(slots=True)
class _Attempt:
    """One :meth:`HttpWriter.write` in progress.

    ``pending``: lines each refused alone with a 400/422 whose message is not known to be about
    points, right after everything in ``result``. They are set aside (:meth:`settle`) once the
    server takes, or names as bad, a line sent after them: that shows it does take this kind of
    request, so the fault was in those lines. Until then they are not handled, so ``result``
    stays a prefix of the lines.
    """

    result: WriteResult = field(default_factory=WriteResult)
    pending: list[str] = field(default_factory=list)
    pending_status: int = 0
    pending_text: str = ""
    took_any: bool = False

    def refused_alone(self, line: str, status: int, text: str) -> None:
        self.pending.append(line)
        self.pending_status, self.pending_text = status, text

    def settle(self) -> None:
        """The server took a later line: the lines it refused alone were bad; set them aside."""
        self.took_any = True
        reason = _reason(self.pending_text)
        self.result.set_aside.extend(SetAside(line, reason) for line in self.pending)
        self.pending.clear()

    def held_error(self) -> WriteError:
        """The write ended with lines refused alone and nothing taken after them: kept."""
        count, status, text = len(self.pending), self.pending_status, self.pending_text[:300]
        if not self.took_any:
            return WriteConfigError(
                f"InfluxDB refused each of the {count} lines sent, one by one, with {status}: "
                f"{text} (kept in the spool: the request, not the lines, seems at fault)"
            )
        return WriteRetryableError(
            f"InfluxDB refused the last {count} lines, each alone, with {status}: {text} (kept "
            "until the server takes a line sent after them)",
            f"http_{status}_unconfirmed",
        )
