"""Numbers as exports write them: "1.234,56", "1,234.56", "€ 12,50", "12.50 EUR", "3,2%".

Whether "." or "," is the decimal separator is decided once per file, from evidence in
its figures (``detect_decimal_separator``): a value with both separators has its decimal
one last ("1.234,56"); one separator followed by other than three digits is a decimal
separator ("12,5"; "0,125"). A file with no evidence at all ("1.234" only) falls back to
the file's convention: comma for Dutch or semicolon-separated exports, else point. The
other separator is then a thousands separator, and only where thousands go.
Blank cells and the platforms' "no value" marks ("-", "--") read as None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

DecimalSeparator = Literal[",", "."]

_BLANKS = frozenset({"", "-", "--", "\u2014", "\u2013", "n/a", "n.v.t.", "nvt"})  # and dashes
_EURO_MARKS = re.compile(r"€|euro|eur", re.IGNORECASE)
_OTHER_CURRENCY = re.compile(r"[$£¥]|usd|gbp|chf|sek|nok|dkk|pln|jpy", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_DIGITS_AND_SEPARATORS = re.compile(r"[+-]?[0-9.,]+")
_DIGITS = re.compile(r"[0-9]+")


class NumberError(ValueError):
    """A cell that should hold a number does not; the message is for the marketer."""


def _bare(text: str) -> tuple[str, bool]:
    """The cell without currency marks, percent sign and spaces; and whether it was a percentage."""
    cleaned = text.strip()
    if _OTHER_CURRENCY.search(cleaned):
        raise NumberError(f'"{text}" is not an amount in euros')
    cleaned = _EURO_MARKS.sub("", cleaned)
    percent = cleaned.endswith("%")
    cleaned = cleaned.removesuffix("%")
    cleaned = _SPACES.sub("", cleaned)
    if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting style negative
        cleaned = "-" + cleaned[1:-1]
    return cleaned, percent


def detect_decimal_separator(
    values: Iterable[str], *, default: DecimalSeparator
) -> DecimalSeparator:
    """The decimal separator the file's figures use (see the module docstring)."""
    votes = {",": 0, ".": 0}
    for value in values:
        try:
            bare, _ = _bare(value)
        except NumberError:
            continue
        if not _DIGITS_AND_SEPARATORS.fullmatch(bare):
            continue
        vote = _vote(bare.lstrip("+-"))
        if vote is not None:
            votes[vote] += 1
    if votes[","] == votes["."]:
        return default
    return "," if votes[","] > votes["."] else "."


def _vote(bare: str) -> DecimalSeparator | None:
    has_comma, has_point = "," in bare, "." in bare
    if has_comma and has_point:
        return "," if bare.rfind(",") > bare.rfind(".") else "."
    if not (has_comma or has_point):
        return None
    separator: DecimalSeparator = "," if has_comma else "."
    other: DecimalSeparator = "." if has_comma else ","
    whole, _, fraction = bare.rpartition(separator)
    if bare.count(separator) > 1:
        return other  # only thousands separators repeat
    if len(fraction) != 3 or whole in ("", "0"):
        return separator
    return None  # "1.234": a thousand or one and a bit; no evidence


def parse_decimal(text: str, decimal: DecimalSeparator) -> Decimal | None:
    """The number in a cell (None when blank); raises ``NumberError`` for anything else.

    A percentage reads as its number of percent: "3,2%" -> 3.2.
    """
    if _DIGITS.fullmatch(text):  # the common case, fast: "1234"
        return Decimal(text)
    if text.strip().casefold() in _BLANKS:
        return None
    bare, _percent = _bare(text)
    if bare.casefold() in _BLANKS:
        return None
    thousands = "." if decimal == "," else ","
    sign = ""
    if bare[:1] in "+-":
        sign, bare = bare[0], bare[1:]
    whole, separator, fraction = bare.partition(decimal)
    if separator and not _DIGITS.fullmatch(fraction):
        raise NumberError(f'"{text}" is not a number')
    if thousands in whole:
        groups = whole.split(thousands)
        if not (
            _DIGITS.fullmatch(groups[0])
            and len(groups[0]) <= 3
            and all(len(g) == 3 and _DIGITS.fullmatch(g) for g in groups[1:])
        ):
            raise NumberError(f'"{text}" is not a number')
        whole = "".join(groups)
    if not (_DIGITS.fullmatch(whole) or (whole == "" and separator)):
        raise NumberError(f'"{text}" is not a number')
    return Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")


def parse_count(text: str, decimal: DecimalSeparator) -> int | None:
    """A whole number such as impressions or clicks ("1.234" in a comma-decimal file)."""
    value = parse_decimal(text, decimal)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise NumberError(f'"{text}" is not a whole number')
    return int(value)
