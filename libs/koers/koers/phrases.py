"""Sentences one service writes and another shows in its reader's language.

Analytics explains a split in sentences, but the marketer reads Dutch or English and
analytics does not know who reads. So each sentence also travels as a :class:`Phrase`:
its English text with ``%(name)s`` placeholders (the message id a console's catalogue
translates) and the figures as figures. Whoever shows it renders it with its own
catalogue and its reader's number formats; the English text beside it stays the plain
fallback for anyone who shows text only.

How an argument is written follows its name, so a translator never sees a format:

- ``*_eur``: an amount in euros (``€ 1.234,50`` or ``€1,234.50``);
- ``*_chance``: a chance from 0 to 1 as a whole percent, with "under 1%" and "over 99%"
  where rounding would claim certainty;
- ``*_pct``: a share from 0 to 1 as a whole percent;
- ``*_fine_pct``: a small share with one decimal, "under 0.1%" below that;
- ``*_num``: a number with one decimal;
- ``variant*``: a creative's id, which the reader's side may replace by its name;
- anything else: a text or whole number, shown as it is.

An argument may itself be a phrase (translated on its own) or a list of phrases (joined
by commas).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Protocol

from babel.numbers import format_currency, format_decimal, format_percent
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

ENGLISH_LOCALE = "en_GB"


def N_(message: str) -> str:
    """Marks a message id for the catalogues' extraction (``pybabel extract -k N_``)."""
    return message


UNDER_ONE_PERCENT = N_("under 1%")
OVER_99_PERCENT = N_("over 99%")
UNDER_A_TENTH_PERCENT = N_("under 0.1%")
LIST_SEPARATOR = ", "


class Phrase(BaseModel):
    """One sentence (or part of one) as a message id and its arguments."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(max_length=1000, description="English, with %(name)s placeholders")
    plural: str | None = Field(
        None,
        max_length=1000,
        description="The plural English text, chosen by count",
        exclude_if=lambda value: value is None,
    )
    count: int | None = Field(
        None, description="Chooses between text and plural", exclude_if=lambda v: v is None
    )
    args: dict[str, str | int | float | Phrase | list[Phrase]] = Field(
        default_factory=dict, exclude_if=lambda value: not value
    )


PhraseData = dict[str, Any]
"""A :class:`Phrase` as plain data: what the engine builds (a model per creative's reason
cost a large call a third of its time) and what :func:`render` reads."""

PhraseField = Annotated[PhraseData, WithJsonSchema(Phrase.model_json_schema())]
"""A phrase in a response model: documented as :class:`Phrase`, kept as plain data (the
engine made it; validating 20,000 nested phrases again cost more than the allocation)."""


def phrase(text: str, **args: Any) -> PhraseData:
    return {"text": text, "args": args} if args else {"text": text}


def plural_phrase(text: str, plural: str, count: int, **args: Any) -> PhraseData:
    return {"text": text, "plural": plural, "count": count, "args": args}


class Catalogue(Protocol):
    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class English:
    """The message ids themselves: English needs no catalogue."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


def render(
    sentence: Phrase | PhraseData,
    catalogue: Catalogue | None = None,
    locale: str = ENGLISH_LOCALE,
    names: Mapping[str, str] | None = None,
) -> str:
    """``sentence`` in the catalogue's language, its first letter a capital unless it
    starts with a creative's id (ids keep their case)."""
    data = sentence.model_dump() if isinstance(sentence, Phrase) else sentence
    text = _render(data, catalogue or English(), locale, names or {})
    template = _template(data, catalogue or English())
    if template.startswith("%(variant") or not text:
        return text
    return text[0].upper() + text[1:]


def _template(sentence: PhraseData, catalogue: Catalogue) -> str:
    text, plural, count = sentence["text"], sentence.get("plural"), sentence.get("count")
    if count is not None and plural is not None:
        return catalogue.ngettext(text, plural, count)
    return catalogue.gettext(text)


def _render(
    sentence: PhraseData, catalogue: Catalogue, locale: str, names: Mapping[str, str]
) -> str:
    template = _template(sentence, catalogue)
    args = sentence.get("args") or {}
    count = sentence.get("count")
    if not args and count is None:
        return template
    values: dict[str, object] = {
        name: _argument(name, value, catalogue, locale, names) for name, value in args.items()
    }
    if count is not None:
        values.setdefault("count", _argument("count", count, catalogue, locale, names))
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        # A catalogue whose translation names an argument the sentence lacks: the English
        # sentence is better than none (the catalogue tests keep this from happening).
        return str(sentence["text"]) % values


def _argument(
    name: str,
    value: Any,
    catalogue: Catalogue,
    locale: str,
    names: Mapping[str, str],
) -> str:
    if isinstance(value, dict):
        return _render(value, catalogue, locale, names)
    if isinstance(value, Phrase):
        return _render(value.model_dump(), catalogue, locale, names)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_argument(name, p, catalogue, locale, names) for p in value)
    if isinstance(value, str):
        return names.get(value, value) if name.startswith("variant") else value
    number = float(value)
    if locale == ENGLISH_LOCALE:
        return _english_number(name, number, catalogue)
    if name.endswith("_eur"):
        return format_currency(Decimal(str(round(number, 2))), "EUR", locale=locale)
    if name.endswith("_chance"):
        bound = _chance_bound(number)
        if bound is not None:
            return catalogue.gettext(bound)
        return format_percent(number, "#,##0%", locale=locale)
    if name.endswith("_fine_pct"):
        if number < 0.001:
            return catalogue.gettext(UNDER_A_TENTH_PERCENT)
        return format_percent(number, "#,##0.0%", locale=locale)
    if name.endswith("_pct"):
        return format_percent(number, "#,##0%", locale=locale)
    if name.endswith("_num"):
        return format_decimal(number, "#,##0.0", locale=locale)
    return format_decimal(number, locale=locale)


def _chance_bound(number: float) -> str | None:
    if 0 < number < 0.01:
        return UNDER_ONE_PERCENT
    if 0.99 < number < 1:
        return OVER_99_PERCENT
    return None


def _english_number(name: str, number: float, catalogue: Catalogue) -> str:
    """The English formats with plain f-strings: the engine writes the English text of
    every creative's reason, and Babel's formatting would cost a large call a fifth of
    its time. A test holds both ways equal."""
    if name.endswith("_eur"):
        return f"€{number:,.2f}"
    if name.endswith("_chance"):
        bound = _chance_bound(number)
        return catalogue.gettext(bound) if bound is not None else f"{number:.0%}"
    if name.endswith("_fine_pct"):
        return catalogue.gettext(UNDER_A_TENTH_PERCENT) if number < 0.001 else f"{number:.1%}"
    if name.endswith("_pct"):
        return f"{number:.0%}"
    if name.endswith("_num"):
        return f"{number:,.1f}"
    return f"{number:,g}" if number != int(number) else f"{int(number):,}"


def english(sentence: Phrase | PhraseData) -> str:
    """The sentence as the English fallback text: :func:`render` without a catalogue,
    written out because the engine writes one for each of up to 10,000 creatives."""
    data = sentence.model_dump() if isinstance(sentence, Phrase) else sentence
    text = _english(data)
    if not text or data["text"].startswith("%(variant"):
        return text
    return text[0].upper() + text[1:]


def _english(sentence: PhraseData) -> str:
    args = sentence.get("args")
    count = sentence.get("count")
    text = sentence["text"]
    if count is not None:
        text = text if count == 1 else sentence.get("plural") or text
    elif not args:
        return str(text)
    values: dict[str, object] = {}
    for name, value in (args or {}).items():
        if type(value) is dict:
            values[name] = _english(value)
        elif type(value) is str:
            values[name] = value
        elif type(value) is list:
            values[name] = LIST_SEPARATOR.join(_english(item) for item in value)
        else:
            values[name] = _english_number(name, float(value), _ENGLISH)
    if count is not None:
        values.setdefault("count", f"{count:,}")
    return str(text % values)


_ENGLISH = English()
