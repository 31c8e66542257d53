"""The shipper: in order, commit only after success, exact accounting across failures."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fake_influx import FakeInflux

from collector.influx.hooks import CountingMetrics
from collector.influx.shipper import Backoff, Shipper
from collector.influx.spool import Spool
from collector.influx.writer import Response, WriteConfigError, WriteRetryableError


def lines(n: int, start: int = 0) -> list[str]:
    return [f"m,ap=AP-{i} v={i}i {1_700_000_000 + i}" for i in range(start, start + n)]


def make(tmp_path: Path, db: FakeInflux) -> tuple[Spool, Shipper, CountingMetrics]:
    metrics = CountingMetrics()
    spool = Spool(tmp_path / "spool", metrics=metrics, group_lines=700)
    return spool, Shipper(spool, db, metrics=metrics, batch_lines=1000), metrics


def test_drains_in_order_and_commits(tmp_path: Path) -> None:
    db = FakeInflux(batch_lines=1000)
    spool, shipper, metrics = make(tmp_path, db)
    spool.append(lines(3500))
    assert shipper.drain() == 3500
    assert db.stored == lines(3500)
    assert spool.depth_lines == 0 == metrics.depth_lines
    assert shipper.stats.written == metrics.written == 3500


def test_outage_keeps_lines_and_replays_without_duplicates(tmp_path: Path) -> None:
    down = Response(0, "ConnectionRefusedError")
    db = FakeInflux(batch_lines=400, script=[None, None, down, down, down])
    spool, shipper, metrics = make(tmp_path, db)
    spool.append(lines(2500))
    with pytest.raises(WriteRetryableError):
        shipper.drain()
    assert spool.depth_lines == 2500 - 800  # the two batches before the outage are committed
    for _ in range(2):
        with pytest.raises(WriteRetryableError):
            shipper.drain()
    spool.append(lines(100, 2500))
    shipper.drain()
    assert db.stored == lines(2600)  # every line exactly once, in order
    assert metrics.written == 2600
    assert metrics.retries == {"connection": 3}


def test_bad_points_set_aside_kept_in_a_file_and_counted(tmp_path: Path) -> None:
    db = FakeInflux()
    spool, shipper, metrics = make(tmp_path, db)
    batch = lines(50)
    batch[20] = "m,ap=BAD v=x 1"
    spool.append(batch)
    shipper.drain()
    assert metrics.written == 49
    assert metrics.set_aside == {"server_parse": 1}
    assert shipper.set_aside_path.read_text() == "# server_parse\nm,ap=BAD v=x 1\n"
    assert spool.depth_lines == 0


def test_configuration_error_keeps_everything(tmp_path: Path) -> None:
    db = FakeInflux(script=[Response(401, '{"error":"authorization failed"}')])
    spool, shipper, _ = make(tmp_path, db)
    spool.append(lines(10))
    with pytest.raises(WriteConfigError):
        shipper.drain()
    assert spool.depth_lines == 10 and shipper.stats.config_errors == 1
    shipper.drain()  # the person fixed the token
    assert db.stored == lines(10)


def test_run_backs_off_and_stops(tmp_path: Path) -> None:
    stop = threading.Event()
    db = FakeInflux(script=[Response(503, "busy")], on_post=lambda _: None)
    spool, shipper, _ = make(tmp_path, db)
    shipper.backoff = Backoff(initial_s=0.01, max_s=0.02)
    spool.append(lines(5))

    def stop_when_written(_: list[str]) -> None:
        if len(db.posts) >= 2:
            stop.set()

    db.on_post = stop_when_written
    shipper.run(stop, idle_s=0.01)
    assert db.stored == lines(5) and shipper.stats.retries == 1


def test_backoff_doubles_to_its_limit_and_honours_retry_after() -> None:
    backoff = Backoff(initial_s=1, max_s=8)
    assert [backoff.next_delay() for _ in range(5)] == [1, 2, 4, 8, 8]
    assert backoff.next_delay(30) == 30
    backoff.reset()
    assert backoff.next_delay() == 1


class ParseFailingInflux(FakeInflux):
    """Refuses, like InfluxDB 3, any request holding a ``BAD`` line (none of it is written),
    naming no line; with ``everything`` it refuses every request with an unexplained 400."""

    everything = False

    def _post(self, lines: list[str]) -> Response:
        self.posts.append(len(lines))
        if self.everything:
            return Response(400, "Bad Request")
        if any("BAD" in line for line in lines):
            return Response(400, '{"error":"parsing failed for write_lp endpoint"}')
        self.stored.extend(lines)
        return Response(204)


def test_unnamed_400_bad_line_is_counted_in_the_prometheus_metric(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from collector.metrics import CollectorMetrics, PrometheusSpoolMetrics

    registry = CollectorRegistry()
    metrics = PrometheusSpoolMetrics(CollectorMetrics(registry))
    spool = Spool(tmp_path / "spool", metrics=metrics)
    db = ParseFailingInflux()
    shipper = Shipper(spool, db, metrics=metrics)
    batch = lines(300)
    batch[150] = "m,ap=BAD v=1i 1"  # passes the spool's own checks; the server refuses it
    spool.append(batch)
    assert shipper.drain() == 300
    assert db.stored == [line for line in batch if "BAD" not in line]
    assert spool.depth_lines == 0  # not stuck at the head of the spool
    sample = registry.get_sample_value
    assert sample("pubwifi_points_set_aside_total", {"reason": "server_parse"}) == 1
    assert sample("pubwifi_points_written_total") == 299
    assert "m,ap=BAD v=1i 1" in shipper.set_aside_path.read_text()


def test_configuration_400_keeps_the_batch_and_counts_the_retry(tmp_path: Path) -> None:
    db = ParseFailingInflux()
    db.everything = True
    spool, shipper, metrics = make(tmp_path, db)
    spool.append(lines(40))
    for _ in range(2):
        with pytest.raises(WriteConfigError):
            shipper.drain()
    assert spool.depth_lines == 40 and not metrics.set_aside
    assert metrics.retries == {"config_error": 2}
    db.everything = False  # a person fixed it
    assert shipper.drain() == 40 and db.stored == lines(40)
