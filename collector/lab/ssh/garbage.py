"""Deterministic junk for the ``ssh_garbage`` fault: what a wedged CLI or a wrong code page
prints. Lines of random printable characters mixed with UTF-8 decoded as Latin-1 (mojibake), so
a parser sees neither a template match nor an exception-free decode assumption.
"""

from __future__ import annotations

import hashlib
import random

_MOJIBAKE = ("Ã©", "â€™", "Ã¼", "ï¿½", "Ã°ÂŸÂ˜", "ì„œìš¸", "\ufffd", "Â\xa0")
_PRINTABLE = "".join(chr(c) for c in range(33, 127))


def garbage_text(key: str, lines: int = 6, width: int = 48) -> str:
    """The same junk for the same ``key`` (AP id and command), different for another."""
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    out = []
    for _ in range(lines):
        parts: list[str] = []
        while sum(len(p) for p in parts) < width:
            if rng.random() < 0.2:
                parts.append(rng.choice(_MOJIBAKE))
            else:
                parts.append("".join(rng.choices(_PRINTABLE, k=rng.randint(2, 9))))
        out.append("".join(parts))
    return "\n".join(out) + "\n"
