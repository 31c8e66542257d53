"""One SSH channel of a lab AP: a shell (netmiko, people) or a single exec command."""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncssh

from collector.lab.ssh.dialect import Dialect
from collector.lab.ssh.engine import CliSession
from collector.lab.ssh.terminal import LineDiscipline

log = logging.getLogger(__name__)


class ChannelSession(asyncssh.SSHServerSession[str]):
    """Bridges an asyncssh channel to the CLI engine. A hanging device answers nothing."""

    def __init__(
        self,
        cli: CliSession,
        *,
        hangs: bool,
        ap_id: str,
        on_reload: Callable[[], None] | None = None,
    ) -> None:
        self._cli = cli
        self._on_reload = on_reload
        self._line = LineDiscipline(cli)
        self._hangs = hangs
        self._ap_id = ap_id
        self._command: str | None = None
        self._chan: asyncssh.SSHServerChannel[str] | None = None

    @property
    def dialect(self) -> Dialect:
        return self._cli.dialect

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: object, term_modes: object) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self._command = command
        return True

    def session_started(self) -> None:
        if self._hangs:
            log.info("ap %s: session opened and left hanging (fault)", self._ap_id)
            return
        if self._command is not None:
            self._write(self._cli.run_command(self._command).replace("\n", "\r\n"))
            self._finish()
            return
        self._write(self._line.start())

    def data_received(self, data: str, datatype: object) -> None:
        if self._hangs:
            return
        self._write(self._line.feed(data))
        if self._line.closed:
            self._finish()

    def eof_received(self) -> bool:
        return False

    def _write(self, text: str) -> None:
        if text and self._chan is not None:
            self._chan.write(text)

    def _finish(self) -> None:
        if self._chan is None:
            return
        self._chan.exit(0)
        if self._cli.reloaded:  # the device went down: every session on it ends
            if self._on_reload is not None:
                try:
                    self._on_reload()
                except Exception:  # a notification must never break the CLI
                    log.exception("ap %s: the reload hook failed", self._ap_id)
            self._chan.get_connection().close()
