from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from analytics.facts.domain import (
    FUNNEL_COUNTERS,
    CounterRow,
    DeliveryDay,
    WeekFacts,
    funnel_counters_for,
    summarise_funnel,
    week_days,
)
from analytics.facts.domain import (
    utc_iso_week as iso_week,
)
from koers.events import (
    ApplicationSubmitted,
    EntryStarted,
    LeadOutcomeRecorded,
    LeadSubmitted,
    PageViewed,
    Payload,
    QuizCompleted,
)

pytestmark = pytest.mark.unit

AMSTERDAM_WINTER = timezone(timedelta(hours=1))
VISIT = {"variant_id": "v1", "visitor_key": "k" * 16, "visited_at": datetime(2026, 11, 18)}


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (date(2026, 11, 18), "2026-W47"),
        (date(2026, 12, 31), "2026-W53"),  # 2026 is a long ISO year
        (date(2027, 1, 3), "2026-W53"),  # a Sunday in January still closes 2026's last week
        (date(2027, 1, 4), "2027-W01"),
        (date(2026, 1, 1), "2026-W01"),  # a Thursday: week 1 holds the year's first Thursday
        (date(2024, 12, 30), "2025-W01"),  # a Monday in December opens next year's week 1
        (date(2021, 1, 3), "2020-W53"),
        (datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC), "2026-W47"),
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W48"),
        # Monday 00:30 in Amsterdam is still Sunday in UTC: the week before.
        (datetime(2026, 11, 23, 0, 30, tzinfo=AMSTERDAM_WINTER), "2026-W47"),
        (datetime(2026, 11, 23, 0, 30), "2026-W48"),  # naive is taken as UTC
    ],
)
def test_iso_week_follows_the_iso_calendar_in_utc(moment: date, week: str) -> None:
    assert iso_week(moment) == week


def test_week_days_run_monday_to_sunday_across_the_new_year() -> None:
    assert week_days("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert week_days("2026-W47") == (date(2026, 11, 16), date(2026, 11, 22))


@pytest.mark.parametrize("week", ["2027-W53", "2026-W00", "2026-W54", "2026-47", "2026-W7", ""])
def test_week_days_refuse_weeks_that_do_not_exist(week: str) -> None:
    with pytest.raises(ValueError, match="week"):
        week_days(week)


@pytest.mark.parametrize(
    ("payload", "counters"),
    [
        (PageViewed(**VISIT), ("visits",)),
        (EntryStarted(**VISIT, entry_point="quiz"), ("quiz_starts",)),
        (EntryStarted(**VISIT, entry_point="lead"), ("lead_starts",)),
        (EntryStarted(**VISIT, entry_point="apply"), ("apply_starts",)),
        (QuizCompleted(**VISIT, score=80, qualified=True), ("quiz_completions", "qualified_quiz")),
        (QuizCompleted(**VISIT, score=10, qualified=False), ("quiz_completions",)),
        (LeadSubmitted(**VISIT, lead_id="l1", contact_channel="phone"), ("leads",)),
        (ApplicationSubmitted(**VISIT, application_id="a1"), ("applications",)),
    ],
)
def test_each_candidate_event_moves_its_funnel_counter(
    payload: Payload, counters: tuple[str, ...]
) -> None:
    assert funnel_counters_for(payload) == counters


@pytest.mark.parametrize(
    ("outcome", "counters"),
    [("interviewed", ("interviews",)), ("hired", ("hires",)), ("contacted", ()), ("rejected", ())],
)
def test_only_interviews_and_hires_count_among_lead_outcomes(
    outcome: str, counters: tuple[str, ...]
) -> None:
    payload = LeadOutcomeRecorded(
        lead_id=uuid.uuid4().hex,
        variant_id="v1",
        outcome=outcome,  # type: ignore[arg-type]
        visited_at=datetime(2026, 11, 18, tzinfo=UTC),
    )
    assert funnel_counters_for(payload) == counters


def test_summary_puts_spend_beside_outcomes_per_iso_week_sorted() -> None:
    counters = [
        CounterRow("b", "2026-W48", {"visits": 5, "leads": 1}),
        CounterRow("b", "2026-W47", {"visits": 10, "leads": 2, "hires": 1}),
        CounterRow("a", "2026-W53", {"visits": 3}),
    ]
    delivery = [
        DeliveryDay("b", date(2026, 11, 16), Decimal("10.50"), 1000, 40),  # Monday W47
        DeliveryDay("b", date(2026, 11, 22), Decimal("4.25"), 500, 10),  # Sunday W47
        DeliveryDay("b", date(2026, 11, 23), Decimal("7.00"), 700, 30),  # Monday W48
        DeliveryDay("a", date(2027, 1, 3), Decimal("1.00"), 100, 5),  # still 2026-W53
    ]

    funnel = summarise_funnel("c1", counters, delivery, variant_ids=["c", "a"])

    assert [v.variant_id for v in funnel.variants] == ["a", "b", "c"]
    a, b, c = funnel.variants
    assert [week for week, _ in b.weeks] == ["2026-W47", "2026-W48"]
    w47 = dict(b.weeks)["2026-W47"]
    assert (w47.visits, w47.leads, w47.hires) == (10, 2, 1)
    assert (w47.spend, w47.impressions, w47.clicks) == (Decimal("14.75"), 1500, 50)
    assert a.weeks == (
        ("2026-W53", WeekFacts(visits=3, spend=Decimal("1.00"), impressions=100, clicks=5)),
    )
    assert c.weeks == () and c.totals == WeekFacts()
    assert b.totals.visits == 15 and b.totals.spend == Decimal("21.75")
    assert funnel.totals.visits == 18 and funnel.totals.spend == Decimal("22.75")
    assert funnel.totals.clicks == 85


def test_summary_of_nothing_is_zero_not_an_error() -> None:
    funnel = summarise_funnel("c1", [], [])
    assert funnel.variants == ()
    assert funnel.totals == WeekFacts()
    assert all(getattr(funnel.totals, name) == 0 for name in FUNNEL_COUNTERS)
