"""Config history at fleet scale: stage + commit N masked configs of ~1.5 KB into a git repo.

    .venv/bin/python benchmarks/bench_configrepo.py [--aps 34280] [--changed 0.01]

In a temporary directory: masks N synthetic IOS configs (timed on its own), stages all of them
and commits (first sweep: every file new), then stages all again with ``--changed`` of them
altered and commits (a later sweep), then ``git gc`` via :meth:`ConfigRepo.maintain`, then one
``show``/``history``/``changed_since`` each. Prints JSON seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collector.ssh.configrepo import ConfigRepo  # noqa: E402
from collector.ssh.mask import MaskKey, mask_config  # noqa: E402


def config(ap_id: str, serial: int) -> str:
    """A ~1.5 KB IOS running-config with the lab's secret lines."""
    lines = [
        f"hostname {ap_id}",
        "enable secret 9 $9$0a1b2c3d4e5f60$" + f"{serial:040x}",
        f"username admin privilege 15 password 0 pw-{serial:012x}",
        f"snmp-server community cmty-{serial:012x} RO",
        f"radius-server host 10.10.0.5 auth-port 1812 acct-port 1813 key 0 rad-{serial:016x}",
        "dot11 ssid Seoul_Free_WiFi",
        "   authentication open",
        "   guest-mode",
    ]
    for radio in range(2):
        lines += [
            f"interface Dot11Radio{radio}",
            " no ip address",
            f" channel {36 + 4 * (serial % 8) if radio else 1 + 5 * (serial % 3)}",
            " power local 17",
            " station-role root",
            " bridge-group 1",
            " bridge-group 1 subscriber-loop-control",
            " bridge-group 1 spanning-disabled",
        ]
    while sum(len(line) + 1 for line in lines) < 1500:
        lines.append(f"logging host 10.20.{len(lines) % 250}.1 transport udp port 514")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aps", type=int, default=34_280)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()
    key = MaskKey(bytes(range(32)))
    ids = [f"S{11110 + i % 25 * 10}-{i:05d}-AP1" for i in range(args.aps)]
    figures: dict[str, float | int] = {"aps": args.aps}

    t = time.perf_counter()
    texts = {ap: mask_config("cisco_ios_ap", config(ap, i), key) for i, ap in enumerate(ids)}
    figures["mask_s"] = time.perf_counter() - t
    figures["mean_bytes"] = round(sum(len(v) for v in texts.values()) / len(texts))

    with tempfile.TemporaryDirectory() as tmp:
        repo = ConfigRepo.open(Path(tmp) / "configs")
        t = time.perf_counter()
        for ap in ids:
            repo.stage(ap, texts[ap])
        figures["first_stage_s"] = time.perf_counter() - t
        t2 = time.perf_counter()
        repo.commit(when=1_750_000_000)
        figures["first_commit_s"] = time.perf_counter() - t2
        figures["first_total_s"] = time.perf_counter() - t

        changed = set(random.Random(1).sample(ids, int(args.aps * args.changed)))
        for ap in changed:
            texts[ap] = texts[ap].replace("power local 17", "power local 14", 1)
        t = time.perf_counter()
        written = sum(repo.stage(ap, texts[ap]) for ap in ids)
        figures["second_stage_s"] = time.perf_counter() - t
        t2 = time.perf_counter()
        repo.commit(when=1_750_003_600)
        figures["second_commit_s"] = time.perf_counter() - t2
        figures["second_total_s"] = time.perf_counter() - t
        figures["second_changed"] = written

        t = time.perf_counter()
        repo.maintain()
        figures["gc_s"] = time.perf_counter() - t
        t = time.perf_counter()
        repo.show(ids[0])
        figures["show_s"] = time.perf_counter() - t
        t = time.perf_counter()
        repo.history(next(iter(changed)))
        figures["history_s"] = time.perf_counter() - t
        t = time.perf_counter()
        figures["changed_since_n"] = len(repo.changed_since(1_750_000_000))
        figures["changed_since_s"] = time.perf_counter() - t
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
