"""The fleet inventory: strict loading of inventory.yaml into frozen typed objects.

``load_inventory`` is imported on first use: :mod:`collector.districts` needs the model only, and
the loader needs the districts (importing the loader here made that a cycle).
"""

from typing import Any

from collector.inventory.model import AccessPoint, Inventory, Site

__all__ = ["AccessPoint", "Inventory", "Site", "load_inventory"]


def __getattr__(name: str) -> Any:
    if name == "load_inventory":
        from collector.inventory.load import load_inventory

        return load_inventory
    raise AttributeError(name)
