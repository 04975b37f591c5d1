"""Analytics unit fixtures: a migrated database and an in-memory stream to feed it.

``InMemoryStream`` and ``CollectingPublisher`` implement the ``Subscriber`` and
``Publisher`` protocols of ``koers.messaging``; events are applied by the real
``EventConsumer`` with the real handlers, exactly as the ``consume`` command does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.config import Settings
from analytics.facts.handlers import GROUP_ID, HANDLERS
from analytics.main import create_app
from koers.db import make_engine
from koers.events import (
    ApplicationSubmitted,
    CampaignGoal,
    CampaignPaused,
    CampaignPublished,
    Channel,
    CreativeFormat,
    EntryPoint,
    EntryStarted,
    Envelope,
    Guardrails,
    LeadOutcome,
    LeadOutcomeRecorded,
    LeadSubmitted,
    PageSnapshot,
    PageViewed,
    Payload,
    QuizCompleted,
    SpendRecorded,
    VariantChanged,
    VariantState,
    new_envelope,
)
from koers.messaging.consumer import EventConsumer
from koers.messaging.transport import Record

SERVICE_TOKEN = "unit-test-service-token"


class InMemoryStream:
    """A one-partition-per-topic log that a consumer polls, commits and seeks."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.position = 0
        self.committed: dict[tuple[str, int], int] = {}
        self.closed = False

    def append(self, topic: str, key: str, value: bytes) -> Record:
        offset = sum(1 for record in self.records if record.topic == topic)
        record = Record(topic, 0, offset, key.encode(), value)
        self.records.append(record)
        return record

    def poll(self, timeout_ms: int) -> list[Record]:
        batch = self.records[self.position :]
        self.position = len(self.records)
        return batch

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.committed.update(offsets)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        for index, record in enumerate(self.records):
            if (record.topic, record.partition, record.offset) == (topic, partition, offset):
                self.position = index
                return

    def close(self) -> None:
        self.closed = True


class CollectingPublisher:
    """Keeps what would have been published (the dead letters)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, bytes]] = []

    def publish(self, messages: Iterable[tuple[str, str, bytes]], timeout_s: float) -> None:
        self.messages.extend(messages)

    def close(self) -> None:
        pass


class Feed:
    """Puts events on the in-memory stream and lets the consumer apply what is new."""

    def __init__(
        self, engine: Engine, *, group_id: str = GROUP_ID, apply_in_batches: bool = True
    ) -> None:
        self.stream = InMemoryStream()
        self.dead_letters = CollectingPublisher()
        self.consumer = EventConsumer(
            engine=engine,
            subscriber=self.stream,
            dead_letters=self.dead_letters,
            group_id=group_id,
            handlers=HANDLERS,
            apply_in_batches=apply_in_batches,
        )

    def raw(self, topic: str, key: str, value: bytes) -> None:
        self.stream.append(topic, key, value)
        self.consumer.process(self.stream.poll(timeout_ms=0))

    def __call__(self, *envelopes: Envelope) -> None:
        for envelope in envelopes:
            self.stream.append(envelope.topic, envelope.campaign_id, envelope.to_bytes())
        self.consumer.process(self.stream.poll(timeout_ms=0))


class Events:
    """Builds the envelopes other services would send about one campaign."""

    def __init__(self, campaign_id: str, tenant_id: str = "tenant-1") -> None:
        self.campaign_id = campaign_id
        self.tenant_id = tenant_id

    def _wrap(self, payload: Payload, source: str, occurred_at: datetime | None) -> Envelope:
        return new_envelope(
            payload,
            source=source,
            tenant_id=self.tenant_id,
            campaign_id=self.campaign_id,
            occurred_at=occurred_at,
        )

    def _visitor(self) -> str:
        return uuid.uuid4().hex

    def page_viewed(
        self, variant_id: str, visited_at: datetime, visitor_key: str | None = None
    ) -> Envelope:
        payload = PageViewed(
            variant_id=variant_id,
            visitor_key=visitor_key or self._visitor(),
            visited_at=visited_at,
        )
        return self._wrap(payload, "landing", visited_at)

    def entry_started(
        self, variant_id: str, visited_at: datetime, entry_point: EntryPoint
    ) -> Envelope:
        payload = EntryStarted(
            variant_id=variant_id,
            visitor_key=self._visitor(),
            visited_at=visited_at,
            entry_point=entry_point,
        )
        return self._wrap(payload, "landing", visited_at)

    def quiz_completed(self, variant_id: str, visited_at: datetime, qualified: bool) -> Envelope:
        payload = QuizCompleted(
            variant_id=variant_id,
            visitor_key=self._visitor(),
            visited_at=visited_at,
            score=80 if qualified else 20,
            qualified=qualified,
        )
        return self._wrap(payload, "landing", visited_at)

    def lead_submitted(
        self,
        variant_id: str,
        visited_at: datetime,
        occurred_at: datetime | None = None,
        lead_id: str | None = None,
    ) -> Envelope:
        payload = LeadSubmitted(
            variant_id=variant_id,
            visitor_key=self._visitor(),
            visited_at=visited_at,
            lead_id=lead_id or uuid.uuid4().hex,
            contact_channel="whatsapp",
        )
        return self._wrap(payload, "landing", occurred_at or visited_at)

    def application_submitted(self, variant_id: str, visited_at: datetime) -> Envelope:
        payload = ApplicationSubmitted(
            variant_id=variant_id,
            visitor_key=self._visitor(),
            visited_at=visited_at,
            application_id=uuid.uuid4().hex,
        )
        return self._wrap(payload, "landing", visited_at)

    def lead_outcome(
        self, variant_id: str, visited_at: datetime, outcome: LeadOutcome, occurred_at: datetime
    ) -> Envelope:
        payload = LeadOutcomeRecorded(
            lead_id=uuid.uuid4().hex, variant_id=variant_id, outcome=outcome, visited_at=visited_at
        )
        return self._wrap(payload, "campaigns", occurred_at)

    def spend(
        self,
        variant_id: str,
        day: date,
        spend: float,
        impressions: int = 1000,
        clicks: int = 50,
        import_id: str = "import-1",
    ) -> Envelope:
        payload = SpendRecorded(
            variant_id=variant_id,
            day=day,
            spend=spend,
            impressions=impressions,
            clicks=clicks,
            import_id=import_id,
        )
        return self._wrap(payload, "campaigns", None)

    @staticmethod
    def variant(
        variant_id: str,
        live: bool = True,
        *,
        channel: Channel = "instagram",
        creative_format: CreativeFormat = "video",
        employee_generated: bool = False,
        tags: tuple[str, ...] = (),
        hook: str = "Werk dichtbij huis",
    ) -> VariantState:
        return VariantState(
            variant_id=variant_id,
            name=f"Creative {variant_id}",
            channel=channel,
            creative_format=creative_format,
            hook=hook,
            live=live,
            employee_generated=employee_generated,
            tags=tags,
        )

    def published(
        self,
        *variants: str | VariantState,
        weekly_budget: float = 700.0,
        goal: CampaignGoal = "lead",
        guardrails: Guardrails | None = None,
        starts_on: date | None = None,
        ends_on: date | None = None,
    ) -> Envelope:
        payload = CampaignPublished(
            slug="klantenservice",
            name="Klantenservice Utrecht",
            goal=goal,
            weekly_budget=weekly_budget,
            guardrails=guardrails or Guardrails(),
            starts_on=starts_on,
            ends_on=ends_on,
            page=PageSnapshot(
                version=1,
                employer_name="Demo BV",
                headline="Kom bij ons werken",
                intro="",
                entry_points=("quiz", "lead", "apply"),
            ),
            variants=tuple(v if isinstance(v, VariantState) else self.variant(v) for v in variants),
        )
        return self._wrap(payload, "campaigns", None)

    def paused(self) -> Envelope:
        return self._wrap(CampaignPaused(slug="klantenservice"), "campaigns", None)

    def variant_changed(self, variant_id: str, live: bool) -> Envelope:
        return self.variant_changed_to(self.variant(variant_id, live))

    def variant_changed_to(self, variant: VariantState) -> Envelope:
        payload = VariantChanged(slug="klantenservice", variant=variant)
        return self._wrap(payload, "campaigns", None)


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
def feed(engine: Engine) -> Feed:
    return Feed(engine)


@pytest.fixture
def new_feed(engine: Engine) -> Callable[[], Feed]:
    """Another consumer with its own stream, on the same database."""
    return lambda: Feed(engine)


@pytest.fixture
def feed_in_group(engine: Engine) -> Callable[[str, bool], Feed]:
    """A consumer of its own group (its own dedup records), in batch mode or not."""
    return lambda group_id, batches: Feed(engine, group_id=group_id, apply_in_batches=batches)


@pytest.fixture
def campaign_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def events(campaign_id: str) -> Events:
    return Events(campaign_id)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        service_token=SERVICE_TOKEN,
        kafka_bootstrap_servers="127.0.0.1:1",
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
