"""Platform detection from sysObjectID (longest matching prefix) and sysDescr (a pattern).

LibreNMS-style rules, taken from each profile's ``detect`` block. When what an AP says differs
from the inventory's platform (an AP swapped for another model, a wrong inventory entry), the
poller reports the mismatch and polls with the detected profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from collector.profiles import Profile

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


@dataclass(frozen=True, slots=True)
class _Rule:
    platform: str
    prefix: str
    pattern: re.Pattern[str] | None


class Detector:
    """Detects platforms; remembers the answer per distinct (sysObjectID, sysDescr)."""

    def __init__(self, profiles: Mapping[str, Profile], cache_size: int = 4096) -> None:
        rules = [
            _Rule(key, prefix.lstrip("."), _compiled(p.detect.sys_descr))
            for key, p in profiles.items()
            for prefix in p.detect.sys_object_id
        ]
        # Longest prefix first; among equals, rules with a sysDescr pattern are more specific.
        self._rules = sorted(rules, key=lambda r: (-len(r.prefix.split(".")), r.pattern is None))
        self._cache: dict[tuple[str, str], str | None] = {}
        self._cache_size = cache_size

    def detect(self, sys_object_id: str, sys_descr: str) -> str | None:
        """The platform key, or None when no profile matches."""
        key = (sys_object_id, sys_descr)
        if key in self._cache:
            return self._cache[key]
        oid = sys_object_id.lstrip(".")
        found: str | None = None
        for rule in self._rules:
            if (oid == rule.prefix or oid.startswith(rule.prefix + ".")) and (
                rule.pattern is None or rule.pattern.search(sys_descr)
            ):
                found = rule.platform
                break
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = found
        return found


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern)
