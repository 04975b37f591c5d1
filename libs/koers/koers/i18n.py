"""Message catalogues and the browser's language wishes, for every service that speaks Dutch.

Catalogues are committed as ``.po`` files (text, reviewable in a diff) and compiled in
memory when an app starts: no build step, and no binary ``.mo`` in git that can drift
from its source. Message ids are the English texts.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"


def compile_catalogue(locale_dir: Path, language: str, domain: str = DOMAIN) -> Translations:
    """``locale_dir/<language>/LC_MESSAGES/<domain>.po``, compiled in memory."""
    path = locale_dir / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language, domain=domain)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def preferred_languages(header: str) -> tuple[str, ...]:
    """An ``Accept-Language`` header's primary subtags by preference
    ("nl-BE,en;q=0.8" -> ("nl", "en")).

    Hand-written because neither Babel nor Starlette parses the header; it is a few lines
    and refuses anything odd by ignoring it.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary and primary != "*" and quality > 0:
            weighted.append((-quality, position, primary))
    return tuple(primary for _, _, primary in sorted(weighted))
