"""From events on the broker to a proposal on ``koers.allocations.v1``, with real parts.

Campaign state and facts are produced to the real broker and applied by the real
consumer; the proposal is computed over the API; the outbox relay publishes it; a
reader finds exactly one ``AllocationProposed`` even after the API was called twice.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, KafkaProducer
from sqlalchemy import Engine

from analytics.catalog.repository import campaign_state
from analytics.config import Settings
from analytics.facts.handlers import CONSUMED_TOPICS, HANDLERS
from analytics.main import create_app
from analytics.storage.schema import daily_delivery_table, weekly_funnel_table
from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import (
    ALLOCATIONS_TOPIC,
    CampaignPublished,
    Envelope,
    Guardrails,
    LeadSubmitted,
    PageSnapshot,
    Payload,
    SpendRecorded,
    VariantState,
    new_envelope,
)
from koers.messaging.consumer import EventConsumer
from koers.messaging.relay import OutboxRelay, run_until
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber

pytestmark = pytest.mark.integration

TOKEN = "integration-service-token"


@pytest.fixture
def database_url(make_migrated_database_url: Callable[[str], str]) -> str:
    url = make_migrated_database_url("analytics")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def consumer(broker: EmbeddedBroker, engine: Engine) -> Iterator[EventConsumer]:
    group_id = f"analytics-alloc-{uuid.uuid4().hex[:8]}"
    running = EventConsumer(
        engine=engine,
        subscriber=KafkaSubscriber(broker.bootstrap_servers, group_id, CONSUMED_TOPICS),
        dead_letters=KafkaPublisher(broker.bootstrap_servers, client_id=f"{group_id}-dlq"),
        group_id=group_id,
        handlers=HANDLERS,
    )
    stop = threading.Event()
    thread = threading.Thread(target=running.run, args=(stop,), daemon=True)
    thread.start()
    yield running
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def wrap(campaign_id: str, payload: Payload, source: str) -> Envelope:
    return new_envelope(payload, source=source, tenant_id="tenant-1", campaign_id=campaign_id)


def campaign_events(campaign_id: str) -> list[Envelope]:
    variants = tuple(
        VariantState(
            variant_id=variant,
            name=variant,
            channel=channel,  # type: ignore[arg-type]
            creative_format="video",
            hook="",
        )
        for variant, channel in (("ig", "instagram"), ("tt", "tiktok"))
    )
    published = CampaignPublished(
        slug="bench",
        name="Bench",
        goal="lead",
        weekly_budget=600.0,
        guardrails=Guardrails(exploration_share=0.1),
        page=PageSnapshot(
            version=1,
            employer_name="Demo",
            headline="Werk",
            intro="",
            entry_points=("lead",),
        ),
        variants=variants,
    )
    stream = [wrap(campaign_id, published, "campaigns")]
    for week in (45, 46, 47):
        monday = date.fromisocalendar(2026, week, 1)
        visited = datetime.combine(monday, datetime.min.time(), UTC) + timedelta(hours=9)
        for variant, leads in (("ig", 9), ("tt", 3)):
            spend = SpendRecorded(
                variant_id=variant,
                day=monday,
                spend=100.0,
                impressions=5000,
                clicks=80,
                import_id=f"i-{week}",
            )
            stream.append(wrap(campaign_id, spend, "campaigns"))
            stream.extend(
                wrap(
                    campaign_id,
                    LeadSubmitted(
                        variant_id=variant,
                        visitor_key=uuid.uuid4().hex,
                        visited_at=visited,
                        lead_id=uuid.uuid4().hex,
                        contact_channel="phone",
                    ),
                    "landing",
                )
                for _ in range(leads)
            )
    return stream


def allocation_events(broker: EmbeddedBroker, campaign_id: str, want: int) -> list[dict]:  # type: ignore[type-arg]
    reader = KafkaConsumer(
        ALLOCATIONS_TOPIC,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    found: list[dict] = []  # type: ignore[type-arg]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(found) < want:
            for messages in reader.poll(timeout_ms=500).values():
                found.extend(
                    d for m in messages if (d := json.loads(m.value))["campaign_id"] == campaign_id
                )
        end = time.monotonic() + 1.5  # a duplicate would show up now
        while time.monotonic() < end:
            for messages in reader.poll(timeout_ms=300).values():
                found.extend(
                    d for m in messages if (d := json.loads(m.value))["campaign_id"] == campaign_id
                )
    finally:
        reader.close()
    return found


def test_a_proposal_from_consumed_facts_is_published_once(
    broker: EmbeddedBroker, engine: Engine, database_url: str, consumer: EventConsumer
) -> None:
    campaign_id = f"c-{uuid.uuid4().hex[:12]}"
    stream = campaign_events(campaign_id)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    for envelope in stream:
        producer.send(envelope.topic, key=campaign_id.encode(), value=envelope.to_bytes())
    producer.flush()
    producer.close()

    def stored() -> tuple[int, float, bool]:
        """Leads, spend and whether the campaign's state arrived: the three topics are
        consumed independently, so any of them may come last."""
        with engine.connect() as conn:
            leads = conn.scalar(
                sa.select(sa.func.sum(weekly_funnel_table.c.leads)).where(
                    weekly_funnel_table.c.campaign_id == campaign_id
                )
            )
            spend = conn.scalar(
                sa.select(sa.func.sum(daily_delivery_table.c.spend)).where(
                    daily_delivery_table.c.campaign_id == campaign_id
                )
            )
            published = campaign_state(conn, campaign_id) is not None
        return int(leads or 0), float(spend or 0), published

    everything = (36, 600.0, True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and stored() != everything:
        time.sleep(0.2)
    assert stored() == everything

    settings = Settings(
        database_url=database_url,
        service_token=TOKEN,
        kafka_bootstrap_servers=broker.bootstrap_servers,
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings)) as client:
        first = client.post(f"/v1/campaigns/{campaign_id}/allocations/2026-W48", headers=auth)
        again = client.post(f"/v1/campaigns/{campaign_id}/allocations/2026-W48", headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    proposal = first.json()

    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="alloc-relay")
    try:
        assert run_until(30, OutboxRelay(engine, publisher)) == 1
    finally:
        publisher.close()

    (event,) = allocation_events(broker, campaign_id, want=1)
    assert event["type"] == "AllocationProposed" and event["source"] == "analytics"
    assert event["event_id"] == proposal["event_id"]
    assert event["payload"]["allocation"] == proposal["proposal"]["allocation"]
    assert event["payload"]["allocation"]["ig"] > event["payload"]["allocation"]["tt"]
    assert sum(event["payload"]["allocation"].values()) == pytest.approx(600.0, abs=0.01)
