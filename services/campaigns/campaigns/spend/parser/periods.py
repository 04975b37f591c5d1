"""Spreading a period row over its days.

Exports without a day breakdown give one row per ad for a period (Meta's "Reporting
starts"/"Reporting ends", LinkedIn's start and end date). Analytics counts per day, and
platforms do not say how a period's spend fell over its days, so Koers spreads it
**evenly**: every day of the period gets the same share of the spend, impressions and
clicks. Shares are whole cents and whole impressions/clicks; what does not divide
evenly goes, one unit each, to the earliest days, so the days always add up exactly to
the row. (A proportional split by some other signal would pretend to knowledge we do
not have; an even split keeps weekly totals right whenever the period lies inside one
week, and is easy to explain.) Import day-by-day exports for exact daily figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

CENT = Decimal("0.01")
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class DayShare:
    day: date
    spend: Decimal
    impressions: int
    clicks: int


def days_in(first_day: date, last_day: date) -> int:
    return (last_day - first_day).days + 1


def spread_evenly(
    first_day: date, last_day: date, *, spend: Decimal, impressions: int, clicks: int
) -> list[DayShare]:
    """One share per day from ``first_day`` to ``last_day`` inclusive, summing to the row."""
    count = days_in(first_day, last_day)
    if count < 1:
        raise ValueError("the period ends before it starts")
    if count == 1:
        return [DayShare(first_day, spend, impressions, clicks)]
    cents = _split(int((spend / CENT).to_integral_value()), count)
    shown = _split(impressions, count)
    clicked = _split(clicks, count)
    return [
        DayShare(
            day=first_day + timedelta(days=offset),
            spend=Decimal(cents[offset]) * CENT,
            impressions=shown[offset],
            clicks=clicked[offset],
        )
        for offset in range(count)
    ]


def _split(total: int, parts: int) -> list[int]:
    base, remainder = divmod(total, parts)
    return [base + (1 if index < remainder else 0) for index in range(parts)]
