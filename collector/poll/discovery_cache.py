"""The discovery cache: what first contact learnt about each AP, kept on disk between processes.

Per AP: the platform it is polled with, the detected platform, its sysObjectID and radio rows,
and one (sysUpTime, wall-clock time) reading. A new process seeds the poller with it, so its
first poll of a known AP is the steady-state GET; the usual rules still apply to that answer
and drop the entry when they fire:

- sysObjectID changed (the AP was swapped);
- the AP rebooted: its uptime is below what the saved reading implies it must be now
  (``uptime + (now - seen - slack) * 100``), rows may have changed;
- a row stopped answering.

Entries of a platform whose profile changed (a different radio table) are not loaded. The file
is JSON, written atomically (temporary file, fsync, rename); a missing, unreadable or foreign
file is an empty cache, never an error: the cache only saves round trips.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.poll.radios import Discovery, RadioRow
from collector.profiles import Profile

if TYPE_CHECKING:
    from collector.poll.ap import ApPoller

log = logging.getLogger(__name__)

FORMAT = 1
SLACK_S = 30.0  # clock differences between us and the AP that must not look like a reboot
SLACK_FRACTION = 0.01

#: ``(ap_id, discovery, detected platform, seen)`` as :meth:`ApPoller.restore` takes them.
Entry = tuple[str, Discovery, str | None, float]


def profile_digest(profile: Profile) -> str:
    """Fingerprint of what discovery depends on (the radio table); a change invalidates rows."""
    return hashlib.sha256(profile.radios.model_dump_json().encode()).hexdigest()[:16]


def lowest_uptime_now(uptime: int, seen: float, now: float) -> int:
    """The smallest sysUpTime (timeticks) an AP that has not rebooted since ``seen`` can show."""
    elapsed = now - seen
    margin = SLACK_S + SLACK_FRACTION * max(0.0, elapsed)
    return max(0, uptime + int((elapsed - margin) * 100))


class DiscoveryCache:
    """One JSON file per collector shard or worker (``DATA_DIR/discovery-KofN[-wJofW].json``)."""

    def __init__(
        self,
        path: Path,
        profiles: Mapping[str, Profile],
        clock: Callable[[], float] = time.time,
        fallbacks: Sequence[Path] = (),
    ) -> None:
        self.path = Path(path)
        # other layouts' files (another --workers count): read for APs this file lacks
        self.fallbacks = [Path(f) for f in fallbacks if Path(f) != self.path]
        self.from_fallbacks = 0
        self._shared_rows: dict[tuple[tuple[str, str], ...], tuple[RadioRow, ...]] = {}
        self._clock = clock
        self._digests = {key: profile_digest(p) for key, p in profiles.items()}
        self._saved_generation: int | None = None
        self._saved_at = 0.0
        self.loaded = 0
        self.dropped = 0  # entries in the file not loaded (profile changed, bad entry)

    def load(self, ap_ids: Collection[str] | None = None) -> list[Entry]:
        """Entries for ``ap_ids`` (all when None), uptimes advanced to ``lowest_uptime_now``.

        APs this file does not hold are looked up in :attr:`fallbacks` (the files of another
        worker layout), so changing ``--workers`` rediscovers nothing.
        """
        now = self._clock()
        entries: list[Entry] = []
        seen: set[str] = set()
        for number, path in enumerate([self.path, *self.fallbacks]):
            document = self._read(path)
            if document is None:
                continue
            digests = _mapping(document.get("profiles"))
            for ap_id, raw in _mapping(document.get("aps")).items():
                if (ap_ids is not None and ap_id not in ap_ids) or ap_id in seen:
                    continue
                entry = self._entry(ap_id, raw, digests, now)
                if entry is None:
                    self.dropped += number == 0
                    continue
                seen.add(ap_id)
                entries.append(entry)
                self.from_fallbacks += number > 0
            if ap_ids is not None and len(seen) == len(ap_ids):
                break
        self.loaded = len(entries)
        return entries

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("discovery cache %s ignored: %s", path, error)
            return None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            log.warning("discovery cache %s ignored: not format %d", path, FORMAT)
            return None
        return document

    def _entry(self, ap_id: str, raw: Any, digests: Mapping[str, Any], now: float) -> Entry | None:
        try:
            platform = raw["platform"]
            if (
                self._digests.get(platform) is None
                or digests.get(platform) != self._digests[platform]
            ):
                return None
            rows = self._rows(raw["rows"])
            uptime, seen = int(raw["uptime"]), float(raw["seen"])
            detected = raw["detected"]
            discovery = Discovery(
                platform=sys.intern(str(platform)),
                sys_object_id=sys.intern(str(raw["sys_object_id"])),
                uptime=lowest_uptime_now(uptime, seen, now),
                rows=rows,
                unmapped=int(raw.get("unmapped", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return ap_id, discovery, None if detected is None else sys.intern(str(detected)), seen

    def _rows(self, raw: Any) -> tuple[RadioRow, ...]:
        """The rows, one shared tuple for every AP with the same ones (most of a fleet: a few
        dozen distinct layouts for 34,000 APs, so a few objects instead of a million)."""
        key = tuple((str(index), str(band)) for index, band in raw)
        rows = self._shared_rows.get(key)
        if rows is None:
            rows = self._shared_rows[key] = tuple(
                RadioRow(index, int(index) if index.isdigit() else None, band)
                for index, band in key
            )
        return rows

    def mark_saved(self, poller: ApPoller) -> None:
        """What ``poller`` knows now is what the file holds (right after a restore)."""
        # entries taken from another layout's file are not in ours yet: the next save writes
        self._saved_generation = None if self.from_fallbacks else poller.discoveries
        self._saved_at = self._clock()

    def save(self, poller: ApPoller) -> None:
        """Write everything ``poller`` knows, atomically."""
        aps = {
            ap_id: {
                "platform": known.discovery.platform,
                "detected": known.detected,
                "sys_object_id": known.discovery.sys_object_id,
                "uptime": known.uptime,
                "seen": round(known.seen, 3),
                "rows": [[row.index, row.band] for row in known.discovery.rows],
                "unmapped": known.discovery.unmapped,
            }
            for ap_id, known in poller.known.items()
        }
        document = {
            "format": FORMAT,
            "saved_at": round(self._clock(), 3),
            "profiles": self._digests,
            "aps": aps,
        }
        write_atomically(self.path, json.dumps(document, separators=(",", ":")))
        self._saved_generation = poller.discoveries
        self._saved_at = self._clock()

    def save_if_changed(
        self, poller: ApPoller, now: float | None = None, min_interval_s: float = 0.0
    ) -> bool:
        """Save when a discovery changed since the last save (and ``min_interval_s`` passed).

        Uptime readings alone are no reason to write: an old (uptime, seen) pair still bounds
        the uptime of an AP that has not rebooted.
        """
        if poller.discoveries == self._saved_generation:
            return False
        now = self._clock() if now is None else now
        if self._saved_generation is not None and now - self._saved_at < min_interval_s:
            return False
        try:
            self.save(poller)
        except OSError as error:
            log.warning("discovery cache %s not written: %s", self.path, error)
            return False
        return True


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
