"""An SSH sweep: collect every selected AP over SSH on a thread pool and record what came back.

Per AP (:meth:`ApCollector.collect`, on a worker thread): resolve its SSH login from ``${ENV}``
references, open a session (host key checked before any credential, a deadline on every wait),
run its platform's facts commands and follow-ups, read the running-config, log out; parse the
facts with TextFSM; mask secrets and client identifiers out of the config at once, so unmasked
text never leaves the worker. Netmiko is blocking, so a thread per session: the threads mostly
wait on the network, and one process sustained ~60 APs/s against the lab (see
``benchmarks/bench_ssh_sweep.py``).

Per outcome (:class:`SweepRecorder`, on one thread): the facts store, ``ap_facts`` and
``ap_ssid_clients`` points to the spool, the masked config staged in the config repository,
raw output of a facts parse failure kept aside (masked) under ``DATA_DIR/ssh/unparsed/``, and
metrics. :meth:`SweepRecorder.finish` makes the sweep's one config commit.

One AP's failure (login refused, host key changed, a hang, a CLI error, garbage) is that AP's
outcome with its reason; the sweep goes on.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from collector.influx.lineproto import BadPoint
from collector.influx.schema import AP_FACTS, AP_SSID_CLIENTS, ap_tags
from collector.inventory.model import AccessPoint, SshAuth
from collector.metrics import CollectorMetrics
from collector.rollout.store import RolloutStore, Sighting
from collector.secrets import Secret, UnsetSecretError
from collector.ssh.configrepo import ConfigRepo, ConfigRepoBusy, ConfigRepoError
from collector.ssh.facts import ApFacts
from collector.ssh.factstore import FactStore
from collector.ssh.knownhosts import KnownHosts
from collector.ssh.mask import MaskKey, mask_config, mask_output
from collector.ssh.parse import FactsParseError, parse_facts
from collector.ssh.profile import SshProfile, load_ssh_profiles
from collector.ssh.session import (
    CliSession,
    SessionError,
    SshTarget,
    Watchdog,
    open_session,
    run_all,
)

log = logging.getLogger(__name__)

MAX_FOLLOW_UPS = 16
COMMIT_WAIT_S = 120.0  # how long a sweep's commit waits for another writer to finish


@dataclass(frozen=True, slots=True)
class ApOutcome:
    ap: AccessPoint
    started: float  # wall clock
    seconds: float
    reason: str | None = None  # None: ok
    detail: str = ""
    facts: ApFacts | None = None
    config: str | None = None  # masked
    unparsed: str | None = None  # masked raw outputs of a failed facts parse

    @property
    def ok(self) -> bool:
        return self.reason is None


class Logins:
    """SSH logins per auth name, resolved from the environment once and kept as Secrets."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ
        self._cache: dict[str, tuple[str, Secret | None, str | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, auth: SshAuth) -> tuple[str, Secret | None, str | None]:
        with self._lock:
            cached = self._cache.get(auth.name)
            if cached is None:
                user = auth.user.resolve(self._environ).reveal()
                password = auth.password.resolve(self._environ) if auth.password else None
                key_file = auth.key_file.resolve(self._environ).reveal() if auth.key_file else None
                cached = self._cache[auth.name] = (user, password, key_file)
            return cached


def read_device(cli: CliSession, profile: SshProfile, outputs: dict[str, str]) -> str:
    """Run the profile's facts commands and follow-ups into ``outputs``; the running-config."""
    run_all(cli, profile.commands, outputs)
    for _ in range(MAX_FOLLOW_UPS):
        more = [c for c in profile.follow_up(outputs) if c not in outputs]
        if not more:
            break
        run_all(cli, more, outputs)
    config = outputs.get(profile.config_command)
    if config is None:  # facts may already have needed it (IOS, Aruba)
        config = cli.run(profile.config_command)
    return config


def refused(profile: SshProfile, outputs: Mapping[str, str], config: str) -> str | None:
    """The first command whose output is the CLI refusing it (the platform's own error
    wording, from its profile's ``errors``), or None."""
    for command, text in (*outputs.items(), ("running-config", config)):
        if any(pattern.search(text) for pattern in profile.errors):
            return command
    return None


@dataclass
class ApCollector:
    """Collects one AP; thread-safe (every worker calls :meth:`collect`)."""

    profiles: Mapping[str, SshProfile]
    known_hosts: KnownHosts
    mask_key: MaskKey
    deadline_s: float
    logins: Logins = field(default_factory=Logins)
    watchdog: Watchdog = field(default_factory=Watchdog)
    port_override: int | None = None

    @classmethod
    def in_data_dir(
        cls, data_dir: Path, deadline_s: float, profiles: Mapping[str, SshProfile] | None = None
    ) -> ApCollector:
        """The collector a command uses: the data dir's host keys and masking key."""
        return cls(
            profiles if profiles is not None else load_ssh_profiles(),
            KnownHosts.in_data_dir(data_dir),
            MaskKey.load_or_create(data_dir / "ssh" / "mask.key"),
            deadline_s=deadline_s,
        )

    def target(self, ap: AccessPoint) -> SshTarget:
        profile = self.profiles[ap.platform]
        user, password, key_file = self.logins.resolve(ap.ssh_auth)
        return SshTarget(
            ap_id=ap.id,
            address=str(ap.address),
            port=self.port_override or ap.ssh_port,
            device_type=profile.device_type,
            user=user,
            password=password,
            key_file=key_file,
            policy=ap.ssh_auth.known_hosts,
            enable=profile.enable,
        )

    def collect(self, ap: AccessPoint) -> ApOutcome:
        started, clock = time.time(), time.monotonic()
        profile = self.profiles.get(ap.platform)
        if profile is None:
            return ApOutcome(ap, started, 0.0, "cli_error", f"no SSH profile for {ap.platform}")
        try:
            target = self.target(ap)
        except UnsetSecretError as error:
            return ApOutcome(ap, started, 0.0, "secret_unset", str(error))
        for attempt in (1, 2):
            outputs: dict[str, str] = {}
            left = self.deadline_s - (time.monotonic() - clock)
            try:
                config = self._session(target, profile, outputs, left)
                break
            except SessionError as error:
                if attempt == 1 and error.before_ssh and left > self.deadline_s / 2:
                    continue  # the SSH handshake never started: once more, within the deadline
                return ApOutcome(ap, started, time.monotonic() - clock, error.reason, error.detail)
        seconds = time.monotonic() - clock
        return self._outcome(ap, profile, outputs, config, started, seconds)

    def _session(
        self, target: SshTarget, profile: SshProfile, outputs: dict[str, str], deadline_s: float
    ) -> str:
        """Log in, run the facts commands and follow-ups into ``outputs``; the running-config."""
        with open_session(target, self.known_hosts, self.watchdog, deadline_s) as cli:
            return read_device(cli, profile, outputs)

    def _outcome(
        self,
        ap: AccessPoint,
        profile: SshProfile,
        outputs: dict[str, str],
        config: str,
        started: float,
        seconds: float,
    ) -> ApOutcome:
        command = refused(profile, outputs, config)
        if command is not None:
            return ApOutcome(
                ap,
                started,
                seconds,
                "cli_error",
                f"the CLI refused {command!r}",
                unparsed=self._aside(ap, outputs, config),
            )
        try:
            facts = parse_facts(profile, outputs)
        except FactsParseError as error:
            return ApOutcome(
                ap,
                started,
                seconds,
                "parse_failed",
                str(error),
                unparsed=self._aside(ap, outputs, config),
            )
        masked = mask_config(ap.platform, config, self.mask_key)
        return ApOutcome(ap, started, seconds, facts=facts, config=masked)

    def _aside(self, ap: AccessPoint, outputs: Mapping[str, str], config: str) -> str:
        parts = [f"### {command}\n{text}\n" for command, text in outputs.items()]
        parts.append(f"### (running-config)\n{config}\n")
        return mask_output(ap.platform, "".join(parts), self.mask_key)


@dataclass
class SweepSummary:
    aps: int = 0
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)
    configs_changed: int = 0
    commit: str | None = None
    host_keys_accepted: int = 0
    points: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "aps": self.aps,
            "ok": self.ok,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "failures": dict(sorted(self.failures.items())),
            "configs_changed": self.configs_changed,
            "commit": self.commit,
            "host_keys_accepted": self.host_keys_accepted,
            "points": self.points,
        }


class SweepRecorder:
    """Records outcomes (one thread at a time) and closes a sweep with one config commit.

    It opens the rollout store (the models seen) and owns it: :meth:`close` (or ``with``) when
    done with it, after :meth:`finish` or a last :meth:`flush`. The facts store and the config
    repository are the caller's.
    """

    def __init__(
        self,
        facts: FactStore,
        repo: ConfigRepo,
        data_dir: Path,
        *,
        spool: Callable[[list[str]], object] | None = None,
        metrics: CollectorMetrics | None = None,
    ) -> None:
        self.facts = facts
        self.repo = repo
        self.spool = spool
        self.metrics = metrics
        self.aside_dir = Path(data_dir) / "ssh" / "unparsed"
        self.rollout = RolloutStore.in_data_dir(Path(data_dir))  # models seen, for the rollout
        self._sightings: list[Sighting] = []
        self.summary = SweepSummary()
        self.started = time.time()
        self._pending: list[str] = []
        self._configs: dict[str, str] = {}  # masked, committed together by finish()

    def __enter__(self) -> SweepRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the rollout store; record nothing after this (closing again is harmless)."""
        self.rollout.close()

    def begin(self) -> None:
        self.summary = SweepSummary()
        self.started = time.time()
        self._configs = {}

    def record(self, outcome: ApOutcome) -> None:
        summary = self.summary
        summary.aps += 1
        metrics = self.metrics
        if metrics is not None:
            metrics.ssh_session_duration.observe(outcome.seconds)
            metrics.ssh_sessions.labels("ok" if outcome.ok else "failed").inc()
        ap = outcome.ap
        if outcome.unparsed is not None:
            self._keep_aside(ap.id, outcome)
        if not outcome.ok or outcome.facts is None:
            summary.failed += 1
            reason = outcome.reason or "unknown"
            summary.failures[reason] += 1
            if metrics is not None:
                metrics.ssh_errors.labels(reason).inc()
            log.log(
                logging.WARNING if reason.startswith("host_key") else logging.INFO,
                "ssh %s (%s): %s: %s",
                ap.id,
                ap.address,
                reason,
                outcome.detail,
            )
            self.facts.record_failure(ap.id, outcome.started, reason, outcome.seconds)
            return
        summary.ok += 1
        self.facts.record(ap.id, outcome.started, outcome.facts, outcome.seconds)
        facts, at = outcome.facts, outcome.started
        # a model answering now has run since the AP last booted (a swap is a boot)
        since = at - facts.uptime_s if facts.uptime_s is not None and facts.uptime_s >= 0 else at
        self._sightings.append(Sighting(ap.id, "ssh", facts.model or "", facts.firmware, since, at))
        if outcome.config is not None:
            self._configs[ap.id] = outcome.config
        self._points(outcome, outcome.facts)
        if len(self._pending) >= 5000:
            self.flush()

    def _points(self, outcome: ApOutcome, facts: ApFacts) -> None:
        ap, seconds = outcome.ap, int(outcome.started)
        try:
            tags = ap_tags(ap)
            self._pending.append(
                AP_FACTS.line(
                    AP_FACTS.prefix(tags),
                    {
                        "model": facts.model,
                        "serial": facts.serial,
                        "firmware": facts.firmware,
                        "uptime_s": facts.uptime_s,
                        "clients": facts.clients,
                        "radios": len(facts.radios),
                        "ssids": len(facts.ssids),
                        "session_s": round(outcome.seconds, 3),
                    },
                    seconds,
                )
            )
            for ssid in facts.ssids:
                prefix = AP_SSID_CLIENTS.prefix({**tags, "ssid": ssid.name})
                self._pending.append(
                    AP_SSID_CLIENTS.line(prefix, {"clients": ssid.clients}, seconds)
                )
        except BadPoint as error:  # one bad point never loses the AP's others
            log.warning("ssh %s: point set aside: %s", ap.id, error)
            if self.metrics is not None:
                self.metrics.points_set_aside.labels(error.reason).inc()

    def flush(self) -> None:
        if self._pending and self.spool is not None:
            self.spool(self._pending)
            self.summary.points += len(self._pending)
        self._pending = []
        self.facts.commit()
        self.rollout.record(self._sightings)
        self._sightings = []

    def _keep_aside(self, ap_id: str, outcome: ApOutcome) -> None:
        self.aside_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.aside_dir / f"{ap_id}.txt"
        head = f"# {ap_id} {outcome.reason}: {outcome.detail}\n"
        path.write_text(head + (outcome.unparsed or ""), encoding="utf-8")
        path.chmod(0o600)

    def _commit_configs(self, summary: SweepSummary) -> None:
        """Stage the sweep's configs and make its one commit. The repository has one writer at
        a time (a flock held from the first stage to the commit), so staging happens here, in
        seconds, not over the hours a scheduled sweep takes; a busy repository is retried."""
        configs, self._configs = self._configs, {}
        deadline = time.monotonic() + COMMIT_WAIT_S
        while True:
            try:
                changed = sum(self._stage(ap_id, text) for ap_id, text in configs.items())
                summary.commit = self.repo.commit(
                    when=time.time(),
                    source="sweep",
                    message=f"sweep: {changed} of {len(configs)} configs changed",
                )
                summary.configs_changed = changed
                if summary.commit is not None:
                    self.repo.maintain()  # git gc --auto: packs once loose objects pile up
                return
            except ConfigRepoBusy:
                self.repo.close()
                if time.monotonic() > deadline:
                    break
                time.sleep(1.0)
            except ConfigRepoError as error:
                log.error("ssh: configuration backups not committed: %s", error)
                break
        self.repo.close()
        log.error("ssh: %d configuration backups not committed (repository busy)", len(configs))
        if self.metrics is not None:
            self.metrics.ssh_errors.labels("config_not_committed").inc(len(configs))

    def _stage(self, ap_id: str, text: str) -> bool:
        try:
            return self.repo.stage(ap_id, text)
        except ValueError as error:  # an id unsafe as a file name, or text that looks unmasked
            log.error("ssh %s: configuration backup refused: %s", ap_id, error)
            if self.metrics is not None:
                self.metrics.ssh_errors.labels("config_refused").inc()
            return False

    def finish(self, known_hosts: KnownHosts) -> SweepSummary:
        """End the sweep: points spooled, facts committed, one config commit, keys synced."""
        self.flush()
        summary = self.summary
        self._commit_configs(summary)
        summary.seconds = time.time() - self.started
        known_hosts.sync()
        if self.metrics is not None:
            self.metrics.ssh_sweep_duration.set(summary.seconds)
            self.metrics.ssh_last_sweep.set(time.time())
            self.metrics.ssh_sweep_aps.labels("ok").set(summary.ok)
            self.metrics.ssh_sweep_aps.labels("failed").set(summary.failed)
            self.metrics.ssh_config_changes.inc(summary.configs_changed)
        return summary


def sweep_once(
    aps: Sequence[AccessPoint],
    collector: ApCollector,
    recorder: SweepRecorder,
    *,
    concurrency: int,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """Collect ``aps`` with ``concurrency`` workers; one config commit at the end."""
    recorder.begin()
    accepted_before = len(collector.known_hosts)
    workers = max(1, concurrency)
    queue = iter(aps)
    done_count = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ssh") as pool:
        # At most 2 x workers sessions submitted at once: a finished outcome (facts, a masked
        # config) is recorded and dropped, never held until the end of a 34,000-AP sweep.
        running = {
            pool.submit(collector.collect, ap) for ap in itertools.islice(queue, 2 * workers)
        }
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                recorder.record(future.result())
                done_count += 1
                if progress is not None and done_count % 1000 == 0:
                    progress(done_count, len(aps))
            running |= {
                pool.submit(collector.collect, ap) for ap in itertools.islice(queue, len(finished))
            }
    summary = recorder.finish(collector.known_hosts)
    summary.host_keys_accepted = len(collector.known_hosts) - accepted_before
    return summary


def select(aps: Iterable[AccessPoint], profiles: Mapping[str, SshProfile]) -> list[AccessPoint]:
    """The APs a sweep collects: polled ones whose platform has an SSH profile."""
    return [ap for ap in aps if ap.status.is_polled and ap.platform in profiles]
