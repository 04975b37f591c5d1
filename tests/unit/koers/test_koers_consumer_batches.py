"""The consumer's batch path: a polled batch applied in one transaction, or split.

A real database (SQLite, or PostgreSQL with KOERS_TEST_DATABASE_URL) and the real
``EventConsumer``; the subscriber and the dead-letter publisher are the small fakes of
``tests/support/fake_stream.py`` (the chassis' ``Subscriber``/``Publisher`` protocols;
the Kafka path is covered by tests/integration/test_messaging_batch_crash.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from koers.db import make_engine
from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    DELIVERY_TOPIC,
    Envelope,
    InvalidEvent,
    PageViewed,
    new_envelope,
)
from koers.messaging.consumer import EventConsumer, RetryFrom
from koers.messaging.schema import MESSAGING_METADATA, processed_events_table
from tests.support.fake_stream import Letters, Stream, records

pytestmark = pytest.mark.unit

GROUP = "batch-test"
EFFECTS = sa.MetaData()
effects = sa.Table(
    "effects",
    EFFECTS,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("variant_id", sa.String(64), nullable=False),
)


class RecordEffect:
    """A plain per-event handler: one row per event (a second row would violate the key)."""

    def __init__(self, fail_on: str | None = None, invalid_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.invalid_on = invalid_on
        self.calls = 0

    def __call__(self, conn: Connection, envelope: Envelope) -> None:
        self.calls += 1
        variant = envelope.payload["variant_id"]
        if variant == self.invalid_on:
            raise InvalidEvent(f"variant {variant} is refused")
        if variant == self.fail_on:
            raise ConnectionError("the database went away")
        conn.execute(sa.insert(effects).values(event_id=str(envelope.event_id), variant_id=variant))


class RecordEffects(RecordEffect):
    """The same effect as a batch handler: one executemany for a run of events."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[int] = []

    def apply_many(self, conn: Connection, envelopes: Sequence[Envelope]) -> None:
        self.runs.append(len(envelopes))
        conn.execute(
            sa.insert(effects),
            [
                {"event_id": str(e.event_id), "variant_id": e.payload["variant_id"]}
                for e in envelopes
            ],
        )


@pytest.fixture
def engine(make_database_url: Callable[[str], str]) -> Iterator[sa.Engine]:
    engine = make_engine(make_database_url("chassis"))
    MESSAGING_METADATA.create_all(engine)
    EFFECTS.create_all(engine)
    yield engine
    engine.dispose()


def view(variant: str = "ig") -> Envelope:
    payload = PageViewed(variant_id=variant, visitor_key="v" * 32, visited_at=datetime.now(UTC))
    return new_envelope(payload, source="test", tenant_id="t", campaign_id="c1")


def consumer(
    engine: sa.Engine, stream: Stream, handler: object, letters: Letters | None = None
) -> EventConsumer:
    return EventConsumer(
        engine=engine,
        subscriber=stream,
        dead_letters=letters or Letters(),
        group_id=GROUP,
        handlers={"PageViewed": [handler]},  # type: ignore[list-item]
    )


def stored(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(sa.select(effects.c.event_id)))


def processed(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(sa.select(processed_events_table.c.event_id)))


def test_a_batch_is_applied_once_with_its_dedup_rows_and_then_committed(
    engine: sa.Engine,
) -> None:
    events = [view(f"v{i}") for i in range(20)]
    batch = records(*(e.to_bytes() for e in events), events[3].to_bytes())  # one redelivered
    stream = Stream(batch)
    handler = RecordEffect()
    subject = consumer(engine, stream, handler)

    subject.process(stream.poll(0))

    ids = sorted(str(e.event_id) for e in events)
    assert stored(engine) == ids and processed(engine) == ids
    assert (subject.applied, subject.duplicates, handler.calls) == (20, 1, 20)
    assert stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 21}

    subject.process(stream.poll(0))  # the whole batch again, e.g. after a rebalance

    assert stored(engine) == ids
    assert (subject.applied, subject.duplicates, handler.calls) == (20, 22, 20)


def test_a_transient_failure_mid_batch_leaves_nothing_half_applied(engine: sa.Engine) -> None:
    events = [view("ig"), view("ig"), view("broken-db"), view("tt")]
    other_partition = records(view("li").to_bytes(), partition=1)
    stream = Stream(records(*(e.to_bytes() for e in events)) + other_partition)
    handler = RecordEffect(fail_on="broken-db")
    subject = consumer(engine, stream, handler)

    with pytest.raises(RetryFrom) as retry:
        subject.process(stream.poll(0))

    # The batch's transaction rolled back as a whole: no effect, no dedup row, no offset.
    assert stored(engine) == [] and processed(engine) == []
    assert stream.committed == {}
    assert retry.value.positions == {
        (CANDIDATE_EVENTS_TOPIC, 0): 0,
        (CANDIDATE_EVENTS_TOPIC, 1): 0,
    }

    handler.fail_on = None  # the database is back: the retry applies everything once
    subject.process(stream.poll(0))

    assert len(stored(engine)) == 5 and len(processed(engine)) == 5
    assert stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 4, (CANDIDATE_EVENTS_TOPIC, 1): 1}


def test_a_poison_event_mid_batch_is_dead_lettered_and_the_rest_applied(
    engine: sa.Engine,
) -> None:
    good = [view("ig") for _ in range(5)]
    poison = view("refused")
    values = [e.to_bytes() for e in good[:2]] + [poison.to_bytes()]
    values += [b"{not json"] + [e.to_bytes() for e in good[2:]]
    stream = Stream(records(*values))
    letters = Letters()
    handler = RecordEffect(invalid_on="refused")
    subject = consumer(engine, stream, handler, letters)

    subject.process(stream.poll(0))

    assert stored(engine) == sorted(str(e.event_id) for e in good)
    assert str(poison.event_id) not in processed(engine)
    reasons = [letter["reason"] for letter in letters.sent]
    assert reasons[0] == "variant refused is refused" and str(reasons[1]).startswith("not JSON")
    assert (subject.applied, subject.dead_lettered) == (5, 2)
    assert stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 7}


def test_an_event_another_member_already_applied_is_not_applied_twice(
    engine: sa.Engine,
) -> None:
    events = [view("ig") for _ in range(6)]
    stream = Stream(records(*(e.to_bytes() for e in events)))
    subject = consumer(engine, stream, RecordEffect())
    # Before a rebalance, another member of the group applied event 4 (alone).
    rival_stream = Stream(records(events[4].to_bytes()))
    consumer(engine, rival_stream, RecordEffect()).process(rival_stream.poll(0))

    subject.process(stream.poll(0))

    assert stored(engine) == sorted(str(e.event_id) for e in events)
    assert (subject.applied, subject.duplicates) == (5, 1)


def test_batch_handlers_get_runs_of_consecutive_events(engine: sa.Engine) -> None:
    batchable = RecordEffects()
    per_event = RecordEffect()
    events = [view("a"), view("b"), view("c")]
    spend = new_envelope(
        PageViewed(variant_id="x", visitor_key="v" * 32, visited_at=datetime.now(UTC)),
        source="test",
        tenant_id="t",
        campaign_id="c1",
    )
    document = json.loads(spend.to_bytes())
    document["type"] = "PageViewedElsewhere"  # an unknown type: refused, dead-lettered
    stream = Stream(
        records(*(e.to_bytes() for e in events))
        + records(json.dumps(document).encode(), topic=DELIVERY_TOPIC)
    )
    subject = EventConsumer(
        engine=engine,
        subscriber=stream,
        dead_letters=Letters(),
        group_id=GROUP,
        handlers={"PageViewed": [batchable]},
    )
    subject.process(stream.poll(0))
    # the unknown type forces the per-event path: each event applied with __call__
    assert batchable.runs == [] and batchable.calls == 3

    more = [view("d"), view("e"), view("f"), view("g")]
    stream.records = records(*(e.to_bytes() for e in more), topic="other")
    subject.process(stream.poll(0))

    assert batchable.runs == [4]  # one call for the run of four
    assert len(stored(engine)) == 7 and per_event.calls == 0
    assert (subject.applied, subject.dead_lettered) == (7, 1)


def test_per_event_mode_is_still_available(engine: sa.Engine) -> None:
    events = [view("ig") for _ in range(3)]
    stream = Stream(records(*(e.to_bytes() for e in events)))
    subject = EventConsumer(
        engine=engine,
        subscriber=stream,
        dead_letters=Letters(),
        group_id=GROUP,
        handlers={"PageViewed": [RecordEffect()]},
        apply_in_batches=False,
    )
    subject.process(stream.poll(0))
    assert len(stored(engine)) == 3 and subject.applied == 3
