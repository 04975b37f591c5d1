"""The broker check counts what a topic really holds, on the embedded broker too.

Tansu reports a partition's latest offset as the first offset of its last record batch,
so end offsets alone undercounted by up to a batch per partition and the relay took
whole topics for lost at every check (republishing them, warning each time).
"""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaProducer

from koers.broker import EmbeddedBroker
from koers.messaging.transport import KafkaTopicSizes

pytestmark = pytest.mark.integration


def test_every_message_of_a_batched_topic_is_counted(broker: EmbeddedBroker) -> None:
    topic = f"sizes-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all", linger_ms=20)
    try:
        for n in range(1500):
            producer.send(topic, key=str(n % 5).encode(), value=b"x" * 64)
        producer.flush()
    finally:
        producer.close()

    sizes = KafkaTopicSizes(broker.bootstrap_servers, client_id="sizes-test")
    assert sizes.message_counts([topic]) == {topic: 1500}
    assert sizes.message_counts([f"{topic}-never"]) == {f"{topic}-never": 0}
