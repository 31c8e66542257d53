"""The audit trail: the hash chain, every kind of tampering, secrets, several writers."""

from __future__ import annotations

import json
import os
import pwd
import stat
import threading
from pathlib import Path

import pytest

from collector.secrets import Secret
from provisioning.audit import (
    GENESIS,
    AuditError,
    AuditLog,
    canonical,
    entry_hash,
    os_actor,
)

CAMPAIGN = "ssid-rename-20241207T140000"


def _log(tmp_path: Path, n: int = 5) -> AuditLog:
    clock = iter(1733547600.0 + i for i in range(1000))
    log = AuditLog.in_data_dir(tmp_path, clock=lambda: next(clock))
    log.append("os:alice", "plan", campaign=CAMPAIGN, detail={"aps": 3})
    for i in range(1, n):
        log.append("web:bob", "push", campaign=CAMPAIGN, ap=f"ap-{i}", detail={"try": i})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(lines), encoding="utf-8")


def _rehashed(line: str, **changes: object) -> str:
    fields = {**json.loads(line), **changes}
    fields["hash"] = entry_hash(fields)
    return canonical(fields) + "\n"


def test_entries_are_chained_canonical_lines(tmp_path: Path) -> None:
    log = _log(tmp_path, 3)
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev == GENESIS
    assert [e.prev for e in entries[1:]] == [e.hash for e in entries[:-1]]
    for entry, line in zip(entries, _lines(log), strict=True):
        assert line == entry.to_json() + "\n"
        assert entry.hash == entry_hash(json.loads(line))
        assert ", " not in line and ": " not in line
    assert entries[1].as_dict()["detail"] == {"try": 1}
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.head_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700


def test_non_ascii_is_kept_as_is(tmp_path: Path) -> None:
    log = AuditLog.in_data_dir(tmp_path)
    log.append("web:김민수", "approve", campaign=CAMPAIGN, detail={"note": "강남구 먼저"})
    assert "강남구 먼저" in log.path.read_text(encoding="utf-8")
    assert log.verify().ok


def test_an_intact_log_verifies(tmp_path: Path) -> None:
    log = _log(tmp_path)
    result = log.verify()
    assert result.ok and result.entries == 5 and result.reason is None
    assert result.head == log.entries()[-1].hash


def test_an_empty_or_missing_log_is_intact(tmp_path: Path) -> None:
    result = AuditLog.in_data_dir(tmp_path).verify()
    assert result.ok and result.entries == 0 and result.head == GENESIS


def test_a_modified_entry_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[2] = lines[2].replace('"result":"ok"', '"result":"failed"')
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and result.first_bad_line == 3
    assert "entry 3 was modified" in (result.reason or "")
    assert result.entries == 2


def test_a_modified_and_rehashed_entry_breaks_the_next_link(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[1] = _rehashed(lines[1], actor="os:mallory")
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3
    assert "does not follow entry 2" in (result.reason or "")


def test_a_rewritten_last_entry_differs_from_the_head(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[-1] = _rehashed(lines[-1], result="failed")
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 5
    assert "recorded as chain head" in (result.reason or "")


def test_a_deleted_entry_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    del lines[1]
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2 and result.first_bad_line == 2
    assert "entry 2 is missing" in (result.reason or "")


def test_reordered_entries_are_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2
    assert "deleted or reordered" in (result.reason or "")


def test_an_inserted_entry_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    second = json.loads(lines[1])
    forged = _rehashed(lines[1], ap="ap-99", detail={"forged": True})  # seq 2, prev of 1
    lines.insert(1, forged)
    _write(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_line == 3
    assert result.first_bad_seq == 3  # the genuine entry 2 no longer fits
    assert "again after entry 2" in (result.reason or "")
    assert second["seq"] == 2


def test_an_appended_forgery_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    last = json.loads(lines[-1])
    one = _rehashed(lines[-1], seq=6, prev=last["hash"])
    two = _rehashed(one, seq=7, prev=json.loads(one)["hash"])
    _write(log, [*lines, one, two])
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 7
    assert "not written through the audit log" in (result.reason or "")


def test_a_truncated_tail_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _write(log, _lines(log)[:-2])
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4 and result.entries == 3
    assert "ends at entry 3 but entry 5 was written" in (result.reason or "")


def test_a_truncated_to_nothing_log_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.path.unlink()
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 1


def test_a_partial_last_line_is_found_and_cut_off_by_the_next_append(tmp_path: Path) -> None:
    log = _log(tmp_path, 3)
    with log.path.open("a", encoding="utf-8") as stream:
        stream.write('{"action":"push","actor":"os:al')  # a crash mid-append
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4 and result.first_bad_line == 4
    assert "cut off mid-entry" in (result.reason or "")
    assert len(log.entries()) == 3
    entry = log.append("os:alice", "resume", campaign=CAMPAIGN)
    assert entry.seq == 4
    assert log.verify().ok and len(_lines(log)) == 4


def test_a_partial_line_the_head_does_not_explain_stops_appends(tmp_path: Path) -> None:
    log = _log(tmp_path, 3)
    lines = _lines(log)
    _write(log, [*lines[:2], lines[2][:-10]])  # the last *acknowledged* entry is torn
    with pytest.raises(AuditError, match="partial line"):
        log.append("os:alice", "resume")


def test_a_missing_or_damaged_head_is_found(tmp_path: Path) -> None:
    log = _log(tmp_path, 2)
    log.head_path.write_text("{", encoding="ascii")
    assert "damaged" in (log.verify().reason or "")
    log.head_path.unlink()
    result = log.verify()
    assert not result.ok and "missing" in (result.reason or "")


def test_the_head_may_lag_one_entry_after_a_crash(tmp_path: Path) -> None:
    log = _log(tmp_path, 3)
    head = log.head_path.read_text(encoding="ascii")
    log.append("os:alice", "halt", campaign=CAMPAIGN)
    log.head_path.write_text(head, encoding="ascii")  # the head update never happened
    assert log.verify().ok
    assert log.append("os:alice", "resume").seq == 5
    assert log.verify().ok


def test_filters(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.append("os:alice", "plan", campaign="other-20241208T000000")
    assert [e.seq for e in log.entries(ap="ap-2")] == [3]
    assert [e.seq for e in log.entries(since=1733547603)] == [4, 5, 6]
    assert [e.seq for e in log.entries(campaign="other-20241208T000000")] == [6]
    assert len(log.entries(campaign=CAMPAIGN, since=1733547601)) == 4


def test_secrets_stay_out(tmp_path: Path) -> None:
    log = AuditLog.in_data_dir(tmp_path)
    with pytest.raises(ValueError, match=r"detail\['psk'\] looks like a secret"):
        log.append("os:alice", "push", detail={"psk": "hunter2hunter2"})
    with pytest.raises(ValueError, match="looks like a secret"):
        log.append("os:alice", "push", detail={"lines": [{"snmp_community": "public"}]})
    with pytest.raises(TypeError, match="is a Secret"):
        log.append("os:alice", "push", detail={"value": Secret("x")})
    with pytest.raises(TypeError, match="not a JSON value"):
        log.append("os:alice", "push", detail={"when": object()})
    assert not log.path.exists() or log.entries() == []
    fine = {
        "psk": "${PUBWIFI_PSK_GANGNAM}",
        "password": "<masked:0123abcd>",
        "token": "<secret>",
        "line": "wpa-psk ${PUBWIFI_PSK}",  # a reference inside a value: kept as is
        "password_changed": True,
    }
    entry = log.append("os:alice", "push", detail=fine)
    assert entry.detail == fine and log.entries()[0].detail == fine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"actor": "alice"}, "channel"),
        ({"action": "Push!"}, "action"),
        ({"result": ""}, "result"),
        ({"campaign": ""}, "campaign"),
    ],
)
def test_fields_are_checked(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    args = {"actor": "os:alice", "action": "push", "result": "ok", **kwargs}
    log = AuditLog.in_data_dir(tmp_path)
    with pytest.raises(ValueError, match=message):
        log.append(
            args["actor"], args["action"], result=args["result"], campaign=args.get("campaign")
        )


def test_os_actor_is_the_login_name() -> None:
    assert os_actor() == "os:" + pwd.getpwuid(os.getuid()).pw_name


def test_threads_append_in_turn(tmp_path: Path) -> None:
    log = AuditLog.in_data_dir(tmp_path)

    def work(n: int) -> None:
        for i in range(25):
            AuditLog(log.path).append("os:worker", "verify", ap=f"ap-{n}-{i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = log.verify()
    assert result.ok and result.entries == 100
