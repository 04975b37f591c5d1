"""Events produced to the real broker reach the funnel through the real consumer."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from sqlalchemy import Engine

from analytics.config import Settings
from analytics.errors import CampaignNotFound
from analytics.facts import queries
from analytics.facts.handlers import CONSUMED_TOPICS, HANDLERS
from analytics.main import create_app
from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    DELIVERY_TOPIC,
    Envelope,
    LeadSubmitted,
    PageViewed,
    Payload,
    SpendRecorded,
    new_envelope,
)
from koers.messaging.consumer import EventConsumer
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber

pytestmark = pytest.mark.integration

VISIT_W47 = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
VISIT_W48 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
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
def running_consumer(broker: EmbeddedBroker, engine: Engine) -> Iterator[EventConsumer]:
    """The analytics consumer on the real broker, in a thread, stopped after the test."""
    group_id = f"analytics-it-{uuid.uuid4().hex[:8]}"  # a fresh group reads from the start
    consumer = EventConsumer(
        engine=engine,
        subscriber=KafkaSubscriber(broker.bootstrap_servers, group_id, CONSUMED_TOPICS),
        dead_letters=KafkaPublisher(broker.bootstrap_servers, client_id=f"{group_id}-dlq"),
        group_id=group_id,
        handlers=HANDLERS,
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    yield consumer
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the consumer did not stop"


def produce(broker: EmbeddedBroker, messages: list[tuple[str, str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    try:
        for topic, key, value in messages:
            producer.send(topic, key=key.encode(), value=value).get(timeout=15)
    finally:
        producer.close(timeout=5)


def envelope(campaign_id: str, payload: Payload) -> Envelope:
    return new_envelope(payload, source="landing", tenant_id="tenant-1", campaign_id=campaign_id)


def wait_until(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not true within {timeout_s}s")


def test_produced_events_arrive_in_the_weekly_funnel(
    broker: EmbeddedBroker,
    engine: Engine,
    database_url: str,
    running_consumer: EventConsumer,
) -> None:
    campaign_id = f"c-{uuid.uuid4().hex[:12]}"
    visit = {"variant_id": "ig", "visitor_key": uuid.uuid4().hex}
    viewed = envelope(campaign_id, PageViewed(**visit, visited_at=VISIT_W47))
    broken = json.loads(viewed.to_bytes())
    broken["type"] = "PageDeleted"
    late_lead = envelope(
        campaign_id,
        LeadSubmitted(**visit, visited_at=VISIT_W47, lead_id="lead-1", contact_channel="phone"),
    )
    messages = [
        (CANDIDATE_EVENTS_TOPIC, campaign_id, viewed.to_bytes()),
        (CANDIDATE_EVENTS_TOPIC, campaign_id, viewed.to_bytes()),  # redelivered: counted once
        (CANDIDATE_EVENTS_TOPIC, campaign_id, json.dumps(broken).encode()),  # dead-lettered
        (
            CANDIDATE_EVENTS_TOPIC,
            campaign_id,
            envelope(campaign_id, PageViewed(**visit, visited_at=VISIT_W48)).to_bytes(),
        ),
        (CANDIDATE_EVENTS_TOPIC, campaign_id, late_lead.to_bytes()),
        (
            DELIVERY_TOPIC,
            campaign_id,
            envelope(
                campaign_id,
                SpendRecorded(
                    variant_id="ig",
                    day=date(2026, 11, 17),
                    spend=12.5,
                    impressions=2000,
                    clicks=80,
                    import_id="import-1",
                ),
            ).to_bytes(),
        ),
    ]
    produce(broker, messages)

    def arrived() -> bool:
        try:
            funnel = queries.campaign_funnel(engine, campaign_id)
        except CampaignNotFound:
            return False
        weeks = dict(funnel.variants[0].weeks)
        return (
            "2026-W48" in weeks and weeks["2026-W47"].leads == 1 and weeks["2026-W47"].clicks == 80
        )

    wait_until(arrived)

    settings = Settings(
        database_url=database_url,
        service_token=TOKEN,
        kafka_bootstrap_servers=broker.bootstrap_servers,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get(
            f"/v1/campaigns/{campaign_id}/funnel", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code == 200
    (ig,) = response.json()["variants"]
    w47, w48 = ig["weeks"]
    assert (w47["week"], w47["visits"], w47["leads"], w47["spend"]) == ("2026-W47", 1, 1, 12.5)
    assert (w48["week"], w48["visits"], w48["leads"]) == ("2026-W48", 1, 0)
    assert running_consumer.dead_lettered >= 1
    assert running_consumer.duplicates >= 1
