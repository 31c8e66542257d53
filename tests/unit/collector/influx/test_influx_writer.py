"""Writer status handling: bad points set aside, 413 split, 4xx vs 5xx, prefix results."""

from __future__ import annotations

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
