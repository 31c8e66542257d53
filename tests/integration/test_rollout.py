"""The Wi-Fi 6 rollout over a real influxd, from lab history with swaps at known times.

One module-scoped fleet: 30 generated Cisco APs with a 2025 plan (``inventory generate --program
2025``; the two new APs set ``active`` as an engineer would once the crew reports them), and
``pubwifi lab backfill`` of 2025-06-26 .. 2025-08-01 with faults: three planned replacements
``swapped_to_wifi6`` on 2025-07-10 10:00 KST, one on 2025-07-28, the new APs ``goes_live`` on
2025-07-08 15:00, and one AP outside the plan swapped on 2025-07-20 (drift). Everything runs as
the real CLI (subprocesses): the backfill's samples go through the collector's write path, which
feeds the rollout store; ``pubwifi rollout status`` as of 2025-08-01 then shows each AP's state
and dates as planned, and its before/after figures equal ``pubwifi lab truth`` to the byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from procs import epoch
from procs import run_cli as run
from servers import Server, create_database, influxd, running

from collector.inventory.load import load_inventory
from collector.lab.traffic import profile_for

pytestmark = [pytest.mark.integration, pytest.mark.needs("/usr/bin/influxd")]

KST = dt.timezone(dt.timedelta(hours=9))
NOW = "2025-08-01T00:00:00+09:00"
SWAP = "2025-07-10T10:00:00+09:00"
LATE_SWAP = "2025-07-28T10:00:00+09:00"
LIVE = "2025-07-08T15:00:00+09:00"
DRIFT = "2025-07-20T10:00:00+09:00"
SEED = 1  # the lab's default seed
SECRETS = {
    "PUBWIFI_SNMP_COMMUNITY": "rollout-community",
    "PUBWIFI_SNMP_V3_USER": "rolloutuser",
    "PUBWIFI_SNMP_V3_AUTH_KEY": "rollout-auth-key",
    "PUBWIFI_SNMP_V3_PRIV_KEY": "rollout-priv-key",
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("rollout")
    server: Server = influxd(tmp / "influxd")
    inventory = tmp / "inventory.yaml"
    with running(server):
        create_database(server, "pubwifi")
        env = {
            **os.environ,
            **SECRETS,
            "PUBWIFI_DATA_DIR": str(tmp / "var"),
            "PUBWIFI_INFLUX_URL": server.url,
            "PUBWIFI_INFLUX_DATABASE": "pubwifi",
            "PUBWIFI_INVENTORY": str(inventory),
        }
        run(
            "inventory",
            "generate",
            "--aps",
            "30",
            "--program",
            "2025",
            "--replacements",
            "6",
            "--new-aps",
            "2",
            "--platform",
            "cisco_ios_ap",
            "--seed",
            "3",
            "-o",
            str(inventory),
            env=env,
        )
        text = inventory.read_text(encoding="utf-8").replace("status: planned", "status: active")
        inventory.write_text(text, encoding="utf-8")
        replaced = re.findall(r"id: (AP-[0-9-]+),[^\n]*replacement:", text)
        new = re.findall(r"id: (AP-[0-9-]+),[^\n]*new_in:", text)
        others = [a for a in re.findall(r"id: (AP-[0-9-]+)", text) if a not in replaced + new]
        assert len(replaced) == 6 and len(new) == 2
        swapped, late, drifted = replaced[:3], replaced[3], others[0]
        rules = [f"  - {{kind: swapped_to_wifi6, ap: {a}, at: '{SWAP}'}}" for a in swapped]
        rules.append(f"  - {{kind: swapped_to_wifi6, ap: {late}, at: '{LATE_SWAP}'}}")
        rules += [f"  - {{kind: goes_live, ap: {a}, at: '{LIVE}'}}" for a in new]
        rules.append(f"  - {{kind: swapped_to_wifi6, ap: {drifted}, at: '{DRIFT}'}}")
        faults = tmp / "faults.yaml"
        faults.write_text("faults:\n" + "\n".join(rules) + "\n", encoding="utf-8")
        run(
            "lab",
            "backfill",
            "--inventory",
            str(inventory),
            "--days",
            "36",
            "--until",
            NOW,
            "--faults",
            str(faults),
            env=env,
        )
        status = json.loads(run("rollout", "status", "--at", NOW, "--json", env=env).stdout)
        yield {
            "env": env,
            "inventory": inventory,
            "status": status,
            "rows": {row["ap_id"]: row for row in status["aps"]},
            "swapped": swapped,
            "late": late,
            "new": new,
            "drifted": drifted,
            "unswapped": replaced[4:],
        }


def test_states_and_dates_come_out_as_planned(fleet: dict[str, Any]) -> None:
    rows = fleet["rows"]
    for ap in fleet["swapped"]:
        row = rows[ap]
        assert row["state"] == "verified", row
        assert row["installed_date"] == "2025-07-10" and row["since_date"] == "2025-07-18"
        assert row["observed_model"] == row["planned_model"] == "C9120AXI"
        assert row["observed_standard"] == "wifi6"
    late = rows[fleet["late"]]
    assert late["state"] == "installed" and late["installed_date"] == "2025-07-28"
    assert late["note"].startswith("3 of the 7 days after install")
    for ap in fleet["new"]:
        assert rows[ap]["state"] == "verified" and rows[ap]["installed_date"] == "2025-07-08"
        assert rows[ap]["kind"] == "new" and rows[ap]["before"] is None
    now = epoch(NOW)
    for ap in fleet["unswapped"]:
        row = rows[ap]
        year, q = int(row["quarter"][:4]), int(row["quarter"][-1])
        start = epoch(f"{year}-{3 * q - 2:02d}-01T00:00:00+09:00")
        end = epoch(f"{year + (q == 4)}-{(3 * q) % 12 + 1:02d}-01T00:00:00+09:00")
        expected = "planned" if now < start else "due" if now < end else "overdue"
        assert row["state"] == expected, row


def test_drift_is_caught(fleet: dict[str, Any]) -> None:
    row = fleet["rows"][fleet["drifted"]]
    assert row["state"] == "drift" and row["kind"] is None
    assert row["since_date"] == "2025-07-20" and row["observed_model"] == "C9120AXI"
    assert fleet["status"]["drift_outside_programme"] == 1


def test_totals_and_cells_add_up(fleet: dict[str, Any]) -> None:
    status = fleet["status"]
    replacement, new = status["totals"]["replacement"], status["totals"]["new"]
    assert replacement["planned_aps"] == 6 and new["planned_aps"] == 2
    assert replacement["target"] == 450 and new["target"] == 280
    assert replacement["verified"] == 3 and replacement["installed"] == 1 and new["verified"] == 2
    assert sum(c["planned_aps"] for c in status["cells"]) == 8
    assert sum(c["verified"] for c in status["cells"]) == 5


def truth(fleet: dict[str, Any], ap: str, start: int, end: int) -> dict[str, int]:
    out = run(
        "lab",
        "truth",
        "--inventory",
        str(fleet["inventory"]),
        "--from",
        str(start),
        "--to",
        str(end),
        "--ap",
        ap,
        "--json",
        env=fleet["env"],
    ).stdout
    rows = json.loads(out)["aps"]
    assert len(rows) == 1
    return dict(rows[0])


def peak_truth(fleet: dict[str, Any], ap_id: str, start: int, days: int) -> int:
    """The most clients the lab had at any 15-minute poll instant of those days."""
    ap = load_inventory(fleet["inventory"]).ap(ap_id)
    profile = profile_for(ap, SEED)
    return max(profile.clients(t, SEED) for t in range(start, start + days * 86_400, 900))


def test_before_and_after_equal_lab_truth(fleet: dict[str, Any]) -> None:
    install_day = epoch("2025-07-10T00:00:00+09:00")
    for ap in fleet["swapped"]:
        row = fleet["rows"][ap]
        before, after = row["before"], row["after"]
        assert before["days"] == 14 and after["days"] == 14
        for figures, start in ((before, install_day - 14 * 86_400), (after, install_day + 86_400)):
            lab = truth(fleet, ap, start, start + 14 * 86_400)
            assert round(figures["traffic_per_day"] * 14) == lab["bytes_in"] + lab["bytes_out"]
            assert round(figures["sessions_per_day"] * 14) == lab["sessions"]
            assert figures["poll_success"] == 1.0
            assert figures["peak_clients"] == peak_truth(fleet, ap, start, 14)


def test_filters_csv_and_text(fleet: dict[str, Any]) -> None:
    env = fleet["env"]
    ap = fleet["rows"][fleet["swapped"][0]]
    by_district = json.loads(
        run(
            "rollout", "status", "--at", NOW, "--json", "--district", ap["district"], env=env
        ).stdout
    )
    assert {row["district"] for row in by_district["aps"]} == {ap["district"]}
    assert by_district["totals"]["replacement"]["target"] is None  # a part is not the programme
    quarter = json.loads(
        run("rollout", "status", "--at", NOW, "--json", "--quarter", ap["quarter"], env=env).stdout
    )
    assert {row["quarter"] for row in quarter["aps"]} == {ap["quarter"]}
    rows = list(
        csv.DictReader(run("rollout", "status", "--at", NOW, "--csv", env=env).stdout.splitlines())
    )
    assert len(rows) == len(fleet["rows"]) and rows[0]["state"]
    verified = [r for r in rows if r["state"] == "verified" and r["kind"] == "replacement"]
    assert len(verified) == 3 and all(r["before_poll_success"] == "1.0" for r in verified)
    text = run("rollout", "status", "--at", NOW, env=env).stdout
    assert "replacement 교체" in text and "450" in text and "280" in text
    assert fleet["drifted"] in text  # the APs that need someone are listed


def test_candidates_are_unplanned_legacy_aps(fleet: dict[str, Any]) -> None:
    ranked = json.loads(
        run("rollout", "candidates", "--at", NOW, "--json", "--top", "50", env=fleet["env"]).stdout
    )
    planned = set(fleet["swapped"]) | {fleet["late"]} | set(fleet["new"]) | set(fleet["unswapped"])
    assert ranked and not {c["ap_id"] for c in ranked} & planned
    assert fleet["drifted"] not in {c["ap_id"] for c in ranked}  # it answers as Wi-Fi 6 now
    assert all(c["standard"] in ("wifi4", "wifi5") and c["days"] == 28 for c in ranked)
    assert [c["score"] for c in ranked] == sorted((c["score"] for c in ranked), reverse=True)


def test_bad_input_is_one_line_and_exit_2(fleet: dict[str, Any]) -> None:
    env = fleet["env"]
    for args, message in (
        (("--quarter", "2025Q5"), "--quarter:0: '2025Q5' is not a quarter like 2025Q3"),
        (("--district", "99999"), "--district:0: '99999' is not a Seoul district code"),
    ):
        done = run("rollout", "status", *args, env=env, code=2)
        assert message in done.stderr and "Traceback" not in done.stderr
