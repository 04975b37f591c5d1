"""Numbers, money and dates the way a Dutch marketer reads them (nl-NL, by Babel):
``€ 1.234,50``, ``+12%``, ``41,5``, ``maandag 30 november 09:00``."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

from campaigns.web.i18n import LOCALE_DIR
from koers.i18n import compile_catalogue
from koers.phrases import Phrase, render

LOCALE = "nl_NL"
TIMEZONE = "Europe/Amsterdam"
MINUS = "\u2212"
"""A typographic minus, as the console writes changes."""


@cache
def _catalogue() -> Translations:
    return compile_catalogue(LOCALE_DIR, "nl")


def sentence(said: Phrase) -> str:
    """One of the engine's sentences in Dutch (its English text is the fallback)."""
    return render(said, _catalogue(), LOCALE)


def money(cents: int) -> str:
    """``€ 1.234,50``; a negative amount with a typographic minus before the euro sign."""
    sign = MINUS if cents < 0 else ""
    return sign + format_currency(abs(cents) / 100, "EUR", locale=LOCALE)


def signed_money(cents: int | None) -> str:
    """``+€ 150,00``, ``€ 0,00``, a cut with the minus sign; a dash when unknown."""
    if cents is None:
        return "-"
    return ("+" if cents > 0 else "") + money(cents)


def percent(share: float) -> str:
    """``60%`` (whole percents; under one percent as ``<1%``)."""
    if 0 < share < 0.01:
        return "<1%"
    return format_percent(share, locale=LOCALE)


def signed_percent(share: float | None) -> str:
    """``+60%``, ``0%``, a cut with the minus sign; a dash with nothing to compare with."""
    if share is None:
        return "-"
    if abs(share) < 0.005:
        return "0%"
    return ("+" if share > 0 else MINUS) + format_percent(abs(share), locale=LOCALE)


def number(value: float, decimals: int = 1) -> str:
    """``1.234,5``."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def day(value: date) -> str:
    """``maandag 30 november 2026``."""
    return format_date(value, "EEEE d MMMM y", locale=LOCALE)


def short_day(value: date) -> str:
    """``30 nov.``"""
    return format_date(value, "d MMM", locale=LOCALE)


def moment(value: datetime, timezone: str = TIMEZONE) -> str:
    """``maandag 30 november 09:00`` on the wall clock of ``timezone``."""
    return format_datetime(value, "EEEE d MMMM HH:mm", tzinfo=ZoneInfo(timezone), locale=LOCALE)


def hours(value: float) -> str:
    """``45 min``, ``3,5 uur`` or ``2,1 dagen`` (mediaan wachttijden)."""
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{number(value)} uur"
    return f"{number(value / 24)} dagen"


def plural(count: int, one: str, many: str) -> str:
    """``1 campagne``, ``3 campagnes``."""
    return f"{count} {one if count == 1 else many}"
