"""Class 7: a poison message never stops a consumer.

Whatever is wrong with one record (bytes that are not an envelope, or a handler that
keeps failing on it), that record alone is dead-lettered with its reason and where it came
from, the rest is applied and committed, and nothing personal reaches the reason or the
logs. A failure that says the database is away is still retried, never dead-lettered.

Real database (SQLite, or PostgreSQL with KOERS_TEST_DATABASE_URL) and the real
``EventConsumer``; the subscriber and the dead-letter topic are the fakes of
``tests/support/fake_stream.py``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from koers.db import make_engine
from koers.events import (
    CANDIDATE_EVENTS_TOPIC,
    MAX_DEAD_LETTER_VALUE_BYTES,
    Envelope,
    PageViewed,
    new_envelope,
)
from koers.messaging.consumer import EventConsumer, RetryFrom
from koers.messaging.schema import MESSAGING_METADATA
from koers.messaging.transport import Record
from tests.support.fake_stream import Letters, Stream, records

pytestmark = pytest.mark.security

GROUP = "poison-test"
PERSONAL = "jan.jansen@example.org"
EFFECTS = sa.MetaData()
effects = sa.Table(
    "effects",
    EFFECTS,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("variant_id", sa.String(64), nullable=False),
    sa.Column("visitor_key", sa.String(128), nullable=False, unique=True),
)


@pytest.fixture
def engine(make_database_url: Callable[[str], str]) -> Iterator[sa.Engine]:
    engine = make_engine(make_database_url("poison"))
    MESSAGING_METADATA.create_all(engine)
    EFFECTS.create_all(engine)
    yield engine
    engine.dispose()


class StoreViews:
    """Stores each view; raises on the variants it is told to (a bug one payload hits)."""

    def __init__(self, crash_on: str = "", crashes: int = 1_000_000) -> None:
        self.crash_on = crash_on
        self.crashes_left = crashes

    def __call__(self, conn: Connection, envelope: Envelope) -> None:
        payload = envelope.payload
        if payload["variant_id"] == self.crash_on and self.crashes_left > 0:
            self.crashes_left -= 1
            raise ValueError(f"cannot handle {payload['visitor_key']}")  # quotes the data
        conn.execute(
            sa.insert(effects).values(
                event_id=str(envelope.event_id),
                variant_id=payload["variant_id"],
                visitor_key=payload["visitor_key"],
            )
        )


def view(variant: str = "ig", visitor_key: str | None = None) -> Envelope:
    payload = PageViewed(
        variant_id=variant,
        visitor_key=visitor_key or f"visitor-{variant}-{datetime.now(UTC).timestamp()}",
        visited_at=datetime.now(UTC),
    )
    return new_envelope(payload, source="test", tenant_id="t", campaign_id="c1")


def consumer(engine: sa.Engine, stream: Stream, letters: Letters, handler: object) -> EventConsumer:
    return EventConsumer(
        engine=engine,
        subscriber=stream,
        dead_letters=letters,
        group_id=GROUP,
        handlers={"PageViewed": [handler]},  # type: ignore[list-item]
        handler_backoff_s=0.01,
    )


def stored(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(sa.select(effects.c.event_id)))


def valid_envelope_with(**changes: object) -> bytes:
    document = json.loads(view().to_bytes())
    document.update(changes)
    return json.dumps(document).encode()


POISON: dict[str, bytes | None] = {
    "deep nesting": b"[" * 200_000 + b"]" * 200_000,
    "deep nesting in the payload": valid_envelope_with(payload={"a": 1}).replace(
        b'{"a": 1}', b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    ),
    "huge": b'{"padding": "' + b"x" * (3 * 1024 * 1024) + b'"}',
    "invalid UTF-8": b'{"event_id": "\xff\xfe", "name": "' + PERSONAL.encode() + b'"}',
    "UTF-16": '{"a": 1}'.encode("utf-16"),
    "wrong types": valid_envelope_with(event_id=5, schema_version="one", payload=[PERSONAL]),
    "null value (tombstone)": None,
    "null JSON": b"null",
    "missing fields": b"{}",
    "a list": b'["' + PERSONAL.encode() + b'"]',
    "a string": json.dumps(PERSONAL).encode(),
    "a number": b"1e999999",
    "a personal key": valid_envelope_with(payload={PERSONAL: "x"}),
    "an unknown type named after a person": valid_envelope_with(type=PERSONAL),
}


@pytest.mark.parametrize("kind", list(POISON))
def test_a_record_that_is_not_an_envelope_is_dead_lettered_and_the_rest_applied(
    engine: sa.Engine, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = [view(f"v{i}") for i in range(4)]
    values = [good[0].to_bytes(), good[1].to_bytes(), POISON[kind]]
    values += [good[2].to_bytes(), good[3].to_bytes()]
    stream, letters = Stream(records(*values)), Letters()
    subject = consumer(engine, stream, letters, StoreViews())

    with caplog.at_level(logging.DEBUG):
        subject.process(stream.poll(0))

    assert stored(engine) == sorted(str(e.event_id) for e in good)
    assert stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 5}
    (letter,) = letters.sent
    assert letter["original_topic"] == CANDIDATE_EVENTS_TOPIC
    assert (letter["original_partition"], letter["original_offset"]) == (0, 2)
    assert letter["reason"]
    assert PERSONAL not in str(letter["reason"])
    raw, value = POISON[kind], letter["original_value_base64"]
    assert letter["original_value_bytes"] == len(raw or b"")
    if raw is not None and len(raw) > MAX_DEAD_LETTER_VALUE_BYTES:
        assert value is None  # too large for the dead-letter topic; replay from the source
    else:
        assert (base64.b64decode(str(value)) if value is not None else None) == raw
    assert PERSONAL not in caplog.text


def test_a_handler_that_keeps_failing_on_one_record_costs_only_that_record(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    good = [view(f"v{i}") for i in range(6)]
    poison = view("crashes", visitor_key=PERSONAL)
    batch = [e.to_bytes() for e in good[:3]] + [poison.to_bytes()]
    batch += [e.to_bytes() for e in good[3:]]
    stream, letters = Stream(records(*batch)), Letters()
    waits: list[float] = []
    subject = EventConsumer(
        engine=engine,
        subscriber=stream,
        dead_letters=letters,
        group_id=GROUP,
        handlers={"PageViewed": [StoreViews(crash_on="crashes")]},
        handler_attempts=3,
        handler_backoff_s=0.5,
        sleep=waits.append,
    )

    with caplog.at_level(logging.DEBUG):
        subject.process(stream.poll(0))  # today: RetryFrom, the same batch for ever

    assert stored(engine) == sorted(str(e.event_id) for e in good)
    assert stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 7}
    assert waits == [0.5, 1.0], "bounded attempts, with backoff"
    (letter,) = letters.sent
    assert letter["original_offset"] == 3
    assert "ValueError" in str(letter["reason"]) and PERSONAL not in str(letter["reason"])
    assert PERSONAL not in caplog.text
    assert (subject.applied, subject.dead_lettered) == (6, 1)


def test_a_handler_that_fails_once_is_retried_and_nothing_is_dead_lettered(
    engine: sa.Engine,
) -> None:
    events = [view("v1"), view("flaky"), view("v2")]
    stream, letters = Stream(records(*(e.to_bytes() for e in events))), Letters()
    subject = consumer(engine, stream, letters, StoreViews(crash_on="flaky", crashes=2))

    subject.process(stream.poll(0))

    assert stored(engine) == sorted(str(e.event_id) for e in events)
    assert letters.sent == []


def test_a_constraint_the_handler_hits_is_not_mistaken_for_a_duplicate(
    engine: sa.Engine,
) -> None:
    first, clash = view("a", visitor_key="same-visitor"), view("b", visitor_key="same-visitor")
    stream, letters = Stream(records(first.to_bytes(), clash.to_bytes())), Letters()
    subject = consumer(engine, stream, letters, StoreViews())

    subject.process(stream.poll(0))

    assert stored(engine) == [str(first.event_id)]
    (letter,) = letters.sent
    assert letter["original_offset"] == 1 and "IntegrityError" in str(letter["reason"])
    assert (subject.applied, subject.duplicates, subject.dead_lettered) == (1, 0, 1)


class DatabaseAway:
    def __call__(self, conn: Connection, envelope: Envelope) -> None:
        raise OperationalError("INSERT ...", {}, ConnectionError("server closed the connection"))


def test_a_database_outage_is_retried_and_never_dead_lettered(engine: sa.Engine) -> None:
    stream, letters = Stream(records(view().to_bytes(), view().to_bytes())), Letters()
    subject = consumer(engine, stream, letters, DatabaseAway())

    for _ in range(5):
        with pytest.raises(RetryFrom):
            subject.process(stream.poll(0))

    assert letters.sent == [] and stream.committed == {}


def test_the_loop_keeps_going_after_poison(engine: sa.Engine) -> None:
    """The whole loop, not just one batch: poison then good records, then stop."""
    good = view("after")
    polls: list[list[Record]] = [
        records(POISON["deep nesting"], b"[]"),
        [Record(CANDIDATE_EVENTS_TOPIC, 0, 2, b"c1", good.to_bytes())],
    ]
    stop = threading.Event()

    class Polls(Stream):
        def poll(self, timeout_ms: int) -> list[Record]:
            if polls:
                return polls.pop(0)
            stop.set()
            return []

    stream, letters = Polls([]), Letters()
    consumer(engine, stream, letters, StoreViews()).run(stop)

    assert stored(engine) == [str(good.event_id)]
    assert len(letters.sent) == 2 and stream.committed == {(CANDIDATE_EVENTS_TOPIC, 0): 3}
