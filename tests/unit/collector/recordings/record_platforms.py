"""Record one lab device per platform as snmprec, and the poller's golden output for it.

    .venv/bin/python tests/unit/collector/recordings/record_platforms.py

Each ``<platform>.snmprec`` is a full walk of a lab AP's MIB view at a fixed instant (the
snmpsim/LibreNMS format ``OID|TAG|VALUE``); ``<platform>.golden.json`` is what the poller makes
of it. ``test_profile_recordings.py`` replays the recordings through the real poller (with the
fake engine) and compares with the golden files, so a profile change that alters what is read
shows up as a diff to review. Re-run this script only when such a change is intended.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path[:0] = [str(ROOT), str(HERE)]

from golden import ENV, RECORDED_AT, golden_sample, lab_fleet  # noqa: E402

from collector.lab.fleet import Fleet  # noqa: E402
from collector.lab.mibview import SnmpType, Value  # noqa: E402

TAGS = {
    SnmpType.INTEGER: "2",
    SnmpType.OCTET_STRING: "4",
    SnmpType.OBJECT_IDENTIFIER: "6",
    SnmpType.IP_ADDRESS: "64",
    SnmpType.COUNTER32: "65",
    SnmpType.GAUGE32: "66",
    SnmpType.TIMETICKS: "67",
    SnmpType.COUNTER64: "70",
}


def snmprec_line(oid: tuple[int, ...], value: Value) -> str:
    dotted = ".".join(map(str, oid))
    tag = TAGS[value.type]
    raw = value.value
    if value.type is SnmpType.OCTET_STRING:
        assert isinstance(raw, bytes)
        if raw.isascii() and raw.decode().isprintable():
            return f"{dotted}|4|{raw.decode()}"
        return f"{dotted}|4x|{raw.hex()}"
    if value.type is SnmpType.OBJECT_IDENTIFIER:
        assert isinstance(raw, tuple)
        return f"{dotted}|6|{'.'.join(map(str, raw))}"
    if value.type is SnmpType.IP_ADDRESS:
        assert isinstance(raw, bytes)
        return f"{dotted}|64|{'.'.join(str(octet) for octet in raw)}"
    return f"{dotted}|{tag}|{raw}"


def record() -> None:
    import tempfile

    inventory, chosen = lab_fleet(Path(tempfile.mkdtemp()))
    fleet = Fleet(inventory, seed=1, clock=lambda: RECORDED_AT, environ=ENV)
    for ap in chosen:
        view = fleet.member(ap).agent.view
        lines, oid = [], (1, 3)
        while True:
            oid, value = view.get_next(oid, RECORDED_AT)
            if value.type is SnmpType.END_OF_MIB_VIEW:
                break
            lines.append(snmprec_line(oid, value))
        text = "\n".join(lines) + "\n"
        (HERE / f"{ap.platform}.snmprec").write_text(text, encoding="utf-8")
        sample = asyncio.run(golden_sample(ap, text))
        golden = json.dumps(sample, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        (HERE / f"{ap.platform}.golden.json").write_text(golden, encoding="utf-8")
        print(f"{ap.platform}: {len(lines)} objects recorded from {ap.id} ({ap.model})")


if __name__ == "__main__":
    record()
