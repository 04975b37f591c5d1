"""Two and three analytics consumers in one group split the partitions and produce exactly
the facts one consumer produces from the same stream, and a group whose members change
mid-stream loses and duplicates nothing (the real broker, the real handlers; each setup
has its own database, as each deployment would)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from kafka import KafkaProducer

from analytics.facts.handlers import CONSUMED_TOPICS, HANDLERS
from analytics.storage.schema import (
    daily_delivery_table,
    weekly_funnel_table,
)
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
from koers.messaging.schema import processed_events_table
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber, Record

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


class SeenPartitions:
    """A real subscriber that remembers which partitions its records came from."""

    def __init__(self, inner: KafkaSubscriber) -> None:
        self.inner = inner
        self.partitions: set[tuple[str, int]] = set()
        self.keyed: dict[bytes, set[tuple[str, int]]] = {}

    def poll(self, timeout_ms: int) -> list[Record]:
        records = self.inner.poll(timeout_ms)
        self.partitions |= {(r.topic, r.partition) for r in records}
        for record in records:
            self.keyed.setdefault(record.key or b"", set()).add((record.topic, record.partition))
        return records

    def partitions_of(self, keys: set[str]) -> set[tuple[str, int]]:
        """Where this member read records keyed by ``keys`` (this test's campaigns: the
        session's broker also holds other tests' records, read while the group formed)."""
        return set().union(*(self.keyed.get(key.encode(), set()) for key in keys))

    def commit(self, offsets: Any) -> None:
        self.inner.commit(offsets)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self.inner.seek(topic, partition, offset)

    def close(self) -> None:
        self.inner.close()

    def assigned(self) -> bool:
        return bool(self.assignment())  # the group has given it partitions

    def assignment(self) -> set[tuple[str, int]]:
        return {(p.topic, p.partition) for p in self.inner._consumer.assignment()}


def settled(members: list[SeenPartitions], partitions: int) -> bool:
    """Every member holds partitions, no partition is held twice, none is left out."""
    held = [member.assignment() for member in members]
    return all(held) and sum(map(len, held)) == len(set().union(*held)) == partitions


@pytest.fixture
def make_engine_for(
    make_migrated_database_url: Callable[[str], str],
) -> Iterator[Callable[[], sa.Engine]]:
    engines: list[sa.Engine] = []

    def make() -> sa.Engine:
        url = make_migrated_database_url("analytics")
        engines.append(make_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def stream(campaigns: int = 40) -> list[tuple[str, str, bytes]]:
    """Views, leads and spend of many campaigns (keys spread over the partitions), with
    some messages sent twice as a producer retry would."""
    rng = random.Random(15)
    messages: list[tuple[str, str, bytes]] = []

    def add(topic: str, campaign_id: str, payload: Payload) -> None:
        envelope: Envelope = new_envelope(
            payload, source="landing", tenant_id="t", campaign_id=campaign_id
        )
        messages.append((topic, campaign_id, envelope.to_bytes()))

    for n in range(campaigns):
        campaign_id = f"scale-{n}-{uuid.uuid4().hex[:6]}"
        for v in range(10):
            visited = MONDAY + timedelta(days=rng.randrange(14), minutes=v)
            visit = {"variant_id": rng.choice(["ig", "tt"]), "visitor_key": uuid.uuid4().hex}
            add(CANDIDATE_EVENTS_TOPIC, campaign_id, PageViewed(**visit, visited_at=visited))
            if v % 4 == 0:
                add(
                    CANDIDATE_EVENTS_TOPIC,
                    campaign_id,
                    LeadSubmitted(
                        **visit,
                        visited_at=visited,
                        lead_id=uuid.uuid4().hex,
                        contact_channel="phone",
                    ),
                )
        for day in range(3):
            add(
                DELIVERY_TOPIC,
                campaign_id,
                SpendRecorded(
                    variant_id="ig",
                    day=date(2026, 11, 16) + timedelta(days=day),
                    spend=10 + day,
                    impressions=1000,
                    clicks=40 + day,
                    import_id="import-1",
                ),
            )
    duplicates = rng.sample(messages, len(messages) // 20)
    return messages + duplicates


def produce(broker: EmbeddedBroker, messages: list[tuple[str, str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    try:
        for topic, key, value in messages:
            producer.send(topic, key=key.encode(), value=value)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=5)


def start(
    broker: EmbeddedBroker, engine: sa.Engine, group_id: str, stop: threading.Event
) -> tuple[EventConsumer, SeenPartitions, threading.Thread]:
    subscriber = SeenPartitions(
        KafkaSubscriber(broker.bootstrap_servers, group_id, CONSUMED_TOPICS)
    )
    consumer = EventConsumer(
        engine=engine,
        subscriber=subscriber,
        dead_letters=KafkaPublisher(broker.bootstrap_servers, client_id=f"{group_id}-dlq"),
        group_id=group_id,
        handlers=HANDLERS,
    )
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    return consumer, subscriber, thread


def event_ids(messages: list[tuple[str, str, bytes]]) -> set[str]:
    return {str(Envelope.model_validate_json(value).event_id) for _t, _k, value in messages}


def applied(engine: sa.Engine, group_id: str, ids: set[str]) -> int:
    """How many of ``ids`` the group has applied (the session's broker also holds other
    tests' events, which a fresh group reads as well)."""
    table = processed_events_table
    with engine.connect() as conn:
        done = conn.scalars(
            sa.select(table.c.event_id).where(table.c.consumer_group == group_id)
        ).all()
    return len(ids.intersection(done))


def facts(engine: sa.Engine, campaign_ids: set[str]) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(
                tuple(row)
                for row in conn.execute(
                    sa.select(table).where(table.c.campaign_id.in_(campaign_ids))
                )
            )
            for table in (weekly_funnel_table, daily_delivery_table)
        }


def wait_until(condition: Callable[[], bool], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not true within {timeout_s}s")


@pytest.mark.parametrize("members", [2, 3])
def test_consumers_in_one_group_make_exactly_the_facts_of_one(
    broker: EmbeddedBroker, make_engine_for: Callable[[], sa.Engine], members: int
) -> None:
    messages = stream()
    ids = event_ids(messages)
    unique = len(ids)
    campaign_ids = {key for _t, key, _v in messages}
    one_db, group_db = make_engine_for(), make_engine_for()
    one_group, group = (f"analytics-{uuid.uuid4().hex[:8]}" for _ in range(2))
    partitions = 3 * len(CONSUMED_TOPICS)  # the embedded broker's topics have 3 each
    stop = threading.Event()
    single = start(broker, one_db, one_group, stop)
    crowd = [start(broker, group_db, group, stop) for _ in range(members)]
    seen = [subscriber for _c, subscriber, _t in crowd]
    try:
        # Every member holds its share before anything is produced, so the work is split.
        wait_until(lambda: settled(seen, partitions))
        split = [subscriber.assignment() for subscriber in seen]
        produce(broker, messages)
        wait_until(lambda: applied(one_db, one_group, ids) >= unique)
        wait_until(lambda: applied(group_db, group, ids) >= unique)
    finally:
        stop.set()
        for _consumer, _subscriber, thread in (single, *crowd):
            thread.join(timeout=30)

    for topic in CONSUMED_TOPICS:  # each member holds its share of every topic
        held = sorted(sum(1 for t, _p in share if t == topic) for share in split)
        assert held[0] >= 3 // members and held[-1] <= -(-3 // members), (topic, split)
    assert all(consumer.applied > 0 for consumer, _s, _t in crowd), "each did part of the work"
    for share, subscriber in zip(split, seen, strict=True):
        assert subscriber.partitions_of(campaign_ids) <= share  # only its own partitions
    assert applied(one_db, one_group, ids) == applied(group_db, group, ids) == unique
    expected = facts(one_db, campaign_ids)
    assert expected["weekly_funnel"] and expected["daily_delivery"]
    assert facts(group_db, campaign_ids) == expected


def test_a_consumer_added_and_one_removed_mid_stream_lose_and_duplicate_nothing(
    broker: EmbeddedBroker, make_engine_for: Callable[[], sa.Engine]
) -> None:
    messages = stream(campaigns=60)
    ids = event_ids(messages)
    unique = len(ids)
    campaign_ids = {key for _t, key, _v in messages}
    one_db, changing_db = make_engine_for(), make_engine_for()
    one_group, changing_group = (f"analytics-{uuid.uuid4().hex[:8]}" for _ in range(2))
    stop_single, stop_first, stop_second = (threading.Event() for _ in range(3))
    single = start(broker, one_db, one_group, stop_single)
    first = start(broker, changing_db, changing_group, stop_first)
    third = len(messages) // 3
    try:
        wait_until(first[1].assigned)
        produce(broker, messages[:third])
        wait_until(lambda: applied(changing_db, changing_group, ids) > 0)
        second = start(broker, changing_db, changing_group, stop_second)  # one joins
        produce(broker, messages[third : 2 * third])
        wait_until(second[1].assigned)
        stop_first.set()  # and the first leaves while records are still coming
        first[2].join(timeout=30)
        produce(broker, messages[2 * third :])
        wait_until(lambda: applied(one_db, one_group, ids) >= unique)
        wait_until(lambda: applied(changing_db, changing_group, ids) >= unique)
    finally:
        for event in (stop_single, stop_first, stop_second):
            event.set()
        for _consumer, _subscriber, thread in (single, first, second):
            thread.join(timeout=30)

    # Records redelivered after each rebalance were skipped by dedup: the facts below
    # would count them twice otherwise.
    assert first[0].applied > 0 and second[0].applied > 0
    assert applied(changing_db, changing_group, ids) == unique
    expected = facts(one_db, campaign_ids)
    assert facts(changing_db, campaign_ids) == expected
