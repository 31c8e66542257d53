"""InfluxQL client: request shape (v1 and v2's v1-compatible endpoint), rows, errors, quoting."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from collector.influx.query import InfluxQL, QueryError, quote_ident, quote_literal
from collector.secrets import Secret

SEEN: list[tuple[str, dict[str, list[str]], str | None]] = []
ANSWER: list[tuple[int, str]] = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        SEEN.append((url.path, urllib.parse.parse_qs(url.query), self.headers["Authorization"]))
        status, body = ANSWER.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    SEEN.clear()
    ANSWER.clear()
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


SERIES = {
    "results": [
        {
            "statement_id": 0,
            "series": [
                {
                    "name": "ap_usage_daily",
                    "tags": {"ap": "AP-1"},
                    "columns": ["time", "rx"],
                    "values": [[1735657200, 5], [1735743600, 7]],
                }
            ],
        }
    ]
}


def test_rows_flatten_series_with_tags(server: str) -> None:
    ANSWER.append((200, json.dumps(SERIES)))
    rows = InfluxQL(server, "pubwifi").rows('SELECT sum("rx_bytes") AS rx ... GROUP BY "ap"')
    assert rows == [
        {"measurement": "ap_usage_daily", "ap": "AP-1", "time": 1735657200, "rx": 5},
        {"measurement": "ap_usage_daily", "ap": "AP-1", "time": 1735743600, "rx": 7},
    ]
    path, params, auth = SEEN[0]
    assert path == "/query" and params["db"] == ["pubwifi"] and params["epoch"] == ["s"]
    assert auth is None


def test_v2_compat_sends_the_token_and_never_shows_it(server: str) -> None:
    ANSWER.append((200, '{"results":[{"statement_id":0}]}'))
    client = InfluxQL(server, "pubwifi", token=Secret("tok-123"))
    assert client.rows("SHOW DATABASES") == []
    assert SEEN[0][2] == "Token tok-123"
    assert "tok-123" not in repr(client)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, '{"results":[{"statement_id":0,"error":"database not found: x"}]}', "not found"),
        (400, '{"error":"error parsing query: found EOF"}', "parsing"),
        (401, '{"code":"unauthorized","message":"unauthorized access"}', "401"),
        (502, "<html>bad gateway</html>", "502"),
    ],
)
def test_errors_raise_query_error(server: str, status: int, body: str, message: str) -> None:
    ANSWER.append((status, body))
    with pytest.raises(QueryError, match=message):
        InfluxQL(server, "x").rows("SELECT")


def test_unreachable_raises_query_error() -> None:
    with pytest.raises(QueryError, match="cannot reach"):
        InfluxQL("http://127.0.0.1:9", "x", timeout_s=2).rows("SELECT 1")


def test_quoting() -> None:
    assert quote_ident('a"b') == '"a\\"b"'
    assert quote_literal("it's") == "'it\\'s'"
