"""Sentences made by code and worded later, in the reader's language.

Analytics explains a split in sentences, but the marketer reads Dutch or English and
analytics does not know who reads; the console's own advice (next best actions, speed to
lead, the memo) is made by pure rules that know no reader either. So a sentence is a
:class:`Phrase`: its English text with ``%(name)s`` placeholders (the message id a
console's catalogue translates) and the figures as figures. Whoever shows it renders it
with its own catalogue and its reader's number formats; the engine also sends the English
text beside it, the plain fallback for anyone who shows text only.

How a plain number is written follows its argument's name, so a translator never sees a
format (the engine's sentences travel as JSON, where only names can carry a format):

- ``*_eur``: an amount in euros (``€ 1.234,50`` or ``€1,234.50``);
- ``*_chance``: a chance from 0 to 1 as a whole percent, with "under 1%" and "over 99%"
  where rounding would claim certainty;
- ``*_pct``: a share from 0 to 1 as a whole percent;
- ``*_fine_pct``: a small share with one decimal, "under 0.1%" below that;
- ``*_num``: a number with one decimal;
- ``variant*``: a creative's id, which the reader's side may replace by its name;
- anything else: a text or whole number, shown as it is.

Code in the same process may say the format with the value instead: :class:`Euros`,
:class:`Share` and :class:`Decimal1` (the console's rules do). An argument may also be a
phrase (translated on its own) or a list of phrases (joined by commas).

:func:`render` and :func:`english` write a sentence: its first letter a capital.
:func:`say` and :func:`in_english` write the words as they are, for a part of a line (a
figure, an interval). Each pair is one renderer, with and without the capital.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Protocol

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from pydantic import BaseModel, ConfigDict, Field, InstanceOf, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

ENGLISH_LOCALE = "en_GB"


def N_(message: str) -> str:
    """Marks a message id for the catalogues' extraction (``pybabel extract -k N_``)."""
    return message


UNDER_ONE_PERCENT = N_("under 1%")
OVER_99_PERCENT = N_("over 99%")
UNDER_A_TENTH_PERCENT = N_("under 0.1%")
UNBOUNDED = N_("unbounded")
LIST_SEPARATOR = ", "


@dataclass(frozen=True)
class Euros:
    """An amount in euros, shown with ``decimals`` decimals (``€ 1.234`` or ``€ 12,50``);
    an infinite one as "unbounded"."""

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


Figure = Euros | Share | Decimal1
"""A number that says its own format (the engine's numbers say it by their names)."""

_FIGURES = (Euros, Share, Decimal1)

# Figures are made in-process only: checked as instances, left out of the wire's schema.
_InProcess = SkipJsonSchema[InstanceOf[Euros] | InstanceOf[Share] | InstanceOf[Decimal1]]


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
    args: dict[str, str | int | float | Phrase | list[Phrase] | _InProcess] = Field(
        default_factory=dict, exclude_if=lambda value: not value
    )

    def __init__(
        self, text: str, args: Mapping[str, Argument] | None = None, **fields: Any
    ) -> None:
        """``Phrase(N_("%(count)s leads"), {"count": 3})``, as code writes a sentence."""
        super().__init__(text=text, args=args or {}, **fields)

    # Validating data (a proposal's phrases) need not call the constructor above: it stays
    # pydantic's own, fast and with its errors, as pydantic's RootModel marks its own.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        # Its arguments may not hash (a list of phrases); equal phrases share their text.
        return hash((self.text, self.plural, self.count))


Argument = str | int | float | Phrase | list[Phrase] | Figure
"""What a placeholder of a :class:`Phrase` may be given."""

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


_ENGLISH = English()


def _data(sentence: Phrase | PhraseData) -> PhraseData:
    """A model as the plain data the renderers read. Not ``model_dump``: that would turn a
    figure into a dict; its arguments stay as they are (a nested model is read in turn)."""
    if not isinstance(sentence, Phrase):
        return sentence
    return {
        "text": sentence.text,
        "plural": sentence.plural,
        "count": sentence.count,
        "args": sentence.args,
    }


def render(
    sentence: Phrase | PhraseData,
    catalogue: Catalogue | None = None,
    locale: str = ENGLISH_LOCALE,
    names: Mapping[str, str] | None = None,
) -> str:
    """``sentence`` in the catalogue's language, its first letter a capital unless it
    starts with a creative's id (ids keep their case)."""
    data = _data(sentence)
    text = _render(data, catalogue or _ENGLISH, locale, names or {})
    template = _template(data, catalogue or _ENGLISH)
    if template.startswith("%(variant") or not text:
        return text
    return text[0].upper() + text[1:]


def say(
    words: Phrase | PhraseData,
    catalogue: Catalogue | None = None,
    locale: str = ENGLISH_LOCALE,
    names: Mapping[str, str] | None = None,
) -> str:
    """:func:`render` without the capital: the words as they stand in a line."""
    return _render(_data(words), catalogue or _ENGLISH, locale, names or {})


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
        return _render(_data(value), catalogue, locale, names)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_argument(name, p, catalogue, locale, names) for p in value)
    if isinstance(value, str):
        return names.get(value, value) if name.startswith("variant") else value
    if isinstance(value, _FIGURES):
        return _figure(value, catalogue, locale)
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


def _figure(value: Figure, catalogue: Catalogue, locale: str) -> str:
    """A figure by Babel in every language, English too: a figure is shown a few times a
    page, never ten thousand times a call."""
    if isinstance(value, Euros):
        if value.amount == float("inf"):
            return catalogue.gettext(UNBOUNDED)
        pattern = Locale.parse(locale).currency_formats["standard"].pattern
        if value.decimals == 0:
            pattern = pattern.replace(".00", "")
        return format_currency(
            value.amount, "EUR", format=pattern, locale=locale, currency_digits=False
        )
    if isinstance(value, Share):
        decimals = "." + "0" * value.decimals if value.decimals else ""
        return format_percent(value.value, f"#,##0{decimals}%", locale=locale)
    return format_decimal(value.value, "#,##0.0", locale=locale)


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
    data = _data(sentence)
    text = _english(data)
    if not text or data["text"].startswith("%(variant"):
        return text
    return text[0].upper() + text[1:]


def in_english(words: Phrase | PhraseData) -> str:
    """:func:`english` without the capital, as :func:`say` is :func:`render` without it."""
    return _english(_data(words))


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
            values[name] = LIST_SEPARATOR.join(_english(_data(item)) for item in value)
        else:
            try:
                number = float(value)
            except TypeError:
                # A figure or a phrase model, made in-process: the general path.
                values[name] = _argument(name, value, _ENGLISH, ENGLISH_LOCALE, {})
            else:
                values[name] = _english_number(name, number, _ENGLISH)
    if count is not None:
        values.setdefault("count", f"{count:,}")
    return str(text % values)
