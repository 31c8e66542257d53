"""Times on the command line: epoch seconds or ISO 8601, a time without zone being Seoul time.

(A shell's ``date +%FT%T`` prints the server's local time, UTC on most servers, without a zone:
pass ``TZ=Asia/Seoul date +%FT%T`` or ``date -Iseconds`` instead.)
"""

from __future__ import annotations

import datetime as dt

from collector.errors import InputError

KST = dt.timezone(dt.timedelta(hours=9), "KST")


def parse_time(text: str, option: str) -> int:
    """Epoch seconds or ISO 8601 (naive: KST) to whole epoch seconds."""
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    try:
        moment = dt.datetime.fromisoformat(stripped)
    except ValueError:
        raise InputError.at(
            option,
            0,
            f"{text!r} is neither epoch seconds nor ISO 8601 (e.g. 2025-01-01T00:00:00+09:00)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KST)
    if moment.microsecond:
        raise InputError.at(option, 0, f"{text!r}: use whole seconds")
    return int(moment.timestamp())
