"""The provisioning audit trail: who did what to which AP, in a hash-chained, append-only log.

Why a JSON-lines file rather than a table in the campaign store: it is read by people and
by tools (``jq``, a SIEM shipper) without pubwifi, it is kept after campaigns are pruned,
and its integrity can be checked on its own (``pubwifi audit verify``).

Each line is one entry, written as canonical JSON (sorted keys, no spaces, UTF-8 as is)::

    {"action": "push", "actor": "os:alice", "ap": "gn-0001", "at": 1733550000.123,
     "campaign": "ssid-rename-20241207T140000", "detail": {...}, "hash": "...",
     "prev": "...", "result": "ok", "seq": 17}

``hash`` is the sha256 of the entry's canonical JSON without ``hash``; ``prev`` is the previous
entry's ``hash`` (``0`` * 64 for the first), and ``seq`` counts from 1 without gaps. Editing,
deleting, reordering or inserting an entry therefore breaks the chain where it happened. A
chain cannot show that entries were cut off its end, so every append also records the chain
head (last ``seq`` and ``hash``) in ``audit.log.head``; :meth:`AuditLog.verify` checks the log
against it. (Someone able to rewrite both files can rewrite history; the chain catches
accidents, careless edits and partial restores, not a root attacker.)

Appends are process-safe: ``fcntl.flock`` is held around reading the last entry, appending,
``fsync`` and updating the head, so the CLI, the collector and the web UI can log at once.
The line is made durable before the head names it; a crash between the two leaves the head
one entry behind, which :meth:`AuditLog.verify` accepts. A crash mid-line leaves a partial
last line that no caller was told about: the next append cuts it off before writing.

Secrets never go in: the caller must never pass a resolved secret in ``detail``. ``${NAME}``
references and masked tokens (``<masked:0123abcd>``) are fine and kept as they are. As a
backstop :meth:`AuditLog.append` refuses a :class:`collector.secrets.Secret` and any string
under a secret-sounding key (``password``, ``psk``, ``community``, ``token``...) that is not a
reference, a mask token or ``<secret>``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.secrets import REDACTED, REFERENCE, Secret

DIR_NAME = "provisioning"
FILE_NAME = "audit.log"
HEAD_SUFFIX = ".head"
GENESIS = "0" * 64
MAX_ENTRY_BYTES = 64 * 1024
KEYS = frozenset(
    {"seq", "at", "actor", "action", "campaign", "ap", "result", "detail", "prev", "hash"}
)

_ACTOR_RE = re.compile(r"^[a-z][a-z0-9_-]*:\S+$")
_LABEL_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
_SECRET_KEY_RE = re.compile(
    r"pass(word|phrase|wd)?|secret|token|community|psk|credential|private|"
    r"api[_-]?key|auth[_-]?key|priv[_-]?key|^key$",
    re.IGNORECASE,
)
_MASK_RE = re.compile(r"^(<masked:[0-9a-f]{8}>)+$")
_TAIL_CHUNK = 64 * 1024


class AuditError(RuntimeError):
    """The log cannot be appended to safely (its last entry is unreadable)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit entry, as stored."""

    seq: int
    at: float
    actor: str
    action: str
    campaign: str | None
    ap: str | None
    result: str
    detail: dict[str, Any]
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in sorted(KEYS)}

    def to_json(self) -> str:
        return canonical(self.as_dict())


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What :meth:`AuditLog.verify` found. ``entries``: how many entries checked out (all
    of them when ``ok``); ``first_bad_line`` is the log line of ``first_bad_seq`` (``None``
    when the problem is the head record or a missing tail); ``head``: the last good hash."""

    ok: bool
    entries: int
    first_bad_seq: int | None
    reason: str | None
    first_bad_line: int | None = None
    head: str = GENESIS


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, non-ASCII as is; NaN and infinities refused."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The sha256 (hex) of the entry's canonical JSON without its ``hash``."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def os_actor() -> str:
    """``os:<login name>`` of this process's user (the uid, not ``$USER``, which lies)."""
    return "os:" + pwd.getpwuid(os.getuid()).pw_name


def check_detail(detail: Mapping[str, Any], where: str = "detail") -> None:
    """Refuse what must not be logged: non-JSON values, :class:`Secret` objects, and values
    under secret-sounding keys that are not references or mask tokens (module doc)."""
    for key, value in detail.items():
        if not isinstance(key, str):
            raise TypeError(f"{where}: keys are strings, not {key!r}")
        _check_value(value, f"{where}[{key!r}]", secret_key=bool(_SECRET_KEY_RE.search(key)))


def _check_value(value: Any, where: str, *, secret_key: bool) -> None:
    if isinstance(value, Secret):
        raise TypeError(f"{where} is a Secret: log its ${{NAME}} reference, never the value")
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys are strings, not {key!r}")
            inner_secret = secret_key or bool(_SECRET_KEY_RE.search(key))
            _check_value(inner, f"{where}[{key!r}]", secret_key=inner_secret)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            _check_value(inner, f"{where}[{index}]", secret_key=secret_key)
    elif isinstance(value, str):
        if secret_key and not _harmless(value):
            raise ValueError(
                f"{where} looks like a secret value: log a ${{NAME}} reference or a mask "
                "token, never the value"
            )
    elif value is not None and not isinstance(value, bool | int | float):
        raise TypeError(f"{where}: {type(value).__name__} is not a JSON value")


def _harmless(text: str) -> bool:
    return text in ("", REDACTED) or bool(REFERENCE.match(text) or _MASK_RE.match(text))


class AuditLog:
    """The audit trail at ``path`` (module doc). Appending creates it (0600)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + HEAD_SUFFIX)
        self._clock = clock

    @classmethod
    def in_data_dir(cls, data_dir: Path, **kwargs: Any) -> AuditLog:
        return cls(Path(data_dir) / DIR_NAME / FILE_NAME, **kwargs)

    # --- writing ---------------------------------------------------------------------------

    def append(
        self,
        actor: str,
        action: str,
        *,
        campaign: str | None = None,
        ap: str | None = None,
        result: str = "ok",
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry, durably, and return it (with its ``seq`` and hashes)."""
        if not isinstance(actor, str) or not _ACTOR_RE.match(actor):
            raise ValueError(f"actor {actor!r}: '<channel>:<name>', e.g. 'os:alice', 'web:bob'")
        for name, label in (("action", action), ("result", result)):
            if not isinstance(label, str) or not _LABEL_RE.match(label):
                raise ValueError(f"{name} {label!r}: a short lowercase label such as 'push'")
        for name, ident in (("campaign", campaign), ("ap", ap)):
            if ident is not None and (not isinstance(ident, str) or not ident):
                raise ValueError(f"{name}: a non-empty id or None, not {ident!r}")
        body = dict(detail or {})
        check_detail(body)
        with self._locked() as fd:
            last = _last_entry(fd, self.head_path)
            fields: dict[str, Any] = {
                "seq": 1 if last is None else int(last["seq"]) + 1,
                "at": round(self._clock(), 3),
                "actor": actor,
                "action": action,
                "campaign": campaign,
                "ap": ap,
                "result": result,
                "detail": body,
                "prev": GENESIS if last is None else str(last["hash"]),
            }
            fields["hash"] = entry_hash(fields)
            line = (canonical(fields) + "\n").encode("utf-8")
            if len(line) > MAX_ENTRY_BYTES:
                raise ValueError(f"audit entry of {len(line)} bytes (max {MAX_ENTRY_BYTES})")
            _write_all(fd, line)
            os.fsync(fd)
            _write_head(self.head_path, fields["seq"], fields["hash"])
        return AuditEntry(**fields)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if directory.stat().st_mode & 0o077:
            directory.chmod(0o700)
        fresh = not self.path.exists()
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.path, flags, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if fresh:  # the new file's name must survive a crash too
                _fsync_dir(directory)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    # --- reading ---------------------------------------------------------------------------

    def entries(
        self,
        since: float | None = None,
        ap: str | None = None,
        campaign: str | None = None,
    ) -> list[AuditEntry]:
        """Entries in log order, optionally those at or after ``since`` (epoch seconds), for
        one AP and/or one campaign. Lines that are not entries are skipped (``verify`` says
        where they are)."""
        found: list[AuditEntry] = []
        for _, raw in self._lines():
            fields = _parse(raw)
            if fields is None:
                continue
            entry = AuditEntry(**fields)
            if since is not None and entry.at < since:
                continue
            if ap is not None and entry.ap != ap:
                continue
            if campaign is not None and entry.campaign != campaign:
                continue
            found.append(entry)
        return found

    def verify(self) -> VerifyResult:
        """Walk the chain and compare its end with the head record; stops at the first
        problem: a modified, deleted, reordered or inserted entry, or a truncated tail."""
        try:
            head = _read_head(self.head_path)
        except ValueError as error:
            return VerifyResult(False, 0, None, str(error))
        expected, prev, head_hash = 1, GENESIS, None

        def bad(line: int | None, reason: str, seq: int | None = None) -> VerifyResult:
            return VerifyResult(False, expected - 1, seq or expected, reason, line, prev)

        for number, raw in self._lines():
            if not raw.endswith(b"\n"):
                return bad(number, f"line {number} is incomplete: the log was cut off mid-entry")
            fields = _parse(raw)
            if fields is None:
                return bad(
                    number,
                    f"line {number} is not an audit entry (where entry {expected} should be)",
                )
            seq = fields["seq"]
            if seq > expected:
                return bad(
                    number,
                    f"entry {expected} is missing (line {number} holds entry "
                    f"{seq}): entries were deleted or reordered",
                )
            if seq < expected:
                return bad(
                    number,
                    f"line {number} holds entry {seq} again after entry "
                    f"{expected - 1}: entries were reordered or inserted",
                )
            if fields["hash"] != entry_hash(fields):
                return bad(number, f"entry {seq} was modified: its hash does not match its content")
            if fields["prev"] != prev:
                return bad(
                    number,
                    f"entry {seq} does not follow entry {seq - 1} (its prev is "
                    f"not entry {seq - 1}'s hash): an entry before it was rewritten, "
                    "inserted or removed",
                )
            if head is not None and seq == head[0]:
                head_hash = fields["hash"]
            prev = fields["hash"]
            expected += 1
        count = expected - 1
        if head is None:
            if count:
                return bad(
                    None,
                    f"the chain head record {self.head_path.name} is missing, "
                    "so a cut-off tail would go unnoticed",
                    seq=count,
                )
            return VerifyResult(True, 0, None, None)
        head_seq, recorded = head
        if head_seq > count:
            return bad(
                None,
                f"the log ends at entry {count} but entry {head_seq} was "
                "written: its tail was cut off",
            )
        if head_seq < count - 1:
            return bad(
                None,
                f"entries after {head_seq + 1} were not written through the "
                f"audit log (the chain head records entry {head_seq})",
                seq=head_seq + 2,
            )
        if head_seq and head_hash != recorded:
            return bad(
                None,
                f"entry {head_seq} is not the one recorded as chain head: the "
                "log was rewritten from there",
                seq=head_seq,
            )
        return VerifyResult(True, count, None, None, None, prev)

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        try:
            stream = self.path.open("rb")
        except FileNotFoundError:
            return
        with stream:
            yield from enumerate(stream, 1)


def _parse(raw: bytes) -> dict[str, Any] | None:
    """The entry on a line, or ``None`` if the line is not one (shape and types checked)."""
    try:
        fields = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(fields, dict) or set(fields) != KEYS:
        return None
    shapes = {
        "seq": int,
        "at": int | float,
        "actor": str,
        "action": str,
        "campaign": str | None,
        "ap": str | None,
        "result": str,
        "detail": dict,
        "prev": str,
        "hash": str,
    }
    if isinstance(fields["seq"], bool) or any(
        not isinstance(fields[key], kind) for key, kind in shapes.items()
    ):
        return None
    return fields


def _last_entry(fd: int, head_path: Path) -> dict[str, Any] | None:
    """The last entry of the open log, cutting off a partial last line first (a crash
    mid-append: the head never named it). Raises :class:`AuditError` if it is unreadable."""
    size = os.fstat(fd).st_size
    tail, pos = b"", size
    while pos > 0:  # read back until the last complete line is whole
        start = max(0, pos - _TAIL_CHUNK)
        tail = os.pread(fd, pos - start, start) + tail
        pos = start
        cut = tail.rfind(b"\n")
        if cut >= 0 and tail.rfind(b"\n", 0, cut) >= 0:
            break
    cut = tail.rfind(b"\n")
    line = tail[tail.rfind(b"\n", 0, cut) + 1 : cut + 1] if cut >= 0 else None
    last = _parse(line) if line is not None else None
    if line is not None and last is None:
        raise AuditError("the audit log's last line is not an entry; run `pubwifi audit verify`")
    partial = len(tail) - (cut + 1)
    if partial:
        known = (0, GENESIS) if last is None else (last["seq"], last["hash"])
        try:
            head = _read_head(head_path)
        except ValueError as error:
            raise AuditError(str(error)) from None
        if (head or (0, GENESIS)) != known:
            raise AuditError(
                "the audit log ends in a partial line the chain head does not explain;"
                " run `pubwifi audit verify`"
            )
        os.ftruncate(fd, size - partial)
        os.fsync(fd)
    return last


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_head(path: Path, seq: int, digest: str) -> None:
    """Overwrite the head record in place (one short write, then fsync)."""
    record = (canonical({"hash": digest, "seq": seq}) + "\n").encode("ascii")
    fresh = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
        os.pwrite(fd, record, 0)
        os.ftruncate(fd, len(record))
        os.fsync(fd)
    finally:
        os.close(fd)
    if fresh:
        _fsync_dir(path.parent)


def _read_head(path: Path) -> tuple[int, str] | None:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"the chain head record {path.name} is unreadable: {error}") from None
    try:
        record = json.loads(text)
        seq, digest = record["seq"], record["hash"]
    except (ValueError, TypeError, KeyError):
        raise ValueError(f"the chain head record {path.name} is damaged") from None
    if not isinstance(seq, int) or not isinstance(digest, str) or seq < 0:
        raise ValueError(f"the chain head record {path.name} is damaged")
    return seq, digest


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
