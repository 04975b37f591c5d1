"""ISO-8601 week labels ("2026-W48"): the one place every service parses and formats them.

Weeks are labels on the wire and in the databases; arithmetic happens on week ordinals
(consecutive weeks differ by one), so age and "next week" never go through strings.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

ISO_WEEK_PATTERN = r"^\d{4}-W\d{2}$"
"""The shape of a week label. Whether the week exists (2027 has no W53) is
:func:`week_monday`'s check, so the refusal can name the missing week."""

_ISO_WEEK = re.compile(ISO_WEEK_PATTERN)


def iso_week(moment: datetime | date) -> str:
    """The ISO week label of a day or moment (a moment's own calendar day)."""
    year, week, _ = moment.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_monday(week: str) -> date:
    """The Monday a week label starts on; ValueError if it is not an existing week."""
    if not _ISO_WEEK.match(week):
        raise ValueError(f"{week!r} is not an ISO week like 2026-W48")
    year, number = int(week[:4]), int(week[6:])
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week} does not exist: {year} has no week {number}") from exc


def week_ordinal(week: str) -> int:
    """A running week number (consecutive weeks differ by one); ValueError if not a week."""
    return week_monday(week).toordinal() // 7


def week_label(ordinal: int) -> str:
    """The ISO week label of a week ordinal (inverse of :func:`week_ordinal`)."""
    return iso_week(date.fromordinal(ordinal * 7 + 1))


def shift_week(week: str, weeks: int) -> str:
    """The week ``weeks`` after ``week`` (before it when negative)."""
    return week_label(week_ordinal(week) + weeks)


def next_iso_week(today: date) -> str:
    """The ISO week after the one ``today`` falls in."""
    return iso_week(today + timedelta(days=7))
