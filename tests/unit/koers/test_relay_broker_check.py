"""The relay's broker check: a restart of an in-memory broker is routine, a loss is not.

Fakes implement the real ``Publisher`` and ``TopicSizes`` interfaces; the outbox is a
real SQLite database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pytest
import sqlalchemy as sa

from koers.db import make_engine, upsert
from koers.events import utcnow
from koers.messaging.relay import OutboxRelay
from koers.messaging.schema import MESSAGING_METADATA, outbox_table, relay_topic_counts_table

pytestmark = pytest.mark.unit

TOPIC = "koers.test-events"


class FakeBroker:
    """Counts what is published per topic; ``forget`` empties it like a restart."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}

    def publish(self, messages: Iterable[tuple[str, str, bytes]], timeout_s: float) -> None:
        for topic, _key, _value in messages:
            self.sizes[topic] = self.sizes.get(topic, 0) + 1

    def close(self) -> None:
        pass

    def message_counts(self, topics: Iterable[str]) -> dict[str, int]:
        return {topic: self.sizes.get(topic, 0) for topic in topics}


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    MESSAGING_METADATA.create_all(engine)
    return engine


def add_events(engine: sa.Engine, count: int, *, sent: bool) -> None:
    with engine.begin() as conn:
        start = conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar_one()
        conn.execute(
            outbox_table.insert(),
            [
                {
                    "event_id": f"event-{start + n}",
                    "topic": TOPIC,
                    "message_key": "k",
                    "value": "{}",
                    "created_at": utcnow(),
                    "sent_at": utcnow() if sent else None,
                }
                for n in range(count)
            ],
        )
        if sent:  # as a relay marks them: the counts go up in the same transaction
            upsert(
                conn, relay_topic_counts_table, {"topic": TOPIC, "sent": count}, ["sent"], add=True
            )


def relay_for(engine: sa.Engine, broker: FakeBroker) -> OutboxRelay:
    relay = OutboxRelay(engine, broker, topic_sizes=broker, holder="test")
    assert relay.acquire_lease()
    return relay


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_first_start_with_nothing_sent_checks_quietly(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    broker = FakeBroker()
    add_events(engine, 3, sent=False)
    relay = relay_for(engine, broker)
    assert relay.republish_what_the_broker_lost() == {}
    assert relay.publish_batch() == 3
    assert warnings_in(caplog) == []


def test_an_empty_broker_at_the_first_check_is_refilled_without_a_warning(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    add_events(engine, 4, sent=True)  # sent by the relay of the previous `make run`
    broker = FakeBroker()  # the embedded broker kept nothing
    relay = relay_for(engine, broker)
    with caplog.at_level(logging.INFO):
        assert relay.republish_what_the_broker_lost() == {TOPIC: 4}
    assert relay.publish_batch() == 4
    assert broker.sizes == {TOPIC: 4}
    assert warnings_in(caplog) == []
    assert "the broker started empty; publishing the outbox again" in caplog.messages


def test_a_broker_that_forgets_while_the_relay_runs_is_a_warning(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    broker = FakeBroker()
    add_events(engine, 2, sent=False)
    relay = relay_for(engine, broker)
    relay.republish_what_the_broker_lost()
    relay.publish_batch()
    broker.sizes.clear()  # the broker crashed and came back empty
    assert relay.republish_what_the_broker_lost() == {TOPIC: 2}
    assert relay.publish_batch() == 2
    assert warnings_in(caplog) == ["the broker lost published events; publishing them again"]


def test_a_broker_holding_part_of_what_was_sent_at_the_first_check_is_a_warning(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    add_events(engine, 3, sent=True)
    broker = FakeBroker()
    broker.sizes[TOPIC] = 1
    relay = relay_for(engine, broker)
    assert relay.republish_what_the_broker_lost() == {TOPIC: 3}
    assert warnings_in(caplog) == ["the broker lost published events; publishing them again"]
