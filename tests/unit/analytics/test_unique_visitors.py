"""Unique visitors: each daily visitor key counted once per creative and day, beside views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.facts.repository import VISITOR_DAYS_KEPT
from analytics.storage.schema import visitor_days_table

if TYPE_CHECKING:
    from conftest import Events, Feed

pytestmark = pytest.mark.unit

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 2026-W47
ANNA, BEN = "a" * 32, "b" * 32


def _week(client: TestClient, auth: dict[str, str], campaign_id: str, variant: str) -> dict:
    body = client.get(f"/v1/campaigns/{campaign_id}/funnel", headers=auth).json()
    (found,) = [v for v in body["variants"] if v["variant_id"] == variant]
    (week,) = found["weeks"]
    return week  # type: ignore[no-any-return]


def test_a_visitor_is_counted_once_a_day_per_creative(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    tuesday = MONDAY + timedelta(days=1)
    feed(
        events.page_viewed("ig", MONDAY, ANNA),
        events.page_viewed("ig", MONDAY + timedelta(hours=3), ANNA),  # same day again
        events.page_viewed("ig", MONDAY, BEN),
        events.page_viewed("tt", MONDAY, ANNA),  # another creative counts apart
    )
    feed(events.page_viewed("ig", MONDAY + timedelta(hours=5), BEN))  # a later batch
    feed(events.page_viewed("ig", tuesday, "c" * 32))  # next day: a new daily key

    ig = _week(client, auth, campaign_id, "ig")
    assert (ig["visits"], ig["unique_visitors"]) == (5, 3)
    tt = _week(client, auth, campaign_id, "tt")
    assert (tt["visits"], tt["unique_visitors"]) == (1, 1)


def test_a_redelivered_view_changes_nothing(
    client: TestClient, auth: dict[str, str], feed: Feed, events: Events, campaign_id: str
) -> None:
    view = events.page_viewed("ig", MONDAY, ANNA)
    feed(view)
    feed(view)

    ig = _week(client, auth, campaign_id, "ig")
    assert (ig["visits"], ig["unique_visitors"]) == (1, 1)


def test_old_visitor_keys_are_forgotten(
    engine: Engine, feed: Feed, events: Events, campaign_id: str
) -> None:
    later = MONDAY + timedelta(days=VISITOR_DAYS_KEPT + 1)
    feed(events.page_viewed("ig", MONDAY, ANNA))
    feed(events.page_viewed("ig", later, BEN))

    with engine.connect() as conn:
        days = conn.execute(sa.select(visitor_days_table.c.day)).scalars().all()
    assert days == [later.date()]
