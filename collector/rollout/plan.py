"""The programme as the inventory states it: one item per replaced AP and per new AP."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from collector.inventory.model import AccessPoint, Inventory, WifiStandard
from collector.rollout.quarters import Quarter

#: The press release's programme for 2025 (FACTS.md): what ``rollout status`` compares against.
TARGETS = {2025: {"replacement": 450, "new": 280}}


class Kind(enum.StrEnum):
    REPLACEMENT = "replacement"  # 교체
    NEW = "new"  # 신설


@dataclass(frozen=True, slots=True)
class PlanItem:
    ap: AccessPoint
    kind: Kind
    quarter: Quarter
    model: str  # the planned model: the replacement's, or the new AP's inventory model
    standard: WifiStandard


def plan_items(aps: Iterable[AccessPoint]) -> list[PlanItem]:
    """Every AP the programme touches, in inventory order."""
    items: list[PlanItem] = []
    for ap in aps:
        if ap.replacement is not None:
            r = ap.replacement
            items.append(
                PlanItem(ap, Kind.REPLACEMENT, Quarter.parse(r.quarter), r.model, r.standard)
            )
        elif ap.new_in is not None:
            items.append(PlanItem(ap, Kind.NEW, Quarter.parse(ap.new_in), ap.model, ap.standard))
    return items


def programme_years(inventory: Inventory) -> list[int]:
    return sorted({item.quarter.year for item in plan_items(inventory)})
