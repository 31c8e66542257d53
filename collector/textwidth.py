"""Terminal columns for tables that mix Hangul and Latin text (Hangul takes two columns)."""

from __future__ import annotations

import unicodedata


def pad(text: str, width: int) -> str:
    """``text`` cut and padded to ``width`` terminal columns."""
    out, used = "", 0
    for char in text:
        size = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used + size > width:
            break
        out, used = out + char, used + size
    return out + " " * (width - used)
