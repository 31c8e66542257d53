"""Each AP's masked running-config, kept as a history in a git repository.

Layout: ``<repo>/aps/<AP_ID>.cfg``, one file per AP, on branch ``main``; one commit per sweep
(or per provisioning run) holding only the configs that changed, dated ``when``. Why git: diffs,
history and "what did this AP look like on the 3rd" are what it does, the objects are
content-addressed (an unchanged config costs nothing) and operators can use any git tool on it.

Who changed it: the commit's ``Pubwifi-Source:`` trailer is ``sweep`` (what the devices said) or
``provision:<campaign>`` (what pubwifi pushed). A sweep that finds a config differing from
before is a change *outside* pubwifi unless the content is what the AP's latest provisioning
commit at or before it wrote. Contract for provisioning: commit what you push before the AP is
swept again (hold the writer lock, i.e. ``stage`` first, across the push): a sweep that reads
a push not yet committed records it as outside, and the provisioning commit then finds nothing
to change.

Writing (one writer: the sweep): :meth:`ConfigRepo.stage` compares the text's git blob id
(computed in Python, no process) with the last commit's, writes ``aps/<AP_ID>.cfg`` (mode 0600)
only if it differs, and remembers the id. :meth:`ConfigRepo.commit` then runs a fixed handful of
git processes whatever the number of files: ``read-tree HEAD`` into a private index,
``hash-object -w --no-filters --stdin-paths`` for the staged files, ``update-index
--index-info``, ``write-tree``, ``commit-tree`` and a compare-and-swap ``update-ref``. The
private index means a crash between stage and commit leaves nothing half-staged: the next
commit starts from HEAD again (a config staged but never committed is staged again by the next
sweep, because it is compared with HEAD, not with the work tree). The writer holds an exclusive
``flock`` from its first ``stage`` until ``commit``; a second writer gets
:class:`ConfigRepoBusy`. Commit dates never go backwards (``when`` earlier than HEAD is
refused), so "as of time T" is well defined on the linear history.

Reading (any number of concurrent readers: web UI, CLI): only ``git log``/``cat-file`` on
committed objects reached from ``refs/heads/main``, which the writer moves atomically after
every object exists. Readers never touch the index or the work tree.

Secrets: callers pass text already masked (:func:`collector.ssh.mask.mask_config`); this module
does not mask. ``stage`` does refuse text where a cheap check sees an obvious unmasked secret
(:func:`obvious_secret`: the lab's and common IOS/RouterOS/hostapd secret syntaxes followed by
something that is not a mask token) -- a backstop against a caller forgetting to mask, not a
second masker: a miss here is a bug in the mask rules, not something this check can catch.

Isolation: git runs with an explicit environment (``GIT_DIR``/``GIT_WORK_TREE``,
``GIT_CONFIG_NOSYSTEM=1``, ``GIT_CONFIG_GLOBAL=/dev/null``, ``HOME`` inside ``.git``, no prompt,
no hooks, fixed identity ``pubwifi``), so the machine's git configuration cannot interfere.
The repository directory is created 0700; git objects are 0444 inside it.

Measured on this machine (2 vCPU, shared with other jobs, so figures vary run to run;
``benchmarks/bench_configrepo.py``, 34,280 files of 1.5 KB): first sweep (every file new)
stage 5.8-10 s (writing 34,280 files) + commit 6-15 s (34,280 loose blobs) = 17-26 s; a
second sweep with 1% changed: stage 0.8-0.9 s (34,280 compared, 342 written) + commit 0.3-0.5 s
(it rewrites the 34,280-entry ``aps`` tree, ~1.6 MB, every time) = 1.1-1.4 s. ``git gc`` after
the first sweep 3.4-4.9 s (:meth:`ConfigRepo.maintain`, which the caller runs after a commit;
``gc --auto`` does nothing until ~6,700 loose objects). Reads: show ~17 ms, history ~22 ms,
changed_since over one 342-AP commit ~0.27 s. Masking the 34,280 configs takes ~11 s.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

BRANCH = "refs/heads/main"
APS_DIR = "aps"
SOURCE_TRAILER = "Pubwifi-Source"
APS_TRAILER = "Pubwifi-Aps"
SOURCE_RE = re.compile(r"sweep|provision:[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MAX_ID_BYTES = 200
ZERO_OID = "0" * 40
_BATCH = 2000  # paths per hash-object write (stdin is streamed; this only bounds memory)

#: Obvious unmasked secrets ``stage`` refuses: a secret keyword then a value that is not a token.
#: Matched against "\n" + text: the literal "\n" start lets the regex engine skip to line starts.
OBVIOUS_SECRET_LINE = re.compile(
    r"\n[ \t]*+(?:enable (?:secret|password)(?: \d)?+|username \S++ [^\n]*?password(?: \d)?+"
    r"|snmp-server community|mgmt-user \S++|wpa-psk (?:ascii|hex)(?: \d)?+|wpa-passphrase"
    r"|radius-server host [^\n]*? key(?: \d)?+) ++(?!<masked:[0-9a-f]{8}>)\S"
    r"|\n(?:wpa_passphrase|wpa_psk|auth_server_shared_secret|acct_server_shared_secret)="
    r"(?!<masked:[0-9a-f]{8}>)\S"
)
#: RouterOS ``secret=``/``password=``/``*-pre-shared-key=`` whose value is not a token.
OBVIOUS_SECRET_PARAM = re.compile(
    r"(?<![^\s\[])(?:secret|password|wpa2?-pre-shared-key)=(?!\"?<masked:|\"\"|\s|$)"
)


def obvious_secret(text: str) -> bool:
    """Whether ``text`` visibly holds an unmasked secret (a cheap backstop; see module doc)."""
    if OBVIOUS_SECRET_LINE.search("\n" + text):
        return True
    return "=" in text and OBVIOUS_SECRET_PARAM.search(text) is not None


class ConfigRepoError(RuntimeError):
    """git failed (its stderr is the message) or the repository is not in the expected shape."""


class ConfigRepoBusy(ConfigRepoError):
    """Another writer holds the repository."""


class NoVersion(LookupError):
    """No committed config for that AP (at that time)."""


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    commit: str
    when: float  # epoch seconds (the commit date: whole seconds)
    source: str  # "sweep" | "provision:<campaign>"
    text: str


@dataclass(frozen=True, slots=True)
class ConfigChange:
    ap_id: str
    commit: str
    when: float
    source: str
    outside: bool  # not what pubwifi provisioned for this AP


@dataclass(frozen=True, slots=True)
class _Entry:
    """One commit that touched one AP's file (newest first in lists)."""

    commit: str
    when: int
    source: str
    blob: str  # ZERO_OID when the commit deleted the file
    old_blob: str  # ZERO_OID when the commit added it


def validate_ap_id(ap_id: str) -> str:
    """``ap_id`` if it is safe as a file name; ``ValueError`` otherwise (ids are untrusted)."""
    if not ap_id:
        raise ValueError("empty AP id")
    if "/" in ap_id or "\\" in ap_id or ".." in ap_id:
        raise ValueError(f"AP id {ap_id!r} contains a path separator or '..'")
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() for c in ap_id):
        raise ValueError(f"AP id {ap_id!r} contains a control or blank character")
    if ap_id[0] in ".-":
        raise ValueError(f"AP id {ap_id!r} starts with {ap_id[0]!r}")
    if len(ap_id.encode("utf-8")) > MAX_ID_BYTES:
        raise ValueError(f"AP id is longer than {MAX_ID_BYTES} bytes")
    return ap_id


def blob_id(data: bytes) -> str:
    """The git (SHA-1) object id of a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _path_of(ap_id: str) -> str:
    return f"{APS_DIR}/{ap_id}.cfg"


class ConfigRepo:
    """The config history at one directory; see the module doc. Not thread-safe for writing."""

    def __init__(self, path: Path) -> None:
        path = path.resolve()  # git runs with -C elsewhere: a relative path would nest
        self.path = path
        self.git_dir = path / ".git"
        self._env = _git_env(path)
        self._head_blobs: dict[str, str] | None = None  # ap_id -> blob at HEAD (writer only)
        self._staged: dict[str, str] = {}  # ap_id -> blob written to the work tree
        self._lock_fd: int | None = None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> ConfigRepo:
        """The repository at ``path``, created (0700, ``git init``) on first use."""
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        repo = cls(path)
        if not (repo.git_dir / "HEAD").exists():
            repo._git("init", "--quiet", "--initial-branch=main", str(path))
            (path / APS_DIR).mkdir(mode=0o700, exist_ok=True)
        return repo

    def close(self) -> None:
        """Drop staged-but-uncommitted state and the writer lock."""
        self._staged.clear()
        self._unlock()

    def __enter__(self) -> ConfigRepo:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def stage(self, ap_id: str, masked_text: str) -> bool:
        """Write ``aps/<AP_ID>.cfg`` for the next commit; True if it differs from the last commit.

        Raises ``ValueError`` for an unsafe id or text with an obvious unmasked secret.
        """
        validate_ap_id(ap_id)
        if obvious_secret(masked_text):
            raise ValueError(f"config for {ap_id!r} holds an unmasked secret; mask it first")
        self._lock()
        data = masked_text.encode("utf-8")
        blob = blob_id(data)
        head = self._load_head_blobs().get(ap_id)
        if blob == head:
            if self._staged.pop(ap_id, None) is not None:
                self._write_file(ap_id, data)  # staged a change, then back: restore the file
            return False
        if self._staged.get(ap_id) != blob:
            self._write_file(ap_id, data)
            self._staged[ap_id] = blob
        return True

    def commit(self, *, when: float, source: str = "sweep", message: str = "") -> str | None:
        """One commit of everything staged since the last commit; None if nothing changed."""
        if not SOURCE_RE.fullmatch(source):
            raise ValueError(f"source {source!r} is not 'sweep' or 'provision:<campaign>'")
        if "\0" in message:
            raise ValueError("commit message contains NUL")
        try:
            if not self._staged:
                return None
            parent = self._head()
            if parent is not None:
                parent_when = int(self._git("log", "-1", "--format=%ct", parent).strip())
                if int(when) < parent_when:
                    raise ValueError(f"when={when} is before the last commit ({parent_when})")
            commit = self._write_commit(parent, when, source, message)
            if commit is not None and self._head_blobs is not None:
                self._head_blobs.update(self._staged)
            self._staged.clear()
            return commit
        finally:
            if not self._staged:
                self._unlock()

    def _write_commit(
        self, parent: str | None, when: float, source: str, message: str
    ) -> str | None:
        index = self.git_dir / f"pubwifi-index.{os.getpid()}"
        env = {**self._env, "GIT_INDEX_FILE": str(index)}
        try:
            if parent is not None:
                self._git("read-tree", parent, env=env)
            else:
                self._git("read-tree", "--empty", env=env)
            ids = sorted(self._staged)
            paths = [_path_of(i) for i in ids]
            written = self._git(
                "hash-object", "-w", "--no-filters", "--stdin-paths", stdin="\n".join(paths) + "\n"
            ).split()
            if written != [self._staged[i] for i in ids]:
                raise ConfigRepoError("a staged file changed under the writer (second writer?)")
            info = "".join(f"100644 {b}\t{p}\0" for b, p in zip(written, paths, strict=True))
            self._git("update-index", "-z", "--index-info", stdin=info, env=env)
            tree = self._git("write-tree", env=env).strip()
            if parent is not None and tree == self._git("rev-parse", f"{parent}^{{tree}}").strip():
                return None
            text = _message(source, len(ids), message)
            date = f"{int(when)} +0000"
            commit_env = {**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
            args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-"]
            commit = self._git(*args, stdin=text, env=commit_env).strip()
            self._git("update-ref", "-m", f"pubwifi {source}", BRANCH, commit, parent or ZERO_OID)
            with contextlib.suppress(OSError):  # a convenience for people running git status
                index.replace(self.git_dir / "index")
            return commit
        finally:
            index.unlink(missing_ok=True)

    def maintain(self) -> None:
        """``git gc --auto`` in the foreground: packs loose objects once there are many."""
        self._git("-c", "gc.autoDetach=false", "gc", "--auto", "--quiet")

    def _write_file(self, ap_id: str, data: bytes) -> None:
        directory = self.path / APS_DIR
        directory.mkdir(mode=0o700, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        fd = os.open(directory / f"{ap_id}.cfg", flags, 0o600)
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), 0o600)
            stream.write(data)

    def _load_head_blobs(self) -> dict[str, str]:
        if self._head_blobs is None:
            blobs: dict[str, str] = {}
            head = self._head()
            if head is not None:
                listing = self._git("ls-tree", "-z", "--full-tree", head, f"{APS_DIR}/")
                for entry in filter(None, listing.split("\0")):
                    meta, path = entry.split("\t", 1)
                    name = path.removeprefix(f"{APS_DIR}/")
                    if name.endswith(".cfg"):
                        blobs[name.removesuffix(".cfg")] = meta.split()[2]
            self._head_blobs = blobs
        return self._head_blobs

    def _lock(self) -> None:
        if self._lock_fd is not None:
            return
        fd = os.open(self.git_dir / "pubwifi-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigRepoBusy(f"{self.path}: another writer is staging configs") from None
        self._lock_fd = fd
        self._head_blobs = None  # another writer may have committed since we last looked

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    # -- reading -------------------------------------------------------------------------------

    def history(self, ap_id: str) -> list[ConfigVersion]:
        """Every committed version of the AP's config, newest first."""
        entries = [e for e in self._entries(validate_ap_id(ap_id)) if e.blob != ZERO_OID]
        texts = self._blob_texts([e.blob for e in entries])
        return [ConfigVersion(e.commit, float(e.when), e.source, texts[e.blob]) for e in entries]

    def show(self, ap_id: str, at: float | None = None) -> ConfigVersion | None:
        """The AP's config as of time ``at`` (the newest if None); None if there is none."""
        entry = _at(self._entries(validate_ap_id(ap_id)), at)
        if entry is None or entry.blob == ZERO_OID:
            return None
        text = self._blob_texts([entry.blob])[entry.blob]
        return ConfigVersion(entry.commit, float(entry.when), entry.source, text)

    def diff(self, ap_id: str, start: float | None = None, end: float | None = None) -> str:
        """Unified diff from the version at ``start`` (default: the one before ``end``'s) to the
        version at ``end`` (default: the newest); "" when they are the same.

        Raises :class:`NoVersion` when there is no version at ``end``, or at an explicit
        ``start``. With ``start`` omitted and no earlier version, the diff is from empty.
        """
        entries = self._entries(validate_ap_id(ap_id))
        new = _at(entries, end)
        if new is None:
            raise NoVersion(f"no config for AP {ap_id!r}" + _as_of(end))
        if start is None:
            older = entries[entries.index(new) + 1 :]
            old = older[0] if older else None
        else:
            old = _at(entries, start)
            if old is None:
                raise NoVersion(f"no config for AP {ap_id!r}" + _as_of(start))
        if old is not None and old.blob == new.blob:
            return ""
        texts = self._blob_texts([e.blob for e in (old, new) if e is not None])
        old_text = texts.get(old.blob, "") if old is not None else ""
        lines = difflib.unified_diff(
            old_text.splitlines(keepends=True),
            texts.get(new.blob, "").splitlines(keepends=True),
            fromfile=_label(ap_id, old),
            tofile=_label(ap_id, new),
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    def changed_since(self, since: float) -> list[ConfigChange]:
        """Each (AP, commit) after ``since`` that changed the AP's config, oldest first.

        An AP's first version (its file added) is not a change: it is the first sight of it.
        """
        head = self._head()
        if head is None:
            return []
        changes = [
            (ap_id, entry)
            for ap_id, entry in self._log(head, f"--since=@{int(since)} +0000")
            if entry.when > since and entry.old_blob != ZERO_OID
        ]
        provisioned: dict[str, list[_Entry]] = {}
        for ap_id, entry in self._log(head, "--grep", f"^{SOURCE_TRAILER}: provision:"):
            if entry.source.startswith("provision:"):
                provisioned.setdefault(ap_id, []).append(entry)
        order = {commit: i for i, commit in enumerate(dict.fromkeys(e.commit for _, e in changes))}
        changes.sort(key=lambda change: (-order[change[1].commit], change[0]))
        return [
            ConfigChange(
                ap_id,
                entry.commit,
                float(entry.when),
                entry.source,
                not _provisioned(entry, provisioned.get(ap_id, [])),
            )
            for ap_id, entry in changes
        ]

    def _entries(self, ap_id: str) -> list[_Entry]:
        head = self._head()
        if head is None:
            return []
        return [e for _, e in self._log(head, path=_path_of(ap_id))]

    def _log(
        self, head: str, *options: str, path: str = f"{APS_DIR}/"
    ) -> Iterator[tuple[str, _Entry]]:
        """(ap_id, entry) for each AP file each commit touched, newest commit first."""
        fmt = f"%x01%H %ct %(trailers:key={SOURCE_TRAILER},valueonly,separator=%x2C)"
        out = self._git(
            "log",
            "-z",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--root",
            f"--format={fmt}",
            *options,
            head,
            "--",
            path,
        )
        for chunk in out.split("\x01")[1:]:
            header, _, raw = chunk.partition("\0")
            commit, when, source = [*header.split(" ", 2), ""][:3]
            fields = raw.lstrip("\n").split("\0")
            for meta, path in zip(fields[0::2], fields[1::2], strict=False):
                if not meta.startswith(":") or not path.startswith(f"{APS_DIR}/"):
                    continue
                name = path.removeprefix(f"{APS_DIR}/")
                if not name.endswith(".cfg"):
                    continue
                _, _, old, new, *_ = meta.split()
                entry = _Entry(commit, int(when), source.strip(), new, old)
                yield name.removesuffix(".cfg"), entry

    def _blob_texts(self, blobs: Sequence[str]) -> dict[str, str]:
        wanted = sorted(set(blobs))
        if not wanted:
            return {}
        out = self._run(["cat-file", "--batch"], ("\n".join(wanted) + "\n").encode(), self._env)
        texts: dict[str, str] = {}
        pos = 0
        for blob in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            if len(header) != 3 or header[1] != b"blob":
                raise ConfigRepoError(f"object {blob} is missing from {self.path}")
            size = int(header[2])
            texts[blob] = out[end + 1 : end + 1 + size].decode("utf-8")
            pos = end + 1 + size + 1
        return texts

    def _head(self) -> str | None:
        out = self._run(["rev-parse", "--verify", "--quiet", BRANCH], None, self._env, check=False)
        return out.decode().strip() or None

    # -- git -----------------------------------------------------------------------------------

    def _git(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
        data = stdin.encode("utf-8") if stdin is not None else None
        return self._run(list(args), data, env or self._env).decode("utf-8")

    def _run(
        self, args: list[str], stdin: bytes | None, env: dict[str, str], *, check: bool = True
    ) -> bytes:
        command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]
        proc = subprocess.run(
            command, input=stdin, env=env, capture_output=True, check=False, cwd=self.path
        )
        if check and proc.returncode != 0:
            error = proc.stderr.decode("utf-8", "replace").strip()
            raise ConfigRepoError(f"git {args[0]} failed ({proc.returncode}): {error}")
        return proc.stdout if proc.returncode == 0 else b""


def _git_env(path: Path) -> dict[str, str]:
    git_dir = path / ".git"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_DIR": str(git_dir),
        "GIT_WORK_TREE": str(path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(git_dir),
        "XDG_CONFIG_HOME": str(git_dir),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_AUTHOR_NAME": "pubwifi",
        "GIT_AUTHOR_EMAIL": "pubwifi@localhost",
        "GIT_COMMITTER_NAME": "pubwifi",
        "GIT_COMMITTER_EMAIL": "pubwifi@localhost",
        "LC_ALL": "C",
        "TZ": "UTC",
    }
    return env


def _message(source: str, count: int, message: str) -> str:
    noun = "config" if count == 1 else "configs"
    subject = f"{source}: {count} AP {noun} changed"
    body = message.strip()
    parts = [
        subject,
        *([body] if body else []),
        f"{SOURCE_TRAILER}: {source}\n{APS_TRAILER}: {count}",
    ]
    return "\n\n".join(parts) + "\n"


def _at(entries: list[_Entry], at: float | None) -> _Entry | None:
    """The newest entry dated at or before ``at`` (entries are newest first)."""
    for entry in entries:
        if at is None or entry.when <= at:
            return entry
    return None


def _provisioned(change: _Entry, provisions: list[_Entry]) -> bool:
    """Whether the change wrote what the AP's latest provisioning at or before it wrote."""
    if change.source.startswith("provision:"):
        return True
    before = [p for p in provisions if p.when <= change.when]  # newest first
    return bool(before) and before[0].blob == change.blob


def _as_of(at: float | None) -> str:
    return "" if at is None else f" at or before {at:g}"


def _label(ap_id: str, entry: _Entry | None) -> str:
    if entry is None:
        return "/dev/null"
    return f"{_path_of(ap_id)}@{entry.commit[:12]} ({entry.source}, {entry.when})"
