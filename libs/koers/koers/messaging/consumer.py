"""The consumer loop: poll -> validate -> apply with the dedup record -> commit offsets.

Rules (after getsentry/arroyo):
- offsets are committed only after the effect of every record before them is durable;
- each event is applied at most once: its id goes into ``processed_events`` in the same
  transaction as the effect, so a redelivery after a crash changes nothing;
- a record that matches no contract, or that its handler rejects with ``InvalidEvent``,
  is *invalid*: it goes to the dead-letter topic with the reason and the loop moves on;
- any other error (database or broker down) is *transient*: nothing is committed, the
  consumer seeks back to the failed record and retries with backoff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from koers.db import transaction
from koers.events import (
    DEAD_LETTER_TOPIC,
    DeadLetter,
    Envelope,
    InvalidEvent,
    parse_envelope,
    utcnow,
)
from koers.messaging.schema import processed_events_table
from koers.messaging.transport import Publisher, Record

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Envelope], None]
"""Applies one event inside the given transaction; raises InvalidEvent to dead-letter."""


class Subscriber(Protocol):
    def poll(self, timeout_ms: int) -> list[Record]: ...
    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None: ...
    def seek(self, topic: str, partition: int, offset: int) -> None: ...
    def close(self) -> None: ...


class EventConsumer:
    def __init__(
        self,
        *,
        engine: Engine,
        subscriber: Subscriber,
        dead_letters: Publisher,
        group_id: str,
        handlers: Mapping[str, Iterable[Handler]],
        max_backoff_s: float = 10.0,
    ) -> None:
        self._engine = engine
        self._subscriber = subscriber
        self._dead_letters = dead_letters
        self._group_id = group_id
        self._handlers = {name: tuple(hs) for name, hs in handlers.items()}
        self._max_backoff_s = max_backoff_s
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        try:
            while not stop.is_set():
                try:
                    self.process(self._subscriber.poll(timeout_ms=500))
                    backoff = 0.2
                except RetryFrom as retry:
                    log.warning(
                        "transient failure; retrying %s in %.1fs",
                        retry,
                        backoff,
                        exc_info=retry.__cause__,
                    )
                    stop.wait(backoff)
                    backoff = min(backoff * 2, self._max_backoff_s)
                    for (topic, partition), offset in retry.positions.items():
                        try:
                            self._subscriber.seek(topic, partition, offset)
                        except Exception:
                            log.warning("seek failed; the group is rebalancing", exc_info=True)
        finally:
            self._subscriber.close()
            self._dead_letters.close()

    def process(self, records: list[Record]) -> None:
        """Apply a polled batch in order and commit what became durable.

        On a transient failure, the records before it are committed and the consumer is
        told where each partition must resume (the failed record and everything after).
        """
        next_offsets: dict[tuple[str, int], int] = {}
        for index, record in enumerate(records):
            try:
                self._handle(record)
            except TransientFailure as failure:
                self._subscriber.commit(next_offsets)
                positions: dict[tuple[str, int], int] = {}
                for pending in records[index:]:
                    positions.setdefault((pending.topic, pending.partition), pending.offset)
                raise RetryFrom(positions) from failure.__cause__
            next_offsets[(record.topic, record.partition)] = record.offset + 1
        self._subscriber.commit(next_offsets)

    def _handle(self, record: Record) -> None:
        try:
            envelope = parse_envelope(record.value)
        except InvalidEvent as invalid:
            self._dead_letter(record, invalid.reason)
            return
        try:
            self._apply(envelope)
        except InvalidEvent as invalid:
            self._dead_letter(record, invalid.reason)
        except Exception as exc:
            raise TransientFailure(record) from exc

    def _apply(self, envelope: Envelope) -> None:
        handlers = self._handlers.get(envelope.type, ())
        event_id = str(envelope.event_id)
        try:
            with transaction(self._engine) as conn:
                seen = conn.execute(
                    select(processed_events_table.c.event_id).where(
                        processed_events_table.c.consumer_group == self._group_id,
                        processed_events_table.c.event_id == event_id,
                    )
                ).first()
                if seen:
                    self.duplicates += 1
                    return
                for handler in handlers:
                    handler(conn, envelope)
                conn.execute(
                    insert(processed_events_table).values(
                        consumer_group=self._group_id,
                        event_id=event_id,
                        processed_at=utcnow(),
                    )
                )
        except IntegrityError:
            # Another member of the group applied it concurrently (during a rebalance):
            # our transaction rolled back, so the effect is still exactly once.
            self.duplicates += 1
            return
        self.applied += 1

    def _dead_letter(self, record: Record, reason: str) -> None:
        letter = DeadLetter(
            reason=reason,
            consumer_group=self._group_id,
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_key=record.key.decode(errors="replace") if record.key else None,
            original_value=record.value.decode(errors="replace") if record.value else None,
            dead_lettered_at=utcnow(),
        )
        try:
            self._dead_letters.publish(
                [(DEAD_LETTER_TOPIC, letter.original_key or "", letter.model_dump_json().encode())],
                15,
            )
        except Exception as exc:
            raise TransientFailure(record) from exc
        self.dead_lettered += 1
        log.warning(
            "dead-lettered a message",
            extra={"reason": reason, "topic": record.topic, "offset": record.offset},
        )


class TransientFailure(Exception):
    """Applying a record failed for a reason that may pass; retry from this record."""

    def __init__(self, record: Record) -> None:
        super().__init__(f"{record.topic}[{record.partition}]@{record.offset}")
        self.record = record


class RetryFrom(Exception):
    """Resume each partition from the given offset after a transient failure."""

    def __init__(self, positions: dict[tuple[str, int], int]) -> None:
        super().__init__(", ".join(f"{t}[{p}]@{o}" for (t, p), o in positions.items()))
        self.positions = positions
