"""The line discipline between an interactive SSH channel and a :class:`CliSession`.

Echoes what is typed (not passwords), ends a line on CR, LF or CRLF (netmiko sends each, by
driver), handles backspace and Ctrl-C, hands single keys to ``--More--``, and turns the
engine's ``\\n`` into ``\\r\\n`` as a device's tty does.
"""

from __future__ import annotations

from collector.lab.ssh.engine import CliSession

_BACKSPACE = ("\x7f", "\x08")
_CTRL_C = "\x03"


class LineDiscipline:
    def __init__(self, session: CliSession) -> None:
        self.session = session
        self._line: list[str] = []
        self._after_cr = False

    @property
    def closed(self) -> bool:
        return self.session.closed

    def start(self) -> str:
        return _crlf(self.session.start())

    def feed(self, data: str) -> str:
        """Process received characters; returns what the device writes back."""
        out: list[str] = []
        for char in data:
            if self.session.closed:
                break
            after_cr, self._after_cr = self._after_cr, char == "\r"
            if self.session.wants_key:
                if not (char == "\n" and after_cr):
                    out.append(self.session.feed_key(char))
            elif char == "\n" and after_cr:
                continue
            elif char in "\r\n":
                out.append(self._end_line())
            elif char in _BACKSPACE:
                if self._line:
                    self._line.pop()
                    if self.session.echo:
                        out.append("\b \b")
            elif char == _CTRL_C:
                self._line.clear()
                out.append("^C\n" + self.session.prompt)
            elif char.isprintable() or char == "\t":
                self._line.append(char)
                if self.session.echo:
                    out.append(char)
        return _crlf("".join(out))

    def _end_line(self) -> str:
        line, self._line = "".join(self._line), []
        return "\n" + self.session.feed_line(line)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
