"""The inventory, parsed once: a pickle of it in a cache directory (the web UI's ``DATA_DIR/web/``,
``pubwifi rollout``'s ``DATA_DIR/rollout/``) keyed by the sha256 of the inventory file and of the
model code, so the UI starts in a second at 34,000 APs and ``rollout status`` answers in under
two (the strict YAML load takes about 4 s there). Any change to the file or the code makes a
new cache; a cache that cannot be read is ignored (and rewritten). The cache holds what the
file holds (secrets are references, never values) and is written 0600 by this process only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from importlib.util import find_spec
from pathlib import Path

from collector.inventory.model import Inventory

log = logging.getLogger("pubwifi.inventory")


def load_inventory(path: Path) -> Inventory:
    """The strict loader, imported on a miss only (a hit never pays for pydantic)."""
    from collector.inventory.load import load_inventory as strict_load

    return strict_load(path)


def _key(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    for module in ("collector.inventory.model", "collector.inventory.load"):
        spec = find_spec(module)  # the source, without importing the loader (pydantic: 0.3 s)
        assert spec is not None and spec.origin is not None
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:32]


def cached_inventory(path: Path, cache_dir: Path) -> Inventory:
    """``load_inventory(path)``, from the cache when it matches."""
    key = _key(path)
    cache = cache_dir / f"inventory-{key}.pickle"
    try:
        with cache.open("rb") as source:
            inventory = pickle.load(source)  # noqa: S301 (our own file, 0600, keyed by content)
        if isinstance(inventory, Inventory):
            return inventory
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        if not isinstance(error, FileNotFoundError):
            log.warning("inventory cache %s not used: %s", cache, error)
    inventory = load_inventory(path)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("inventory-*.pickle"):
            old.unlink(missing_ok=True)
        partial = cache.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            pickle.dump(inventory, out, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)
    except OSError as error:
        log.warning("inventory cache not written: %s", error)
    return inventory
