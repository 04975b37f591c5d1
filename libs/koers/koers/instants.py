"""Moments and days a request may carry: read as UTC, and refused outside the years a
recruitment campaign can live in.

A moment near the ends of Python's range (``0001-01-01T00:00:00+00:01``) overflows when
it is turned to UTC, and a day such as ``9999-12-31`` overflows the first time code adds
a week to it: either was a 500 long after the request was accepted (found by the fuzz
tests). Refused at the edge, they are a 422 that names the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

from koers.db import as_utc

EARLIEST = date(2000, 1, 1)
LATEST = date(2199, 12, 31)


def _plausible_day(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


def _utc_instant(moment: datetime) -> datetime:
    # Checked on the moment as written first: turning 0001-01-01 to UTC can overflow.
    _plausible_day(moment.date())
    return as_utc(moment)  # a moment without a zone is read as UTC, as Koers stores it


PlausibleDay = Annotated[date, AfterValidator(_plausible_day)]
"""A ``date`` field or parameter of a request, between 2000 and 2199 (else a 422)."""

UtcInstant = Annotated[datetime, AfterValidator(_utc_instant)]
"""A ``datetime`` field or parameter of a request, between 2000 and 2199, as aware UTC."""
