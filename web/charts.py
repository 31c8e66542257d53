"""Charts drawn on the server as SVG (the machine is offline: no CDN, no JS library).

Every text in an SVG here is escaped (:func:`html.escape`); the map is served as an image
(``<img src=...svg>``), where a browser runs no script at all.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collector.districts import SEOUL_DISTRICTS
from collector.inventory.model import AccessPoint

COLOURS = {"up": "#1f9d55", "down": "#d64545", "unknown": "#a0a7b4", "mixed": "#e8a33d"}
MAP_W, MAP_H, CELL = 760, 600, 6


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def fleet_map(inventory: Sequence[AccessPoint], state: Mapping[str, str]) -> str:
    """The APs by coordinates, binned in cells of ``CELL`` px, coloured by the state of the
    cell's APs (all up, all down, mixed, unknown), with each district's name at its APs'
    centre."""
    if not inventory:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H}"></svg>'
    lats = [ap.site.lat for ap in inventory]
    lons = [ap.site.lon for ap in inventory]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    pad = 24
    span_lon = max(lon1 - lon0, 1e-6)
    span_lat = max(lat1 - lat0, 1e-6)
    # equirectangular at Seoul's latitude: 1° lon ≈ 0.79 × 1° lat
    scale = min((MAP_W - 2 * pad) / (span_lon * 0.79), (MAP_H - 2 * pad) / span_lat)

    def xy(ap: AccessPoint) -> tuple[float, float]:
        return (
            pad + (ap.site.lon - lon0) * 0.79 * scale,
            pad + (lat1 - ap.site.lat) * scale,
        )

    cell = CELL if len(inventory) > 5000 else 10  # a small fleet: each AP visible
    cells: dict[tuple[int, int], list[int]] = {}  # (col, row) -> [up, down, unknown]
    centres: dict[str, list[float]] = {}
    for ap in inventory:
        x, y = xy(ap)
        counts = cells.setdefault((int(x // cell), int(y // cell)), [0, 0, 0])
        s = state.get(ap.id, "unknown")
        counts[0 if s == "up" else 1 if s == "down" else 2] += 1
        c = centres.setdefault(ap.district.code, [0.0, 0.0, 0.0])
        c[0] += x
        c[1] += y
        c[2] += 1
    width = round(2 * pad + span_lon * 0.79 * scale)
    height = round(2 * pad + span_lat * scale)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="AP map"><rect width="{width}" height="{height}" fill="#f4f6f9"/>'
    ]
    for (col, row), (up, down, unknown) in sorted(cells.items()):
        if down and not up:
            colour = COLOURS["down"]
        elif down:
            colour = COLOURS["mixed"]
        elif up:
            colour = COLOURS["up"]
        else:
            colour = COLOURS["unknown"]
        parts.append(
            f'<rect x="{col * cell}" y="{row * cell}" width="{cell - 1}" height="{cell - 1}" '
            f'rx="1" fill="{colour}"><title>{up} up, {down} down, {unknown} unknown</title></rect>'
        )
    names = {d.code: d for d in SEOUL_DISTRICTS}
    for code, (sx, sy, n) in sorted(centres.items()):
        d = names.get(code)
        label = d.name_ko if d else code
        parts.append(
            f'<text x="{sx / n:.0f}" y="{sy / n:.0f}" font-size="12" text-anchor="middle" '
            f'fill="#1d2433" stroke="#ffffff" stroke-width="3" paint-order="stroke" '
            f'font-family="NanumGothic, sans-serif">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bars(
    points: Sequence[tuple[str, float]],
    *,
    width: int = 720,
    height: int = 180,
    unit: str = "",
    colour: str = "#2d6cdf",
    every: int = 1,
) -> str:
    """A bar chart (inline SVG): ``points`` are (label, value); every ``every``-th label shown."""
    if not points:
        return ""
    top = max(v for _, v in points) or 1.0
    left, bottom, right = 52, 22, 8
    inner_w, inner_h = width - left - right, height - bottom - 8
    step = inner_w / len(points)
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img">'
    ]
    for frac in (0.0, 0.5, 1.0):
        y = 8 + inner_h * (1 - frac)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e7ee"/><text x="{left - 4}" y="{y + 4:.1f}" font-size="10" '
            f'text-anchor="end" fill="#6b7385">{_esc(_short(top * frac))} {_esc(unit)}</text>'
        )
    for i, (label, value) in enumerate(points):
        h = inner_h * value / top
        x = left + i * step
        out.append(
            f'<rect x="{x + step * 0.12:.1f}" y="{8 + inner_h - h:.1f}" '
            f'width="{step * 0.76:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{_esc(label)}: {_esc(_short(value))} {_esc(unit)}</title></rect>"
        )
        if i % every == 0:
            out.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 6}" font-size="10" '
                f'text-anchor="middle" fill="#6b7385">{_esc(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _short(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def day_label(day: dt.date) -> str:
    return f"{day.month}/{day.day}"


# --- the rollout's map and before/after panels -----------------------------------------------


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A dot on :func:`state_map`: where, its colour's key, its tooltip and where it links."""

    lat: float
    lon: float
    state: str
    title: str
    href: str | None = None


def state_map(
    background: Sequence[AccessPoint],
    points: Sequence[MapPoint],
    colours: Mapping[str, str],
    *,
    label: str = "map",
) -> str:
    """``points`` as dots coloured by ``colours[state]`` over ``background`` (the fleet, binned
    into light grey cells as one path) with each district's name at its APs' centre. Dots are
    drawn in the order of ``colours`` (the last on top), each with its (escaped) tooltip and,
    inline in a page, its link."""
    lats = [ap.site.lat for ap in background] + [p.lat for p in points]
    lons = [ap.site.lon for ap in background] + [p.lon for p in points]
    if not lats:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_W} {MAP_H}"></svg>'
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    pad = 24
    span_lon = max(lon1 - lon0, 1e-3)
    span_lat = max(lat1 - lat0, 1e-3)
    scale = min((MAP_W - 2 * pad) / (span_lon * 0.79), (MAP_H - 2 * pad) / span_lat)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return pad + (lon - lon0) * 0.79 * scale, pad + (lat1 - lat) * scale

    width = round(2 * pad + span_lon * 0.79 * scale)
    height = round(2 * pad + span_lat * scale)
    cell = 8
    filled: set[tuple[int, int]] = set()
    centres: dict[str, list[float]] = {}
    for ap in background:
        x, y = xy(ap.site.lat, ap.site.lon)
        filled.add((int(x // cell), int(y // cell)))
        c = centres.setdefault(ap.district.code, [0.0, 0.0, 0.0])
        c[0] += x
        c[1] += y
        c[2] += 1
    parts = [
        f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_esc(label)}">'
        f'<rect width="{width}" height="{height}" fill="#f4f6f9"/>'
    ]
    if filled:
        cells = "".join(f"M{c * cell} {r * cell}h{cell}v{cell}h-{cell}z" for c, r in sorted(filled))
        parts.append(f'<path d="{cells}" fill="#dfe4ec"/>')
    order = {state: i for i, state in enumerate(colours)}
    radius = 4.5 if len(points) <= 300 else 3.5
    for p in sorted(points, key=lambda p: order.get(p.state, -1)):
        x, y = xy(p.lat, p.lon)
        dot = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" '
            f'fill="{_esc(colours.get(p.state, "#a0a7b4"))}" stroke="#ffffff" stroke-width="1">'
            f"<title>{_esc(p.title)}</title></circle>"
        )
        parts.append(f'<a href="{_esc(p.href)}">{dot}</a>' if p.href else dot)
    names = {d.code: d for d in SEOUL_DISTRICTS}
    for code, (sx, sy, n) in sorted(centres.items()):
        d = names.get(code)
        parts.append(
            f'<text x="{sx / n:.0f}" y="{sy / n:.0f}" font-size="12" text-anchor="middle" '
            f'fill="#3b4354" fill-opacity="0.9" stroke="#ffffff" stroke-width="3" '
            f'stroke-opacity="0.8" paint-order="stroke" pointer-events="none" '
            f'font-family="NanumGothic, sans-serif">{_esc(d.name_ko if d else code)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Pair:
    """One panel of :func:`before_after`: a figure before and after, and how to print them."""

    title: str
    before: float | None
    after: float | None
    before_text: str
    after_text: str
    change: str = ""  # e.g. "+12%"; shown under the title
    better: bool | None = None  # colours the change: True green, False red


def before_after(
    pairs: Sequence[Pair],
    *,
    labels: tuple[str, str] = ("before", "after"),
    width: int = 720,
    height: int = 220,
    colours: tuple[str, str] = ("#a0a7b4", "#2d6cdf"),
) -> str:
    """Small multiples: per figure a panel with its two bars (before, after) on its own scale,
    each bar's value over it and the change under the title."""
    if not pairs:
        return ""
    panel = width / len(pairs)
    top, bottom = 62, 24
    inner = height - top - bottom
    out = [
        f'<svg class="chart pairs" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for i, pair in enumerate(pairs):
        x0 = i * panel
        mid = x0 + panel / 2
        peak = max(v for v in (pair.before, pair.after, 0.0) if v is not None) or 1.0
        out.append(
            f'<text x="{mid:.1f}" y="16" font-size="12" font-weight="700" text-anchor="middle" '
            f'fill="#1d2433">{_esc(pair.title)}</text>'
        )
        if pair.change:
            tone = "#6b7385" if pair.better is None else "#1f9d55" if pair.better else "#d64545"
            out.append(
                f'<text x="{mid:.1f}" y="33" font-size="12" font-weight="600" text-anchor="middle" '
                f'fill="{tone}">{_esc(pair.change)}</text>'
            )
        bar = min(56.0, panel * 0.28)
        base = top + inner
        out.append(
            f'<line x1="{x0 + panel * 0.12:.1f}" x2="{x0 + panel * 0.88:.1f}" y1="{base}" '
            f'y2="{base}" stroke="#c9d0dc"/>'
        )
        for j, (value, text, name) in enumerate(
            ((pair.before, pair.before_text, labels[0]), (pair.after, pair.after_text, labels[1]))
        ):
            bx = mid - bar - 4 if j == 0 else mid + 4
            h = inner * (value or 0.0) / peak if value is not None else 0.0
            out.append(
                f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'rx="2" fill="{colours[j]}"><title>{_esc(name)}: {_esc(text)}</title></rect>'
                f'<text x="{bx + bar / 2:.1f}" y="{base - h - 4:.1f}" font-size="11" '
                f'text-anchor="middle" fill="#1d2433">{_esc(text)}</text>'
                f'<text x="{bx + bar / 2:.1f}" y="{height - 8}" font-size="10" '
                f'text-anchor="middle" fill="#6b7385">{_esc(name)}</text>'
            )
    out.append("</svg>")
    return "".join(out)
