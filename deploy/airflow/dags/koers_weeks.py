"""Which ISO week a run of ``koers_weekly_allocation`` plans: the one rule, for the DAGs.

The DAGs cannot import ``koers`` (they run in the stock Airflow image), so this module
mirrors ``campaigns.scheduling.weeks.planned_week`` with the standard library only. Both
are tested against the same table of cases (``tests/dags/week_cases.py``): change one,
change the other.

The rule (Europe/Amsterdam wall clock; a week runs Monday 00:00 to Sunday 24:00):

1. ``requested`` (the run's conf ``{"week": "2026-W48"}``, "Run now for week X") wins;
   it must be an existing week written ``YYYY-Www``.
2. Else a ``logical_date`` plans the week that date falls in (a re-plan of a past week;
   for a scheduled run the DAG passes its data-interval end, the Monday it runs).
3. Else (a manual "run now" without a logical date) the week that started on the most
   recent Monday at or before ``now``: the current week.

A week that has not begun yet at ``now`` is refused (``FutureWeek``): its Monday has
not come, so there is nothing to plan it from, and Airflow would otherwise hold a run
with a future logical date instead of failing it.

``.airflowignore`` keeps the DAG processor from parsing this file as a DAG.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Amsterdam"
_ISO_WEEK = re.compile(r"^\d{4}-W\d{2}$")


class FutureWeek(ValueError):
    """The week to plan has not begun yet."""


def _label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _monday(week: str) -> date:
    if not _ISO_WEEK.match(week):
        raise ValueError(f"{week!r} is not an ISO week like 2026-W48")
    year, number = int(week[:4]), int(week[6:])
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week} does not exist: {year} has no week {number}") from exc


def _local_day(moment: datetime, zone: ZoneInfo, name: str) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} {moment.isoformat()} has no time zone")
    return moment.astimezone(zone).date()


def planned_week(
    now: datetime,
    *,
    logical_date: datetime | None,
    requested: object | None,
    tz: str = TIMEZONE,
) -> str:
    """The ISO week label to plan; ``ValueError`` (``FutureWeek``) when it must not run."""
    zone = ZoneInfo(tz)
    current = _label(_local_day(now, zone, "now"))
    if requested is not None:
        if not isinstance(requested, str):
            raise ValueError(f"a requested week is a string like 2026-W48, not {requested!r}")
        week = requested
        _monday(week)
    elif logical_date is not None:
        week = _label(_local_day(logical_date, zone, "logical date"))
    else:
        week = current
    if _monday(week) > _monday(current):
        raise FutureWeek(
            f"{week} has not begun yet (it is {current} in {tz}): a week is planned on or "
            "after its Monday; trigger without a logical date for the current week, or with "
            'conf {"week": "YYYY-Www"} for a past one'
        )
    return week
