"""The event store: appended in order, read back per AP (newest first) and by time range."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.events import MAX_DETAIL, Event, EventStore


def test_record_and_read_back(tmp_path: Path) -> None:
    with EventStore.in_dir(tmp_path) as store:
        assert store.record([]) == 0
        events = [
            Event("AP-1", 100.0, "cold_start", "trap"),
            Event("AP-2", 150.0, "link_down", "trap", "ifIndex 2"),
            Event("AP-1", 200.0, "auth_failure", "trap", "<script>alert(1)</script>"),
        ]
        assert store.record(events) == 3
        assert [e.kind for e in store.of_ap("AP-1")] == ["auth_failure", "cold_start"]
        assert store.of_ap("AP-1")[0].detail == "<script>alert(1)</script>"  # data, verbatim
        assert store.between(100.0, 200.0) == events[:2]
        assert store.between(0, 1000, kinds=["link_down"]) == [events[1]]
    reader = EventStore.existing(tmp_path)
    assert reader is not None and len(reader.between(0, 1000)) == 3
    reader.close()


def test_long_details_are_cut_and_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    with EventStore.in_dir(tmp_path) as store:
        store.record([Event("AP-1", 1.0, "x", "trap", "y" * (MAX_DETAIL + 50))])
    assert EventStore.existing(tmp_path / "none") is None
    reader = EventStore.existing(tmp_path)
    assert reader is not None
    assert len(reader.of_ap("AP-1")[0].detail) == MAX_DETAIL
    with pytest.raises(Exception, match="readonly"):
        reader.record([Event("AP-1", 2.0, "x", "trap")])
    reader.close()
