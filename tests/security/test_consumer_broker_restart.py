"""Class 8: a consumer rides out a broker restart in the middle of a batch.

The real ``EventConsumer`` wired by ``koers.workers.build_consumer`` (kafka-python, the
embedded broker of this test). The broker is stopped while the consumer is applying a
batch, so the offset commit that follows fails (the broker is gone, and when it is back it
knows neither the group nor its member). The consumer must keep running, rejoin, read
the log the relays would refill (the same events again, then new ones) and end with every
event applied exactly once, without being restarted.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from koers.broker import EmbeddedBroker
from koers.db import make_engine
from koers.events import CANDIDATE_EVENTS_TOPIC, Envelope
from koers.messaging.schema import MESSAGING_METADATA
from koers.messaging.transport import KafkaPublisher
from koers.settings import KoersSettings
from koers.workers import build_consumer
from tests.conftest import free_port
from tests.security.test_poison_messages import view
from tests.support.processes import wait_until

pytestmark = pytest.mark.security

TALLY = sa.MetaData()
tally = sa.Table("tally", TALLY, sa.Column("event_id", sa.String(36), primary_key=True))


class GatedTally:
    """Counts events; on the ``gate`` variant it waits until the test opens the gate."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(self, conn: Connection, envelope: Envelope) -> None:
        self.apply_many(conn, [envelope])

    def apply_many(self, conn: Connection, envelopes: Sequence[Envelope]) -> None:
        if any(e.payload["variant_id"] == "gate" for e in envelopes):
            self.entered.set()
            self.gate.wait(60)
        conn.execute(sa.insert(tally), [{"event_id": str(e.event_id)} for e in envelopes])


def test_a_consumer_keeps_going_when_the_broker_restarts_mid_batch(
    make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    port = free_port()
    broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker.log")
    broker.start()
    engine = make_engine(make_database_url("restart"))
    MESSAGING_METADATA.create_all(engine)
    TALLY.create_all(engine)
    settings = KoersSettings(kafka_bootstrap_servers=broker.bootstrap_servers)
    handler = GatedTally()
    consumer = build_consumer(
        engine,
        settings,
        group_id=f"restart-{uuid.uuid4().hex[:8]}",
        topics=[CANDIDATE_EVENTS_TOPIC],
        handlers={"PageViewed": [handler]},
    )
    stop = threading.Event()
    crashed: list[BaseException] = []

    def run() -> None:
        try:
            consumer.run(stop)
        except BaseException as exc:
            crashed.append(exc)
            raise

    first = [view(f"v{i}") for i in range(10)] + [view("gate")]
    later = [view(f"w{i}") for i in range(10)]

    def publish(events: list[Envelope]) -> None:
        publisher = KafkaPublisher(broker.bootstrap_servers, client_id="restart-test")
        try:
            publisher.publish([(CANDIDATE_EVENTS_TOPIC, "c1", e.to_bytes()) for e in events], 15)
        finally:
            publisher.close()

    def applied() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(tally)) or 0)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        publish(first)
        assert handler.entered.wait(60), "the consumer never reached the gated batch"
        broker.stop()  # mid-batch: its offset commit will fail
        handler.gate.set()
        time.sleep(8)  # longer than the session: the group is gone with the broker
        broker = EmbeddedBroker(port=port, log_path=tmp_path / "broker-again.log")
        broker.start()
        publish(first + later)  # what a relay refills, then what is new

        wait_until(
            lambda: applied() == len(first) + len(later) or bool(crashed),
            90,
            message="every event applied after the restart",
        )
        time.sleep(3)  # no late duplicate either
        assert not crashed, f"the consumer stopped: {crashed!r}"
        assert worker.is_alive()
        assert applied() == len(first) + len(later)
    finally:
        stop.set()
        handler.gate.set()
        worker.join(30)
        broker.stop()
        engine.dispose()
