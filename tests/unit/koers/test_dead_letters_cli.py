"""``koers dead-letters list|replay`` against the real (embedded) broker.

A consumer dead-letters a poison record and a record its handler refused; ``list``
shows where each came from and why, without their content; ``replay`` publishes the
chosen one's original bytes, with its key, to its original topic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from koers.broker import EmbeddedBroker
from koers.cli import app
from koers.db import make_engine
from koers.events import CANDIDATE_EVENTS_TOPIC, DEAD_LETTER_TOPIC, InvalidEvent
from koers.messaging.consumer import EventConsumer
from koers.messaging.schema import MESSAGING_METADATA
from koers.messaging.transport import KafkaPublisher, Record, read_topic
from tests.security.test_poison_messages import view
from tests.support.fake_stream import Stream

pytestmark = pytest.mark.integration


def refuse(conn: object, envelope: object) -> None:
    raise InvalidEvent("refused until the fix")


def test_dead_letters_are_listed_and_replayed(
    broker: EmbeddedBroker, make_database_url: Callable[[str], str]
) -> None:
    group = f"dlq-cli-{uuid.uuid4().hex[:8]}"
    key = f"campaign-{uuid.uuid4().hex[:8]}".encode()
    event = view("replayed")
    stream = Stream(
        [
            Record(CANDIDATE_EVENTS_TOPIC, 0, 41, key, b"[" * 10_000),
            Record(CANDIDATE_EVENTS_TOPIC, 0, 42, key, event.to_bytes()),
        ]
    )
    engine = make_engine(make_database_url("dlq"))
    MESSAGING_METADATA.create_all(engine)
    publisher = KafkaPublisher(broker.bootstrap_servers, client_id="dlq-test")
    consumer = EventConsumer(
        engine=engine,
        subscriber=stream,
        dead_letters=publisher,
        group_id=group,
        handlers={"PageViewed": [refuse]},
    )
    consumer.process(stream.poll(0))
    publisher.close()
    engine.dispose()
    assert consumer.dead_lettered == 2

    runner = CliRunner()
    listed = runner.invoke(
        app,
        ["dead-letters", "list", "--bootstrap-servers", broker.bootstrap_servers, "--group", group],
    )
    assert listed.exit_code == 0, listed.output
    letters = [json.loads(line) for line in listed.output.splitlines()]
    assert [(x["topic"], x["offset"]) for x in letters] == [
        (CANDIDATE_EVENTS_TOPIC, 41),
        (CANDIDATE_EVENTS_TOPIC, 42),
    ]
    assert letters[0]["reason"] == "not JSON: nested too deeply"
    assert letters[1]["reason"] == "refused until the fix"
    assert str(event.event_id) not in listed.output, "list shows no content"

    replayed = runner.invoke(
        app,
        [
            "dead-letters",
            "replay",
            "--bootstrap-servers",
            broker.bootstrap_servers,
            "--position",
            letters[1]["position"],
        ],
    )
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 1 record(s)" in replayed.output
    again = [
        r
        for r in read_topic(broker.bootstrap_servers, CANDIDATE_EVENTS_TOPIC, "dlq-test-check")
        if r.key == key
    ]
    assert [r.value for r in again] == [event.to_bytes()]
    assert read_topic(broker.bootstrap_servers, DEAD_LETTER_TOPIC, "dlq-test-check")
