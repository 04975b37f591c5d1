"""ISO-8601 week labels ("2026-W48") as numbers the engine can subtract.

The allocation contract speaks in ISO weeks; the statistics need ages ("how many weeks
before the planned week"), so every label is turned into a week ordinal once, here.
"""

from __future__ import annotations

import re
from datetime import date

ISO_WEEK_PATTERN = r"^\d{4}-W\d{2}$"
_ISO_WEEK = re.compile(ISO_WEEK_PATTERN)


def week_ordinal(week: str) -> int:
    """A running week number (consecutive weeks differ by one); ValueError if not a week."""
    if not _ISO_WEEK.match(week):
        raise ValueError(f"{week!r} is not an ISO week like 2026-W48")
    year, number = int(week[:4]), int(week[6:])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week} does not exist: {year} has no week {number}") from exc
    return monday.toordinal() // 7


def week_label(ordinal: int) -> str:
    """The ISO week label of a week ordinal (inverse of :func:`week_ordinal`)."""
    year, week, _ = date.fromordinal(ordinal * 7 + 1).isocalendar()
    return f"{year:04d}-W{week:02d}"
