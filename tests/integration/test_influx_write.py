"""Writes against real servers: influxd 1.6.7 (V1Writer, InfluxQL) and VictoriaMetrics (V2Writer,
influxdb-client), bad points, and an influxd crash in the middle of shipping from the spool."""

from __future__ import annotations

import gzip
import json
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from servers import Server

from collector.influx.hooks import CountingMetrics
from collector.influx.query import InfluxQL, quote_literal
from collector.influx.schema import AP_INFO, RADIO_POLL, Band
from collector.influx.shipper import Backoff, Shipper
from collector.influx.spool import Spool
from collector.influx.v1 import V1Writer
from collector.influx.v2 import V2Writer
from collector.influx.writer import Response, WriteConfigError
from collector.secrets import Secret

pytestmark = pytest.mark.integration

DB = "pubwifi"
T0 = 1_735_657_200  # 2025-01-01T00:00:00+09:00


def radio_lines(aps: int, polls: int) -> tuple[list[str], dict[str, int]]:
    """Radio points with tricky tag values; also the expected rx_bytes total per AP."""
    out: list[str] = []
    totals: dict[str, int] = {}
    for a in range(aps):
        ap = f"AP 11110,{a:05d}"  # a space and a comma to escape
        tags = {
            "ap": ap,
            "site": "Gwanghwamun=1",
            "district": "11110",
            "mount": "smart_pole",
            "platform": "lab-x",
        }
        for band in (Band.GHZ_2_4, Band.GHZ_5):
            prefix = RADIO_POLL.prefix({**tags, "standard": "wifi6", "band": band.value})
            for p in range(polls):
                rx = 1_000_003 * (a + 1) + 7 * p + (2**40 if band is Band.GHZ_5 else 0)
                totals[ap] = totals.get(ap, 0) + rx
                values = {"rx_bytes": rx, "tx_bytes": p, "clients": a % 7, "tx_power_dbm": 17.5}
                out.append(RADIO_POLL.line(prefix, values, T0 + 300 * p))
    return out, totals


def test_v1_writer_round_trip_through_influxql(influxd_server: Server) -> None:
    lines, totals = radio_lines(aps=60, polls=50)  # 6,000 lines: two batches
    writer = V1Writer(influxd_server.url, DB)
    result = writer.write(lines)
    assert (result.written, result.set_aside) == (6000, [])
    assert writer.requests == 2
    query = InfluxQL(influxd_server.url, DB)
    rows = query.rows('SELECT sum("rx_bytes") AS rx FROM "radio_poll" GROUP BY "ap"')
    assert {row["ap"]: row["rx"] for row in rows} == totals
    where = f'"ap" = {quote_literal("AP 11110,00007")} AND "band" = \'5GHz\''
    one = query.rows(f'SELECT * FROM "radio_poll" WHERE {where} LIMIT 1')
    assert one[0]["site"] == "Gwanghwamun=1" and one[0]["time"] == T0
    assert one[0]["tx_power_dbm"] == 17.5 and one[0]["rx_bytes"] == 8 * 1_000_003 + 2**40


def test_v1_strings_survive_escaping(influxd_server: Server) -> None:
    prefix = AP_INFO.prefix(
        {
            "ap": "AP-1",
            "site": "S",
            "district": "11110",
            "mount": "park",
            "platform": "p",
            "standard": "wifi5",
        }
    )
    firmware = 'v2.1 "seoul" \\build, 서울'
    line = AP_INFO.line(prefix, {"model": "WAP 9,000", "firmware": firmware}, T0)
    assert V1Writer(influxd_server.url, DB).write([line]).written == 1
    row = InfluxQL(influxd_server.url, DB).rows('SELECT * FROM "ap_info"')[0]
    assert (row["model"], row["firmware"]) == ("WAP 9,000", firmware)


def test_v1_one_bad_point_set_aside_while_the_rest_land(influxd_server: Server) -> None:
    lines, _ = radio_lines(aps=10, polls=20)  # 400 lines
    writer = V1Writer(influxd_server.url, DB)
    writer.write(lines[:1])  # rx_bytes now exists as an integer field
    malformed = "radio_poll,ap=X rx_bytes=12x 1735657200"
    conflict = "radio_poll,ap=Y rx_bytes=1.5 1735657200"  # float into an integer field
    batch = [*lines[:150], malformed, *lines[150:300], conflict, *lines[300:]]
    result = writer.write(batch)
    assert [(s.line, s.reason) for s in result.set_aside] == [
        (malformed, "server_parse"),
        (conflict, "server_type_conflict"),
    ]
    assert result.written == 400
    count = InfluxQL(influxd_server.url, DB).rows('SELECT count("rx_bytes") FROM "radio_poll"')
    assert count[0]["count"] == 400


def test_influxd_takes_gzip_bodies_and_really_decodes_them(influxd_server: Server) -> None:
    """V1Writer always gzips; influxd 1.6.7 must inflate (not ignore) ``Content-Encoding``."""
    url = f"{influxd_server.url}/write?db={DB}&precision=s"
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"}
    body = gzip.compress(b"gz v=1i 1735657200\ngz v=2i 1735657500")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204
    plain = urllib.request.Request(url, data=b"gz v=3i 1735657800", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:  # labelled gzip but plain: refused
        urllib.request.urlopen(plain, timeout=10)
    assert refused.value.code == 400
    lines, _ = radio_lines(aps=5, polls=10)
    writer = V1Writer(influxd_server.url, DB)
    assert writer.write(lines).written == 100
    query = InfluxQL(influxd_server.url, DB)
    assert query.rows('SELECT sum("v") AS v FROM "gz"')[0]["v"] == 3
    assert query.rows('SELECT count("rx_bytes") FROM "radio_poll"')[0]["count"] == 100


def test_v1_configuration_errors_are_not_retried(influxd_server: Server) -> None:
    with pytest.raises(WriteConfigError, match=r"404.*database not found"):
        V1Writer(influxd_server.url, "no_such_db").write(["m v=1i 1"])


def _export(server: Server, match: str) -> list[dict[str, object]]:
    urllib.request.urlopen(server.url + "/internal/force_flush", timeout=10).read()
    query = urllib.parse.urlencode({"match[]": match})
    with urllib.request.urlopen(f"{server.url}/api/v1/export?{query}", timeout=30) as answer:
        return [json.loads(line) for line in answer.read().splitlines() if line]


def test_v2_writer_through_influxdb_client_to_victoria_metrics(
    victoria_metrics_server: Server,
) -> None:
    lines, totals = radio_lines(aps=40, polls=80)  # 6,400 lines: two batches
    writer = V2Writer(
        victoria_metrics_server.url, token=Secret("not-checked"), org="seoul", bucket=DB
    )
    try:
        result = writer.write(lines)
    finally:
        writer.close()
    assert (result.written, result.set_aside, writer.requests) == (6400, [], 2)
    series = _export(victoria_metrics_server, '{__name__="radio_poll_rx_bytes"}')
    got: dict[str, int] = {}
    samples = 0
    for s in series:
        labels = s["metric"]
        assert isinstance(labels, dict)
        values = s["values"]
        assert isinstance(values, list)
        got[labels["ap"]] = got.get(labels["ap"], 0) + int(sum(values))
        samples += len(values)
    assert samples == 6400
    assert got == totals


class RecordingV1Writer(V1Writer):
    """Remembers the lines influxd accepted, in the order it accepted them."""

    accepted: list[str]

    def _post(self, lines: list[str]) -> Response:
        response = super()._post(lines)
        if 200 <= response.status < 300:
            self.accepted.extend(lines)
        return response


def _wait_for(condition: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_influxd_killed_while_shipping_then_replayed_exactly(
    influxd_server: Server, tmp_path: Path
) -> None:
    total, chunk = 40_000, 200
    expected = [
        f"radio_poll,ap=AP-{i % 500:04d},band=5GHz rx_bytes={i}i {T0 + i}" for i in range(total)
    ]
    metrics = CountingMetrics()
    spool = Spool(tmp_path / "spool", metrics=metrics, group_lines=chunk)
    writer = RecordingV1Writer(influxd_server.url, DB, batch_lines=500, timeout_s=5)
    writer.accepted = []
    shipper = Shipper(spool, writer, metrics=metrics, batch_lines=1000)
    shipper.backoff = Backoff(initial_s=0.02, max_s=0.2)
    stop = threading.Event()
    shipping = threading.Thread(target=shipper.run, args=(stop, 0.01))
    shipping.start()
    try:
        for start in range(0, total // 2, chunk):
            spool.append(expected[start : start + chunk])
        _wait_for(lambda: shipper.stats.written >= 5000)
        influxd_server.stop(signal.SIGKILL)  # by pid, mid-stream
        for start in range(total // 2, total, chunk):
            spool.append(expected[start : start + chunk])
        _wait_for(lambda: shipper.stats.retries >= 3)
        assert spool.depth_lines > 0
        influxd_server.start()
        _wait_for(lambda: spool.depth_lines == 0, timeout_s=120)
    finally:
        stop.set()
        shipping.join()
    assert writer.accepted == expected  # in order, nothing lost, nothing sent twice
    assert metrics.written == total and metrics.dropped == 0 and not metrics.set_aside
    count = InfluxQL(influxd_server.url, DB).rows('SELECT count("rx_bytes") FROM "radio_poll"')
    assert count[0]["count"] == total
