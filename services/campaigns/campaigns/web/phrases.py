"""A sentence a pure rule makes, worded when it is shown: the English message id (marked
with ``N_`` for the catalogue) and its values, formatted for the reader's language.

Rules stay free of languages and request state; the same advice reads in Dutch on the
dashboard, in English for a user who chose it, and in Dutch in the memo's e-mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent


@dataclass(frozen=True)
class Euros:
    """An amount in euros, shown with ``decimals`` decimals (``€ 1.234`` or ``€ 12,50``)."""

    amount: float
    decimals: int = 2


@dataclass(frozen=True)
class Share:
    """A share of one (0.25), shown as a percentage (``25%``, ``2,5%``)."""

    value: float
    decimals: int = 0


@dataclass(frozen=True)
class Decimal1:
    """A measured number with one decimal (``1,5`` or ``1.5``)."""

    value: float


@dataclass(frozen=True)
class Phrase:
    """``message`` (an English id with ``%(name)s`` placeholders) and its values."""

    message: str
    values: Mapping[str, Value] = field(default_factory=dict, hash=False)


Value = str | int | Euros | Share | Decimal1 | Phrase


class Catalogue(Protocol):
    def gettext(self, message: str) -> str: ...


class English:
    """The message ids themselves: the wording where no catalogue applies (tests, logs)."""

    def gettext(self, message: str) -> str:
        return message


def _value(value: Value, catalogue: Catalogue, locale: str) -> str:
    if isinstance(value, Phrase):
        return say(value, catalogue, locale)
    if isinstance(value, Euros):
        if value.amount == float("inf"):
            return catalogue.gettext("unbounded")
        pattern = Locale.parse(locale).currency_formats["standard"].pattern
        if value.decimals == 0:
            pattern = pattern.replace(".00", "")
        return format_currency(
            value.amount, "EUR", format=pattern, locale=locale, currency_digits=False
        )
    if isinstance(value, Share):
        decimals = "." + "0" * value.decimals if value.decimals else ""
        return format_percent(value.value, f"#,##0{decimals}%", locale=locale)
    if isinstance(value, Decimal1):
        return format_decimal(value.value, "#,##0.0", locale=locale)
    if isinstance(value, bool):  # a bool is an int too; no rule passes one
        return str(value)
    if isinstance(value, int):
        return format_decimal(value, locale=locale)
    return value


def say(phrase: Phrase, catalogue: Catalogue, locale: str = "en_GB") -> str:
    """The phrase in the catalogue's language, its values formatted for ``locale``."""
    text = catalogue.gettext(phrase.message)
    return text % {name: _value(v, catalogue, locale) for name, v in phrase.values.items()}


def in_english(phrase: Phrase) -> str:
    """The phrase worded in English (message ids), as tests and logs read it."""
    return say(phrase, English(), "en_GB")
