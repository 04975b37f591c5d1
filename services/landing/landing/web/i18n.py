"""Languages of the candidate pages: Babel message catalogues and choosing a language.

The catalogues are committed as ``.po`` files (text, reviewable in a diff) and compiled
into memory when the app starts, so there is no build step and no binary ``.mo`` in git
to fall out of date. Message ids are the English texts; ``nl`` and ``en`` are both
complete (a unit test checks that no message lacks a translation).

Which language a candidate sees: ``?lang=`` in the URL (the visible switch puts it
there and every link and form of the journey keeps it), else the browser's
``Accept-Language``, else the campaign's own language. No cookie remembers it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel.support import Translations

from koers.events import PageSnapshot
from koers.i18n import compile_catalogue, preferred_languages

Language = Literal["nl", "en"]
SUPPORTED: tuple[Language, ...] = ("nl", "en")
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

LANGUAGE_NAMES: dict[Language, str] = {"nl": "Nederlands", "en": "English"}
"""Each language in its own name, as a language switch shows it."""


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated later, where it is shown."""
    return message


def load_catalogues(locale_dir: Path = LOCALE_DIR) -> dict[Language, Translations]:
    """Compile every supported language's ``.po`` file in memory."""
    return {language: compile_catalogue(locale_dir, language, DOMAIN) for language in SUPPORTED}


def as_language(value: str | None) -> Language | None:
    """A supported language code, or None for anything else."""
    for language in SUPPORTED:
        if value == language:
            return language
    return None


def parse_accept_language(header: str) -> list[str]:
    """Primary language subtags by preference ("nl-BE,en;q=0.8" -> ["nl", "en"]).

    Hand-written because neither Babel nor Starlette parses the header; it is a few lines
    and refuses anything odd by ignoring it.
    """
    return list(preferred_languages(header))


Preferences = Callable[[str], tuple[str, ...]]
"""An ``Accept-Language`` header's primary language subtags, most wanted first."""


class LanguagePreferences:
    """:func:`preferred_languages`, remembered: browsers send few distinct headers and
    every page asks. Only short ones, so odd clients cannot fill the memory with long
    ones. One per app, built by ``create_app``."""

    def __init__(self, max_headers: int = 1024, max_header_length: int = 200) -> None:
        self._remembered = lru_cache(maxsize=max_headers)(preferred_languages)
        self._max_header_length = max_header_length

    def __call__(self, header: str) -> tuple[str, ...]:
        if len(header) <= self._max_header_length:
            return self._remembered(header)
        return preferred_languages(header)


def offered_languages(snapshot: PageSnapshot) -> tuple[Language, ...]:
    """The languages a candidate can switch between: the page's own and those it lists."""
    wanted = {snapshot.language, *snapshot.languages}
    return tuple(language for language in SUPPORTED if language in wanted)


def choose_language(
    snapshot: PageSnapshot,
    requested: str | None,
    accept_language: str,
    preferences: Preferences = preferred_languages,
) -> Language:
    offered = offered_languages(snapshot)
    chosen = as_language(requested)
    if chosen is not None and chosen in offered:
        return chosen
    for primary in preferences(accept_language):
        found = as_language(primary)
        if found is not None and found in offered:
            return found
    return snapshot.language


def choose_language_without_page(
    requested: str | None, accept_language: str, preferences: Preferences = preferred_languages
) -> Language:
    """For pages of no campaign (an unknown link): the URL, the browser, else Dutch."""
    chosen = as_language(requested)
    if chosen is not None:
        return chosen
    for primary in preferences(accept_language):
        found = as_language(primary)
        if found is not None:
            return found
    return "nl"
