"""pubwifi's SSH host keys: an OpenSSH ``known_hosts`` file, and the keys it refused.

The file is ordinary OpenSSH format (``[127.16.0.5]:16022 ssh-ed25519 AAAA...``), so an engineer's
``ssh -o UserKnownHostsFile=DATA_DIR/ssh/known_hosts -o StrictHostKeyChecking=yes`` checks
exactly what pubwifi checks. Decisions, per the inventory's policy:

- known and equal: go on;
- unknown: ``strict`` refuses, ``accept-new`` records it (trust on first use);
- **changed**: always refused, before any credential is sent; recorded in ``changed.json``
  (host, AP, the key we know, the key we were shown, first/last seen) until an engineer runs
  ``pubwifi ssh hostkeys trust AP``, which is the only way a changed key is ever trusted.

One store serves a sweep's worker threads: lookups read a dict, new keys are appended under a
lock (flushed at once, fsync'ed by :meth:`sync`), re-trusting rewrites the file atomically.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from collector.errors import InputError
from collector.inventory.model import KnownHostsPolicy


class Verdict(StrEnum):
    KNOWN = "known"
    ACCEPTED_NEW = "accepted_new"
    UNKNOWN_REFUSED = "host_key_unknown"
    CHANGED_REFUSED = "host_key_changed"


@dataclass(frozen=True, slots=True)
class ChangedKey:
    host: str
    ap_id: str
    known: str  # "ssh-ed25519 AAAA..."
    seen: str
    first_seen: float
    last_seen: float
    times: int


def host_entry(address: str, port: int) -> str:
    """The host field OpenSSH writes: ``addr`` on port 22, else ``[addr]:port``."""
    return address if port == 22 else f"[{address}]:{port}"


class KnownHosts:
    """The known-hosts file at ``path`` (created 0600 on first write) and its changed keys."""

    def __init__(self, path: Path, *, writable: bool = True) -> None:
        self.path = path
        self.changed_path = path.with_name(path.name + ".changed.json")
        self.writable = writable
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, str]] = {}  # host -> key type -> base64 blob
        self._changed: dict[str, ChangedKey] = {}
        self._handle: TextIO | None = None
        self._load()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> KnownHosts:
        return cls(Path(data_dir) / "ssh" / "known_hosts")

    def _load(self) -> None:
        if self.path.exists():
            for number, line in enumerate(self.path.read_text("utf-8").splitlines(), 1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                parts = text.split()
                if len(parts) < 3 or text.startswith(("|", "@")):
                    raise InputError.at(
                        str(self.path),
                        number,
                        "expected 'HOST KEYTYPE BASE64' (hashed and @marker lines are not used)",
                    )
                for host in parts[0].split(","):
                    self._keys.setdefault(host, {})[parts[1]] = parts[2]
        if self.changed_path.exists():
            try:
                rows = json.loads(self.changed_path.read_text("utf-8"))
                self._changed = {row["host"]: ChangedKey(**row) for row in rows}
            except (ValueError, TypeError, KeyError) as error:
                raise InputError.at(str(self.changed_path), 0, f"unreadable: {error}") from None

    def __len__(self) -> int:
        return len(self._keys)

    def key_of(self, host: str) -> dict[str, str]:
        return dict(self._keys.get(host, {}))

    def check(
        self, host: str, ap_id: str, key_type: str, blob: str, policy: KnownHostsPolicy
    ) -> Verdict:
        """What to do with the key ``(key_type, blob)`` that ``host`` just showed."""
        with self._lock:
            known = self._keys.get(host)
            if known is not None and key_type in known:
                if known[key_type] == blob:
                    return Verdict.KNOWN
                self._record_change(host, ap_id, f"{key_type} {known[key_type]}", key_type, blob)
                return Verdict.CHANGED_REFUSED
            if known:  # the host is known by another key type: a changed key too
                kept_type, kept_blob = next(iter(known.items()))
                self._record_change(host, ap_id, f"{kept_type} {kept_blob}", key_type, blob)
                return Verdict.CHANGED_REFUSED
            if policy is KnownHostsPolicy.STRICT or not self.writable:
                return Verdict.UNKNOWN_REFUSED
            self._keys.setdefault(host, {})[key_type] = blob
            self._append(f"{host} {key_type} {blob}\n")
            return Verdict.ACCEPTED_NEW

    def _record_change(self, host: str, ap_id: str, known: str, key_type: str, blob: str) -> None:
        now = time.time()
        seen = f"{key_type} {blob}"
        before = self._changed.get(host)
        if before is not None and before.seen == seen:
            self._changed[host] = ChangedKey(
                host, ap_id, known, seen, before.first_seen, now, before.times + 1
            )
        else:
            self._changed[host] = ChangedKey(host, ap_id, known, seen, now, now, 1)
        self._write_changed()

    def changed(self) -> list[ChangedKey]:
        with self._lock:
            return sorted(self._changed.values(), key=lambda c: (c.ap_id, c.host))

    def trust(self, host: str) -> ChangedKey:
        """Replace ``host``'s key by the changed key it showed (an engineer's explicit choice)."""
        with self._lock:
            change = self._changed.get(host)
            if change is None:
                raise KeyError(host)
            key_type, blob = change.seen.split(" ", 1)
            self._keys[host] = {key_type: blob}
            del self._changed[host]
            self._rewrite()
            self._write_changed()
            return change

    def forget(self, host: str) -> bool:
        """Drop ``host``'s key (a replaced AP): its next key is treated as new."""
        with self._lock:
            existed = self._keys.pop(host, None) is not None
            self._changed.pop(host, None)
            self._rewrite()
            self._write_changed()
            return existed

    def sync(self) -> None:
        """Flush appended keys to disk (end of a sweep)."""
        with self._lock:
            handle = self._handle
            if handle is not None:
                handle.flush()
                os.fsync(handle.fileno())

    def close(self) -> None:
        self.sync()
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    # --- files ----------------------------------------------------------------------------
    def _append(self, line: str) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._handle = os.fdopen(fd, "a", encoding="utf-8")
        self._handle.write(line)
        self._handle.flush()

    def _rewrite(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        lines = [
            f"{host} {key_type} {blob}\n"
            for host, keys in sorted(self._keys.items())
            for key_type, blob in keys.items()
        ]
        _atomic_write(self.path, "".join(lines))

    def _write_changed(self) -> None:
        rows = [asdict(c) for c in sorted(self._changed.values(), key=lambda c: c.host)]
        _atomic_write(self.changed_path, json.dumps(rows, indent=1) + "\n")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def fingerprint(key: str) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of ``"TYPE BASE64"`` (what ``ssh-keygen -l`` prints)."""
    try:
        raw = base64.b64decode(key.split(" ", 1)[1])
    except (IndexError, binascii.Error):
        return "SHA256:?"
    digest = base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"
