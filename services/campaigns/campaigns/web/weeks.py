"""ISO weeks in URLs (``?week=2026-W48``, ``/allocations/2026-W48/...``): the shape is
the chassis' pattern, and a week that does not exist (2026-W99) is a 422 like any other
invalid parameter."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from koers.isoweeks import ISO_WEEK_PATTERN, week_monday


def existing_week(week: str) -> str:
    """``week`` when the calendar has it; ValueError (so 422) naming the missing week."""
    week_monday(week)
    return week


def _existing_or_none(week: str | None) -> str | None:
    return None if week is None else existing_week(week)


WeekQuery = Annotated[
    str | None,
    Query(pattern=ISO_WEEK_PATTERN, description="ISO week, 2026-W48"),
    AfterValidator(_existing_or_none),
]
WeekPath = Annotated[str, Path(pattern=ISO_WEEK_PATTERN), AfterValidator(existing_week)]
