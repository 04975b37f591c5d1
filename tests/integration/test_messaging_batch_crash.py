"""A consumer process killed in the middle of a batch loses nothing and doubles nothing.

Real broker, real database, real processes (``tests/support/crashing_consumer.py``):
the first process dies by SIGKILL either inside a batch's transaction or between the
database commit and the offset commit; a second process picks up from the committed
offsets. Every event must end up applied exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from kafka import KafkaProducer

from koers.broker import EmbeddedBroker, create_topics
from koers.db import make_engine
from koers.events import PageViewed, new_envelope
from koers.messaging.schema import MESSAGING_METADATA
from tests.support.crashing_consumer import TALLY, tally

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 300


@pytest.fixture
def database_url(make_database_url: Callable[[str], str]) -> Iterator[str]:
    url = make_database_url("chassis")
    engine = make_engine(url)
    MESSAGING_METADATA.create_all(engine)
    TALLY.create_all(engine)
    engine.dispose()
    yield url


def produce(broker: EmbeddedBroker, topic: str, campaign: str) -> set[str]:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
    ids: set[str] = set()
    try:
        for index in range(EVENTS):
            payload = PageViewed(
                variant_id=f"v{index % 4}", visitor_key="k" * 32, visited_at=datetime.now(UTC)
            )
            envelope = new_envelope(payload, source="test", tenant_id="t", campaign_id=campaign)
            ids.add(str(envelope.event_id))
            producer.send(topic, key=campaign.encode(), value=envelope.to_bytes())
        producer.flush()
    finally:
        producer.close(timeout=5)
    return ids


def start(
    url: str, broker: EmbeddedBroker, group: str, topic: str, campaign: str, mode: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.crashing_consumer",
            url,
            broker.bootstrap_servers,
            group,
            topic,
            campaign,
            mode,
        ],
        cwd=ROOT,
    )


def ours(url: str, campaign: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(sa.select(tally.c.event_id).where(tally.c.campaign_id == campaign))
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("mode", ["in-batch", "after-commit"])
def test_a_consumer_killed_mid_batch_ends_with_every_event_exactly_once(
    broker: EmbeddedBroker, database_url: str, mode: str
) -> None:
    campaign = f"crash-{uuid.uuid4().hex[:8]}"
    group = f"crash-{uuid.uuid4().hex[:8]}"
    # A topic of its own: a shared one holds other tests' garbage, which sends batches
    # down the per-event path this test is not about.
    topic = f"test.batch-crash.{uuid.uuid4().hex[:8]}"
    create_topics(broker.bootstrap_servers, [topic], partitions=2)
    sent = produce(broker, topic, campaign)

    first = start(database_url, broker, group, topic, campaign, mode)
    try:
        assert first.wait(timeout=90) == -9, "the consumer should have died by SIGKILL"
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    at_crash = ours(database_url, campaign)
    if mode == "in-batch":
        assert len(at_crash) < EVENTS  # the dying batch's rows were rolled back
    else:
        assert len(at_crash) >= 20  # the batch committed; its offsets did not

    second = start(database_url, broker, group, topic, campaign, "none")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and set(ours(database_url, campaign)) != sent:
            time.sleep(0.2)
        time.sleep(1.5)  # anything applied twice would show up now
    finally:
        second.terminate()
        second.wait(timeout=30)

    applied = ours(database_url, campaign)
    assert set(applied) == sent
    assert len(applied) == EVENTS, "an event was applied twice"
