"""The console in Dutch or English: catalogues, who reads which, and locale formats.

Message ids are the English texts; the Dutch catalogue (``locale/nl``) is committed as a
``.po`` file and compiled in memory at start-up (``koers.i18n``), so ``make setup`` and
``make run`` stay two commands and a fresh clone needs no build step. English needs no
catalogue: its texts are the ids.

Which language a page is in: the logged-in user's preference (stored on the account,
Dutch for new accounts, switched in the navigation); before logging in, the browser's
``Accept-Language``; else Dutch, because the marketers are Dutch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations
from fastapi import Request

from koers.db import as_utc
from koers.i18n import compile_catalogue, preferred_languages
from koers.phrases import Phrase, render

Language = Literal["nl", "en"]
SUPPORTED: tuple[Language, ...] = ("nl", "en")
DEFAULT_LANGUAGE: Language = "nl"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGE_NAMES: dict[Language, str] = {"nl": "Nederlands", "en": "English"}
"""Each language in its own name, as the switch shows it."""
MINUS = "\u2212"
"""The minus sign of a signed amount (not a hyphen)."""
BABEL_LOCALES: dict[Language, str] = {"nl": "nl_NL", "en": "en_GB"}
"""Where numbers and dates are formatted: 1.234,50 and 5 dec 2026, or 1,234.50 and 5 Dec 2026."""

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated later, where it is shown."""
    return message


def untranslated(message: str) -> str:
    """The English message id itself: ``gettext`` where no reader is known (jobs, tests)."""
    return message


def load_catalogues(locale_dir: Path = LOCALE_DIR) -> dict[Language, NullTranslations]:
    """Dutch compiled from its ``.po`` file; English is the message ids themselves."""
    return {"nl": compile_catalogue(locale_dir, "nl"), "en": Translations()}


def as_language(value: object) -> Language | None:
    """A supported language code, or None for anything else."""
    for language in SUPPORTED:
        if value == language:
            return language
    return None


def browser_language(request: Request) -> Language:
    """The first supported language of ``Accept-Language``; Dutch without one."""
    for primary in preferred_languages(request.headers.get("accept-language", "")[:200]):
        found = as_language(primary)
        if found is not None:
            return found
    return DEFAULT_LANGUAGE


def request_language(request: Request, user: Any = None) -> Language:
    """The language this request's page is in: the user's preference, else the browser's."""
    state = request.state
    for who in (user, getattr(state, "user", None), getattr(state, "person", None)):
        chosen = as_language(getattr(who, "language", None))
        if chosen is not None:
            return chosen
    return browser_language(request)


def gettext_for(request: Request, user: Any = None) -> Gettext:
    """``gettext`` in the request's language (flash messages, texts made in Python)."""
    catalogues: dict[Language, NullTranslations] = request.app.state.catalogues
    return catalogues[request_language(request, user)].gettext


def shown_phrase(
    sentence: Phrase | str | None,
    names: Mapping[str, str] | None = None,
    *,
    catalogue: NullTranslations,
    locale: str,
) -> str:
    """An engine sentence (``koers.phrases``) in the reader's language, creatives named;
    a plain text (a proposal from before phrases) as it is."""
    if sentence is None:
        return ""
    if isinstance(sentence, str):
        return sentence
    return render(sentence, catalogue, locale, names)


class LocaleFormats:
    """Numbers, amounts and dates as a reader of one language writes them."""

    def __init__(self, language: Language) -> None:
        self.locale = BABEL_LOCALES[language]

    def euro(self, amount: Decimal | float | int | None) -> str:
        """``€ 1.234,50`` (nl) or ``€1,234.50`` (en); a dash when there is nothing to show."""
        if amount is None:
            return "-"
        return format_currency(Decimal(amount), "EUR", locale=self.locale)

    def euro_cents(self, cents: int | None) -> str:
        """Whole cents as :meth:`euro` writes euros."""
        return self.euro(None if cents is None else Decimal(cents) / 100)

    def signed_euro_cents(self, cents: int | None) -> str:
        """A change in cents with its sign: ``+€ 675,00``, a minus sign before a cut, ``€ 0,00``."""
        if cents is None:
            return "-"
        sign = "+" if cents > 0 else MINUS if cents < 0 else ""
        return sign + self.euro(Decimal(abs(cents)) / 100)

    def amount_field(self, cents: int) -> str:
        """An amount to edit in a form: ``925,00`` (nl) or ``925.00`` (en), no grouping,
        as a reader types it (the form reads either separator)."""
        return format_decimal(Decimal(cents) / 100, "0.00", locale=self.locale)

    def local_moment(self, value: datetime | None, timezone: str) -> str:
        """``maandag 7 december 2026 09:00`` in ``timezone`` (a push time, a deadline)."""
        if value is None:
            return "-"
        return format_datetime(
            as_utc(value), "EEEE d MMMM y HH:mm", tzinfo=ZoneInfo(timezone), locale=self.locale
        )

    def tenths(self, value: float | None) -> str:
        """One decimal: ``41,5`` (nl) or ``41.5`` (en); a dash when there is nothing to show."""
        return self.decimal(value, 1)

    def decimal(self, value: float | None, places: int) -> str:
        """A fixed number of decimals: ``1,27`` (nl) or ``1.27`` (en)."""
        if value is None:
            return "-"
        return format_decimal(value, "#,##0." + "0" * places, locale=self.locale)

    def weekday(self, index: int) -> str:
        """The name of a weekday, Monday being 0: ``maandag`` or ``Monday``."""
        return str(get_day_names("wide", locale=self.locale)[index])

    def number(self, value: Decimal | float | int | None) -> str:
        """``12.345`` (nl) or ``12,345`` (en); a dash when there is nothing to show."""
        if value is None:
            return "-"
        return format_decimal(value, locale=self.locale)

    def day(self, value: date | None) -> str:
        """``5 dec 2026`` (nl) or ``5 Dec 2026`` (en)."""
        if value is None:
            return "-"
        return format_date(value, "medium", locale=self.locale)

    def moment(self, value: datetime | None) -> str:
        """``5 dec 2026 09:30`` in UTC (the console says UTC beside it)."""
        if value is None:
            return "-"
        return format_datetime(as_utc(value), "d MMM y HH:mm", tzinfo=UTC, locale=self.locale)

    def moment_in(self, value: datetime | None, time_zone: str) -> str:
        """``5 dec 2026 10:30 CET``: on the wall clock of ``time_zone`` (a recruiter's),
        its abbreviation beside it so nobody wonders which clock it is."""
        if value is None:
            return "-"
        return format_datetime(
            as_utc(value), "d MMM y HH:mm zzz", tzinfo=ZoneInfo(time_zone), locale=self.locale
        )
