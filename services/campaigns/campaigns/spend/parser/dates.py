"""Days as exports write them: "2026-11-23", "23-11-2026", "23/11/2026", "11/23/2026",
"23 nov. 2026", "23 november 2026", "Nov 23, 2026", "2026-11-23 00:00:00".

Numeric dates with the year last are ambiguous (is 03/11 the 3rd of November or the
11th of March?). The order is decided once per column (``detect_date_order``): a first
number above 12 proves day-first, a second number above 12 proves month-first; with no
proof the platform's habit decides (LinkedIn writes month first, the others and every
Dutch export day first). A date that does not exist under the decided order is a row
error, never silently swapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Literal

DateOrder = Literal["day_first", "month_first"]

MONTHS: dict[str, int] = {
    **{name: n for n, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"), start=1)},
    **{name: n for n, name in enumerate(
        ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
         "september", "oktober", "november", "december"), start=1)},
    "jan": 1, "feb": 2, "mar": 3, "mrt": 3, "maa": 3, "apr": 4, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12,
}  # fmt: skip

_ISO = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_NUMERIC = re.compile(r"(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})")
_DAY_MONTH_NAME = re.compile(r"(?P<d>\d{1,2})[\s-]+(?P<m>[a-z]+)\.?[\s-]+(?P<y>\d{4})")
_MONTH_NAME_DAY = re.compile(r"(?P<m>[a-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})")
_TIME_SUFFIX = re.compile(r"[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:z|utc|[+-]\d{2}:?\d{2})?$")


class DateError(ValueError):
    """A cell that should hold a day does not; the message is for the marketer."""


def _clean(text: str) -> str:
    cleaned = " ".join(text.strip().casefold().split())
    return _TIME_SUFFIX.sub("", cleaned).strip()


def detect_date_order(values: Iterable[str], *, default: DateOrder) -> DateOrder:
    """Day-first or month-first, from the column's numeric dates (see the module docstring)."""
    day_first = month_first = False
    for value in values:
        found = _NUMERIC.fullmatch(_clean(value))
        if found is None:
            continue
        day_first = day_first or int(found["a"]) > 12
        month_first = month_first or int(found["b"]) > 12
    if day_first and not month_first:
        return "day_first"
    if month_first and not day_first:
        return "month_first"
    return default


def parse_day(text: str, order: DateOrder) -> date:
    """The day a cell names; raises ``DateError`` with a readable message otherwise."""
    cleaned = _clean(text)
    if not cleaned:
        raise DateError("the date is missing")
    try:
        if found := _ISO.fullmatch(cleaned):
            return date(int(found["y"]), int(found["m"]), int(found["d"]))
        if found := _NUMERIC.fullmatch(cleaned):
            first, second = int(found["a"]), int(found["b"])
            day, month = (first, second) if order == "day_first" else (second, first)
            return date(int(found["y"]), month, day)
        if found := _DAY_MONTH_NAME.fullmatch(cleaned):
            return date(int(found["y"]), _month(found["m"], text), int(found["d"]))
        if found := _MONTH_NAME_DAY.fullmatch(cleaned):
            return date(int(found["y"]), _month(found["m"], text), int(found["d"]))
    except ValueError as exc:
        if isinstance(exc, DateError):
            raise
        raise DateError(f'"{text}" is not an existing date') from exc
    raise DateError(f'"{text}" is not a date we can read (use e.g. 2026-11-23)')


def _month(name: str, text: str) -> int:
    month = MONTHS.get(name)
    if month is None:
        raise DateError(f'"{text}" has a month name we do not know')
    return month
