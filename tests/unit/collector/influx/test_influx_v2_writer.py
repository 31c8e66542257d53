"""V2Writer's status mapping through the real influxdb-client, against a local fake server.

influxdb-client turns every non-2xx answer into an ``ApiException``; V2Writer must map it as
the shared status handling expects. The real ``/api/v2/write`` server of the integration tests,
VictoriaMetrics (Debian's), answers 204 even to malformed lines (``m v=zz 1``, ``bad line``,
``m v=1i notatime``: checked by hand, it drops them itself), so refused lines can only be
produced here, by the fake answering as InfluxDB 2.x/3.x do.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from http_fake import Answer, Request, fake_influx_http

from collector.influx.v2 import V2Writer
from collector.influx.writer import WriteConfigError, WriteRetryableError
from collector.secrets import Secret


def lines(n: int, start: int = 0) -> list[str]:
    return [f"m,ap=AP-{i} v={i}i {1_700_000_000 + i}" for i in range(start, start + n)]


@contextmanager
def v2_writer(url: str) -> Iterator[V2Writer]:
    writer = V2Writer(url, token=Secret("tok"), org="seoul", bucket="pubwifi", timeout_s=5)
    try:
        yield writer
    finally:
        writer.close()


def always(answer: Answer) -> Callable[[Request], Answer]:
    return lambda request: answer


def test_v2_accepted_lines_arrive_at_the_v2_endpoint() -> None:
    with fake_influx_http(always(Answer(204))) as server, v2_writer(server.url) as writer:
        result = writer.write(lines(10))
    assert (result.written, result.set_aside) == (10, [])
    (request,) = server.requests
    assert request.path.startswith("/api/v2/write?")
    assert "org=seoul" in request.path and "bucket=pubwifi" in request.path
    assert "precision=s" in request.path
    assert request.headers["authorization"] == "Token tok"
    assert request.lines == lines(10)


class RefusesBad:
    """InfluxDB 3 with accept_partial=false: any bad line fails the request, none written."""

    def __init__(self) -> None:
        self.stored: list[str] = []

    def __call__(self, request: Request) -> Answer:
        got = request.lines
        bad = [n for n, line in enumerate(got, 1) if "BAD" in line]
        if not bad:
            self.stored.extend(got)
            return Answer(204)
        data = {"original_line": got[bad[0] - 1], "line_number": bad[0]}
        body = {"error": "parsing failed for write_lp endpoint", "data": data}
        return Answer(400, json.dumps(body))


def test_v2_bad_line_is_bisected_out_and_set_aside() -> None:
    batch = lines(200)
    batch[77] = "m,ap=BAD v=1i 1"
    server_side = RefusesBad()
    with fake_influx_http(server_side) as server, v2_writer(server.url) as writer:
        result = writer.write(batch)
    assert [(s.line, s.reason) for s in result.set_aside] == [(batch[77], "server_parse")]
    assert result.written == 199
    assert server_side.stored == [line for line in batch if "BAD" not in line]
    assert len(server.requests) <= 2 * 8 + 1  # bisected


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(401, '{"code":"unauthorized","message":"unauthorized access"}'), "401"),
        (Answer(403, '{"code":"forbidden","message":"insufficient permissions"}'), "403"),
        (Answer(404, '{"code":"not found","message":"bucket \\"pubwifi\\" not found"}'), "404"),
        (Answer(400, '{"code":"invalid","message":"bucket \\"pubwifi\\" not found"}'), "400"),
    ],
)
def test_v2_configuration_errors_keep_the_batch(answer: Answer, message: str) -> None:
    with (
        fake_influx_http(always(answer)) as server,
        v2_writer(server.url) as writer,
        pytest.raises(WriteConfigError, match=message) as caught,
    ):
        writer.write(lines(30))
    assert caught.value.result.handled == 0  # nothing committed, nothing set aside
    assert len(server.requests) == 1  # not bisected, not retried by the client


@pytest.mark.parametrize(
    ("answer", "reason", "after"),
    [
        (Answer(503, '{"message":"unavailable"}', {"Retry-After": "7"}), "http_503", 7.0),
        (Answer(500, '{"message":"internal error"}'), "http_500", None),
        (Answer(429, '{"message":"too many requests"}', {"Retry-After": "30"}), "http_429", 30.0),
    ],
)
def test_v2_retryable_errors_carry_reason_and_retry_after(
    answer: Answer, reason: str, after: float | None
) -> None:
    with (
        fake_influx_http(always(answer)) as server,
        v2_writer(server.url) as writer,
        pytest.raises(WriteRetryableError) as caught,
    ):
        writer.write(lines(30))
    assert (caught.value.reason, caught.value.retry_after_s) == (reason, after)
    assert caught.value.result.handled == 0
    assert len(server.requests) == 1  # the client's own retries are off


def test_v2_unreachable_server_is_a_connection_error() -> None:
    with fake_influx_http(always(Answer(204))) as server:
        url = server.url
    with v2_writer(url) as writer, pytest.raises(WriteRetryableError) as caught:
        writer.write(lines(3))
    assert caught.value.reason == "connection"


def test_v2_sends_gzip_bodies() -> None:
    batch = lines(500)
    with fake_influx_http(always(Answer(204))) as server, v2_writer(server.url) as writer:
        writer.write(batch)
    (request,) = server.requests
    assert request.headers["content-encoding"] == "gzip"
    assert request.raw[:2] == b"\x1f\x8b"  # the gzip magic: compressed, not just labelled
    assert gzip.decompress(request.raw).decode() == "\n".join(batch)
    assert len(request.raw) < len("\n".join(batch)) / 3
