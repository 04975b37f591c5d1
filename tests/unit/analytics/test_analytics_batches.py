"""Applying a polled batch at once gives the same facts as applying it event by event."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from analytics.facts import queries
from koers.events import Envelope
from koers.messaging.schema import processed_events_table

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def mixed_stream(events: Events, seed: int) -> list[Envelope]:
    """Candidate events, late outcomes, spend and state changes, interleaved."""
    rng = random.Random(seed)
    stream: list[Envelope] = [events.published("ig", "tt", "li")]
    for _ in range(300):
        variant = rng.choice(("ig", "tt", "li"))
        visited = START + timedelta(hours=rng.randrange(0, 24 * 21))
        kind = rng.random()
        if kind < 0.5:
            stream.append(events.page_viewed(variant, visited))
        elif kind < 0.65:
            stream.append(events.entry_started(variant, visited, rng.choice(("quiz", "lead"))))
        elif kind < 0.75:
            stream.append(events.quiz_completed(variant, visited, qualified=rng.random() < 0.5))
        elif kind < 0.85:
            stream.append(events.lead_submitted(variant, visited))
        elif kind < 0.9:
            outcome = rng.choice(("contacted", "interviewed", "hired", "rejected"))
            stream.append(events.lead_outcome(variant, visited, outcome, visited))  # type: ignore[arg-type]
        elif kind < 0.97:
            day = date(2026, 11, 2) + timedelta(days=rng.randrange(0, 21))
            stream.append(events.spend(variant, day, round(rng.uniform(5, 50), 2)))
        else:
            stream.append(events.variant_changed(variant, live=rng.random() < 0.7))
    stream.append(stream[10])  # a redelivery inside the batch
    return stream


def test_batch_and_per_event_application_store_the_same_facts(
    engine: Engine, events: Events, feed_in_group: Callable[[str, bool], Feed]
) -> None:
    one_by_one, at_once = type(events)("c-one-by-one"), type(events)("c-at-once")
    slow_feed, fast_feed = feed_in_group("per-event", False), feed_in_group("batched", True)

    slow_feed(*mixed_stream(one_by_one, seed=5))  # one poll each: one batch of 302
    fast_feed(*mixed_stream(at_once, seed=5))

    per_event, batched = slow_feed.consumer, fast_feed.consumer
    assert slow_feed.dead_letters.messages == fast_feed.dead_letters.messages == []

    assert (batched.applied, batched.duplicates) == (per_event.applied, per_event.duplicates)
    assert batched.duplicates == 1
    slow = queries.campaign_facts(engine, "c-one-by-one")
    fast = queries.campaign_facts(engine, "c-at-once")
    assert fast.funnel.variants == slow.funnel.variants
    assert fast.funnel.totals == slow.funnel.totals and fast.funnel.totals.visits > 100
    assert fast.attributes == slow.attributes
    with engine.connect() as conn:
        stamps = conn.execute(
            sa.select(
                processed_events_table.c.consumer_group,
                sa.func.count(sa.distinct(processed_events_table.c.processed_at)),
            ).group_by(processed_events_table.c.consumer_group)
        ).all()
    # the batch went in as one transaction (one stamp); the other as one per event
    assert dict(stamps)["batched"] == 1
    assert dict(stamps)["per-event"] > 100
