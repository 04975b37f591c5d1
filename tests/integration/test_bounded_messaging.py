"""The relay lease's fencing token, and messaging tables that stay bounded.

A fake broker implements the real ``Publisher`` and ``TopicSizes`` interfaces (it counts
what it was sent, and can be made to stall); the databases are real, SQLite or
PostgreSQL per ``KOERS_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from koers.db import make_engine, transaction
from koers.events import utcnow
from koers.messaging.consumer import EventConsumer
from koers.messaging.outbox import add_to_outbox
from koers.messaging.relay import LeaseLost, OutboxRelay
from koers.messaging.schema import (
    MESSAGING_METADATA,
    outbox_table,
    processed_events_table,
    relay_lease_table,
    relay_topic_counts_table,
)
from koers.messaging.transport import Record
from tests.integration.test_messaging import page_view

pytestmark = pytest.mark.integration

TOPIC = "koers.candidate-events.v1"


class FakeBroker:
    """Appends what it is sent; ``stall`` holds a publish until released."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, bytes]] = []
        self.stall: threading.Event | None = None
        self.stalled = threading.Event()

    def publish(self, messages: Iterable[tuple[str, str, bytes]], timeout_s: float) -> None:
        batch = list(messages)
        if self.stall is not None:
            self.stalled.set()
            self.stall.wait(10)
        self.messages.extend(batch)

    def close(self) -> None:
        pass

    def message_counts(self, topics: Iterable[str]) -> dict[str, int]:
        return {t: sum(1 for m in self.messages if m[0] == t) for t in topics}


class Recorder:
    """A handler that remembers nothing but how many events it was given."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn: sa.Connection, envelope: object) -> None:
        self.count += 1


class ListSubscriber:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.committed: dict[tuple[str, int], int] = {}

    def poll(self, timeout_ms: int) -> list[Record]:
        records, self.records = self.records, []
        return records

    def commit(self, offsets: dict[tuple[str, int], int]) -> None:
        self.committed.update(offsets)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def engine(make_database_url: Callable[[str], str]) -> Iterator[sa.Engine]:
    eng = make_engine(make_database_url("bounded"))
    MESSAGING_METADATA.create_all(eng)
    yield eng
    eng.dispose()


def write_events(engine: sa.Engine, count: int) -> None:
    with transaction(engine) as conn:
        add_to_outbox(conn, *(page_view(f"c{n % 7}") for n in range(count)))


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def age(engine: sa.Engine, table: sa.Table, column: str, by: timedelta) -> None:
    """Move ``column`` back by ``by`` (in Python: SQLite has no datetime arithmetic)."""
    keys = [c.name for c in table.primary_key]
    with transaction(engine) as conn:
        rows = conn.execute(
            sa.select(*table.primary_key, table.c[column]).where(table.c[column].is_not(None))
        ).all()
        if rows:
            conn.execute(
                sa.update(table)
                .where(*(table.c[k] == sa.bindparam(f"k_{k}") for k in keys))
                .values({column: sa.bindparam("moment")}),
                [
                    {**{f"k_{k}": row[i] for i, k in enumerate(keys)}, "moment": row[-1] - by}
                    for row in rows
                ],
            )


def age_sent_rows(engine: sa.Engine, by: timedelta) -> None:
    age(engine, outbox_table, "sent_at", by)


def test_taking_over_the_lease_raises_its_token(engine: sa.Engine) -> None:
    first = OutboxRelay(
        engine, FakeBroker(), holder="first", lease_seconds=0.6, publish_timeout_s=0.1
    )
    second = OutboxRelay(
        engine, FakeBroker(), holder="second", lease_seconds=0.6, publish_timeout_s=0.1
    )
    assert first.acquire_lease() and first.token == 1
    assert first.acquire_lease() and first.token == 1  # a renewal keeps it
    assert not second.acquire_lease()
    with transaction(engine) as conn:  # the first relay's lease runs out
        conn.execute(sa.update(relay_lease_table).values(expires_at=utcnow() - timedelta(1)))
    assert second.acquire_lease() and second.token == 2


def test_a_stalled_relay_that_lost_the_lease_marks_nothing_sent(engine: sa.Engine) -> None:
    write_events(engine, 5)
    slow_broker, broker = FakeBroker(), FakeBroker()
    slow_broker.stall = threading.Event()
    stalled = OutboxRelay(engine, slow_broker, holder="stalled")
    other = OutboxRelay(engine, broker, holder="other")
    assert stalled.acquire_lease()
    outcome: list[BaseException | int] = []

    def publish() -> None:
        try:
            outcome.append(stalled.publish_batch())
        except LeaseLost as exc:
            outcome.append(exc)

    thread = threading.Thread(target=publish)
    thread.start()
    assert slow_broker.stalled.wait(5)
    with transaction(engine) as conn:  # the stall outlasts the lease
        conn.execute(sa.update(relay_lease_table).values(expires_at=utcnow() - timedelta(1)))
    assert other.acquire_lease()
    assert other.publish_batch() == 5
    slow_broker.stall.set()
    thread.join(10)

    assert len(outcome) == 1 and isinstance(outcome[0], LeaseLost)
    assert stalled.token is None
    with engine.connect() as conn:
        counts = {t: n for t, n in conn.execute(sa.select(relay_topic_counts_table))}
    assert counts == {TOPIC: 5}  # only the holder's batch counted
    assert not stalled.acquire_lease()  # and it stands by


def test_a_relay_publishes_only_with_enough_lease_left(engine: sa.Engine) -> None:
    write_events(engine, 3)
    broker = FakeBroker()
    relay = OutboxRelay(engine, broker, holder="r", lease_seconds=15, publish_timeout_s=5)
    assert relay.publish_batch() == 0  # no lease yet
    assert relay.acquire_lease()
    relay._lease_ends = 0.0  # as if the process had paused past its lease
    assert relay.publish_batch() == 0 and broker.messages == []
    assert relay.acquire_lease() and relay.publish_batch() == 3


def test_the_publish_timeout_must_be_well_within_the_lease(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="within the lease"):
        OutboxRelay(engine, FakeBroker(), lease_seconds=15, publish_timeout_s=15)


def test_the_broker_check_counts_what_was_sent_even_after_pruning(engine: sa.Engine) -> None:
    broker = FakeBroker()
    relay = OutboxRelay(engine, broker, topic_sizes=broker, holder="r", keep_sent=timedelta(days=7))
    write_events(engine, 10)
    assert relay.acquire_lease() and relay.publish_batch() == 10
    age_sent_rows(engine, timedelta(days=8))
    assert relay.prune_sent() == 10
    write_events(engine, 4)
    assert relay.publish_batch() == 4
    assert relay.republish_what_the_broker_lost() == {}  # 14 sent, 14 held

    del broker.messages[-2:]  # the broker lost the newest two
    assert relay.republish_what_the_broker_lost() == {TOPIC: 4}  # what the outbox still has
    assert relay.publish_batch() == 4
    assert relay.republish_what_the_broker_lost() == {}
    assert len(broker.messages) == 16  # 12 kept + the 4 refilled; consumers dedup


def test_old_dedup_rows_are_pruned_only_past_their_retention(engine: sa.Engine) -> None:
    recorder = Recorder()
    consumer = EventConsumer(
        engine=engine,
        subscriber=ListSubscriber(),
        dead_letters=FakeBroker(),
        group_id="g",
        handlers={"PageViewed": [recorder]},
        keep_processed=timedelta(days=14),
    )
    envelopes = [page_view("c") for _ in range(3)]
    consumer.process([record(n, e.model_dump_json().encode()) for n, e in enumerate(envelopes)])
    with transaction(engine) as conn:  # another group's rows are not this consumer's to prune
        conn.execute(
            sa.insert(processed_events_table).values(
                consumer_group="other", event_id=str(uuid.uuid4()), processed_at=utcnow()
            )
        )
    assert consumer.prune_processed(now=utcnow() + timedelta(days=13)) == 0
    assert consumer.prune_processed(now=utcnow() + timedelta(days=15)) == 3
    assert count(engine, processed_events_table) == 1


def record(offset: int, value: bytes) -> Record:
    return Record(TOPIC, 0, offset, b"c", value)


def test_table_sizes_stay_flat_over_a_long_stream(engine: sa.Engine) -> None:
    """Ten 'days' of 400 events each, relayed and consumed, with a retention of 2 days:
    the outbox and the dedup table stop growing once the retention is reached."""
    broker = FakeBroker()
    retention = timedelta(days=2)
    relay = OutboxRelay(engine, broker, topic_sizes=broker, holder="r", keep_sent=retention)
    recorder = Recorder()
    subscriber = ListSubscriber()
    consumer = EventConsumer(
        engine=engine,
        subscriber=subscriber,
        dead_letters=FakeBroker(),
        group_id="analytics",
        handlers={"PageViewed": [recorder]},
        keep_processed=2 * retention,
    )
    sizes: list[tuple[int, int]] = []
    consumed = 0
    for _day in range(10):
        write_events(engine, 400)
        assert relay.acquire_lease()
        while relay.publish_batch():
            pass
        fresh = broker.messages[consumed:]
        subscriber.records = [record(consumed + n, m[2]) for n, m in enumerate(fresh)]
        consumer.process(subscriber.poll(0))
        consumed = len(broker.messages)
        # A day passes: everything written so far is a day older.
        age_sent_rows(engine, timedelta(days=1))
        age(engine, processed_events_table, "processed_at", timedelta(days=1))
        relay.prune_sent()
        consumer.prune_processed()
        assert relay.republish_what_the_broker_lost() == {}
        sizes.append((count(engine, outbox_table), count(engine, processed_events_table)))

    assert recorder.count == 4000
    assert sizes[-1] == sizes[4] == sizes[8]  # flat from the fifth day on
    assert sizes[-1] == (400, 1200)  # a day within 2 days' retention; 3 days within 4
