"""The generic CLI engine: runs any :class:`~collector.lab.ssh.dialect.Dialect` over a device.

Lines in, text out (``\\n`` line ends; the terminal layer converts). Knows modes, prompts,
command dispatch with abbreviations, ambiguity and error sites, interactive questions
(passwords, confirmations) and paging. Knows nothing about SSH or any vendor.
"""

from __future__ import annotations

import copy
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from collector.lab.ssh.changes import ChangeRejected
from collector.lab.ssh.clientids import ClientId, client_identity
from collector.lab.ssh.dialect import Args, Command, Dialect, ErrorSite
from collector.lab.ssh.garbage import garbage_text
from collector.lab.ssh.patterns import Token, match, tokenize
from collector.lab.state import DeviceState

#: Associated clients right now, by (band, SSID name). Shared with the SNMP side's model.
ClientCounter = Callable[[DeviceState, float], Mapping[tuple[str, str], int]]


def no_clients(state: DeviceState, now: float) -> Mapping[tuple[str, str], int]:
    return {}


@dataclass(slots=True)
class _Frame:
    mode: str
    variables: dict[str, str]


@dataclass(slots=True)
class _Question:
    prompt: str
    on_answer: Callable[[str], str | None]
    echo: bool


#: Read-command faults: every read command answers with the dialect's invalid-input text
#: (``cli_error``) or with deterministic junk (``garbage``); the prompt still comes back.
CLI_ERROR = "cli_error"
GARBAGE = "garbage"


class CliSession:
    """One logged-in CLI session on one device. Handlers receive it as their context.

    ``shown_macs``: a set that collects every client MAC the session prints (tests prove the
    collector stored none of them); None keeps memory flat for a whole fleet.
    """

    def __init__(
        self,
        dialect: Dialect,
        state: DeviceState,
        *,
        user: str,
        secret: str,
        clock: Callable[[], float] = time.time,
        clients: ClientCounter = no_clients,
        fault: str | None = None,
        shown_macs: set[str] | None = None,
    ) -> None:
        self.dialect = dialect
        self.state = state
        self.user = user
        self.page_length = dialect.page_length
        self.closed = False
        self.reloaded = False
        self._secret = secret
        self._clock = clock
        self._clients = clients
        self._fault = fault
        self._shown_macs = shown_macs
        self._stack = [_Frame(dialect.initial_mode, {})]
        self._question: _Question | None = None
        self._pending_pages: list[str] = []

    # ---- driving the session (terminal side) ----

    def start(self) -> str:
        return self.dialect.banner.format(**self._names()) + self.prompt

    @property
    def echo(self) -> bool:
        return self._question.echo if self._question else True

    @property
    def wants_key(self) -> bool:
        """True while ``--More--`` waits for a single key."""
        return bool(self._pending_pages)

    @property
    def prompt(self) -> str:
        if self._question is not None:
            return self._question.prompt
        frame = self._stack[-1]
        return self.dialect.mode(frame.mode).prompt.format(**self._names(), **frame.variables)

    def feed_line(self, line: str) -> str:
        if self._question is not None:
            question, self._question = self._question, None
            output = question.on_answer(line) or ""
        else:
            output = self._execute(line)
        return self._paged(output)

    def feed_key(self, key: str) -> str:
        """A key pressed at ``--More--``: space = next page, enter = next line, else stop."""
        erase = "\r" + " " * len(self.dialect.more_prompt) + "\r"
        if key == " ":
            rest = "\n".join(self._pending_pages)
            self._pending_pages = []
            return erase + self._paged(rest)
        if key in "\r\n":
            first, self._pending_pages = self._pending_pages[0], self._pending_pages[1:]
            more = self.dialect.more_prompt if self._pending_pages else self._tail()
            return erase + first + "\n" + more
        self._pending_pages = []
        return erase + self._tail()

    def run_command(self, line: str) -> str:
        """One command without prompts or paging (``ssh host 'show version'``)."""
        self.page_length = 0
        return self._execute(line)

    # ---- what handlers use ----

    def run_in_mode(self, mode: str, line: str) -> str:
        """Run ``line`` as if typed in ``mode`` (IOS ``do show run`` from config mode)."""
        depth = len(self._stack)
        self.enter(mode)
        try:
            return self._execute(line)
        finally:
            del self._stack[depth:]

    def now(self) -> float:
        return self._clock()

    @property
    def mode(self) -> str:
        return self._stack[-1].mode

    def var(self, name: str) -> str:
        return self._stack[-1].variables[name]

    def enter(self, mode: str, **variables: str) -> None:
        self._stack.append(_Frame(mode, variables))

    def exit_mode(self) -> None:
        """Back to the previous mode; at the bottom, ``exit`` ends the session."""
        if len(self._stack) > 1:
            self._stack.pop()
        else:
            self.close()

    def leave_to(self, mode: str) -> None:
        while len(self._stack) > 1 and self._stack[-1].mode != mode:
            self._stack.pop()

    def ask(self, prompt: str, on_answer: Callable[[str], str | None], *, echo: bool) -> None:
        self._question = _Question(prompt, on_answer, echo)

    def check_secret(self, typed: str) -> bool:
        return hmac.compare_digest(typed.encode(), self._secret.encode())

    def client_counts(self) -> Mapping[tuple[str, str], int]:
        return self._clients(self.state, self.now())

    def client_ids(self, band: str, ssid: str, count: int) -> list[ClientId]:
        """The ``count`` clients on (band, SSID), recorded in ``shown_macs`` when asked to."""
        ap_id = self.state.ap_id
        ids = [client_identity(ap_id, band, ssid, index) for index in range(count)]
        if self._shown_macs is not None:
            self._shown_macs.update(c.mac for c in ids)
        return ids

    def reload(self) -> None:
        """Reboot the device (running config from saved, uptime restarts); the session ends."""
        self.state.reboot(self.now())
        self.reloaded = True
        self.close()

    def close(self) -> None:
        self.closed = True

    # ---- internals ----

    def _names(self) -> dict[str, str]:
        return {"hostname": self.state.running.hostname, "user": self.user}

    def _tail(self) -> str:
        return "" if self.closed else self.prompt

    def _paged(self, output: str) -> str:
        if output and not output.endswith("\n"):
            output += "\n"
        lines = output.split("\n")[:-1]
        if self.page_length <= 1 or len(lines) < self.page_length:
            return output + self._tail()
        page = self.page_length - 1
        self._pending_pages = lines[page:]
        return "\n".join(lines[:page]) + "\n" + self.dialect.more_prompt

    def _execute(self, line: str) -> str:
        stripped = line.strip()
        prefix = self.dialect.comment_prefix
        if not stripped or (prefix and stripped.startswith(prefix)):
            return ""
        tokens = tokenize(line)
        mode = self.dialect.mode(self.mode)
        chosen = self._dispatch(mode.commands, tokens, line)
        if isinstance(chosen, str) and mode.fallback is not None:
            fallback = self._dispatch(self.dialect.mode(mode.fallback).commands, tokens, line)
            if not isinstance(fallback, str):
                self.leave_to(mode.fallback)
                chosen = fallback
        if isinstance(chosen, str):
            return chosen
        command, args = chosen
        if self._fault is not None and command.pattern in self.dialect.reads:
            return self._faulty(line, tokens)
        before = copy.deepcopy(self.state.running)
        try:
            return command.handler(self, args) or ""
        except ChangeRejected as rejected:
            self.state.running = before  # a refused command changes nothing
            return self.dialect.errors.rejected(str(rejected))

    def _faulty(self, line: str, tokens: list[Token]) -> str:
        if self._fault == GARBAGE:
            return garbage_text(f"{self.state.ap_id}\0{line.strip()}")
        return self.dialect.errors.invalid(self._site(line, tokens, 0))

    def _dispatch(
        self, commands: tuple[Command, ...], tokens: list[Token], line: str
    ) -> tuple[Command, Args] | str:
        """The one command this line means, or the dialect's error text."""
        abbreviate = self.dialect.abbreviations
        outcomes = [(c, match(c.pattern, tokens, line, abbreviate)) for c in commands]
        full = [(c, o) for c, o in outcomes if o.full]
        if full:
            best = max(o.exact for _, o in full)
            top = [(c, o) for c, o in full if o.exact == best]
            if len(top) == 1:
                return top[0][0], top[0][1].args
            return self.dialect.errors.ambiguous(self._site(line, tokens, 0))
        partial = {o.words for _, o in outcomes if o.incomplete}
        if len(partial) > 1:
            return self.dialect.errors.ambiguous(self._site(line, tokens, 0))
        if partial:
            return self.dialect.errors.incomplete(self._site(line, tokens, len(tokens)))
        failed_at = max((o.failed_at for _, o in outcomes), default=0)
        return self.dialect.errors.invalid(self._site(line, tokens, failed_at))

    def _site(self, line: str, tokens: list[Token], index: int) -> ErrorSite:
        if index < len(tokens):
            token = tokens[index]
            return ErrorSite(self.prompt, line, token.column, token.text)
        return ErrorSite(self.prompt, line, len(line.rstrip()), "")
