"""A fake InfluxDB behind :class:`HttpWriter` that answers like 1.x does (for unit tests)."""

from __future__ import annotations

import json
from collections.abc import Callable

from collector.influx.writer import HttpWriter, Response


class FakeInflux(HttpWriter):
    """Stores good lines; ``BAD`` lines fail to parse (named in the error, as 1.x does),
    ``CONFLICT`` lines are field type conflicts (not named). Batches over ``max_lines`` get 413.
    ``script`` answers instead, in order, while it lasts (``None``: behave normally)."""

    def __init__(
        self,
        batch_lines: int = 5000,
        max_lines: int = 10**9,
        script: list[Response | None] | None = None,
        on_post: Callable[[list[str]], None] | None = None,
    ) -> None:
        super().__init__(batch_lines)
        self.stored: list[str] = []
        self.max_lines = max_lines
        self.script = list(script or [])
        self.on_post = on_post
        self.posts: list[int] = []

    def _post(self, lines: list[str]) -> Response:
        self.posts.append(len(lines))
        if self.on_post is not None:
            self.on_post(lines)
        if self.script:
            scripted = self.script.pop(0)
            if scripted is not None:
                return scripted
        if len(lines) > self.max_lines:
            return Response(413, '{"error":"Request Entity Too Large"}')
        bad = [line for line in lines if "BAD" in line]
        conflicts = [line for line in lines if "CONFLICT" in line]
        self.stored.extend(line for line in lines if line not in bad and line not in conflicts)
        if bad:
            named = "\n".join(f"unable to parse '{line}': invalid boolean" for line in bad)
            return Response(400, json.dumps({"error": f"partial write: {named} dropped=0"}))
        if conflicts:
            message = (
                'partial write: field type conflict: input field "v" on measurement "m" is '
                f"type float, already exists as type integer dropped={len(conflicts)}"
            )
            return Response(400, json.dumps({"error": message}))
        return Response(204)
