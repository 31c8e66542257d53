"""The real SNMP engine: gufo_snmp (Rust core, asyncio), SNMPv2c and SNMPv3 USM authPriv.

Chosen by measurement (FACTS.md and benchmarks/bench_poll.py): thousands of APs a second where
pysnmp manages hundreds. What this module keeps between polls:

- master keys, computed once per distinct (algorithm, password) and shared by every AP;
- per AP, one open session (its UDP socket, localized keys, engine boots/time), up to a cap
  derived from the open-file limit; APs past the cap get a short-lived session per poll, which
  costs one extra round trip on SNMPv3 (the engine id is still remembered, so no discovery);
  past the cap, v2c sessions that answered wait idle and are re-aimed at the next AP;
- per AP, the SNMPv3 engine id.

A kept SNMPv3 session is refreshed (engine boots/time) before a request when it has been idle
longer than the USM time window allows, and re-opened once on an authentication REPORT (agent
rebooted, engine id changed). A session that timed out is dropped, so dead APs hold no socket.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from gufo.snmp import (
    Aes128Key,
    Aes192Key,
    Aes256Key,
    BaseAuthKey,
    BasePrivKey,
    DesKey,
    Md5Key,
    NoSuchInstance,
    Sha1Key,
    Sha224Key,
    Sha256Key,
    Sha384Key,
    Sha512Key,
    SnmpAuthError,
    SnmpDecodeError,
    SnmpEncodeError,
    SnmpError,
    User,
)
from gufo.snmp.aio import SnmpSession
from gufo.snmp.user import KeyType

from collector.inventory.model import SnmpAuthProtocol, SnmpPrivProtocol
from collector.secrets import Secret
from collector.snmp.engine import (
    Reason,
    SnmpPollError,
    SnmpTarget,
    V2cCredentials,
    V3Credentials,
    Value,
)
from collector.snmp.gufo_session import (
    LeanSession,
    family_of,
    persist_session,
    reaim,
    release_session,
)
from collector.snmp.ports import no_free_port, port_budget, session_cap

T = TypeVar("T")

AUTH_KEYS: dict[SnmpAuthProtocol, type[BaseAuthKey]] = {
    SnmpAuthProtocol.SHA256: Sha256Key,
    SnmpAuthProtocol.SHA1: Sha1Key,
    SnmpAuthProtocol.MD5: Md5Key,
    SnmpAuthProtocol.SHA224: Sha224Key,
    SnmpAuthProtocol.SHA384: Sha384Key,
    SnmpAuthProtocol.SHA512: Sha512Key,
}
PRIV_KEYS: dict[SnmpPrivProtocol, type[BasePrivKey]] = {
    SnmpPrivProtocol.AES128: Aes128Key,
    SnmpPrivProtocol.AES192: Aes192Key,
    SnmpPrivProtocol.AES256: Aes256Key,
    SnmpPrivProtocol.DES: DesKey,
}
#: RFC 3414 accepts messages within 150 s of the agent's clock; gufo does not advance its copy.
REFRESH_AFTER_S = 120.0
SHED_STEP = 1000  # kept sessions closed when the machine has no ephemeral UDP port left


class MasterKeys:
    """Password -> master key (the costly 1 MB hash), once per distinct algorithm and password."""

    def __init__(self) -> None:
        self._keys: dict[tuple[type[BaseAuthKey], Secret], bytes] = {}
        self.computed = 0

    def master(self, algorithm: type[BaseAuthKey], password: Secret) -> bytes:
        key = self._keys.get((algorithm, password))
        if key is None:
            key = algorithm.get_master_key(password.reveal().encode())
            self._keys[(algorithm, password)] = key
            self.computed += 1
        return key


@dataclass(slots=True)
class _Session:
    session: SnmpSession
    credentials: V2cCredentials | V3Credentials
    address: tuple[str, int]
    last_ok: float
    kept: bool = False


#: How many times a GET that came back empty is halved again (see ``GufoEngine._split_get``).
MAX_SPLIT_DEPTH = 3


class GufoEngine:
    """:class:`collector.snmp.engine.SnmpEngine` over gufo_snmp."""

    def __init__(
        self,
        *,
        request_timeout: float = 1.0,
        retries: int = 1,
        max_sessions: int | None = None,
        session_reserve: int = 1024,
        want_sessions: int = 0,
        max_varbinds: int = 40,
        max_repetitions: int = 25,
        max_walk_rows: int = 4096,
        max_spares: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.request_timeout = request_timeout
        self.retries = retries
        if max_sessions is None:
            max_sessions = session_cap(session_reserve, want_sessions)
            ports = port_budget()
            max_sessions = max_sessions if ports is None else min(max_sessions, ports)
        self.max_sessions = max_sessions
        self.max_varbinds = max_varbinds
        self.max_repetitions = max_repetitions
        self.max_walk_rows = max_walk_rows
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self.max_spares = max_spares
        # v2c sessions of APs past the cap, idle and re-aimable, by (credentials, source address)
        self._spares: dict[tuple[V2cCredentials, str], list[LeanSession]] = {}
        self._spare_count = 0
        self._sources: dict[tuple[str, int], str] = {}  # AP address -> local address used
        self.sessions_reaimed = 0  # polls of APs past the cap served by an idle v2c session
        self._engine_ids: dict[str, bytes] = {}
        self._users: dict[V3Credentials, User] = {}
        self.master_keys = MasterKeys()
        self.sessions_opened = 0
        self.retries_after_timeout = 0  # requests sent again (lost datagram or slow agent)
        self.reopened_after_report = 0  # v3 sessions re-opened after an auth REPORT
        self.requests = 0  # get/walk calls (each one round trip or more)
        self.ports_exhausted = 0  # times no UDP port was free and kept sessions were shed
        self.gets_split = 0  # GETs asked again in halves after an empty answer (tooBig)

    @property
    def kept_sessions(self) -> int:
        return len(self._sessions)

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        if len(oids) <= self.max_varbinds:
            answer = await self._request(target, _get_many(oids))
            if answer or len(oids) < 2:
                return answer
            return await self._split_get(target, oids, MAX_SPLIT_DEPTH)
        result: dict[str, Value] = {}
        for start in range(0, len(oids), self.max_varbinds):
            chunk = list(oids[start : start + self.max_varbinds])
            answer = await self._request(target, _get_many(chunk))
            if not answer and len(chunk) > 1:
                answer = await self._split_get(target, chunk, MAX_SPLIT_DEPTH)
            result.update(answer)
        return result

    def start_get(
        self,
        target: SnmpTarget,
        oids: list[str],
        done: Callable[[dict[str, Value] | None, BaseException | None], None],
    ) -> bool:
        """Send one GET for ``target`` without a task, when a kept session can carry it now.

        The steady-state fast path of :class:`collector.poll.runner.Runner`: ``done`` is called
        from the event loop with the answer (``done(values, None)``) or the error; the caller
        times it out with :meth:`cancel_get`. Returns False (nothing sent) when the request
        needs the full path of :meth:`get`: an SNMPv3 session to open or refresh, more OIDs
        than one request carries, no room for another kept session, a full send buffer.
        An empty answer is handed over as it is (the caller asks :meth:`get` again, which
        splits it).
        """
        if len(oids) > self.max_varbinds:
            return False
        entry = self._sessions.get(target.key)
        address = (target.address, target.port)
        if entry is None or entry.address != address or entry.credentials is not target.credentials:
            entry = self._open_kept_v2c(target)
            if entry is None:
                return False
        elif (
            isinstance(entry.credentials, V3Credentials)
            and self._clock() - entry.last_ok > REFRESH_AFTER_S
        ):
            return False
        session = entry.session
        if not isinstance(session, LeanSession):
            return False
        loop = asyncio.get_running_loop()

        def answered(values: dict[str, Value] | None, error: BaseException | None) -> None:
            if error is None:
                entry.last_ok = self._clock()
            done(values, error)

        try:
            session.start_get(oids, answered, loop)
        except OSError:  # BlockingIOError (send buffer full) or worse: the full path decides
            return False
        self.requests += 1
        return True

    def cancel_get(self, target: SnmpTarget) -> None:
        """Give up the GET :meth:`start_get` sent for ``target`` (it timed out)."""
        entry = self._sessions.get(target.key)
        if entry is not None and isinstance(entry.session, LeanSession):
            entry.session.cancel_get()

    def _open_kept_v2c(self, target: SnmpTarget) -> _Session | None:
        """A new kept v2c session for ``target`` (no round trip needed), or None."""
        credentials = target.credentials
        if not isinstance(credentials, V2cCredentials) or len(self._sessions) >= self.max_sessions:
            return None
        if target.key in self._sessions:
            self.forget(target.key)  # the AP moved or its credentials changed
        try:
            session = self._new_session(target)
        except OSError:
            return None  # no free port: the full path sheds sessions and tries again
        self.sessions_opened += 1
        entry = _Session(session, credentials, (target.address, target.port), self._clock())
        entry.kept = True
        persist_session(session)
        self._sessions[target.key] = entry
        return entry

    async def _split_get(
        self, target: SnmpTarget, oids: Sequence[str], depth: int
    ) -> dict[str, Value]:
        """``oids`` again in two halves, after an answer with none of them.

        An agent whose answer would exceed its message size (RFC 3416 4.2.1: its own limit or
        the request's msgMaxSize) answers tooBig with no varbinds, and gufo_snmp's ``get_many``
        ignores the error-status: it returns an empty dict, exactly as when the agent has none
        of the objects. So an empty answer to several OIDs is asked again in halves, each
        half split again while it still comes back empty, at most ``depth`` times (an agent
        that really has none of them costs at most ``2 ** (depth + 1) - 2`` more requests).
        """
        self.gets_split += 1
        half = len(oids) // 2
        result: dict[str, Value] = {}
        for part in (list(oids[:half]), list(oids[half:])):
            answer = await self._request(target, _get_many(part))
            if not answer and len(part) > 1 and depth > 1:
                answer = await self._split_get(target, part, depth - 1)
            result.update(answer)
        return result

    async def walk(self, target: SnmpTarget, column_oid: str) -> list[tuple[str, Value]]:
        async def collect(session: SnmpSession) -> list[tuple[str, Value]]:
            rows: list[tuple[str, Value]] = []
            async for oid, value in session.getbulk(column_oid, self.max_repetitions):
                rows.append((oid, value))
                if len(rows) >= self.max_walk_rows:
                    break
            return rows

        return await self._request(target, collect)

    def forget(self, key: str) -> None:
        entry = self._sessions.pop(key, None)
        if entry is not None:
            release_session(entry.session)

    async def _request(
        self, target: SnmpTarget, operation: Callable[[SnmpSession], Awaitable[T]]
    ) -> T:
        self.requests += 1
        timeouts = 0
        reopened = False
        while True:
            try:
                entry = self._sessions.get(target.key)  # the usual case: kept and unchanged
                if (
                    entry is None
                    or entry.address != (target.address, target.port)
                    or (entry.credentials is not target.credentials)
                ):
                    entry = await self._open(target)
                if (
                    isinstance(entry.credentials, V3Credentials)
                    and self._clock() - entry.last_ok > REFRESH_AFTER_S
                ):
                    await entry.session.refresh()
                try:
                    result = await operation(entry.session)
                except BaseException:
                    if not entry.kept:
                        release_session(entry.session)  # a session that failed is never re-aimed
                    raise
                entry.last_ok = self._clock()
                if not entry.kept:
                    self._give_back(entry)
                return result
            except TimeoutError:
                self.forget(target.key)
                timeouts += 1
                if timeouts > self.retries:
                    raise SnmpPollError(Reason.TIMEOUT) from None
                self.retries_after_timeout += 1
            except SnmpAuthError:
                # A REPORT: time window passed, agent rebooted or its engine id changed.
                self.forget(target.key)
                self._engine_ids.pop(target.key, None)
                if reopened or not isinstance(target.credentials, V3Credentials):
                    raise SnmpPollError(Reason.AUTH) from None
                reopened = True
                self.reopened_after_report += 1
            except NoSuchInstance:
                raise SnmpPollError(Reason.NO_SUCH) from None
            except (SnmpDecodeError, SnmpEncodeError, ValueError, RuntimeError) as error:
                raise SnmpPollError(Reason.DECODE, type(error).__name__) from None
            except SnmpError as error:
                raise SnmpPollError(Reason.AGENT_ERROR, str(error)[:80]) from None
            except OSError as error:
                self.forget(target.key)
                detail = error.strerror or type(error).__name__
                raise SnmpPollError(Reason.NETWORK, detail) from None

    async def _open(self, target: SnmpTarget) -> _Session:
        entry = self._sessions.get(target.key)
        address = (target.address, target.port)
        credentials = target.credentials
        if entry is not None and entry.address == address and entry.credentials == credentials:
            return entry
        if entry is not None:  # the AP moved or its credentials changed: drop the old session
            self.forget(target.key)
        spare = None if len(self._sessions) < self.max_sessions else self._spare(target)
        if spare is not None:
            return _Session(spare, credentials, address, last_ok=self._clock())
        try:
            session = self._new_session(target)
        except OSError as error:
            if not no_free_port(error) or not self._shed():
                raise
            session = self._new_session(target)  # once more, with the ports just given back
        if isinstance(credentials, V3Credentials):
            await session.refresh()  # engine id discovery if unknown, then boots/time
            self._engine_ids[target.key] = session.get_engine_id()
        self.sessions_opened += 1
        entry = _Session(session, credentials, address, last_ok=self._clock())
        if len(self._sessions) < self.max_sessions:  # again: shedding may have lowered the cap
            entry.kept = True
            persist_session(session)
            self._sessions[target.key] = entry
        return entry

    def _spare(self, target: SnmpTarget) -> LeanSession | None:
        """An idle v2c session re-aimed at ``target`` (``connect()`` again), or None.

        Past the kept-session cap, every poll would otherwise open and close a socket and
        register it with the event loop. A v2c session holds nothing of its agent but the
        peer address of its connected socket, so one that finished its request can serve
        the next AP with the same community whose packets leave from the same local
        address; the kernel then delivers only that AP's datagrams to it. SNMPv3 sessions
        hold per-agent USM state (engine id, boots, time, localized keys) and are never
        re-aimed.
        """
        credentials = target.credentials
        if not isinstance(credentials, V2cCredentials):
            return None
        address = (target.address, target.port)
        source = self._source(address)
        idle = self._spares.get((credentials, source))
        if not idle:
            return None
        session = idle.pop()
        self._spare_count -= 1
        try:
            reaim(session, address)
        except OSError:
            release_session(session)
            return None
        self.sessions_reaimed += 1
        return session

    def _give_back(self, entry: _Session) -> None:
        """An unkept v2c session that answered goes to the idle pool (bounded).

        One that does not (pool full, SNMPv3, no local address) is unregistered from the
        event loop here: a re-aimed session is registered for good, and a closed fd left
        registered would break the next socket that gets the same number.
        """
        session, credentials = entry.session, entry.credentials
        if not isinstance(session, LeanSession):
            return  # not a session this engine opened (test doubles)
        room = isinstance(credentials, V2cCredentials) and self._spare_count < self.max_spares
        source = session.local_address(family_of(entry.address[0])) if room else None
        if not source or not isinstance(credentials, V2cCredentials):
            release_session(session)
            return
        persist_session(session)
        self._spares.setdefault((credentials, source), []).append(session)
        self._spare_count += 1

    def _source(self, address: tuple[str, int]) -> str:
        """The local address the kernel picks for ``address`` (one routing lookup per AP)."""
        source = self._sources.get(address)
        if source is None:
            try:
                with socket.socket(family_of(address[0]), socket.SOCK_DGRAM) as probe:
                    probe.connect(address)
                    source = str(probe.getsockname()[0])
            except OSError:
                source = ""  # no route: such a session is never pooled with others
            self._sources[address] = source
        return source

    def _new_session(self, target: SnmpTarget) -> LeanSession:
        credentials = target.credentials
        if isinstance(credentials, V2cCredentials):
            return LeanSession(
                target.address,
                target.port,
                community=credentials.community.reveal(),
                timeout=self.request_timeout,
                max_repetitions=self.max_repetitions,
            )
        return LeanSession(
            target.address,
            target.port,
            user=self._user(credentials),
            engine_id=self._engine_ids.get(target.key),
            timeout=self.request_timeout,
            max_repetitions=self.max_repetitions,
        )

    def _shed(self) -> bool:
        """No ephemeral UDP port is left (other processes hold them): keep fewer sessions.

        Closes the oldest ``SHED_STEP`` kept sessions and lowers the cap below what was kept,
        so that this collector degrades to short-lived sessions instead of failing polls.
        Returns whether anything was given back.
        """
        if not self._sessions:
            return False
        self.ports_exhausted += 1
        self.max_sessions = max(0, len(self._sessions) - SHED_STEP)
        for key in list(self._sessions)[:SHED_STEP]:
            release_session(self._sessions.pop(key).session)
        return True

    def _user(self, credentials: V3Credentials) -> User:
        user = self._users.get(credentials)
        if user is None:
            auth_cls = AUTH_KEYS[credentials.auth_protocol]
            priv_cls = PRIV_KEYS[credentials.priv_protocol]
            auth_master = self.master_keys.master(auth_cls, credentials.auth_key)
            priv_master = self.master_keys.master(auth_cls, credentials.priv_key)
            user = User(
                credentials.user.reveal(),
                auth_key=auth_cls(auth_master, key_type=KeyType.Master),
                priv_key=priv_cls(priv_master, key_type=KeyType.Master),
            )
            self._users[credentials] = user
        return user


def _get_many(oids: Sequence[str]) -> Callable[[SnmpSession], Awaitable[dict[str, Value]]]:
    def operation(session: SnmpSession) -> Awaitable[dict[str, Value]]:
        return session.get_many(oids)

    return operation
