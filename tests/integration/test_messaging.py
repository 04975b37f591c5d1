"""The chassis' outbox relay and consumer loop against the real broker and database."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from koers.broker import EmbeddedBroker
from koers.db import make_engine, transaction
from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    DEAD_LETTER_TOPIC,
    Envelope,
    PageViewed,
    new_envelope,
)
from koers.messaging.consumer import EventConsumer
from koers.messaging.outbox import add_to_outbox
from koers.messaging.relay import OutboxRelay, run_until
from koers.messaging.schema import MESSAGING_METADATA, outbox_table
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber

pytestmark = pytest.mark.integration

EFFECTS = sa.MetaData()
effects = sa.Table(
    "effects",
    EFFECTS,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("campaign_id", sa.String(64)),
    sa.Column("variant_id", sa.String(64)),
)


@pytest.fixture
def engine(make_database_url: Callable[[str], str]) -> Iterator[sa.Engine]:
    eng = make_engine(make_database_url("chassis"))
    MESSAGING_METADATA.create_all(eng)
    EFFECTS.create_all(eng)
    yield eng
    eng.dispose()


def page_view(campaign_id: str, variant: str = "instagram") -> Envelope:
    payload = PageViewed(variant_id=variant, visitor_key="v" * 64, visited_at=datetime.now(UTC))
    return new_envelope(payload, source="test", tenant_id="t", campaign_id=campaign_id)


def read_topic(
    broker: EmbeddedBroker,
    topic: str,
    match: Callable[[dict], bool],
    want: int,
    timeout_s: float = 30,
) -> list[dict]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    found: list[dict] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(found) < want:
            for messages in consumer.poll(timeout_ms=500).values():
                for message in messages:
                    document = json.loads(message.value)
                    if match(document):
                        found.append(document)
        # Linger briefly so that duplicates, if any, would show up too.
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            for messages in consumer.poll(timeout_ms=300).values():
                found.extend(d for m in messages if match(d := json.loads(m.value)))
    finally:
        consumer.close()
    return found


def test_relay_publishes_every_outbox_row_once_in_order(
    engine: sa.Engine, broker: EmbeddedBroker
) -> None:
    campaign = f"c-{uuid.uuid4().hex[:8]}"
    envelopes = [page_view(campaign) for _ in range(50)]
    with transaction(engine) as conn:
        add_to_outbox(conn, *envelopes)

    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="test-relay")
    try:
        assert run_until(30, OutboxRelay(engine, publisher, batch_size=20)) == 50
    finally:
        publisher.close()

    got = read_topic(broker, CANDIDATE_EVENTS_TOPIC, lambda d: d["campaign_id"] == campaign, 50)
    assert [d["event_id"] for d in got] == [str(e.event_id) for e in envelopes]
    with engine.connect() as conn:
        unsent = conn.execute(
            sa.select(sa.func.count()).where(outbox_table.c.sent_at.is_(None))
        ).scalar_one()
    assert unsent == 0


def test_a_rolled_back_change_publishes_nothing(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        add_to_outbox(conn, page_view("c-rollback"))
        raise RuntimeError("the change failed")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar_one() == 0


def test_two_relays_at_once_publish_each_event_once(
    engine: sa.Engine, broker: EmbeddedBroker
) -> None:
    campaign = f"c-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    publishers = [KafkaPublisher(broker.bootstrap_servers, client_id=f"r{i}") for i in range(2)]
    relays = [OutboxRelay(engine, p, batch_size=7, idle_sleep_s=0.05) for p in publishers]
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in relays]
    for thread in threads:
        thread.start()
    envelopes = []
    try:
        for _ in range(10):  # rows keep arriving while both relays run
            batch = [page_view(campaign) for _ in range(6)]
            envelopes += batch
            with transaction(engine) as conn:
                add_to_outbox(conn, *batch)
            time.sleep(0.05)
        got = read_topic(broker, CANDIDATE_EVENTS_TOPIC, lambda d: d["campaign_id"] == campaign, 60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        for publisher in publishers:
            publisher.close()
    assert [d["event_id"] for d in got] == [str(e.event_id) for e in envelopes]


def record_effect(conn: sa.Connection, envelope: Envelope) -> None:
    conn.execute(
        sa.insert(effects).values(
            event_id=str(envelope.event_id),
            campaign_id=envelope.campaign_id,
            variant_id=envelope.payload["variant_id"],
        )
    )


def test_consumer_applies_once_dead_letters_garbage_and_keeps_going(
    engine: sa.Engine, broker: EmbeddedBroker
) -> None:
    campaign = f"c-{uuid.uuid4().hex[:8]}"
    good = [page_view(campaign, variant=f"v{i % 3}") for i in range(30)]
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    key = campaign.encode()
    producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=b"{not json")
    for envelope in good[:15]:
        producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=envelope.to_bytes())
    producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=good[3].to_bytes())  # redelivery
    bad_payload = json.loads(good[0].to_bytes())
    bad_payload["event_id"] = str(uuid.uuid4())
    bad_payload["payload"]["visited_at"] = "yesterday"
    producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=json.dumps(bad_payload).encode())
    for envelope in good[15:]:
        producer.send(CANDIDATE_EVENTS_TOPIC, key=key, value=envelope.to_bytes())
    producer.flush()
    producer.close()

    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = EventConsumer(
        engine=engine,
        subscriber=KafkaSubscriber(broker.bootstrap_servers, group, [CANDIDATE_EVENTS_TOPIC]),
        dead_letters=KafkaPublisher(broker.bootstrap_servers, client_id="dlq"),
        group_id=group,
        handlers={"PageViewed": [record_effect]},
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        mine = {str(e.event_id) for e in good}
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                applied = set(conn.execute(sa.select(effects.c.event_id)).scalars())
            # The topic is shared with other tests: only this campaign's events matter.
            if mine <= applied:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(15)

    with engine.connect() as conn:
        rows = (
            conn.execute(sa.select(effects.c.event_id).where(effects.c.campaign_id == campaign))
            .scalars()
            .all()
        )
    assert sorted(rows) == sorted(str(e.event_id) for e in good)

    letters = read_topic(
        broker,
        DEAD_LETTER_TOPIC,
        lambda d: d["consumer_group"] == group and d["original_key"] == campaign,
        2,
    )
    reasons = sorted(letter["reason"] for letter in letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("PageViewed payload invalid: visited_at")
    assert reasons[1].startswith("not JSON")
