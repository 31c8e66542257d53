"""Ground truth: additivity, the CLI's JSON, and agreement with what the fleet serves."""

from __future__ import annotations

import argparse
import json

import pytest
from _lab_helpers import ENV, generated

from collector.errors import InputError
from collector.lab import cli
from collector.lab.fleet import Fleet
from collector.lab.truth import ap_truth, parse_time

T0 = 1_735_700_000.0


def test_parse_time_accepts_epoch_and_iso_with_kst_default() -> None:
    assert parse_time("1735700000", "--from") == 1_735_700_000.0
    assert parse_time("2025-01-01T00:00:00+09:00", "--from") == parse_time(
        "2025-01-01T00:00:00", "--from"
    )
    with pytest.raises(InputError, match="--to"):
        parse_time("yesterday", "--to")


def test_truth_is_additive() -> None:
    ap = generated(50).aps[0]
    whole = ap_truth(ap, 1, T0, T0 + 86_400)
    first, second = ap_truth(ap, 1, T0, T0 + 5000.5), ap_truth(ap, 1, T0 + 5000.5, T0 + 86_400)
    assert whole.bytes_in == first.bytes_in + second.bytes_in
    assert whole.bytes_out == first.bytes_out + second.bytes_out
    assert whole.sessions == first.sessions + second.sessions


def test_truth_matches_the_wired_uplink_counters() -> None:
    inventory = generated(50, platform="net-snmp")
    fleet = Fleet(inventory, seed=1, environ=ENV, clock=lambda: T0)
    ap = next(a for a in inventory if a.status.value == "active")
    view = fleet.member(ap).agent.view
    hc_in, hc_out = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 2), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10, 2)
    t1, t2 = T0 + 12.3, T0 + 7200.9
    got_out = view.get(hc_in, t2).value - view.get(hc_in, t1).value  # type: ignore[operator]
    got_in = view.get(hc_out, t2).value - view.get(hc_out, t1).value  # type: ignore[operator]
    truth = ap_truth(ap, 1, t1, t2)
    assert (got_in, got_out) == (truth.bytes_in, truth.bytes_out) and got_out > 0


def test_cli_prints_per_ap_json(capsys: pytest.CaptureFixture[str]) -> None:
    inventory = generated(50)
    ap_id = inventory.aps[0].id
    args = argparse.Namespace(
        inventory=inventory.path,
        seed=1,
        start="2025-01-01T00:00:00",
        end="2025-01-02T00:00:00",
        ap=[ap_id],
        json=True,
    )
    assert cli.run_truth(args) == 0
    document = json.loads(capsys.readouterr().out)
    assert [row["ap"] for row in document["aps"]] == [ap_id]
    truth = ap_truth(inventory.aps[0], 1, document["from"], document["to"])
    assert document["aps"][0]["bytes_out"] == truth.bytes_out
    assert document["total"]["sessions"] == truth.sessions


def test_cli_rejects_unknown_aps_and_reversed_intervals() -> None:
    inventory = generated(50)
    args = argparse.Namespace(
        inventory=inventory.path, seed=1, start="10", end="20", ap=["AP-NOPE"], json=True
    )
    with pytest.raises(InputError, match="AP-NOPE"):
        cli.run_truth(args)
    args.ap, args.start = [], "30"
    with pytest.raises(InputError, match="before --from"):
        cli.run_truth(args)
