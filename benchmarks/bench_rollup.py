"""Ledger roll-up and ``pubwifi usage`` against a real influxd: time per hour at fleet scale.

    .venv/bin/python benchmarks/bench_rollup.py --aps 5000

Starts a private influxd in a temporary directory, stores two radios per AP polled every
300 s (jittered phases) for hour H plus its edges, then times :func:`roll_up` for H (one request
per district) and a fleet-wide one-hour ``usage_from_polls``. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from servers import create_database, influxd, running  # noqa: E402

from collector.influx.query import InfluxQL  # noqa: E402
from collector.influx.schema import RADIO_POLL, Band, radio_tags  # noqa: E402
from collector.influx.v1 import V1Writer  # noqa: E402
from collector.inventory.generate import GenerateOptions, generate  # noqa: E402
from collector.inventory.load import load_inventory  # noqa: E402
from collector.ledger.rollup import HOUR_S, roll_up  # noqa: E402
from collector.ledger.usage import usage_from_polls  # noqa: E402

H = 1_735_689_600  # 2025-01-01 00:00 UTC


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aps", type=int, default=5000)
    parser.add_argument("--interval", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory_path = Path(tmp) / "inventory.yaml"
        inventory_path.write_text(generate(GenerateOptions(aps=args.aps)), encoding="utf-8")
        aps = list(load_inventory(inventory_path).aps)
        with running(influxd(Path(tmp) / "influxd")) as server:
            create_database(server, "pubwifi")
            writer = V1Writer(server.url, "pubwifi")
            rng = random.Random(1)
            lines = []
            for ap in aps:
                phase = rng.randrange(args.interval)
                for band in (Band.GHZ_2_4, Band.GHZ_5):
                    prefix = RADIO_POLL.prefix(radio_tags(ap, band))
                    t = H - 2 * args.interval + phase
                    while t <= H + HOUR_S + 2 * args.interval:
                        values = {
                            "rx_bytes": rng.randrange(10**8),
                            "tx_bytes": rng.randrange(10**7),
                            "sessions": rng.randrange(5),
                            "interval_s": args.interval,
                            "clients": 3,
                        }
                        lines.append(RADIO_POLL.line(prefix, values, t))
                        t += args.interval
            began = time.perf_counter()
            writer.write(lines)
            write_s = time.perf_counter() - began
            query = InfluxQL(server.url, "pubwifi", timeout_s=600)
            out: list[str] = []
            cpu0 = time.process_time()
            began = time.perf_counter()
            result = roll_up(query, out.extend, aps, [H], edge_s=args.interval + 60)
            roll_s, roll_cpu = time.perf_counter() - began, time.process_time() - cpu0
            cpu0 = time.process_time()
            began = time.perf_counter()
            report = usage_from_polls(query, H, H + HOUR_S)
            usage_s, usage_cpu = time.perf_counter() - began, time.process_time() - cpu0
    print(
        json.dumps(
            {
                "aps": args.aps,
                "points_stored": len(lines),
                "write_s": round(write_s, 2),
                "rollup_hour_s": round(roll_s, 2),
                "rollup_hour_cpu_s": round(roll_cpu, 2),
                "rollup_rows_read": result.rows_read,
                "rollup_lines": len(out),
                "usage_hour_s": round(usage_s, 2),
                "usage_hour_cpu_s": round(usage_cpu, 2),
                "usage_aps": len(report.aps),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
