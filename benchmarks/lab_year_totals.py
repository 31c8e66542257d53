"""Print what a generated fleet carries over 2024 in the lab's traffic model, against Seoul's.

    .venv/bin/python benchmarks/lab_year_totals.py [--aps 34280] [--seed 1] [--inventory-seed 2025]

Generates the inventory exactly as ``pubwifi inventory generate --aps N`` does, loads it, and
sums every AP's exact cumulative counters from 2024-01-01 to 2025-01-01 (KST).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from collector.inventory.generate import GenerateOptions, generate
from collector.inventory.load import load_inventory
from collector.lab.traffic import YEAR_BYTES, YEAR_SESSIONS, profile_for

KST = dt.timezone(dt.timedelta(hours=9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--aps", type=int, default=34_280)
    parser.add_argument("--seed", type=int, default=1, help="lab traffic seed")
    parser.add_argument("--inventory-seed", type=int, default=2025)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_text(generate(GenerateOptions(aps=args.aps, seed=args.inventory_seed)))
        inventory = load_inventory(path)
    loaded = time.perf_counter()
    start = dt.datetime(2024, 1, 1, tzinfo=KST).timestamp()
    end = dt.datetime(2025, 1, 1, tzinfo=KST).timestamp()
    down = up = sessions = 0
    for ap in inventory:
        profile = profile_for(ap, args.seed)
        tx1, rx1, s1 = profile.totals(start)
        tx2, rx2, s2 = profile.totals(end)
        down, up, sessions = down + tx2 - tx1, up + rx2 - rx1, sessions + s2 - s1
    summed = time.perf_counter()
    scale = args.aps / 34_280
    print(f"APs {args.aps:,} (inventory generated+loaded in {loaded - started:.2f} s, "
          f"year summed in {summed - loaded:.2f} s)")
    print(f"bytes     {(down + up) / 1e12:,.1f} TB  (to clients {down / 1e12:,.1f}, from clients "
          f"{up / 1e12:,.1f}); Seoul 2024 scaled: {YEAR_BYTES * scale / 1e12:,.1f} TB  "
          f"-> {((down + up) / (YEAR_BYTES * scale) - 1) * 100:+.2f} %")
    seoul_sessions = YEAR_SESSIONS * scale
    print(f"sessions  {sessions / 1e6:,.2f} M; Seoul 2024 scaled: {seoul_sessions / 1e6:,.2f} M"
          f"  -> {(sessions / seoul_sessions - 1) * 100:+.2f} %")
    print(f"per AP-day {(down + up) / args.aps / 366 / 1e9:.2f} GB, "
          f"{sessions / args.aps / 366:.1f} sessions; "
          f"per session {(down + up) / sessions / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
