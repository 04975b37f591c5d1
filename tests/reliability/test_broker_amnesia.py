"""A broker that crashes and comes back empty loses nothing: the relays publish again.

The embedded broker keeps its log in memory. Leads are published while the analytics
consumer is down, then the broker is killed and restarted empty; the landing relay must
notice that the topic holds fewer events than it sent, publish them again, and analytics
must count each lead exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import CANDIDATE_EVENTS_TOPIC
from koers.messaging.schema import outbox_table
from tests.conftest import free_port
from tests.reliability.test_broker_outage import _campaign_id, leads_in_analytics
from tests.support import loopback
from tests.support.html import hidden_fields
from tests.support.processes import Stack, wait_until

pytestmark = pytest.mark.reliability

SLUG = "demo-klantenservice"
LEADS = 5
FILL_SECONDS = 4  # longer than the lead form's minimum fill time


def unsent_candidate_events(stack: Stack) -> int | None:
    """Unsent candidate events in landing's outbox (None while there are none at all)."""
    engine = make_engine(stack.database_urls["landing"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox_table.c.sent_at).where(
                    outbox_table.c.topic == CANDIDATE_EVENTS_TOPIC
                )
            ).all()
    finally:
        engine.dispose()
    return sum(1 for row in rows if row.sent_at is None) if rows else None


def leave_leads(stack: Stack, count: int) -> None:
    """Candidates open the lead form, take a few seconds like people do, and submit."""
    lead_url = f"{stack.url('landing')}/j/{SLUG}/lead?v=facebook"
    with loopback.client(timeout=10) as candidate:
        forms = [hidden_fields(candidate.get(lead_url).text) for _ in range(count)]
        time.sleep(FILL_SECONDS)
        for number, hidden in enumerate(forms):
            posted = candidate.post(
                lead_url,
                data={
                    **hidden,
                    "name": f"Kandidaat {number}",
                    "phone": "",
                    "email": f"kandidaat{number}@example.org",
                    "contact_channel": "email",
                    "consent": "yes",
                },
            )
            assert posted.status_code == 303, posted.text


def test_events_the_broker_forgot_are_published_again_and_counted_once(
    make_stack: Callable[[str], Stack], tmp_path: Path
) -> None:
    port = free_port()
    broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker.log")
    broker.start()
    stack = make_stack(broker.bootstrap_servers)
    stack.extra_env["KOERS_RELAY_VERIFY_INTERVAL_S"] = "1"
    try:
        stack.start_all()
        stack.run("campaigns", "seed-demo")
        page_url = f"{stack.url('landing')}/j/{SLUG}?v=facebook"
        wait_until(
            lambda: loopback.get(page_url, timeout=2).status_code == 200,
            60,
            message="the published page to arrive at landing",
        )
        campaign_id = _campaign_id(stack)

        stack.kill("analytics-consumer")
        leave_leads(stack, LEADS)
        wait_until(
            lambda: unsent_candidate_events(stack) == 0,
            30,
            message="landing's relay to publish the leads (the consumer is down)",
        )
        assert leads_in_analytics(stack, campaign_id) == 0

        broker.kill()
        broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker-again.log")
        broker.start()
        stack.start("analytics-consumer", "analytics", "consume")

        wait_until(
            lambda: leads_in_analytics(stack, campaign_id) == LEADS,
            90,
            message="the forgotten leads to be published again and counted",
        )
        time.sleep(3)  # a second repair, or a redelivery, must not count them twice
        assert leads_in_analytics(stack, campaign_id) == LEADS
        assert "published events; publishing them again" in stack.logs()
    finally:
        stack.stop_all()
        broker.stop()
