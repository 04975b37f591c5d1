"""Reading and replaying the dead-letter topic (``koers dead-letters list|replay``).

A dead letter names the consumer group that gave up on a record, the record's topic,
partition and offset, the reason, and carries the original bytes (base64) when they
were at most 512 KiB. Replaying publishes those bytes again, with their key, to their
original topic: after a fix, the consumer applies them like any other record. Every
group reading that topic gets them again; a group that had applied the event skips it
by its ``event_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from koers.events import DeadLetter
from koers.messaging.transport import Publisher, Record


@dataclass(frozen=True)
class StoredLetter:
    """A dead letter and where it sits in the dead-letter topic."""

    partition: int
    offset: int
    letter: DeadLetter

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def replayable(self) -> bool:
        return self.letter.original_value_base64 is not None

    def summary(self) -> dict[str, object]:
        """What an operator needs to decide, without the message's content."""
        letter = self.letter
        return {
            "position": self.position,
            "dead_lettered_at": letter.dead_lettered_at.isoformat(),
            "consumer_group": letter.consumer_group,
            "topic": letter.original_topic,
            "partition": letter.original_partition,
            "offset": letter.original_offset,
            "key": letter.original_key,
            "bytes": letter.original_value_bytes,
            "replayable": self.replayable,
            "reason": letter.reason,
        }


def parse_letters(records: Iterable[Record]) -> Iterator[StoredLetter]:
    for record in records:
        if record.value is None:
            continue
        try:
            letter = DeadLetter.model_validate_json(record.value)
        except ValidationError:
            continue  # not written by a Koers consumer
        yield StoredLetter(record.partition, record.offset, letter)


def select_letters(
    letters: Iterable[StoredLetter],
    *,
    group: str | None = None,
    topic: str | None = None,
    positions: Iterable[str] = (),
    reason_contains: str | None = None,
) -> list[StoredLetter]:
    wanted = set(positions)
    return [
        stored
        for stored in letters
        if (group is None or stored.letter.consumer_group == group)
        and (topic is None or stored.letter.original_topic == topic)
        and (not wanted or stored.position in wanted)
        and (reason_contains is None or reason_contains in stored.letter.reason)
    ]


def replay(letters: Iterable[StoredLetter], publisher: Publisher) -> tuple[int, list[str]]:
    """Publish each letter's original record again; (replayed, positions skipped).

    Skipped: letters without the original bytes (too large, or an empty value), which
    must be read from the original topic at their offset while its retention lasts.
    """
    messages: list[tuple[str, str, bytes]] = []
    skipped: list[str] = []
    for stored in letters:
        key, value = stored.letter.original_bytes()
        if value is None:
            skipped.append(stored.position)
            continue
        messages.append((stored.letter.original_topic, (key or b"").decode(), value))
    if messages:
        publisher.publish(messages, 30)
    return len(messages), skipped
