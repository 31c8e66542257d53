"""TrapWriter: events to the event store verbatim, ap_event lines to the spool, failures counted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conftest import RecordingCounters

from collector.events import Event, EventStore
from collector.inventory.model import Inventory
from collector.traps.store import TrapWriter


def test_batches_reach_the_store_verbatim_and_the_spool_escaped(
    tmp_path: Path, v2c_inventory: Inventory
) -> None:
    ap = v2c_inventory.aps[0]
    lines: list[str] = []
    store = EventStore.in_dir(tmp_path)
    writer = TrapWriter(store, lines.extend, RecordingCounters())
    detail = '1.3.6.1.2.1.2.2.1.2.1=<script>"x"</script>\n\x1b[2J'
    writer.put(ap, Event(ap.id, 1_750_000_000.5, "link_down", "trap", detail))
    writer.flush()
    assert store.of_ap(ap.id) == [Event(ap.id, 1_750_000_000.5, "link_down", "trap", detail)]
    [line] = lines
    assert line.startswith(f"ap_event,ap={ap.id},")
    assert ",kind=link_down," in line
    assert 'detail="1.3.6.1.2.1.2.2.1.2.1=<script>\\"x\\"</script>\\\\x0a\\\\x1b[2J"' in line
    assert line.endswith(" 1750000000")  # seconds precision, as the spool writes


def test_a_refusing_spool_and_a_backlog_are_counted(
    tmp_path: Path, v2c_inventory: Inventory
) -> None:
    ap = v2c_inventory.aps[0]
    counters = RecordingCounters()

    def refuse(lines: Sequence[str]) -> None:
        raise OSError("disk full")

    writer = TrapWriter(EventStore.in_dir(tmp_path), refuse, counters, max_pending=2)
    for n in range(3):
        writer.put(ap, Event(ap.id, float(n), "cold_start", "trap"))
    writer.flush()
    assert counters.drops == {"write_backlog": 1, "write_failed": 2}
    assert writer.written == 2  # the events themselves are stored
