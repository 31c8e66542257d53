"""The inventory, parsed once: a pickle of it in a cache directory (the collector's
``DATA_DIR/inventory/``, the web UI's ``DATA_DIR/web/``, ``pubwifi rollout``'s
``DATA_DIR/rollout/``) keyed by the sha256 of the inventory file and of everything the strict
load depends on (the loader and model code, the platform profiles, the districts), so a
collector worker loads 34,000 APs in about 0.2 s, the UI starts in a second and ``rollout
status`` answers in under two (the strict YAML load takes 1.4-4 s there). Only a file that
passed every strict check is ever cached, and any change to the file, the code or a profile
makes a new cache; a cache that cannot be read is ignored (and rewritten). Checks of the
environment (secrets set) are not cached: callers make them on every start. The cache holds
what the file holds (secrets are references, never values) and is written 0600 by this
process only.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import BinaryIO

from collector.inventory.model import Inventory

log = logging.getLogger("pubwifi.inventory")


def load_inventory(path: Path) -> Inventory:
    """The strict loader, imported on a miss only (a hit never pays for pydantic)."""
    from collector.inventory.load import load_inventory as strict_load

    return strict_load(path)


#: What a strict load depends on besides the file: the loader and model code, the platform
#: profiles (``platform`` must name one), the districts and the YAML checker.
_CODE = (
    "collector.inventory.model",
    "collector.inventory.load",
    "collector.inventory.schema",
    "collector.districts",
    "collector.yamlstrict",
    "collector.secrets",
    "collector.profiles",
)


def _key(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    for module in _CODE:
        spec = find_spec(module)  # the source, without importing the loader (pydantic: 0.3 s)
        assert spec is not None and spec.origin is not None
        digest.update(Path(spec.origin).read_bytes())
    profiles = find_spec("collector.profiles")
    assert profiles is not None and profiles.origin is not None
    for profile in sorted(Path(profiles.origin).parent.glob("*.yaml")):
        digest.update(profile.name.encode() + b"\0" + profile.read_bytes())
    return digest.hexdigest()[:32]


def cache_path(path: Path, cache_dir: Path) -> Path:
    """Where the cache of ``path`` (as it is now) lives in ``cache_dir``."""
    return Path(cache_dir) / f"inventory-{_key(Path(path))}.pickle"


def cached_inventory(path: Path, cache_dir: Path) -> Inventory:
    """``load_inventory(path)``, from the cache when it matches."""
    cache = cache_path(path, cache_dir)
    found = _read(cache)
    if found is not None:
        return found
    inventory = load_inventory(path)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("inventory-*.pickle"):  # other keys' wholes and parts
            old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("old inventory caches not removed: %s", error)
    _write(cache, inventory)
    return inventory


def part_path(path: Path, cache_dir: Path, name: str) -> Path:
    """Where the cache of one part of ``path`` (``name``, e.g. ``1of1-w2of4``) lives."""
    return cache_path(path, cache_dir).with_suffix(f".{name}.pickle")


def cached_part(path: Path, cache_dir: Path, name: str, keep: Callable[[str], bool]) -> Inventory:
    """The part of the inventory whose AP ids ``keep`` accepts, from its own cache file.

    A collector worker loads only its APs (a quarter of the objects with four workers); the
    part is written from the whole cache on a miss (normally by
    :func:`collector.workers.compile.prepare` before the workers start).
    """
    found = _read(part_path(path, cache_dir, name))
    if found is not None:
        return found
    return write_part(path, cache_dir, name, cached_inventory(path, cache_dir), keep)


def write_part(
    path: Path, cache_dir: Path, name: str, whole: Inventory, keep: Callable[[str], bool]
) -> Inventory:
    """Write (and return) the part of ``whole`` that ``keep`` accepts as part ``name``."""
    part = whole.subset(keep)
    _write(part_path(path, cache_dir, name), part)
    return part


def _read(cache: Path) -> Inventory | None:
    """The inventory in ``cache``, or None when it is missing or cannot be used (logged)."""
    try:
        with cache.open("rb") as source:
            found = _unpickle(source)
        if isinstance(found, Inventory):
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        if not isinstance(error, FileNotFoundError):
            log.warning("inventory cache %s not used: %s", cache, error)
    return None


def _unpickle(source: BinaryIO) -> object:
    """``pickle.load`` with the cyclic garbage collector paused: the inventory is hundreds of
    thousands of acyclic objects, and collections triggered while they are made would walk
    every object the process already holds (measured: 0.46 s instead of 0.2 s in a process
    that had loaded the inventory once before)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(source)  # noqa: S301 (our own file, 0600, keyed by content)
    finally:
        if paused:
            gc.enable()


def _write(cache: Path, inventory: Inventory) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            pickle.dump(inventory, out, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)
    except OSError as error:
        log.warning("inventory cache not written: %s", error)
