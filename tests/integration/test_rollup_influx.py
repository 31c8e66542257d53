"""The ledger and ``pubwifi usage`` against a real influxd 1.6.7: exact sums, idempotence, gaps."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pytest
from servers import Server

from collector.influx.query import InfluxQL
from collector.influx.schema import RADIO_POLL, Band, radio_tags
from collector.influx.v1 import V1Writer
from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint
from collector.ledger.apportion import Ledger
from collector.ledger.cli import register
from collector.ledger.rollup import DAY_S, HOUR_S, roll_up
from collector.ledger.usage import intersect_all

pytestmark = pytest.mark.integration

DB = "pubwifi"
H0 = 1_735_657_200  # 2025-01-01T00:00:00+09:00
HOLE = (H0 + 3 * HOUR_S, H0 + 5 * HOUR_S)  # AP 0 answered nothing here
Row = tuple[AccessPoint, Band, int, int, int, int, int]  # ap, band, end, interval, rx, tx, s


def fleet(tmp_path: Path, n: int) -> tuple[Path, list[AccessPoint]]:
    path = tmp_path / "inventory.yaml"
    path.write_text(generate(GenerateOptions(aps=n)), encoding="utf-8")
    return path, list(load_inventory(path).aps)


def deltas(aps: list[AccessPoint]) -> list[Row]:
    """Polls every 240-360 s from H0 to H0 + 1 day, spans inside the day; a hole for AP 0 that
    ends with a reboot (the delta after it covers only the 90 s since boot)."""
    rng = random.Random(2025)
    out = []
    for number, ap in enumerate(aps):
        for band in (Band.GHZ_2_4, Band.GHZ_5):
            t = H0
            while True:
                step = rng.randrange(240, 361)
                if t + step > H0 + DAY_S:
                    break
                interval = step
                if number == 0 and t + step > HOLE[0] and t < HOLE[1]:
                    t = HOLE[1]  # no answers during the hole
                    step, interval = 90, 90
                rx, tx, sessions = rng.randrange(10**10), rng.randrange(10**9), rng.randrange(50)
                out.append((ap, band, t + step, interval, rx, tx, sessions))
                t += step
    return out


def least_radio_seconds(rows: list[Row], ap: AccessPoint) -> int:
    """Daily covered_s by its definition: per hour the least-covered radio with covered time
    in the hour (where every radio counted), summed over hours."""
    total = 0
    for hour in range(H0, H0 + DAY_S, HOUR_S):
        per_radio: dict[Band, int] = {}
        for who, band, end, interval, *_ in rows:
            if who is ap:
                clipped = min(end, hour + HOUR_S) - max(end - interval, hour)
                per_radio[band] = per_radio.get(band, 0) + max(0, clipped)
        total += min((s for s in per_radio.values() if s > 0), default=0)
    return total


def write_polls(server: Server, rows: list[Row]) -> list[tuple[str, int, int, int, int, int]]:
    """Store ``rows`` as radio_poll points; the spans (ap, start, end, rx, tx, sessions)."""
    lines = []
    for ap, band, end, interval, rx, tx, sessions in rows:
        prefix = RADIO_POLL.prefix(radio_tags(ap, band))
        values = {"rx_bytes": rx, "tx_bytes": tx, "sessions": sessions, "interval_s": interval}
        lines.append(RADIO_POLL.line(prefix, {**values, "clients": 4}, end))
    assert V1Writer(server.url, DB).write(lines).written == len(lines)
    return [(ap.id, end - interval, end, rx, tx, s) for ap, _, end, interval, rx, tx, s in rows]


def test_roll_up_into_influxd_is_exact_and_idempotent(
    influxd_server: Server, tmp_path: Path
) -> None:
    _, aps = fleet(tmp_path, 4)
    rows = deltas(aps)
    spans = write_polls(influxd_server, rows)
    query = InfluxQL(influxd_server.url, DB)
    writer = V1Writer(influxd_server.url, DB)
    result = roll_up(query, writer.write, aps, range(H0, H0 + DAY_S, HOUR_S))
    assert len(result.hours) == 24 and len(result.days) == 1 and result.too_long == 0

    expected = Ledger()
    expected.add_many(spans)
    hourly = query.rows('SELECT * FROM "ap_usage_hourly" GROUP BY "ap"')
    got = {(r["ap"], r["time"]): (r["rx_bytes"], r["tx_bytes"], r["sessions"]) for r in hourly}
    want = {(ap.id, h): (0, 0, 0) for ap in aps for h in range(H0, H0 + DAY_S, HOUR_S)}
    want.update({k: (u.rx_bytes, u.tx_bytes, u.sessions) for k, u in expected.hourly().items()})
    assert (aps[0].id, HOLE[0] + HOUR_S) in want and want[(aps[0].id, HOLE[0] + HOUR_S)] == (
        0,
        0,
        0,
    )
    assert got == want  # every AP-hour, to the byte
    daily = query.rows(
        'SELECT "rx_bytes","tx_bytes","sessions","covered_s" FROM "ap_usage_daily" GROUP BY "ap"'
    )
    assert {r["time"] for r in daily} == {H0}
    for r in daily:
        mine = [s for s in spans if s[0] == r["ap"]]
        assert (r["rx_bytes"], r["tx_bytes"], r["sessions"]) == (
            sum(s[3] for s in mine),
            sum(s[4] for s in mine),
            sum(s[5] for s in mine),
        )
    covered = {r["ap"]: r["covered_s"] for r in daily}
    assert covered == {ap.id: least_radio_seconds(rows, ap) for ap in aps}
    assert covered[aps[0].id] <= DAY_S - (HOLE[1] - HOLE[0] - 90)  # the hole shows

    count = 'SELECT count("rx_bytes") FROM "ap_usage_hourly"'
    before = query.rows(count)[0]["count"]
    roll_up(query, writer.write, aps, range(H0, H0 + DAY_S, HOUR_S))
    assert query.rows(count)[0]["count"] == before == 4 * 24
    daily_before = query.rows('SELECT * FROM "ap_usage_daily" GROUP BY "ap"')
    closing = roll_up(query, writer.write, aps, [H0 + DAY_S - HOUR_S])  # as the scheduler does
    assert (closing.hours_from_ledger, closing.hours_recomputed) == (23, 0)
    assert query.rows('SELECT * FROM "ap_usage_daily" GROUP BY "ap"') == daily_before
    assert query.rows('SELECT sum("rx_bytes") FROM "ap_usage_daily"')[0]["sum"] == sum(
        s[3] for s in spans
    )


def usage_json(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    influxd: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, object]:
    """``pubwifi usage ... --json`` through the command's own parser and function."""
    monkeypatch.setenv("PUBWIFI_INFLUX_URL", influxd.url)
    monkeypatch.setenv("PUBWIFI_INFLUX_DATABASE", DB)
    parser = argparse.ArgumentParser(prog="pubwifi")
    register(parser.add_subparsers())
    args = parser.parse_args(["usage", *argv, "--json"])
    capsys.readouterr()
    assert args.func(args) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def test_usage_reads_back_exact_totals_and_the_hole(
    influxd_server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inventory, aps = fleet(tmp_path, 3)
    rows = deltas(aps)
    spans = write_polls(influxd_server, rows)
    start, end = H0 + 2 * HOUR_S, H0 + 7 * HOUR_S
    doc = usage_json(
        [
            "--from",
            "2025-01-01T02:00:00",
            "--to",
            "2025-01-01T07:00+09:00",
            "--inventory",
            str(inventory),
        ],
        capsys,
        influxd_server,
        monkeypatch,
    )
    assert (doc["from"], doc["to"]) == (start, end)
    by_ap = {row["ap"]: row for row in doc["aps"]}  # type: ignore[attr-defined]
    for ap in aps:
        inside = [s for s in spans if s[0] == ap.id and start <= s[1] and s[2] <= end]
        row = by_ap[ap.id]
        assert (row["rx_bytes"], row["tx_bytes"], row["sessions"]) == (
            sum(s[3] for s in inside),
            sum(s[4] for s in inside),
            sum(s[5] for s in inside),
        )
        assert row["first_sample"] == min(s[1] for s in inside)
        assert row["last_sample"] == max(s[2] for s in inside)
        # covered where every radio the AP reported has a counted span (AP totals are exact)
        per_band = [
            _union([(r[2] - r[3], r[2]) for r in rows
                    if r[0].id == ap.id and r[1] == band and start <= r[2] - r[3] and r[2] <= end])
            for band in {r[1] for r in rows if r[0].id == ap.id
                         and start <= r[2] - r[3] and r[2] <= end}
        ]
        covered = sum(b - a for a, b in intersect_all(per_band))
        assert (row["covered_s"], row["gap_s"]) == (covered, end - start - covered)
    hole = by_ap[aps[0].id]["gap_s"]
    assert hole >= HOLE[1] - HOLE[0] - 90  # the hole, less the 90 s after the reboot
    total = doc["total"]
    assert total["rx_bytes"] == sum(r["rx_bytes"] for r in by_ap.values())  # type: ignore[index]

    one = usage_json(
        ["--from", str(start), "--to", str(end), "--ap", aps[1].id],
        capsys,
        influxd_server,
        monkeypatch,
    )
    assert one["aps"] == [by_ap[aps[1].id]]


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
