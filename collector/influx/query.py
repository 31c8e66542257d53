"""InfluxQL reads over HTTP ``/query``: InfluxDB 1.x, and 2.x/3.x's v1-compatible endpoint.

Reports, the UI and dashboards ask InfluxQL, which every flavour answers. Results come back as
rows: one dict per point with ``measurement``, the series' tags and the columns (``time`` in epoch
seconds). Values put into a query go through :func:`quote_ident` / :func:`quote_literal`.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from collector.secrets import Secret

Row = dict[str, Any]


class QueryError(Exception):
    """The query failed: bad InfluxQL, unknown database, refused, or unreachable."""


def quote_ident(name: str) -> str:
    """An identifier (measurement, tag, field) as InfluxQL wants it: ``"name"``."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_literal(text: str) -> str:
    """A string literal: ``'text'``."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True, slots=True)
class Series:
    measurement: str
    tags: dict[str, str]
    columns: list[str]
    values: list[list[Any]]

    def rows(self) -> list[Row]:
        return [
            {
                "measurement": self.measurement,
                **self.tags,
                **dict(zip(self.columns, v, strict=True)),
            }
            for v in self.values
        ]


class InfluxQL:
    """A small InfluxQL client. ``token``: 2.x/3.x (v1 compatibility); user/password: 1.x auth."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        token: Secret | None = None,
        username: str | None = None,
        password: Secret | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"InfluxDB URL must be http(s)://host[:port], got {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self.database = database
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Token {token.reveal()}"
        elif username is not None and password is not None:
            pair = base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()
            self._headers["Authorization"] = f"Basic {pair}"
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"InfluxQL(host={self._host!r}, port={self._port!r}, database={self.database!r})"

    def series(self, query: str, *, method: str = "GET") -> list[Series]:
        """Every series every statement returned; any statement's error raises QueryError."""
        params = urllib.parse.urlencode({"db": self.database, "q": query, "epoch": "s"})
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = kind(self._host, self._port, timeout=self._timeout_s)
        try:
            if method == "POST":  # statements that change things (CREATE, DROP) must be POSTed
                headers = {**self._headers, "Content-Type": "application/x-www-form-urlencoded"}
                conn.request("POST", f"{self._base}/query", body=params, headers=headers)
            else:
                conn.request("GET", f"{self._base}/query?{params}", headers=self._headers)
            answer = conn.getresponse()
            body = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            raise QueryError(f"cannot reach InfluxDB: {error}") from None
        finally:
            conn.close()
        try:
            data = json.loads(body)
        except ValueError:
            raise QueryError(f"InfluxDB answered {answer.status}: {body[:200]}") from None
        if answer.status >= 300 or "error" in data:
            raise QueryError(f"InfluxDB answered {answer.status}: {data.get('error', body[:200])}")
        out: list[Series] = []
        for result in data.get("results", []):
            if "error" in result:
                raise QueryError(f"InfluxQL error: {result['error']}")
            for s in result.get("series", []):
                out.append(
                    Series(s.get("name", ""), s.get("tags", {}), s["columns"], s.get("values", []))
                )
        return out

    def series_chunks(self, query: str, chunk_size: int = 10_000) -> Iterator[Series]:
        """The query's series as InfluxDB streams them (``chunked=true``): at most
        ``chunk_size`` points each, a long series in several pieces with the same tags, so a
        million-point answer is never held as one text and one parsed document."""
        params = urllib.parse.urlencode(
            {"db": self.database, "q": query, "epoch": "s", "chunked": "true",
             "chunk_size": str(chunk_size)}
        )  # fmt: skip
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = kind(self._host, self._port, timeout=self._timeout_s)
        try:
            try:
                conn.request("GET", f"{self._base}/query?{params}", headers=self._headers)
                answer = conn.getresponse()
            except (OSError, http.client.HTTPException) as error:
                raise QueryError(f"cannot reach InfluxDB: {error}") from None
            if answer.status >= 300:
                body = answer.read().decode("utf-8", "replace")
                raise QueryError(f"InfluxDB answered {answer.status}: {body[:200]}")
            while True:
                try:
                    line = answer.readline()
                except (OSError, http.client.HTTPException) as error:
                    raise QueryError(f"InfluxDB answer cut off: {error}") from None
                if not line:
                    return
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except ValueError:
                    raise QueryError(f"InfluxDB answered: {line[:200]!r}") from None
                if "error" in data:
                    raise QueryError(f"InfluxDB answered: {data['error']}")
                for result in data.get("results", []):
                    if "error" in result:
                        raise QueryError(f"InfluxQL error: {result['error']}")
                    for one in result.get("series", []):
                        yield Series(
                            one.get("name", ""),
                            one.get("tags", {}),
                            one["columns"],
                            one.get("values", []),
                        )
        finally:
            conn.close()

    def rows(self, query: str) -> list[Row]:
        """All points the query returned, flattened into rows."""
        return [row for s in self.series(query) for row in s.rows()]

    def execute(self, statement: str) -> None:
        """Run a statement that changes things (e.g. ``CREATE DATABASE``), POSTed."""
        self.series(statement, method="POST")
