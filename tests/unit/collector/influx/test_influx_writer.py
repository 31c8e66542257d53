"""Writer status handling: bad points set aside, 413 split, 4xx vs 5xx, prefix results."""

from __future__ import annotations

import json

import pytest
from fake_influx import FakeInflux

from collector.influx.writer import (
    Response,
    WriteConfigError,
    WriteRetryableError,
    error_text,
    parse_retry_after,
)


def lines(n: int, start: int = 0) -> list[str]:
    return [f"m,ap=AP-{i} v={i}i {1_700_000_000 + i}" for i in range(start, start + n)]


def test_good_lines_go_in_batches_of_5000() -> None:
    db = FakeInflux()
    result = db.write(lines(12_001))
    assert result.written == 12_001 and not result.set_aside
    assert db.posts == [5000, 5000, 2001]
    assert db.stored == lines(12_001)


def test_named_bad_lines_are_set_aside_and_the_rest_written() -> None:
    batch = lines(1000)
    batch[10] = "m,ap=BAD v=bad 1"
    batch[500] = 'm,ap=BAD2 v="x 1'
    db = FakeInflux()
    result = db.write(batch)
    assert [s.line for s in result.set_aside] == [batch[10], batch[500]]
    assert {s.reason for s in result.set_aside} == {"server_parse"}
    assert result.written == 998
    # The server named them: one failed request, then the three good runs (no bisecting).
    assert db.posts == [1000, 10, 489, 499]
    assert sorted(set(db.stored)) == sorted(set(batch) - {batch[10], batch[500]})


def test_unnamed_bad_lines_are_found_by_bisecting() -> None:
    batch = lines(1024)
    batch[700] = "m,ap=CONFLICT v=1.5 1"
    db = FakeInflux()
    result = db.write(batch)
    assert [(s.line, s.reason) for s in result.set_aside] == [(batch[700], "server_type_conflict")]
    assert result.written == 1023
    assert len(db.posts) <= 2 * 11 + 1


def test_413_splits_until_it_fits() -> None:
    db = FakeInflux(max_lines=300)
    result = db.write(lines(1000))
    assert result.written == 1000
    assert db.stored == lines(1000)
    assert max(n for n in db.posts[1:]) <= 500


@pytest.mark.parametrize(
    "response",
    [
        Response(401, '{"error":"authorization failed"}'),
        Response(403, '{"code":"forbidden","message":"insufficient permissions"}'),
        Response(404, '{"error":"database not found: \\"pubwifi\\""}'),
        Response(400, '{"error":"retention policy not found: x"}'),
    ],
)
def test_configuration_errors_stop_without_setting_anything_aside(response: Response) -> None:
    db = FakeInflux(script=[None, response])
    with pytest.raises(WriteConfigError) as caught:
        db.write(lines(8000))
    assert caught.value.result.written == 5000  # the first batch went in
    assert not caught.value.result.set_aside


@pytest.mark.parametrize(
    ("response", "reason", "after"),
    [
        (Response(503, "unavailable", 7.0), "http_503", 7.0),
        (Response(429, '{"message":"too many"}'), "http_429", None),
        (Response(500, "boom"), "http_500", None),
        (Response(0, "ConnectionRefusedError: refused"), "connection", None),
    ],
)
def test_retryable_errors_report_the_prefix_done(
    response: Response, reason: str, after: float | None
) -> None:
    batch = lines(9000)
    batch[3] = "m,ap=BAD v=x 1"
    db = FakeInflux(script=[None, None, None, response])
    with pytest.raises(WriteRetryableError) as caught:
        db.write(batch)
    error = caught.value
    assert (error.reason, error.retry_after_s) == (reason, after)
    # First batch: fail, then [0:3] ok, BAD set aside, [4:5000] ok; then the 503.
    assert error.result.handled == 5000
    assert [s.line for s in error.result.set_aside] == [batch[3]]


def test_error_text_and_retry_after() -> None:
    assert error_text('{"error":"x"}') == "x"
    assert error_text('{"code":"invalid","message":"y"}') == "y"
    assert error_text("plain\n") == "plain"
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None


class RefusingInflux(FakeInflux):
    """Answers ``status`` with ``message`` to any request holding a ``BAD`` line, writing none
    of it (like InfluxDB 3 with ``accept_partial=false``), or to every request if ``always``."""

    def __init__(self, status: int, message: str, always: bool = False) -> None:
        super().__init__()
        self.status, self.message, self.always = status, message, always

    def _post(self, lines: list[str]) -> Response:
        self.posts.append(len(lines))
        if self.always or any("BAD" in line for line in lines):
            return Response(self.status, json.dumps({"error": self.message}))
        self.stored.extend(lines)
        return Response(204)


V3_PARSE = "parsing failed for write_lp endpoint"  # InfluxDB 3; names no line
UNKNOWN = "Bad Request"  # a message nobody taught us (a proxy, a new server version)


@pytest.mark.parametrize(
    ("status", "message", "reason"),
    [
        (400, V3_PARSE, "server_parse"),
        (422, "unprocessable entity", "server_rejected"),
        (400, UNKNOWN, "server_rejected"),
    ],
)
def test_any_400_or_422_bisects_to_the_bad_lines(status: int, message: str, reason: str) -> None:
    batch = lines(1000)
    batch[0] = "m,ap=BAD-first v=1i 1"
    batch[613] = "m,ap=BAD-middle v=1i 1"
    batch[998] = "m,ap=BAD-late v=1i 1"
    db = RefusingInflux(status, message)
    result = db.write(batch)
    assert [(s.line, s.reason) for s in result.set_aside] == [
        (batch[0], reason),
        (batch[613], reason),
        (batch[998], reason),
    ]
    assert result.written == 997
    assert db.stored == [line for line in batch if "BAD" not in line]  # in order, once each
    assert len(db.posts) <= 3 * 2 * 10 + 1  # bisecting, not one request per line


def test_a_known_parse_failure_sets_a_lone_line_aside_at_once() -> None:
    db = RefusingInflux(400, V3_PARSE)
    result = db.write(["m,ap=BAD v=1i 1"])
    assert [(s.line, s.reason) for s in result.set_aside] == [("m,ap=BAD v=1i 1", "server_parse")]


def test_a_400_for_every_line_keeps_the_lines_as_a_configuration_error() -> None:
    """A proxy (or a broken body) that refuses every request: nothing is set aside."""
    db = RefusingInflux(400, UNKNOWN, always=True)
    with pytest.raises(WriteConfigError, match=r"refused each of the 64 lines.*400: Bad Request"):
        db.write(lines(64))
    assert db.posts[0] == 64 and len(db.posts) == 2 * 64 - 1


def test_a_server_that_starts_refusing_everything_mid_write_loses_nothing() -> None:
    db = FakeInflux(script=[None, *[Response(400, UNKNOWN)] * 10_000])
    with pytest.raises(WriteRetryableError) as caught:
        db.write(lines(7000))
    assert caught.value.reason == "http_400_unconfirmed"
    assert caught.value.result.written == 5000 and not caught.value.result.set_aside


def test_an_unexplained_refusal_is_set_aside_only_when_a_later_line_is_taken() -> None:
    db = RefusingInflux(400, UNKNOWN)
    bad = "m,ap=BAD v=1i 1"
    with pytest.raises(WriteConfigError) as caught:
        db.write([bad])
    assert caught.value.result.handled == 0  # kept in the spool, not lost
    with pytest.raises(WriteRetryableError) as again:
        db.write([*lines(3), bad])
    assert again.value.result.written == 3 and not again.value.result.set_aside
    result = db.write([bad, *lines(2, start=3)])  # the next poll's lines arrive behind it
    assert [(s.line, s.reason) for s in result.set_aside] == [(bad, "server_rejected")]
    assert result.written == 2 and db.stored == lines(5)


@pytest.mark.parametrize(
    "message",
    [
        "retention policy not found: x",
        'database not found: "pubwifi"',
        'bucket "pubwifi" not found',
        'organization name \\"seoul\\" not found',
    ],
)
def test_a_400_naming_a_missing_target_is_a_configuration_error_at_once(message: str) -> None:
    db = RefusingInflux(400, message, always=True)
    with pytest.raises(WriteConfigError, match="refused the write with 400"):
        db.write(lines(100))
    assert db.posts == [100]
