"""InfluxDB 2.x/3.x writes through influxdb-client (the only module that imports it).

Synchronous ``WriteApi`` with raw line-protocol strings (no ``Point`` objects), gzip, to
``/api/v2/write`` with token, org and bucket. The client's own retries are off: the shipper
retries, so the data stays in the spool meanwhile.
"""

from __future__ import annotations

from typing import Any, cast

import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from collector.influx.writer import DEFAULT_BATCH_LINES, HttpWriter, Response, parse_retry_after
from collector.secrets import Secret


class V2Writer(HttpWriter):
    """Writes to ``/api/v2/write`` (InfluxDB 2.x/3.x, VictoriaMetrics, ...)."""

    def __init__(
        self,
        url: str,
        *,
        token: Secret | None,
        org: str,
        bucket: str,
        timeout_s: float = 30.0,
        batch_lines: int = DEFAULT_BATCH_LINES,
    ) -> None:
        super().__init__(batch_lines)
        self._url = url
        self._org = org
        self._bucket = bucket
        self._client = InfluxDBClient(
            url=url,
            token=cast(str, token.reveal() if token is not None else None),
            org=org,
            timeout=int(timeout_s * 1000),
            enable_gzip=True,
            retries=False,
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)

    def __repr__(self) -> str:
        return f"V2Writer(url={self._url!r}, org={self._org!r}, bucket={self._bucket!r})"

    def _post(self, lines: list[str]) -> Response:
        try:
            self._api.write(
                bucket=self._bucket,
                org=self._org,
                record=lines,
                write_precision=cast(WritePrecision, WritePrecision.S),
            )
        except ApiException as error:
            headers: Any = error.headers or {}
            body = error.body.decode() if isinstance(error.body, bytes) else str(error.body or "")
            retry_after = parse_retry_after(headers.get("Retry-After"))
            return Response(int(error.status or 0), body, retry_after)
        except (OSError, urllib3.exceptions.HTTPError) as error:
            return Response(0, f"{type(error).__name__}: {error}")
        return Response(204)

    def close(self) -> None:
        self._api.close()  # type: ignore[no-untyped-call]
        self._client.close()  # type: ignore[no-untyped-call]
