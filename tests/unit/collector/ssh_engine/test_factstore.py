"""The facts store: latest facts per AP, changes of model/serial/firmware, attempts."""

from __future__ import annotations

import stat
from pathlib import Path

from collector.ssh.facts import ApFacts, RadioFacts, SsidFacts
from collector.ssh.factstore import FactStore


def _facts(model: str = "AP-515", firmware: str = "8.10.0.6") -> ApFacts:
    return ApFacts(
        hostname="ap-1",
        model=model,
        serial="CNX123",
        firmware=firmware,
        uptime_s=3600,
        radios=(RadioFacts("wlan0", "2.4GHz", 6, 17.0, True, 3),),
        ssids=(SsidFacts("Seoul_Free_WiFi", 2, 100), SsidFacts("Seoul_Secure", 1, 101)),
    )


def test_round_trip_and_changes(tmp_path: Path) -> None:
    store = FactStore.in_data_dir(tmp_path)
    first = store.record("AP-1", 1000.0, _facts(), 0.5)
    assert {c.field for c in first} == {"model", "serial", "firmware"}
    assert store.record("AP-1", 2000.0, _facts(), 0.5) == []
    [swap] = [c for c in store.record("AP-1", 3000.0, _facts(model="AP-635"), 0.4)]
    assert (swap.field, swap.old, swap.new, swap.seen_at) == ("model", "AP-515", "AP-635", 3000.0)
    store.commit()
    store.close()
    path = tmp_path / "ssh" / "facts.sqlite"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reader = FactStore(path, readonly=True)
    stored = reader.get("AP-1")
    assert stored is not None and stored.collected_at == 3000.0
    assert stored.facts == _facts(model="AP-635")
    assert stored.facts.clients == 3
    assert [c.new for c in reader.changes("AP-1") if c.field == "model"] == ["AP-515", "AP-635"]
    attempt = reader.attempt("AP-1")
    assert attempt is not None and attempt.ok


def test_a_failure_keeps_the_last_good_facts(tmp_path: Path) -> None:
    store = FactStore.in_data_dir(tmp_path)
    store.record("AP-1", 1000.0, _facts(), 0.5)
    store.record_failure("AP-1", 2000.0, "timeout", 30.0)
    store.commit()
    stored, attempt = store.get("AP-1"), store.attempt("AP-1")
    assert stored is not None and stored.collected_at == 1000.0
    assert attempt is not None and (attempt.ok, attempt.reason) == (False, "timeout")
    assert store.get("AP-2") is None
