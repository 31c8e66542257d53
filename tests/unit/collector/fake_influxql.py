"""A fake InfluxQL endpoint over points kept in memory: just the statement shapes pubwifi sends.

Points are stored like InfluxDB stores them: one per (measurement, tag set, time), a rewrite
merges its fields over the old ones. It answers raw ``SELECT "f",...`` and ``SELECT sum("f") AS
"a",...`` (also ``count``, ``first``, ``max``) with ``WHERE time <op> Ns AND ... AND "field" <op>
N AND "tag" = 'v'`` and ``GROUP BY "tag",...``, ``SHOW TAG VALUES ... WITH KEY = "k"``, and several
statements joined by ``;``. Anything else raises, so a query the fake does not understand fails.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from collector.influx.query import Series

Key = tuple[str, tuple[tuple[str, str], ...], int]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
}
_SELECT = re.compile(
    r'^SELECT (?P<items>.+?) FROM "(?P<m>[^"]+)"(?: WHERE (?P<where>.+?))?'
    r"(?: GROUP BY (?P<group>.+))?$"
)
_ITEM = re.compile(
    r'^(?:(?P<fn>sum|count|first|max)\("(?P<arg>[^"]+)"\)(?: AS "(?P<alias>[^"]+)")?'
    r'|"(?P<field>[^"]+)")$'
)
_COND = re.compile(
    r"""^(?:time (?P<top>[<>]=?) (?P<tv>-?\d+)s|"(?P<name>[^"]+)" (?P<op>[<>]=?|=) """
    r"""(?:(?P<num>-?\d+)|'(?P<text>[^']*)'))$"""
)
_SHOW = re.compile(r'^SHOW TAG VALUES FROM "(?P<m>[^"]+)" WITH KEY = "(?P<k>[^"]+)"$')


def parse_line(line: str) -> tuple[Key, dict[str, Any]]:
    """Line protocol as pubwifi writes it in tests (no escaped characters needed)."""
    head, fields_text, ts = line.split(" ")
    measurement, *tag_parts = head.split(",")
    pairs = (p.split("=", 1) for p in tag_parts)
    tags = tuple(sorted((k, v) for k, v in pairs))
    fields: dict[str, Any] = {}
    for part in fields_text.split(","):
        key, value = part.split("=", 1)
        if value.endswith("i"):
            fields[key] = int(value[:-1])
        elif value.startswith('"'):
            fields[key] = value[1:-1]
        else:
            fields[key] = float(value)
    return (measurement, tags, int(ts)), fields


class FakeInfluxQL:
    def __init__(self) -> None:
        self.points: dict[Key, dict[str, Any]] = {}
        self.queries: list[str] = []
        self.requests = 0
        self._by_time: list[tuple[int, Key]] | None = None

    def write(self, lines: Iterable[str]) -> None:
        for line in lines:
            key, fields = parse_line(line)
            self.points.setdefault(key, {}).update(fields)
        self._by_time = None

    def _in_time(self, where: str) -> list[Key]:
        """Keys whose time may match ``where`` (its time bounds, by bisection)."""
        if self._by_time is None:
            self._by_time = sorted((k[2], k) for k in self.points)
        low = max((int(v) for v in re.findall(r"time >=? (-?\d+)s", where)), default=None)
        high = min((int(v) for v in re.findall(r"time <=? (-?\d+)s", where)), default=None)
        i = 0 if low is None else bisect.bisect_left(self._by_time, (low,))
        j = len(self._by_time) if high is None else bisect.bisect_right(self._by_time, (high + 1,))
        return [k for _, k in self._by_time[i:j]]

    def series(self, query: str, *, method: str = "GET") -> list[Series]:
        self.requests += 1
        out: list[Series] = []
        for statement in query.split(";"):
            self.queries.append(statement)
            out.extend(self._statement(statement.strip()))
        return out

    def series_chunks(self, query: str, chunk_size: int = 10_000) -> Iterator[Series]:
        """As InfluxDB's ``chunked=true``: each series cut into pieces of ``chunk_size``."""
        for whole in self.series(query):
            for start in range(0, max(1, len(whole.values)), chunk_size):
                part = whole.values[start : start + chunk_size]
                yield Series(whole.measurement, whole.tags, whole.columns, part)

    def rows(self, query: str) -> list[dict[str, Any]]:
        return [row for s in self.series(query) for row in s.rows()]

    def _statement(self, text: str) -> list[Series]:
        show = _SHOW.match(text)
        if show:
            found = {dict(k[1]).get(show["k"]) for k in self.points if k[0] == show["m"]}
            rows = [[show["k"], v] for v in sorted(v for v in found if v is not None)]
            return [Series(show["m"], {}, ["key", "value"], rows)] if rows else []
        match = _SELECT.match(text)
        if not match:
            raise AssertionError(f"fake InfluxQL does not understand: {text}")
        items = [_ITEM.match(i.strip()) for i in match["items"].split(",")]
        if not all(items):
            raise AssertionError(f"fake InfluxQL: bad select list in {text}")
        tests = [self._condition(c) for c in (match["where"] or "").split(" AND ") if c]
        group = [g.strip().strip('"') for g in (match["group"] or "").split(",") if g.strip()]
        groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
        for key in self._in_time(match["where"] or ""):
            (m, tags, ts), fields = key, self.points[key]
            tag_map = dict(tags)
            if m == match["m"] and all(test(ts, tag_map, fields) for test in tests):
                gkey = tuple(tag_map.get(g, "") for g in group)
                groups.setdefault(gkey, []).append((ts, fields))
        answers = [
            self._answer(match["m"], dict(zip(group, g, strict=True)), items, pts)  # type: ignore[arg-type]
            for g, pts in sorted(groups.items())
        ]
        return [a for a in answers if a is not None]

    @staticmethod
    def _condition(text: str) -> Callable[[int, dict[str, str], dict[str, Any]], bool]:
        c = _COND.match(text.strip())
        if not c:
            raise AssertionError(f"fake InfluxQL: bad condition {text!r}")
        if c["top"]:
            op, bound = _OPS[c["top"]], int(c["tv"])
            return lambda ts, tags, fields: op(ts, bound)
        name, op = c["name"], _OPS[c["op"]]
        if c["text"] is not None:
            text_value = c["text"]
            return lambda ts, tags, fields: op(tags.get(name), text_value)
        number = int(c["num"])
        return lambda ts, tags, fields: fields.get(name) is not None and op(fields[name], number)

    @staticmethod
    def _answer(
        m: str,
        tags: dict[str, str],
        items: list[re.Match[str]],
        pts: list[tuple[int, dict[str, Any]]],
    ) -> Series | None:
        if items[0]["field"]:
            names = [i["field"] for i in items]
            rows = [
                [ts, *(f.get(n) for n in names)]
                for ts, f in pts
                if any(f.get(n) is not None for n in names)
            ]
            return Series(m, tags, ["time", *names], rows) if rows else None
        row: list[Any] = [pts[0][0] if items[0]["fn"] == "first" else 0]
        columns = ["time"]
        for item in items:
            values = [(ts, f[item["arg"]]) for ts, f in pts if f.get(item["arg"]) is not None]
            columns.append(item["alias"] or item["fn"])
            if item["fn"] == "sum":
                row.append(sum(v for _, v in values) if values else None)
            elif item["fn"] == "count":
                row.append(len(values))
            elif item["fn"] == "max":
                row.append(max((v for _, v in values), default=None))
            else:
                row[0] = values[0][0] if values else 0
                row.append(values[0][1] if values else None)
        if all(v is None for v in row[1:]):
            return None
        return Series(m, tags, columns, [row])
