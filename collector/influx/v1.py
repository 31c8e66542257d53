"""InfluxDB 1.x writes: plain HTTP ``POST /write?db=..&precision=s`` with a gzip body (stdlib)."""

from __future__ import annotations

import base64
import gzip
import http.client
import urllib.parse

from collector.influx.writer import DEFAULT_BATCH_LINES, HttpWriter, Response, parse_retry_after
from collector.secrets import Secret


class V1Writer(HttpWriter):
    """Writes to InfluxDB 1.x (or anything serving ``/write``) over one kept-alive connection."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        retention_policy: str | None = None,
        username: str | None = None,
        password: Secret | None = None,
        timeout_s: float = 30.0,
        gzip_level: int = 1,
        batch_lines: int = DEFAULT_BATCH_LINES,
    ) -> None:
        super().__init__(batch_lines)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"InfluxDB URL must be http(s)://host[:port], got {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        query = {"db": database, "precision": "s"}
        if retention_policy:
            query["rp"] = retention_policy
        self._path = parts.path.rstrip("/") + "/write?" + urllib.parse.urlencode(query)
        self._headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Encoding": "gzip",
        }
        if username is not None and password is not None:
            token = base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._timeout_s = timeout_s
        self._gzip_level = gzip_level
        self._conn: http.client.HTTPConnection | None = None

    def __repr__(self) -> str:
        return f"V1Writer(host={self._host!r}, port={self._port!r}, path={self._path!r})"

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = kind(self._host, self._port, timeout=self._timeout_s)
        return self._conn

    def _post(self, lines: list[str]) -> Response:
        body = gzip.compress("\n".join(lines).encode("utf-8"), self._gzip_level)
        conn = self._connection()
        try:
            conn.request("POST", self._path, body=body, headers=self._headers)
            answer = conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return Response(0, f"{type(error).__name__}: {error}")
        if answer.will_close:
            self.close()
        return Response(answer.status, text, parse_retry_after(answer.getheader("Retry-After")))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
