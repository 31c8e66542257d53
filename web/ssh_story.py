"""What SSH collection knows about one AP, for its page: facts, the last attempt, the
configuration history (masked texts from the git repository) and host-key trouble.

Read-only: the facts store is opened ``mode=ro`` per request (SQLite, WAL: the sweep may be
writing), the repository through committed objects only. Nothing here can change a device.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from collector.ssh.configrepo import ConfigRepo, ConfigRepoError, ConfigVersion, NoVersion
from collector.ssh.factstore import Attempt, FactChange, FactStore, StoredFacts
from collector.ssh.knownhosts import ChangedKey, host_entry

HISTORY_SHOWN = 20


@dataclass
class SshStory:
    facts: StoredFacts | None = None
    attempt: Attempt | None = None
    changes: list[FactChange] = field(default_factory=list)
    versions: list[ConfigVersion] = field(default_factory=list)  # newest first
    host_key: ChangedKey | None = None
    error: str | None = None


def ssh_story(data_dir: Path, ap_id: str, address: str, port: int) -> SshStory:
    story = SshStory()
    store_path = data_dir / "ssh" / "facts.sqlite"
    if store_path.exists():
        store = FactStore(store_path, readonly=True)
        try:
            story.facts = store.get(ap_id)
            story.attempt = store.attempt(ap_id)
            # the first sight of a value is the baseline, not a change
            story.changes = [c for c in store.changes(ap_id) if c.old is not None][-10:]
        finally:
            store.close()
    repo = config_repo(data_dir)
    if repo is not None:
        try:
            story.versions = repo.history(ap_id)[:HISTORY_SHOWN]
        except (ConfigRepoError, ValueError) as error:
            story.error = str(error)
    changed = data_dir / "ssh" / "known_hosts.changed.json"  # not the 34,000-line file itself
    if changed.exists():
        host = host_entry(address, port)
        try:
            rows = json.loads(changed.read_text("utf-8"))
            story.host_key = next((ChangedKey(**r) for r in rows if r.get("host") == host), None)
        except (ValueError, TypeError) as error:
            story.error = f"{changed}: {error}"
    return story


def config_repo(data_dir: Path) -> ConfigRepo | None:
    path = data_dir / "configs"
    return ConfigRepo(path) if (path / ".git" / "HEAD").exists() else None


@dataclass
class ConfigView:
    version: ConfigVersion
    diff: str  # against the version before it ("" when it is the first)
    versions: list[ConfigVersion]


def config_view(data_dir: Path, ap_id: str, commit: str | None) -> ConfigView | None:
    """The version ``commit`` (newest if None) with its diff to the one before; None: none."""
    repo = config_repo(data_dir)
    if repo is None:
        return None
    versions = repo.history(ap_id)
    if not versions:
        return None
    chosen = next((v for v in versions if v.commit == commit), None) if commit else versions[0]
    if chosen is None:
        return None
    index = versions.index(chosen)
    try:
        diff = repo.diff(ap_id, end=chosen.when) if index + 1 < len(versions) else ""
    except NoVersion:
        diff = ""
    return ConfigView(chosen, diff, versions[:HISTORY_SHOWN])
