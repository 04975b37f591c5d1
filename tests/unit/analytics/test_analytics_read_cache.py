"""What the read side keeps (funnels, insights) is kept until the campaign's facts change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from analytics.facts import queries, repository
from analytics.proposals import service as planning
from koers.db import transaction

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

MONDAY = date(2026, 11, 16)  # 2026-W47


def _visits(engine: Engine, campaign_id: str, variant_id: str) -> int:
    funnel = queries.campaign_funnel(engine, campaign_id)
    return next(v.totals.visits for v in funnel.variants if v.variant_id == variant_id)


def test_an_unchanged_campaign_is_answered_from_what_was_kept(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.published("ig", "tt"), events.page_viewed("ig", datetime(2026, 11, 16, tzinfo=UTC)))

    first = queries.campaign_funnel(engine, campaign_id)

    assert queries.campaign_funnel(engine, campaign_id) is first
    assert queries.campaign_insights(engine, campaign_id) is queries.campaign_insights(
        engine, campaign_id
    )


def test_every_kind_of_fact_change_is_seen_at_once(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    visit = datetime(2026, 11, 17, 10, tzinfo=UTC)
    feed(events.published("ig"), events.page_viewed("ig", visit))
    assert _visits(engine, campaign_id, "ig") == 1
    insights_before = queries.campaign_insights(engine, campaign_id)

    feed(events.page_viewed("ig", visit), events.page_viewed("ig", visit))  # counters
    assert _visits(engine, campaign_id, "ig") == 3

    feed(events.spend("ig", MONDAY, 12.5, clicks=7))  # delivery
    funnel = queries.campaign_funnel(engine, campaign_id)
    assert funnel.totals.spend == Decimal("12.50") and funnel.totals.clicks == 7

    feed(events.spend("ig", MONDAY, 20.0, clicks=9))  # a re-import replaces the day
    assert queries.campaign_funnel(engine, campaign_id).totals.spend == Decimal("20.00")

    feed(events.variant_changed("new", live=True))  # campaign state: a new creative
    funnel = queries.campaign_funnel(engine, campaign_id)
    assert [v.variant_id for v in funnel.variants] == ["ig", "new"]
    assert queries.campaign_insights(engine, campaign_id) is not insights_before


def test_a_decision_on_a_proposal_moves_the_versions(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.published("ig", "tt"))
    with engine.connect() as conn:
        before = repository.fact_versions(conn, campaign_id)

    week = "2026-W48"
    planning.propose_allocation(engine, campaign_id, week, now=datetime(2026, 11, 20, tzinfo=UTC))
    with engine.connect() as conn:
        proposed = repository.fact_versions(conn, campaign_id)
    planning.decide_allocation(engine, campaign_id, week, decision="approve", by="u-1", note=None)
    with engine.connect() as conn:
        decided = repository.fact_versions(conn, campaign_id)

    assert before != proposed != decided
    assert dict(decided)["allocations"] == dict(proposed)["allocations"] + 1


def test_versions_count_per_campaign(engine: Engine) -> None:
    with transaction(engine) as conn:
        repository.add_to_funnel_counters(
            conn,
            {
                ("c-a", "v1", "2026-W47"): {"visits": 2},
                ("c-a", "v2", "2026-W47"): {"visits": 1},
                ("c-b", "v1", "2026-W47"): {"visits": 1},
            },
        )
    with engine.connect() as conn:
        assert repository.fact_versions(conn, "c-a") == (("counters", 1),)
        assert repository.fact_versions(conn, "c-b") == (("counters", 1),)
        assert repository.fact_versions(conn, "c-unknown") == ()


def test_delivery_is_summed_per_iso_week_in_the_database(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    days = [MONDAY + timedelta(days=n) for n in range(9)]  # W47 Monday to W48 Tuesday
    feed(*(events.spend("ig", day, 1.1 + n, clicks=n) for n, day in enumerate(days)))

    with engine.connect() as conn:
        weeks = repository.delivery_weeks(conn, campaign_id)
        one_week = repository.delivery_weeks(conn, campaign_id, MONDAY, MONDAY + timedelta(6))

    by_monday = {w.day: w for w in weeks}
    assert set(by_monday) == {MONDAY, MONDAY + timedelta(days=7)}
    assert by_monday[MONDAY].spend == Decimal("28.70")  # 1.1 + 2.1 + ... + 7.1, exactly
    assert by_monday[MONDAY].clicks == sum(range(7))
    assert by_monday[MONDAY + timedelta(days=7)].spend == Decimal("17.20")
    assert [w.day for w in one_week] == [MONDAY]


def test_a_shared_computation_is_not_kept_and_its_failure_reaches_the_caller() -> None:
    in_flight: queries.InFlight[str, str] = queries.InFlight()

    assert in_flight.run("k", lambda: "first") == "first"
    assert in_flight.run("k", lambda: "again") == "again"  # only overlapping asks share

    def failing() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError):
        in_flight.run("k", failing)
    assert in_flight.run("k", lambda: "after") == "after"
