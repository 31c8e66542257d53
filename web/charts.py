"""Charts drawn on the server as SVG (the machine is offline: no CDN, no JS library).

Every text in an SVG here is escaped (:func:`html.escape`); the map is served as an image
(``<img src=...svg>``), where a browser runs no script at all.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence

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
