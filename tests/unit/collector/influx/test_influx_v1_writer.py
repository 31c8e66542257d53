"""V1Writer on the wire, against a local fake server: path, headers, gzip body, status."""

from __future__ import annotations

import gzip

import pytest
from http_fake import Answer, fake_influx_http

from collector.influx.v1 import V1Writer
from collector.influx.writer import WriteConfigError
from collector.secrets import Secret


def lines(n: int, start: int = 0) -> list[str]:
    return [f"m,ap=AP-{i} v={i}i {1_700_000_000 + i}" for i in range(start, start + n)]


def test_v1_sends_gzip_bodies_in_batches() -> None:
    batch = lines(7000)
    with fake_influx_http(lambda request: Answer(204)) as server:
        writer = V1Writer(server.url, "pubwifi", username="u", password=Secret("p"))
        try:
            assert writer.write(batch).written == 7000
        finally:
            writer.close()
    assert [len(r.lines) for r in server.requests] == [5000, 2000]
    for request, part in zip(server.requests, (batch[:5000], batch[5000:]), strict=True):
        assert request.path == "/write?db=pubwifi&precision=s"
        assert request.headers["content-encoding"] == "gzip"
        assert request.headers["authorization"].startswith("Basic ")
        assert request.raw[:2] == b"\x1f\x8b"  # compressed, not just labelled
        assert gzip.decompress(request.raw).decode() == "\n".join(part)
        assert len(request.raw) < len("\n".join(part)) / 3


def test_v1_status_reaches_the_shared_mapping() -> None:
    answer = Answer(404, '{"error":"database not found: \\"nope\\""}')
    with fake_influx_http(lambda request: answer) as server:
        writer = V1Writer(server.url, "nope")
        with pytest.raises(WriteConfigError, match=r"404.*database not found"):
            writer.write(lines(3))
        writer.close()
