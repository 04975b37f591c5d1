"""Pure rules of the weekly funnel: which event moves which counter, in which week, and sums.

Nothing here does I/O. Candidate outcomes are attributed to the ISO week (UTC) of the
visit that led to them, so an outcome that arrives late restates a past week; spend,
impressions and clicks belong to the ISO week of the delivery day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from koers.db import as_utc
from koers.events import (
    ApplicationSubmitted,
    EntryStarted,
    LeadOutcomeRecorded,
    LeadReplied,
    LeadSubmitted,
    PageViewed,
    Payload,
    QuizCompleted,
)
from koers.isoweeks import iso_week, week_monday

FUNNEL_COUNTERS: tuple[str, ...] = (
    "visits",
    "unique_visitors",
    "quiz_starts",
    "lead_starts",
    "apply_starts",
    "quiz_completions",
    "qualified_quiz",
    "leads",
    "applications",
    "interviews",
    "hires",
    "reached",
)
"""The weekly_funnel counter columns, in funnel order ("reached", a reply to the first
contact, came later than the others and sits last)."""

ENTRY_POINT_COUNTERS: dict[str, str] = {
    "quiz": "quiz_starts",
    "lead": "lead_starts",
    "apply": "apply_starts",
}

OUTCOME_COUNTERS: dict[str, str] = {
    "interviewed": "interviews",
    "hired": "hires",
}
"""Lead outcomes that count in the funnel; "contacted" and "rejected" are accepted only."""


def utc_iso_week(moment: datetime | date) -> str:
    """The ISO week ("2026-W47") of a moment in UTC, or of a calendar day.

    A naive datetime is taken to be UTC already; an aware one is converted first, so a
    visit at 00:30 on Monday in Amsterdam still belongs to the week before.
    """
    return iso_week(as_utc(moment) if isinstance(moment, datetime) else moment)


def week_days(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week; ValueError when it is no real week."""
    monday = week_monday(week)
    return monday, monday + timedelta(days=6)


def funnel_counters_for(payload: Payload) -> tuple[str, ...]:
    """The weekly_funnel counters one candidate event or lead outcome increments."""
    if isinstance(payload, PageViewed):
        return ("visits",)
    if isinstance(payload, EntryStarted):
        return (ENTRY_POINT_COUNTERS[payload.entry_point],)
    if isinstance(payload, QuizCompleted):
        qualified = ("qualified_quiz",) if payload.qualified else ()
        return ("quiz_completions", *qualified)
    if isinstance(payload, LeadSubmitted):
        return ("leads",)
    if isinstance(payload, ApplicationSubmitted):
        return ("applications",)
    if isinstance(payload, LeadReplied):
        return ("reached",)
    if isinstance(payload, LeadOutcomeRecorded):
        counter = OUTCOME_COUNTERS.get(payload.outcome)
        return (counter,) if counter else ()
    return ()


# --- the funnel read model ------------------------------------------------------------


@dataclass(frozen=True)
class WeekFacts:
    """Everything known about one variant (or a sum of variants) in one or more weeks."""

    visits: int = 0
    unique_visitors: int = 0
    """Visitors counted once a day per creative: the sum over the week's days of the
    distinct daily visitor keys (landing's salted daily hash; no cookie)."""
    quiz_starts: int = 0
    lead_starts: int = 0
    apply_starts: int = 0
    quiz_completions: int = 0
    qualified_quiz: int = 0
    leads: int = 0
    applications: int = 0
    interviews: int = 0
    hires: int = 0
    reached: int = 0
    spend: Decimal = Decimal(0)
    impressions: int = 0
    clicks: int = 0

    def __add__(self, other: WeekFacts) -> WeekFacts:
        # Field names looked up once: dataclasses.fields() on every add was most of the
        # cost of summing a year of weeks for a funnel.
        return WeekFacts(
            **{name: getattr(self, name) + getattr(other, name) for name in _WEEK_FACT_FIELDS}
        )


_WEEK_FACT_FIELDS = tuple(f.name for f in fields(WeekFacts))
ZERO = WeekFacts()


@dataclass(frozen=True)
class CounterRow:
    """One weekly_funnel row: the candidate counters of a variant in an ISO week."""

    variant_id: str
    week: str
    counters: dict[str, int]


@dataclass(frozen=True)
class DeliveryDay:
    """One daily_delivery row: what the ad platform reported for a variant on a day."""

    variant_id: str
    day: date
    spend: Decimal
    impressions: int
    clicks: int


@dataclass(frozen=True)
class VariantFunnel:
    variant_id: str
    weeks: tuple[tuple[str, WeekFacts], ...]
    totals: WeekFacts


@dataclass(frozen=True)
class CampaignFunnel:
    campaign_id: str
    variants: tuple[VariantFunnel, ...]
    totals: WeekFacts


def summarise_funnel(
    campaign_id: str,
    counter_rows: Iterable[CounterRow],
    delivery_days: Iterable[DeliveryDay],
    variant_ids: Iterable[str] = (),
) -> CampaignFunnel:
    """Per variant and ISO week: candidate counters beside the spend of that week.

    ``variant_ids`` adds known variants without any facts yet (they show zero totals).
    Variants are sorted by id, weeks ascending.
    """
    cells: dict[str, dict[str, WeekFacts]] = defaultdict(dict)
    for variant_id in variant_ids:
        cells.setdefault(variant_id, {})
    for row in counter_rows:
        counts: dict[str, Any] = {name: int(row.counters.get(name, 0)) for name in FUNNEL_COUNTERS}
        facts = WeekFacts(**counts)
        weeks = cells[row.variant_id]
        weeks[row.week] = weeks.get(row.week, ZERO) + facts
    for day in delivery_days:
        week = iso_week(day.day)
        weeks = cells[day.variant_id]
        delivered = WeekFacts(spend=day.spend, impressions=day.impressions, clicks=day.clicks)
        weeks[week] = weeks.get(week, ZERO) + delivered
    variants = tuple(
        VariantFunnel(
            variant_id=variant_id,
            weeks=tuple(sorted(weeks.items())),
            totals=sum(weeks.values(), ZERO),
        )
        for variant_id, weeks in sorted(cells.items())
    )
    return CampaignFunnel(
        campaign_id=campaign_id,
        variants=variants,
        totals=sum((v.totals for v in variants), ZERO),
    )
