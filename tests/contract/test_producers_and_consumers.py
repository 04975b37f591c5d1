"""Producers' real output validates against the committed JSON Schemas, and every
consumer of a topic applies it (nothing dead-lettered).

The events come from the services' own code paths (campaigns' demo seed and publish,
landing's pages and forms), not from hand-written examples.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import analytics
import campaigns
import landing
from analytics.facts.handlers import CONSUMED_TOPICS as ANALYTICS_TOPICS
from analytics.facts.handlers import HANDLERS as ANALYTICS_HANDLERS
from campaigns.handlers import HANDLERS as CAMPAIGNS_HANDLERS
from campaigns.seed import seed_demo
from koers.db import make_engine
from koers.events import (
    ALLOCATIONS_TOPIC,
    CAMPAIGN_STATE_TOPIC,
    EVENT_TYPES,
    AllocationProposed,
    Envelope,
    parse_envelope,
)
from koers.messaging.consumer import EventConsumer
from koers.messaging.schema import outbox_table
from koers.messaging.transport import Record
from landing.config import Settings as LandingSettings
from landing.handlers import HANDLERS as LANDING_HANDLERS
from landing.main import create_app as create_landing
from tests.support.html import hidden_fields
from tests.support.passwords import FAST_PASSWORD_HASHER

pytestmark = pytest.mark.contract

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
# The console's follow-up events need a recruiter's clicks; their producer is checked
# against these schemas and the analytics consumer in
# tests/unit/campaigns/test_leads_followup_pages.py.
NOT_PRODUCED_YET = {
    "CampaignPaused",
    "VariantChanged",
    "LeadOutcomeRecorded",
    "LeadContacted",
    "LeadReplied",
    "AllocationProposed",
}


class ListSubscriber:
    """A Subscriber over a fixed list of records (implements the consumer's interface)."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self.committed: dict[tuple[str, int], int] = {}

    def poll(self, timeout_ms: int) -> list[Record]:
        records, self.records = self.records, []
        return records

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.committed.update(offsets)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        raise AssertionError("no transient failure expected")

    def close(self) -> None:
        pass


class CollectingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, bytes]] = []

    def publish(self, messages: Any, timeout_s: float = 15) -> None:
        self.published.extend(messages)

    def close(self) -> None:
        pass


def migrated(make_migrated_database_url: Callable[[str], str], package: Any) -> sa.Engine:
    url = make_migrated_database_url(package.__name__)
    return make_engine(url)


def outbox(engine: sa.Engine) -> list[Envelope]:
    with engine.connect() as conn:
        values = conn.execute(sa.select(outbox_table.c.value).order_by(outbox_table.c.id))
        return [parse_envelope(v.encode()) for v in values.scalars()]


def consume(engine: sa.Engine, group: str, handlers: Any, events: list[Envelope]) -> EventConsumer:
    records = [
        Record(e.topic, 0, offset, e.campaign_id.encode(), e.to_bytes())
        for offset, e in enumerate(events)
    ]
    consumer = EventConsumer(
        engine=engine,
        subscriber=ListSubscriber(records),
        dead_letters=CollectingPublisher(),
        group_id=group,
        handlers=handlers,
    )
    consumer.process(records)
    return consumer


def validate_against_committed_schemas(envelope: Envelope) -> None:
    document = json.loads(envelope.to_bytes())
    envelope_schema = json.loads((CONTRACTS / "envelope.schema.json").read_text())
    jsonschema.validate(document, envelope_schema)
    payload_schema = json.loads((CONTRACTS / f"{envelope.type}.v1.schema.json").read_text())
    jsonschema.validate(document["payload"], payload_schema)
    assert payload_schema["x-koers-topic"] == envelope.topic


@pytest.fixture
def produced(
    make_migrated_database_url: Callable[[str], str], tmp_path: Path
) -> Iterator[list[Envelope]]:
    """Every event the services produce today, from their real code paths."""
    campaigns_db = migrated(make_migrated_database_url, campaigns)
    landing_db = migrated(make_migrated_database_url, landing)
    seed_demo(
        campaigns_db,
        var_dir=tmp_path,
        console_url="http://console",
        demo_password="contract-test",
        today=date(2026, 11, 23),
        now=datetime(2026, 11, 23, 9, tzinfo=UTC),
        password_hasher=FAST_PASSWORD_HASHER,
    )
    from_campaigns = outbox(campaigns_db)
    state = [e for e in from_campaigns if e.topic == CAMPAIGN_STATE_TOPIC]
    landing_consumer = consume(landing_db, "landing", LANDING_HANDLERS, state)
    assert landing_consumer.dead_lettered == 0
    assert landing_consumer.applied == len(state)

    settings = LandingSettings(
        database_url=str(landing_db.url.render_as_string(hide_password=False)),
        secret_key="contract",
        service_token="t",
        kafka_bootstrap_servers="127.0.0.1:1",
        min_fill_seconds=0,  # a script, not a person, fills these forms
        cv_dir=tmp_path / "cvs",
    )
    with TestClient(create_landing(settings)) as client:
        base = "/j/demo-klantenservice"
        assert client.get(base, params={"v": "linkedin"}).status_code == 200
        for entry in ("lead", "apply"):
            form = client.get(f"{base}/{entry}", params={"v": "linkedin"})
            answer = client.post(
                f"{base}/{entry}",
                params={"v": "linkedin"},
                data={
                    **hidden_fields(form.text),
                    "name": "Contract Test",
                    "phone": "+31 6 12345678",
                    "email": "contract@example.org",
                    "contact_channel": "phone",
                    "consent": "yes",
                },
                files={"cv": ("cv.pdf", _minimal_pdf())} if entry == "apply" else None,
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
        # The quiz asks one question per page until the last answer is sent.
        step = client.get(f"{base}/quiz", params={"v": "linkedin"})
        for _ in range(20):
            radios: dict[str, str] = {}
            for line in step.text.split("<input")[1:]:
                if 'type="radio"' in line:
                    name = line.split('name="', 1)[1].split('"', 1)[0]
                    radios.setdefault(name, line.split('value="', 1)[1].split('"', 1)[0])
            step = client.post(
                f"{base}/quiz", data={**hidden_fields(step.text), **radios}, follow_redirects=False
            )
            assert step.status_code == 303, step.text
            location = step.headers["location"]
            # Post/redirect/get: an answered step redirects to the next question's page;
            # the last answer redirects elsewhere (the result).
            if "/quiz?" not in location:
                break
            step = client.get(location)
        assert step.status_code == 303 and "/quiz?" not in step.headers["location"], step.text
    yield from_campaigns + outbox(landing_db)
    campaigns_db.dispose()
    landing_db.dispose()


def test_every_produced_event_matches_the_committed_contracts(produced: list[Envelope]) -> None:
    for envelope in produced:
        validate_against_committed_schemas(envelope)
    produced_types = {e.type for e in produced}
    assert produced_types == set(EVENT_TYPES) - NOT_PRODUCED_YET, (
        "a new producer exists: take its type out of NOT_PRODUCED_YET"
    )


def test_every_consumer_applies_what_the_producers_emit(
    produced: list[Envelope], make_migrated_database_url: Callable[[str], str]
) -> None:
    analytics_db = migrated(make_migrated_database_url, analytics)
    for_analytics = [e for e in produced if e.topic in ANALYTICS_TOPICS]
    consumer = consume(analytics_db, "analytics", ANALYTICS_HANDLERS, for_analytics)
    assert consumer.dead_lettered == 0
    assert consumer.applied == len(for_analytics) > 100
    analytics_db.dispose()


def test_campaigns_applies_a_schema_valid_allocation_proposal(
    produced: list[Envelope], make_migrated_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    # Analytics produces proposals in a later issue; until then, prove the consumer side
    # with a document that the committed schema accepts, for the seeded campaign.
    published = next(e for e in produced if e.type == "CampaignPublished")
    from koers.events import EarlierCampaigns, new_envelope

    proposal = new_envelope(
        AllocationProposed(
            week="2026-W49",
            budget=700.0,
            allocation={"instagram": 300.0, "tiktok": 200.0, "linkedin": 100.0, "facebook": 100.0},
            p_best={"instagram": 0.6, "tiktok": 0.3, "linkedin": 0.05, "facebook": 0.05},
            explanation=("Instagram brought the most leads per euro.",),
            reasons={"instagram": "It is most likely the best creative."},
            expected_conversions=41.5,
            equal_split_expected_conversions=36.0,
            earlier_campaigns=EarlierCampaigns(
                campaigns=3, creatives=11, weight=0.4, disagreement=1.2
            ),
        ),
        source="analytics",
        tenant_id=published.tenant_id,
        campaign_id=published.campaign_id,
    )
    validate_against_committed_schemas(proposal)
    assert proposal.topic == ALLOCATIONS_TOPIC
    campaigns_db = migrated(make_migrated_database_url, campaigns)
    seed_demo(
        campaigns_db,
        var_dir=tmp_path / "again",
        console_url="http://console",
        demo_password="contract-test",
        today=date(2026, 11, 23),
        now=datetime(2026, 11, 23, 9, tzinfo=UTC),
        password_hasher=FAST_PASSWORD_HASHER,
    )
    # The seed makes new ids on a fresh database: address the proposal to this one.
    seeded = next(e for e in outbox(campaigns_db) if e.type == "CampaignPublished")
    proposal = proposal.model_copy(
        update={"tenant_id": seeded.tenant_id, "campaign_id": seeded.campaign_id}
    )
    consumer = consume(campaigns_db, "campaigns", CAMPAIGNS_HANDLERS, [proposal])
    assert (consumer.applied, consumer.dead_lettered) == (1, 0)
    campaigns_db.dispose()


def _minimal_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
