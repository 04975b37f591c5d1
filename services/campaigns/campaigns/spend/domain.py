"""Pure rules of spend: delivery per creative per day, summed per ISO week."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from koers.isoweeks import iso_week


@dataclass(frozen=True)
class DailySpend:
    """One variant's delivery on one day, as the ad platform reported it."""

    variant_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int


def complete_weeks_before(today: date, count: int) -> list[date]:
    """The Mondays of the ``count`` complete ISO weeks before the week of ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(count, 0, -1)]


@dataclass(frozen=True)
class WeekSpend:
    week: str
    per_variant: dict[str, Decimal]
    total: Decimal
    impressions: int
    clicks: int


def spend_per_week(days: Iterable[DailySpend], variant_ids: Sequence[str]) -> list[WeekSpend]:
    """Spend per ISO week and variant (oldest week first); missing days count as zero."""
    weeks: dict[str, dict[str, Decimal]] = {}
    impressions: dict[str, int] = {}
    clicks: dict[str, int] = {}
    for day in days:
        week = iso_week(day.day)
        per_variant = weeks.setdefault(week, dict.fromkeys(variant_ids, Decimal(0)))
        per_variant[day.variant_id] = per_variant.get(day.variant_id, Decimal(0)) + day.spend
        impressions[week] = impressions.get(week, 0) + day.impressions
        clicks[week] = clicks.get(week, 0) + day.clicks
    return [
        WeekSpend(
            week=week,
            per_variant=per_variant,
            total=sum(per_variant.values(), Decimal(0)),
            impressions=impressions[week],
            clicks=clicks[week],
        )
        for week, per_variant in sorted(weeks.items())
    ]
