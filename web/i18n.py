"""Korean (default) and English: Flask-Babel with the catalogue in ``web/translations``.

The ``.po`` source is in the repository; its ``.mo`` is compiled (Babel's own compiler) when
missing or older than the ``.po``, into the package when writable, else into ``cache_dir``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE = Path(__file__).resolve().parent / "translations"
LANGS = ("ko", "en")
DEFAULT_LANG = "ko"


def compiled_catalogues(cache_dir: Path) -> Path:
    """The directory holding ``<lang>/LC_MESSAGES/messages.mo`` for every ``.po`` here."""
    for target in (SOURCE, cache_dir / "translations"):
        try:
            for po in SOURCE.glob("*/LC_MESSAGES/messages.po"):
                mo = target / po.relative_to(SOURCE).with_suffix(".mo")
                if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                    continue
                mo.parent.mkdir(parents=True, exist_ok=True)
                with po.open("rb") as source:
                    catalogue = read_po(source, locale=po.parts[-3])
                partial = mo.with_suffix(".mo.partial")
                with partial.open("wb") as out:
                    write_mo(out, catalogue)
                partial.replace(mo)
            return target
        except OSError:
            continue
    return SOURCE
