"""The alert signals read big answers from a real influxd as a stream (``chunked=true``): a
series cut across chunks is counted as one, and nothing of an hour of polls is held."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from servers import Server

from collector.alerts.signals import StoredSignals
from collector.influx.query import InfluxQL

pytestmark = pytest.mark.integration

T0 = 1_796_700_000
POLLS = 9_000  # per AP: with 3 APs, 27,000 points, several chunks of 10,000


def _write(server: Server, lines: list[str]) -> None:
    body = "\n".join(lines).encode()
    request = urllib.request.Request(
        f"{server.url}/write?db=pubwifi&precision=s", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 204


def test_uptime_resets_and_polls_stream_across_chunks(
    tmp_path: Path, influxd_server: Server
) -> None:
    lines = []
    for ap, reboot_every in (("AP-A", 0), ("AP-B", 2_000), ("AP-C", 4_500)):
        uptime = 100
        for n in range(POLLS):
            if reboot_every and n and n % reboot_every == 0:
                uptime = 5  # restarted since the previous poll
            lines.append(f"ap_poll,ap={ap} up=1i,uptime_s={uptime}i {T0 + 10 * n}")
            uptime += 10
        lines.append(f"ap_poll,ap={ap} up=0i {T0 + 10 * POLLS}")  # a miss: no uptime
    _write(influxd_server, lines)
    client = InfluxQL(influxd_server.url, "pubwifi")
    chunks = list(client.series_chunks('SELECT "uptime_s" FROM "ap_poll" GROUP BY "ap"', 4_000))
    assert len(chunks) > 3 and sum(len(c.values) for c in chunks) == 3 * POLLS
    signals = StoredSignals(client, tmp_path, ("AP-A", "AP-B", "AP-C"))
    end = T0 + 10 * POLLS + 1
    assert signals.uptime_resets(T0 - 1, end) == {"AP-B": 4, "AP-C": 1}
    polls = signals.polls(T0 - 1, end)
    assert {ap: len(p) for ap, p in polls.items()} == {ap: POLLS + 1 for ap in polls}
    assert all(p == sorted(p) for p in polls.values()) and not polls["AP-A"][-1].up
