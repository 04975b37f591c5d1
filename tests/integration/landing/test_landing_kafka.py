"""Landing against the real (embedded) broker: a page published on the campaign-state
topic becomes a live page; a lead sent on it reaches the candidate-events topic."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import (
    CAMPAIGN_STATE_TOPIC,
    CANDIDATE_EVENTS_TOPIC,
    new_envelope,
)
from koers.messaging.relay import OutboxRelay, run_until
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber
from koers.workers import build_consumer
from landing.config import Settings
from landing.handlers import HANDLERS
from landing.main import create_app
from landing.pages.repository import find_published_page
from tests.support.published_pages import lead_form_campaign

pytestmark = pytest.mark.integration


def wait_until(condition: Callable[[], Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def settings(make_migrated_database_url: Callable[[str], str], broker: EmbeddedBroker) -> Settings:
    url = make_migrated_database_url("landing")
    return Settings(
        database_url=url,
        secret_key="integration-secret",
        kafka_bootstrap_servers=broker.bootstrap_servers,
        min_fill_seconds=0,  # the test client sends the form at once
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[sa.Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def test_published_page_goes_live_and_a_lead_reaches_the_candidate_topic(
    settings: Settings, engine: sa.Engine
) -> None:
    campaign_id = f"cmp-{uuid.uuid4().hex[:8]}"
    slug = f"it-{campaign_id}"
    published = lead_form_campaign(slug, "Integratie")
    publisher = KafkaPublisher(settings.kafka_bootstrap_servers, client_id="it-campaigns")
    envelope = new_envelope(published, source="campaigns", tenant_id="t1", campaign_id=campaign_id)
    publisher.publish([(CAMPAIGN_STATE_TOPIC, campaign_id, envelope.to_bytes())], 15)

    consumer = build_consumer(
        engine,
        settings,
        group_id=f"landing-it-{uuid.uuid4().hex[:6]}",
        topics=[CAMPAIGN_STATE_TOPIC],
        handlers=HANDLERS,
    )
    stop = threading.Event()
    worker = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    worker.start()
    try:

        def page_is_live() -> bool:
            with engine.connect() as conn:
                return find_published_page(conn, slug) is not None

        wait_until(page_is_live)
    finally:
        stop.set()
        worker.join(timeout=30)

    with TestClient(create_app(settings)) as client:
        page = client.get(f"/j/{slug}?v=v1")
        assert page.status_code == 200
        href = re.search(r'data-entry="lead" href="([^"]+)"', page.text)
        assert href
        form = client.get(href.group(1).replace("&amp;", "&"))
        token = re.search(r'name="form_token" value="([^"]+)"', form.text)
        assert token
        sent = client.post(
            f"/j/{slug}/lead",
            data={
                "form_token": token.group(1),
                "name": "Integratie Kandidaat",
                "phone": "06 12345678",
                "contact_channel": "phone",
                "consent": "yes",
            },
            follow_redirects=False,
        )
        assert sent.status_code == 303

    relayed = run_until(30, OutboxRelay(engine, publisher))
    publisher.close()
    assert relayed == 3  # PageViewed, EntryStarted, LeadSubmitted

    reader = KafkaSubscriber(
        settings.kafka_bootstrap_servers,
        f"it-reader-{uuid.uuid4().hex[:6]}",
        [CANDIDATE_EVENTS_TOPIC],
    )
    seen: list[dict[str, Any]] = []
    try:

        def all_three_arrived() -> bool:
            for record in reader.poll(timeout_ms=500):
                event = json.loads(record.value or b"{}")
                if event.get("campaign_id") == campaign_id:
                    seen.append(event)
            return len(seen) >= 3

        wait_until(all_three_arrived)
    finally:
        reader.close()
    assert [e["type"] for e in seen] == ["PageViewed", "EntryStarted", "LeadSubmitted"]
    assert "Integratie Kandidaat" not in json.dumps(seen)
    assert "612345678" not in json.dumps(seen)
