"""The Kafka adapter: producer and consumer factories with Koers' settings.

Everything that talks to kafka-python goes through here, so the relay and the consumer
loop depend on two small interfaces (``Publisher``, ``Subscriber``) that tests can
satisfy with the real broker from the embedded-broker fixture.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaTimeoutError


class TransportError(Exception):
    """The Kafka client failed: a rebalance, a coordinator change, a broker restarting or
    away. Retry later; the cause is kept as ``__cause__``."""


class Publisher(Protocol):
    def publish(self, messages: Iterable[tuple[str, str, bytes]], timeout_s: float) -> None:
        """Publish (topic, key, value) triples; return only when all are acknowledged.

        ``timeout_s`` bounds the whole call: past it, raise instead of sending more (the
        relay's lease depends on it)."""

    def close(self) -> None: ...


class TopicSizes(Protocol):
    def message_counts(self, topics: Iterable[str]) -> dict[str, int]:
        """Per topic, how many messages the broker has ever appended (sum of end offsets)."""


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class KafkaPublisher:
    """Idempotent, ``acks=all`` producer; ``publish`` waits for every acknowledgement."""

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap_servers = bootstrap_servers.split(",")
        self._client_id = client_id
        self._producer: KafkaProducer | None = None

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                retries=5,
                # send() blocks at most this long (metadata, a full buffer): a publish
                # must end within the relay's timeout, which is well within its lease.
                max_block_ms=2_000,
                request_timeout_ms=10_000,
            )
        return self._producer

    def publish(self, messages: Iterable[tuple[str, str, bytes]], timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        try:
            producer = self._connect()
            futures = []
            for topic, key, value in messages:
                if time.monotonic() >= deadline:
                    raise KafkaTimeoutError("publish deadline passed")
                futures.append(producer.send(topic, key=key.encode(), value=value))
            producer.flush(timeout=max(0.0, deadline - time.monotonic()))
            for future in futures:
                # raises the send error, if any
                future.get(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:
            # A producer that failed (e.g. the broker restarted and forgot our producer
            # id) may stay wedged: start the next attempt with a new one.
            self.close()
            raise

    def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            # Closing a broken producer must not mask the error that broke it.
            with contextlib.suppress(Exception):
                producer.close(timeout=5)


class KafkaTopicSizes:
    """Reads end offsets with a group-less consumer (it joins no group, commits nothing).

    The embedded broker (Tansu) answers a "latest offset" request with the first offset
    of the partition's last record batch, not one past its last record, so end offsets
    alone undercount by up to a batch per partition; the relay then took every topic for
    lost and published it all again, every check. So the count reads on from the
    reported end to the real one (nothing to read on Apache Kafka: one short poll).
    """

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap_servers = bootstrap_servers.split(",")
        self._client_id = client_id

    def message_counts(self, topics: Iterable[str]) -> dict[str, int]:
        consumer = KafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            client_id=self._client_id,
            enable_auto_commit=False,
            request_timeout_ms=10_000,
        )
        try:
            ends: dict[TopicPartition, int] = {}
            for topic in topics:
                partitions = consumer.partitions_for_topic(topic) or set()
                ends.update(consumer.end_offsets([TopicPartition(topic, p) for p in partitions]))
            if ends:
                _read_past_reported_ends(consumer, ends)
            counts: dict[str, int] = {topic: 0 for topic in topics}
            for partition, end in ends.items():
                counts[partition.topic] = counts.get(partition.topic, 0) + end
            return counts
        finally:
            consumer.close()


def _read_past_reported_ends(consumer: KafkaConsumer, ends: dict[TopicPartition, int]) -> None:
    """Move each partition's end in ``ends`` past the last record actually there."""
    consumer.assign(list(ends))
    for partition, end in ends.items():
        consumer.seek(partition, end)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        batches = consumer.poll(timeout_ms=300, max_records=5000)
        if not batches:
            return
        for partition, records in batches.items():
            last = max(record.offset for record in records) + 1
            ends[partition] = max(ends[partition], last)


def read_topic(bootstrap_servers: str, topic: str, client_id: str) -> list[Record]:
    """Every record a topic holds now, partition by partition, with a group-less
    consumer (it joins no group and commits nothing): for operators' tools."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        client_id=client_id,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[Record] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for messages in consumer.poll(timeout_ms=1000).values():
                records.extend(
                    Record(m.topic, m.partition, m.offset, m.key, m.value)
                    for m in messages
                    if m.offset < ends[TopicPartition(m.topic, m.partition)]
                )
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


class KafkaSubscriber:
    """A consumer-group member that never auto-commits."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        topics: Iterable[str],
        *,
        session_timeout_ms: int = 6000,
        heartbeat_interval_ms: int = 1000,
    ) -> None:
        # kafka-python verifies each record batch's CRC-32C; the native ``crc32c`` package
        # (a koers dependency) makes that nearly free. A poll of up to 2,000 records is
        # applied in one transaction and acknowledged with one offset commit: with 500 the
        # consumer spent more time waiting on those round trips than applying events.
        self._consumer = KafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap_servers.split(","),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            max_poll_records=2000,
        )

    def poll(self, timeout_ms: int) -> list[Record]:
        try:
            batches: Mapping[Any, list[Any]] = self._consumer.poll(timeout_ms=timeout_ms)
        except Exception as exc:  # kafka-python raises many types; all mean "not now"
            raise TransportError(f"poll failed: {type(exc).__name__}") from exc
        return [
            Record(m.topic, m.partition, m.offset, m.key, m.value)
            for messages in batches.values()
            for m in messages
        ]

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Commit, per partition, the offset of the next record to read.

        Partitions no longer assigned to this member (a rebalance took them) are left
        out: their new owner resumes from the last committed offset and dedup skips
        what this member already applied.
        """
        if not offsets:
            return
        try:
            assigned = self._consumer.assignment()
            commit = {
                TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
                for (topic, partition), offset in offsets.items()
                if TopicPartition(topic, partition) in assigned
            }
            if commit:
                self._consumer.commit(commit)
        except Exception as exc:  # CommitFailedError, RebalanceInProgress, NoBrokers...
            raise TransportError(f"commit failed: {type(exc).__name__}") from exc

    def seek(self, topic: str, partition: int, offset: int) -> None:
        try:
            self._consumer.seek(TopicPartition(topic, partition), offset)
        except Exception as exc:  # e.g. the partition is no longer assigned
            raise TransportError(f"seek failed: {type(exc).__name__}") from exc

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not mask why we stop
            self._consumer.close()
