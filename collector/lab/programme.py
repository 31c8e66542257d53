"""``pubwifi lab rollout-faults``: a rollout programme in progress, as lab faults.

For a demo or a test, the inventory's plan has to happen somewhere: this writes a fault file
(see :mod:`collector.lab.faults`) in which, at seeded times over ``[start, end)``, a share of
the planned replacements are ``swapped_to_wifi6`` (the lab then answers as the planned model),
every polled new AP of the programme ``goes_live``, and one AP outside the plan is swapped
too (a drift for the tracker to catch). Give the same file to ``pubwifi lab backfill`` and
``pubwifi lab`` so history and the live lab agree.
"""

from __future__ import annotations

import datetime as dt
import random

from collector.inventory.model import Inventory

KST = dt.timezone(dt.timedelta(hours=9), "KST")
DAY_S = 86_400


def programme_faults(
    inventory: Inventory, start: float, end: float, *, seed: int = 14, share: float = 0.7
) -> str:
    """The fault file's YAML text (module doc); times are whole minutes, KST."""
    rng = random.Random(seed)
    low, high = start + DAY_S, end - 3600

    def when() -> str:
        moment = low + rng.random() * max(0.0, high - low)
        return dt.datetime.fromtimestamp(60 * int(moment // 60), KST).isoformat()

    lines = ["# Made by `pubwifi lab rollout-faults`: a programme in progress.", "faults:"]
    outside = []
    for ap in inventory:
        if not ap.status.is_polled:
            continue
        if ap.replacement is not None:
            if rng.random() < share:
                lines.append(f"  - {{kind: swapped_to_wifi6, ap: {ap.id}, at: '{when()}'}}")
        elif ap.new_in is not None:
            lines.append(f"  - {{kind: goes_live, ap: {ap.id}, at: '{when()}'}}")
        elif not ap.standard.is_wifi6_or_later:
            outside.append(ap.id)
    if outside:
        lines.append(f"  - {{kind: swapped_to_wifi6, ap: {rng.choice(outside)}, at: '{when()}'}}")
    return "\n".join(lines) + "\n"
