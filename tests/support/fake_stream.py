"""Fakes of the chassis' ``Subscriber`` and ``Publisher`` protocols for consumer tests.

They implement the same interfaces as the Kafka adapters (no mocks): a stream hands out
its records on every poll and remembers what was committed; the letters box keeps what
was dead-lettered, decoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from koers.events import CANDIDATE_EVENTS_TOPIC
from koers.messaging.transport import Record


class Stream:
    """Records to hand out in one poll, and what the consumer committed."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = list(records)
        self.committed: dict[tuple[str, int], int] = {}

    def poll(self, timeout_ms: int) -> list[Record]:
        return list(self.records)

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.committed.update(offsets)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        pass

    def close(self) -> None:
        pass


class Letters:
    """The dead-letter topic: what was published, decoded from JSON."""

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    def publish(self, messages: Iterable[tuple[str, str, bytes]], timeout_s: float) -> None:
        self.sent.extend(json.loads(value) for _, _, value in messages)

    def close(self) -> None:
        pass


def records(
    *values: bytes | None, topic: str = CANDIDATE_EVENTS_TOPIC, partition: int = 0
) -> list[Record]:
    return [Record(topic, partition, offset, b"c1", value) for offset, value in enumerate(values)]
