"""Events applied through the real consumer loop (in-memory stream, real database)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from analytics.facts import queries
from analytics.facts.domain import WeekFacts
from analytics.facts.handlers import GROUP_ID
from analytics.storage.schema import campaigns_table, variants_table
from koers.events import CANDIDATE_EVENTS_TOPIC, DEAD_LETTER_TOPIC, Envelope

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

MONDAY_W47 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SUNDAY_W47 = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
MONDAY_W48 = datetime(2026, 11, 23, 0, 1, tzinfo=UTC)
DECEMBER_W50 = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)


def weeks_of(engine: Engine, campaign_id: str, variant_id: str) -> dict[str, WeekFacts]:
    funnel = queries.campaign_funnel(engine, campaign_id)
    (variant,) = [v for v in funnel.variants if v.variant_id == variant_id]
    return dict(variant.weeks)


def test_candidate_events_are_counted_per_iso_week_of_the_visit(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(
        events.page_viewed("ig", MONDAY_W47),
        events.page_viewed("ig", SUNDAY_W47),
        events.page_viewed("ig", MONDAY_W48),
        events.entry_started("ig", MONDAY_W47, "quiz"),
        events.entry_started("ig", MONDAY_W47, "quiz"),
        events.entry_started("ig", MONDAY_W47, "lead"),
        events.entry_started("ig", SUNDAY_W47, "apply"),
        events.quiz_completed("ig", MONDAY_W47, qualified=True),
        events.quiz_completed("ig", MONDAY_W47, qualified=False),
        events.lead_submitted("ig", MONDAY_W47),
        events.application_submitted("ig", MONDAY_W48),
        events.lead_outcome("ig", MONDAY_W47, "contacted", occurred_at=MONDAY_W48),
        events.lead_outcome("ig", MONDAY_W47, "interviewed", occurred_at=MONDAY_W48),
        events.lead_outcome("ig", MONDAY_W47, "rejected", occurred_at=MONDAY_W48),
        events.page_viewed("tt", MONDAY_W48),
    )

    weeks = weeks_of(engine, campaign_id, "ig")
    assert list(weeks) == ["2026-W47", "2026-W48"]
    assert weeks["2026-W47"] == WeekFacts(
        visits=2,
        unique_visitors=2,
        quiz_starts=2,
        lead_starts=1,
        apply_starts=1,
        quiz_completions=2,
        qualified_quiz=1,
        leads=1,
        interviews=1,
    )
    assert weeks["2026-W48"] == WeekFacts(visits=1, unique_visitors=1, applications=1)
    assert weeks_of(engine, campaign_id, "tt") == {
        "2026-W48": WeekFacts(visits=1, unique_visitors=1)
    }
    assert feed.consumer.applied == 15 and feed.dead_letters.messages == []


def test_a_late_outcome_restates_the_week_of_its_visit(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.page_viewed("ig", MONDAY_W47), events.page_viewed("ig", MONDAY_W48))
    assert weeks_of(engine, campaign_id, "ig")["2026-W47"].leads == 0

    # Weeks later: a lead from that W47 visit is submitted, interviewed and hired.
    feed(
        events.lead_submitted("ig", visited_at=MONDAY_W47, occurred_at=DECEMBER_W50),
        events.lead_outcome("ig", MONDAY_W47, "interviewed", occurred_at=DECEMBER_W50),
        events.lead_outcome("ig", MONDAY_W47, "hired", occurred_at=DECEMBER_W50),
    )

    weeks = weeks_of(engine, campaign_id, "ig")
    assert list(weeks) == ["2026-W47", "2026-W48"]  # nothing lands in W50
    assert (weeks["2026-W47"].leads, weeks["2026-W47"].interviews) == (1, 1)
    assert weeks["2026-W47"].hires == 1
    assert weeks["2026-W48"] == WeekFacts(visits=1, unique_visitors=1)


def test_a_redelivered_event_is_counted_once(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    viewed = events.page_viewed("ig", MONDAY_W47)
    lead = events.lead_submitted("ig", MONDAY_W47)

    feed(viewed, lead)
    feed(viewed, lead, viewed)  # e.g. the relay republished after a crash

    assert weeks_of(engine, campaign_id, "ig")["2026-W47"] == WeekFacts(
        visits=1, unique_visitors=1, leads=1
    )
    assert (feed.consumer.applied, feed.consumer.duplicates) == (2, 3)
    assert feed.stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 5}


def test_a_reimported_spend_day_replaces_the_earlier_import(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    monday, tuesday = date(2026, 11, 16), date(2026, 11, 17)
    feed(
        events.spend("ig", monday, 10.00, impressions=1000, clicks=40, import_id="first"),
        events.spend("ig", tuesday, 5.50, impressions=400, clicks=10, import_id="first"),
    )
    feed(events.spend("ig", monday, 12.25, impressions=1100, clicks=45, import_id="corrected"))

    week = weeks_of(engine, campaign_id, "ig")["2026-W47"]
    assert (week.spend, week.impressions, week.clicks) == (Decimal("17.75"), 1500, 55)


def test_an_event_that_matches_no_contract_is_dead_lettered_and_the_stream_moves_on(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    broken = json.loads(events.page_viewed("ig", MONDAY_W47).to_bytes())
    broken["payload"]["email"] = "candidate@example.nl"  # personal data is not in the contract

    feed.raw(CANDIDATE_EVENTS_TOPIC, campaign_id, json.dumps(broken).encode())
    feed(events.page_viewed("ig", MONDAY_W48))

    ((topic, key, value),) = feed.dead_letters.messages
    letter = json.loads(value)
    assert (topic, key) == (DEAD_LETTER_TOPIC, campaign_id)
    assert "email" in letter["reason"] and letter["consumer_group"] == GROUP_ID
    assert weeks_of(engine, campaign_id, "ig") == {
        "2026-W48": WeekFacts(visits=1, unique_visitors=1)
    }
    assert feed.stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 2}


def test_facts_arriving_before_the_campaign_state_are_kept(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.page_viewed("ig", MONDAY_W47))
    feed(events.published("ig", "tt"))

    funnel = queries.campaign_funnel(engine, campaign_id)
    assert [v.variant_id for v in funnel.variants] == ["ig", "tt"]
    assert funnel.totals.visits == 1


def test_campaign_state_follows_publish_pause_and_variant_changes(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    feed(events.published("ig", "tt", weekly_budget=700.0))
    feed(events.variant_changed("tt", live=False), events.variant_changed("li", live=True))
    feed(events.paused())

    with engine.connect() as conn:
        campaign = conn.execute(
            sa.select(campaigns_table).where(campaigns_table.c.campaign_id == campaign_id)
        ).one()
        live = dict(
            conn.execute(
                sa.select(variants_table.c.variant_id, variants_table.c.live).where(
                    variants_table.c.campaign_id == campaign_id
                )
            ).all()
        )
    assert (campaign.tenant_id, campaign.slug, campaign.status) == (
        "tenant-1",
        "klantenservice",
        "paused",
    )
    assert campaign.weekly_budget == Decimal("700.00")
    assert live == {"ig": True, "tt": False, "li": True}

    # Publishing again is a full snapshot: variants left out are no longer live.
    feed(events.published("ig"))
    with engine.connect() as conn:
        status = conn.scalar(
            sa.select(campaigns_table.c.status).where(campaigns_table.c.campaign_id == campaign_id)
        )
        still_live = set(
            conn.scalars(
                sa.select(variants_table.c.variant_id).where(
                    variants_table.c.campaign_id == campaign_id, variants_table.c.live.is_(True)
                )
            )
        )
    assert status == "published" and still_live == {"ig"}


def test_concurrent_consumers_lose_no_increment(
    engine: Engine, new_feed: Callable[[], Feed], events: Events, campaign_id: str
) -> None:
    per_consumer, consumers = 25, 4
    batches = [
        [events.page_viewed("ig", MONDAY_W47) for _ in range(per_consumer)]
        for _ in range(consumers)
    ]

    def consume(feed: Feed, batch: list[Envelope]) -> None:
        for envelope in batch:
            feed(envelope)  # one transaction each, interleaving with the other consumers

    threads = [threading.Thread(target=consume, args=(new_feed(), b)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    visits = weeks_of(engine, campaign_id, "ig")["2026-W47"].visits
    assert visits == per_consumer * consumers
