"""Golden tests: every platform's recorded device, polled through its vendor profile.

The recordings (``<platform>.snmprec``) are full walks of lab devices; the golden files hold what
the poller made of them when they were recorded (``record_platforms.py``). A change to a profile,
detection, radio discovery or value conversion that alters the result fails here, with a diff.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from golden import PLATFORMS, golden_sample, lab_fleet

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("platform", PLATFORMS)
def test_recorded_device_polls_to_its_golden_output(platform: str, tmp_path: Path) -> None:
    _, chosen = lab_fleet(tmp_path)
    ap = next(a for a in chosen if a.platform == platform)
    recording = (HERE / f"{platform}.snmprec").read_text(encoding="utf-8")
    golden = json.loads((HERE / f"{platform}.golden.json").read_text(encoding="utf-8"))
    sample = asyncio.run(golden_sample(ap, recording))
    assert json.loads(json.dumps(sample)) == golden
    # the essentials, spelled out
    assert sample["up"] and sample["detected_platform"] == platform
    assert not sample["platform_mismatch"]
    assert sample["radios"], "no radio rows discovered"
    bands = {radio["band"] for radio in sample["radios"]}
    assert {"2.4GHz", "5GHz"} <= bands
    bits = {radio["rx_bytes"]["bits"] for radio in sample["radios"]}
    assert bits == ({32} if platform == "aruba_instant" else {64})
