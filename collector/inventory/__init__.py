"""The fleet inventory: strict loading of inventory.yaml into frozen typed objects."""

from collector.inventory.load import load_inventory
from collector.inventory.model import AccessPoint, Inventory, Site

__all__ = ["AccessPoint", "Inventory", "Site", "load_inventory"]
