"""Search the inventory: AP id, site name and id, dong, IP address, district (English, Korean,
code). Every word of the query must occur (case-insensitive); a linear scan of one prepared
string per AP answers in milliseconds at 34,000 APs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.inventory.model import AccessPoint


@dataclass(frozen=True, slots=True)
class Found:
    aps: tuple[AccessPoint, ...]
    total: int


class SearchIndex:
    def __init__(self, inventory: Sequence[AccessPoint]) -> None:
        self._rows = [
            (
                " ".join(
                    (
                        ap.id,
                        ap.site.id,
                        ap.site.name,
                        ap.site.dong,
                        str(ap.address),
                        ap.district.code,
                        ap.district.name_en,
                        ap.district.name_ko,
                        ap.model,
                    )
                ).casefold(),
                ap,
            )
            for ap in inventory
        ]

    def find(self, text: str, limit: int = 50) -> Found:
        words = text.casefold().split()[:8]
        if not words:
            return Found((), 0)
        hits: list[AccessPoint] = []
        total = 0
        for haystack, ap in self._rows:
            if all(w in haystack for w in words):
                total += 1
                if len(hits) < limit:
                    hits.append(ap)
        return Found(tuple(hits), total)
