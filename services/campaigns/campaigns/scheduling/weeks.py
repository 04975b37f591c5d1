"""Which ISO week the weekly job plans: the one rule for the CLI, the console and the
embedded scheduler.

``deploy/airflow/dags/koers_weeks.py`` mirrors it for the DAG (which cannot import
``koers``); both are tested against one table of cases (``tests/dags/week_cases.py``).

The rule, on the Europe/Amsterdam wall clock (a week runs Monday 00:00 to Sunday 24:00):

1. an explicitly ``requested`` week (``YYYY-Www``, e.g. "Run now for week X") wins;
2. else a ``logical_date`` plans the week that date falls in (re-planning a past week;
   a scheduled run passes the Monday it runs for);
3. else ("run now") the week that started on the most recent Monday at or before
   ``now``, i.e. the current week.

A week that has not begun at ``now`` is refused with :class:`FutureWeek`: its Monday
has not come, so there is nothing yet to plan it from.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from koers.isoweeks import iso_week, week_monday

TIMEZONE = "Europe/Amsterdam"


class FutureWeek(ValueError):
    """The week to plan has not begun yet."""


def _local_day(moment: datetime, zone: ZoneInfo, name: str) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} {moment.isoformat()} has no time zone")
    return moment.astimezone(zone).date()


def planned_week(
    now: datetime,
    *,
    logical_date: datetime | None,
    requested: str | None,
    tz: str = TIMEZONE,
) -> str:
    """The ISO week label to plan; ``ValueError`` (``FutureWeek``) when it must not run."""
    zone = ZoneInfo(tz)
    current = iso_week(_local_day(now, zone, "now"))
    if requested is not None:
        if not isinstance(requested, str):
            raise ValueError(f"a requested week is a string like 2026-W48, not {requested!r}")
        week_monday(requested)  # a label of an existing week, or ValueError naming it
        week = requested
    elif logical_date is not None:
        week = iso_week(_local_day(logical_date, zone, "logical date"))
    else:
        week = current
    if week_monday(week) > week_monday(current):
        raise FutureWeek(
            f"{week} has not begun yet (it is {current} in {tz}): a week is planned on or "
            "after its Monday; trigger without a logical date for the current week, or with "
            'conf {"week": "YYYY-Www"} for a past one'
        )
    return week
