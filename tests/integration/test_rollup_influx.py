"""The ledger and ``pubwifi usage`` against a real influxd 1.6.7: exact sums, idempotence, gaps,
availability (``polls`` / ``polls_up`` counted from ``ap_poll``)."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from servers import Server

from collector.influx.query import InfluxQL, quote_literal
from collector.influx.schema import (
    AP_POLL,
    AP_USAGE_HOURLY,
    RADIO_POLL,
    Band,
    ap_tags,
    radio_tags,
)
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


def write_ap_polls(server: Server, aps: list[AccessPoint]) -> int:
    """``ap_poll`` points as the accountant writes them: one per poll, every 300 s with a phase
    per AP; ``up=0`` for AP 0 in the hole and for a few random polls; none at all for the last
    AP. Returns how many were written."""
    rng = random.Random(7)
    lines = []
    for number, ap in enumerate(aps[:-1]):
        prefix = AP_POLL.prefix(ap_tags(ap))
        for t in range(H0 - 600 + rng.randrange(300), H0 + DAY_S + 600, 300):
            if (number == 0 and HOLE[0] <= t < HOLE[1]) or rng.random() < 0.05:
                lines.append(AP_POLL.line(prefix, {"up": 0}, t))
            else:
                values = {"up": 1, "uptime_s": t - H0 + 10**6, "response_ms": 4.25}
                lines.append(AP_POLL.line(prefix, values, t))
    assert V1Writer(server.url, DB).write(lines).written == len(lines)
    return len(lines)


def polls_by_ap(query: InfluxQL, low: int, high: int) -> dict[str, tuple[int, int]]:
    """(ap_poll points, of those up=1) per AP in ``[low, high)``, asked of ``ap_poll`` itself."""
    rows = query.rows(
        'SELECT count("up") AS "n",sum("up") AS "up" FROM "ap_poll" '
        f'WHERE time >= {low}s AND time < {high}s GROUP BY "ap"'
    )
    return {r["ap"]: (r["n"], r["up"]) for r in rows}


def test_roll_up_into_influxd_is_exact_and_idempotent(
    influxd_server: Server, tmp_path: Path
) -> None:
    _, aps = fleet(tmp_path, 4)
    rows = deltas(aps)
    spans = write_polls(influxd_server, rows)
    assert write_ap_polls(influxd_server, aps) > 0
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

    # availability: hourly and daily polls / polls_up are ap_poll's own counts, per AP
    for hour in range(H0, H0 + DAY_S, HOUR_S):
        direct = polls_by_ap(query, hour, hour + HOUR_S)
        assert {r["ap"]: (r["polls"], r["polls_up"]) for r in hourly if r["time"] == hour} == {
            ap.id: direct.get(ap.id, (0, 0)) for ap in aps
        }, hour
    direct = polls_by_ap(query, H0, H0 + DAY_S)
    available = query.rows('SELECT "polls","polls_up" FROM "ap_usage_daily" GROUP BY "ap"')
    assert {r["ap"]: (r["polls"], r["polls_up"]) for r in available} == {
        ap.id: direct.get(ap.id, (0, 0)) for ap in aps
    }
    assert direct[aps[0].id][0] - direct[aps[0].id][1] >= (HOLE[1] - HOLE[0]) // 300  # the hole
    assert aps[-1].id not in direct  # no ap_poll points: polls=0, polls_up=0

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


def legacy_hours(aps: list[AccessPoint], hours: range) -> list[str]:
    """Hourly points as a version before ``polls`` / ``polls_up`` wrote them (values wrong on
    purpose: a day closed from them would show it)."""
    fields = {"rx_bytes": 1, "tx_bytes": 1, "sessions": 0, "covered_s": 60}
    return [
        AP_USAGE_HOURLY.line(AP_USAGE_HOURLY.prefix(ap_tags(ap)), fields, hour)
        for ap in aps
        for hour in hours
    ]


def test_hours_stored_before_polls_existed_make_the_day_recomputed(
    influxd_server: Server, tmp_path: Path
) -> None:
    """Closing a day whose other 23 hours were stored without polls/polls_up recomputes them
    (the fields missing from the measurement, then from one AP's points), rewrites them with
    every field, and the day's polls/polls_up are ap_poll's own counts."""
    _, aps = fleet(tmp_path, 3)
    spans = write_polls(influxd_server, deltas(aps))
    write_ap_polls(influxd_server, aps)
    query = InfluxQL(influxd_server.url, DB)
    writer = V1Writer(influxd_server.url, DB)
    last = H0 + DAY_S - HOUR_S
    before = range(H0, last, HOUR_S)

    def check_day() -> None:
        direct = polls_by_ap(query, H0, H0 + DAY_S)
        daily = query.rows(
            'SELECT "rx_bytes","polls","polls_up" FROM "ap_usage_daily" GROUP BY "ap"'
        )
        assert {r["ap"]: (r["polls"], r["polls_up"]) for r in daily} == {
            ap.id: direct.get(ap.id, (0, 0)) for ap in aps
        }
        assert {r["ap"]: r["rx_bytes"] for r in daily} == {
            ap.id: sum(s[3] for s in spans if s[0] == ap.id) for ap in aps
        }
        counted = query.rows(
            'SELECT count("polls") AS "n",count("rx_bytes") AS "all" FROM "ap_usage_hourly" '
            f"WHERE time >= {H0}s AND time < {H0 + DAY_S}s"
        )
        assert (counted[0]["n"], counted[0]["all"]) == (len(aps) * 24, len(aps) * 24)

    assert writer.write(legacy_hours(aps, before)).written == len(aps) * 23
    only_old = roll_up(query, writer.write, aps, [last])  # no polls field in the measurement
    assert (only_old.hours_from_ledger, only_old.hours_recomputed) == (0, 23)
    check_day()

    query.execute(f'DROP SERIES FROM "ap_usage_hourly" WHERE "ap" = {quote_literal(aps[0].id)}')
    assert writer.write(legacy_hours(aps[:1], before)).written == 23  # one AP's hours are old
    mixed = roll_up(query, writer.write, aps, [last])
    assert (mixed.hours_from_ledger, mixed.hours_recomputed) == (0, 23)
    check_day()

    stored = roll_up(query, writer.write, aps, [last])  # every hour has every field now
    assert (stored.hours_from_ledger, stored.hours_recomputed) == (23, 0)
    check_day()


def test_lab_backfill_ledger_availability_is_ap_polls_own_count(
    influxd_server: Server, tmp_path: Path
) -> None:
    """``pubwifi lab backfill`` writes ap_poll through the accountant (up=0 for the APs the
    lab does not answer for), then rolls up: each daily point's polls/polls_up are the AP's
    ap_poll points / up=1 points of that KST day, also in districts with no radio_poll."""
    secrets = {
        "PUBWIFI_SNMP_COMMUNITY": "backfill-community",
        "PUBWIFI_SNMP_V3_USER": "backfilluser",
        "PUBWIFI_SNMP_V3_AUTH_KEY": "backfill-auth-key",
        "PUBWIFI_SNMP_V3_PRIV_KEY": "backfill-priv-key",
    }
    env = {
        **os.environ,
        **secrets,
        "PUBWIFI_DATA_DIR": str(tmp_path / "var"),
        "PUBWIFI_INFLUX_URL": influxd_server.url,
        "PUBWIFI_INFLUX_DATABASE": DB,
    }

    def pubwifi(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "collector.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    inventory = tmp_path / "inventory.yaml"
    pubwifi("inventory", "generate", "--aps", "12", "-o", str(inventory), "--seed", "11")
    lines = inventory.read_text(encoding="utf-8").splitlines()
    entries = [i for i, line in enumerate(lines) if line.startswith("  - {id: AP-")]
    for i, status in ((entries[0], "failed"), (entries[3], "offline")):  # up=0 every poll
        lines[i] = lines[i].replace("installed:", f"status: {status}, installed:")
    inventory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = pubwifi(
        "lab",
        "backfill",
        "--inventory",
        str(inventory),
        "--days",
        "2",
        "--until",
        "2025-09-30T12:00:00+09:00",
    )
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["aps"], summary["silent"], summary["spooled_left"]) == (12, 2, 0)
    query = InfluxQL(influxd_server.url, DB)
    daily = query.rows('SELECT "polls","polls_up" FROM "ap_usage_daily" GROUP BY "ap"')
    days = sorted({r["time"] for r in daily})
    assert len(days) == 2 and len(daily) == 12 * 2  # the window's first (partial) and whole day
    for day in days:
        direct = polls_by_ap(query, day, day + DAY_S)
        assert {r["ap"]: (r["polls"], r["polls_up"]) for r in daily if r["time"] == day} == {
            ap: direct.get(ap, (0, 0)) for ap in {r["ap"] for r in daily}
        }, day
    whole = polls_by_ap(query, days[1], days[1] + DAY_S)
    steps = DAY_S // summary["step_s"]
    assert sorted(n for n, _ in whole.values()) == [steps] * 12  # one ap_poll point per poll
    assert sorted(up for _, up in whole.values()) == [0, 0] + [steps] * 10


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
            _union(
                [
                    (r[2] - r[3], r[2])
                    for r in rows
                    if r[0].id == ap.id and r[1] == band and start <= r[2] - r[3] and r[2] <= end
                ]
            )
            for band in {
                r[1] for r in rows if r[0].id == ap.id and start <= r[2] - r[3] and r[2] <= end
            }
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
