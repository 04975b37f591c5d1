"""The campaigns relay and consumer against the real broker and database."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer

from campaigns.demo import DEMO_EMAIL, DEMO_SLUG
from campaigns.handlers import HANDLERS, TOPICS
from campaigns.seed import seed_demo
from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import (
    CAMPAIGN_STATE_TOPIC,
    AllocationProposed,
    CampaignPublished,
    new_envelope,
    parse_envelope,
)
from koers.messaging.relay import OutboxRelay, run_until
from koers.messaging.transport import KafkaPublisher
from koers.settings import KoersSettings
from koers.workers import build_consumer
from tests.support import campaigns_db as repo
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def seeded_engine(
    make_migrated_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[sa.Engine]:
    url = make_migrated_database_url("campaigns")
    engine = make_engine(url)
    seed_demo(
        engine,
        var_dir=tmp_path,
        console_url="http://c",
        demo_password="integration-password",
        today=date(2026, 11, 23),
        now=NOW,
        password_hasher=FAST_PASSWORD_HASHER,
    )
    yield engine
    engine.dispose()


def demo_ids(engine: sa.Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        user = repo.user_by_email(conn, DEMO_EMAIL)
        assert user is not None
        [membership] = repo.memberships_of(conn, user.id)
        campaign = repo.campaign_by_slug(conn, membership.tenant_id, DEMO_SLUG)
        assert campaign is not None
    return membership.tenant_id, campaign.id


def test_the_relay_publishes_the_seeded_campaign(
    broker: EmbeddedBroker, seeded_engine: sa.Engine
) -> None:
    _, campaign_id = demo_ids(seeded_engine)
    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="campaigns-relay-test")
    try:
        assert run_until(30, OutboxRelay(seeded_engine, publisher)) == 1 + 4 * 4 * 7
    finally:
        publisher.close()

    reader = KafkaConsumer(
        CAMPAIGN_STATE_TOPIC,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    found = None
    deadline = time.monotonic() + 30
    try:
        while found is None and time.monotonic() < deadline:
            for messages in reader.poll(timeout_ms=500).values():
                for message in messages:
                    if message.key == campaign_id.encode():
                        found = parse_envelope(message.value)
    finally:
        reader.close()
    assert found is not None, "CampaignPublished did not reach the broker"
    payload = found.typed_payload()
    assert isinstance(payload, CampaignPublished) and payload.slug == DEMO_SLUG


def test_the_consumer_stores_an_allocation_proposal_once(
    broker: EmbeddedBroker, seeded_engine: sa.Engine
) -> None:
    tenant_id, campaign_id = demo_ids(seeded_engine)
    week = "2026-W48"
    envelope = new_envelope(
        AllocationProposed(
            week=week,
            budget=1000.0,
            allocation={"instagram": 0.3, "tiktok": 0.4, "linkedin": 0.1, "facebook": 0.2},
            p_best={"instagram": 0.2, "tiktok": 0.6, "linkedin": 0.05, "facebook": 0.15},
            explanation=("TikTok's leads cost the least per euro.",),
        ),
        source="analytics",
        tenant_id=tenant_id,
        campaign_id=campaign_id,
    )
    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="analytics-test")
    try:
        # delivered twice, as after a relay crash between publish and mark-sent
        value = envelope.to_bytes()
        publisher.publish([(envelope.topic, campaign_id, value)] * 2)
    finally:
        publisher.close()

    settings = KoersSettings(kafka_bootstrap_servers=broker.bootstrap_servers)
    consumer = build_consumer(
        seeded_engine,
        settings,
        group_id=f"campaigns-{uuid.uuid4().hex[:8]}",
        topics=TOPICS,
        handlers=HANDLERS,
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while consumer.duplicates < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(15)

    with seeded_engine.connect() as conn:
        stored = repo.allocation_proposal(conn, campaign_id, week)
        rows = conn.execute(
            sa.select(sa.func.count()).select_from(repo.allocation_proposals)
        ).scalar_one()
    assert stored is not None and stored["allocation"]["tiktok"] == 0.4
    assert rows == 1
    assert consumer.duplicates == 1
