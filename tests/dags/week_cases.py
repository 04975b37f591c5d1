"""The table of cases for "which ISO week does a run plan": one table, two implementations.

``campaigns.scheduling.weeks.planned_week`` (the services) and
``deploy/airflow/dags/koers_weeks.planned_week`` (the DAG, which cannot import koers)
must agree on every row; ``test_week_rule.py`` runs both against it and the Airflow tests
take their real-DAG cases from the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

AMS = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class WeekCase:
    name: str
    now: datetime
    logical_date: datetime | None
    requested: object | None
    expected: str | None
    """The week planned; None when the run is refused."""
    refused_because: str = ""
    """A fragment of the ValueError's message, when refused."""
    future: bool = False
    """Refused because the week has not begun (FutureWeek)."""


WED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # Wednesday of 2026-W48

WEEK_CASES = [
    WeekCase("run now on a Wednesday: the current week", WED, None, None, "2026-W48"),
    WeekCase(
        "run now just after midnight on Monday, Amsterdam time (still Sunday in UTC)",
        datetime(2026, 11, 23, 0, 30, tzinfo=AMS),
        None,
        None,
        "2026-W48",
    ),
    WeekCase(
        "run now late on Sunday, Amsterdam time (already Monday in UTC is not the rule)",
        datetime(2026, 11, 29, 23, 30, tzinfo=AMS),
        None,
        None,
        "2026-W48",
    ),
    WeekCase(
        "the scheduled run: its data-interval end, Monday 06:00",
        datetime(2026, 11, 23, 6, 0, tzinfo=AMS),
        datetime(2026, 11, 23, 6, 0, tzinfo=AMS),
        None,
        "2026-W48",
    ),
    WeekCase(
        "re-plan: a past Wednesday's week",
        WED,
        datetime(2026, 11, 4, 9, 0, tzinfo=AMS),
        None,
        "2026-W45",
    ),
    WeekCase(
        "re-plan: a Monday before 06:00 is still that Monday's week",
        WED,
        datetime(2026, 11, 16, 3, 0, tzinfo=AMS),
        None,
        "2026-W47",
    ),
    WeekCase(
        "re-plan: Sunday 23:30 Amsterdam is that Sunday's week",
        WED,
        datetime(2026, 11, 22, 23, 30, tzinfo=AMS),
        None,
        "2026-W47",
    ),
    WeekCase(
        "re-plan across the switch to summer time: Monday 00:30 CEST",
        WED,
        datetime(2026, 3, 30, 0, 30, tzinfo=AMS),
        None,
        "2026-W14",
    ),
    WeekCase(
        "re-plan: 1 January 2027 is in 2026's week 53",
        datetime(2027, 1, 6, 12, 0, tzinfo=UTC),
        datetime(2027, 1, 1, 12, 0, tzinfo=AMS),
        None,
        "2026-W53",
    ),
    WeekCase(
        "a later day of the current week is the current week",
        WED,
        datetime(2026, 11, 27, 12, 0, tzinfo=AMS),
        None,
        "2026-W48",
    ),
    WeekCase(
        "a future logical date is refused",
        WED,
        datetime(2026, 11, 30, 6, 0, tzinfo=AMS),
        None,
        None,
        "2026-W49 has not begun yet",
        future=True,
    ),
    WeekCase("conf week: a past week", WED, None, "2026-W40", "2026-W40"),
    WeekCase("conf week: the current week", WED, None, "2026-W48", "2026-W48"),
    WeekCase(
        "conf week wins over the logical date",
        WED,
        datetime(2026, 11, 4, 9, 0, tzinfo=AMS),
        "2026-W30",
        "2026-W30",
    ),
    WeekCase(
        "conf week: next week is refused",
        WED,
        None,
        "2026-W49",
        None,
        "2026-W49 has not begun yet",
        future=True,
    ),
    WeekCase("conf week: not a week label", WED, None, "2026-48", None, "not an ISO week"),
    WeekCase("conf week: lower case", WED, None, "2026-w48", None, "not an ISO week"),
    WeekCase("conf week: a week that does not exist", WED, None, "2025-W53", None, "no week 53"),
    WeekCase("conf week: not a string", WED, None, 48, None, "a requested week is a string"),
    WeekCase(
        "a naive now is refused", datetime(2026, 11, 25, 12, 0), None, None, None, "no time zone"
    ),
]
