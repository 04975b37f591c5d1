"""The consumer loop: poll -> validate -> apply with the dedup record -> commit offsets.

Rules (after getsentry/arroyo):
- offsets are committed only after the effect of every record before them is durable;
- each event is applied at most once: its id goes into ``processed_events`` in the same
  transaction as the effect, so a redelivery after a crash changes nothing;
- a record that matches no contract, or that its handler rejects with ``InvalidEvent``,
  is *invalid*: it goes to the dead-letter topic with the reason and the loop moves on;
- any other error (database or broker down) is *transient*: nothing is committed, the
  consumer seeks back to the failed record and retries with backoff.

A polled batch is first applied in ONE transaction (every effect and every dedup row
together), which is what makes one consumer fast: a transaction per event costs a
commit (a disk sync on PostgreSQL) and a dedup look-up each. Events already applied, by
this consumer before a crash or by another member of the group, are skipped. If any
record of the batch is invalid, that transaction is rolled back and the batch is applied
again event by event, so the poison record is dead-lettered and the rest applied as
before. Either way offsets are committed only after the database commit. Handlers that
are :class:`BatchHandler` get consecutive events of a batch in one call.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from sqlalchemy import Connection, Engine, Text, bindparam, func, insert, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that can also apply a run of events at once (e.g. one ``executemany``).

    ``apply_many(conn, envelopes)`` must leave the same effect as calling the handler on
    each envelope in order; the batch path uses it for consecutive events that share
    the same handlers, the per-event path calls the handler itself.
    """

    def __call__(self, conn: Connection, envelope: Envelope) -> None: ...
    def apply_many(self, conn: Connection, envelopes: Sequence[Envelope]) -> None: ...


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
        apply_in_batches: bool = True,
    ) -> None:
        self._engine = engine
        self._subscriber = subscriber
        self._dead_letters = dead_letters
        self._group_id = group_id
        self._handlers = {name: tuple(hs) for name, hs in handlers.items()}
        self._batches = {  # event types whose handlers can all take a run of events
            name
            for name, hs in self._handlers.items()
            if hs and all(isinstance(h, BatchHandler) for h in hs)
        }
        self._max_backoff_s = max_backoff_s
        self._apply_in_batches = apply_in_batches
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

        The batch is applied in one transaction when it can be (see the module
        docstring); otherwise event by event. On a transient failure, the records whose
        effect is durable are committed and the consumer is told where each partition
        must resume (the failed record and everything after).
        """
        if self._apply_in_batches and len(records) > 1 and self._process_as_one(records):
            return
        self._process_one_by_one(records)

    def _process_as_one(self, records: list[Record]) -> bool:
        """Apply every record in one transaction; False when the batch must be split."""
        envelopes: list[Envelope] = []
        for record in records:
            try:
                envelopes.append(parse_envelope(record.value))
            except InvalidEvent:
                return False  # the per-event path dead-letters it with its reason
        try:
            applied, duplicates = self._apply_all(envelopes)
        except (InvalidEvent, IntegrityError):
            return False
        except Exception as exc:
            positions: dict[tuple[str, int], int] = {}
            for record in records:
                positions.setdefault((record.topic, record.partition), record.offset)
            raise RetryFrom(positions) from exc
        self.applied += applied
        self.duplicates += duplicates
        next_offsets: dict[tuple[str, int], int] = {}
        for record in records:
            next_offsets[(record.topic, record.partition)] = record.offset + 1
        self._subscriber.commit(next_offsets)
        return True

    def _apply_all(self, envelopes: list[Envelope]) -> tuple[int, int]:
        """Effects and dedup rows of every new event in one transaction: (applied, dups).

        The dedup rows go in first, ``ON CONFLICT DO NOTHING RETURNING`` the ids that
        were new: one statement served by the primary key, whatever the table's size (a
        ``SELECT ... IN (500 ids)`` got a sequential-scan plan on PostgreSQL as the table
        grew), and a concurrent member applying the same event makes us skip it, not fail.
        """
        ids = [str(envelope.event_id) for envelope in envelopes]
        with transaction(self._engine) as conn:
            fresh = self._claim(conn, list(dict.fromkeys(ids)))
            applied: set[str] = set()
            run: list[Envelope] = []  # consecutive events whose handlers all batch
            run_handlers: tuple[Handler, ...] = ()
            for envelope, event_id in zip(envelopes, ids, strict=True):
                if event_id not in fresh or event_id in applied:
                    continue  # applied before, or twice in this batch: counts once
                applied.add(event_id)
                handlers = self._handlers.get(envelope.type, ())
                if envelope.type in self._batches:
                    if handlers != run_handlers:
                        _apply_run(conn, run_handlers, run)
                        run, run_handlers = [], handlers
                    run.append(envelope)
                    continue
                _apply_run(conn, run_handlers, run)
                run, run_handlers = [], ()
                for handler in handlers:
                    handler(conn, envelope)
            _apply_run(conn, run_handlers, run)
        return len(applied), len(envelopes) - len(applied)

    def _claim(self, conn: Connection, event_ids: list[str]) -> set[str]:
        """Write the dedup rows of ``event_ids``; return those not applied before.

        One statement whatever the batch size: the ids travel as ONE parameter (a JSON
        array on SQLite, a text array on PostgreSQL) and the database expands them, so a
        batch of 2,000 costs one parameter to bind, not 6,000.
        """
        dialect = conn.dialect.name
        if dialect == "sqlite":
            ids = func.json_each(bindparam("ids", json.dumps(event_ids))).table_valued("value")
        elif dialect == "postgresql":
            unnest = func.unnest(bindparam("ids", event_ids, type_=ARRAY(Text)))
            ids = unnest.table_valued("value").render_derived()  # AS anon(value)
        else:  # koers.db makes no other engine
            raise RuntimeError(f"the consumer supports SQLite and PostgreSQL, not {dialect}")
        table = processed_events_table
        rows = select(
            literal(self._group_id, table.c.consumer_group.type),
            ids.c.value,
            literal(utcnow(), table.c.processed_at.type),
        ).where(true())  # SQLite needs a WHERE before ON CONFLICT on an INSERT ... SELECT
        statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)
        claim = (
            statement.from_select(["consumer_group", "event_id", "processed_at"], rows)
            .on_conflict_do_nothing()
            .returning(table.c.event_id)
        )
        return set(conn.scalars(claim))

    def _process_one_by_one(self, records: list[Record]) -> None:
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


def _apply_run(conn: Connection, handlers: tuple[Handler, ...], run: list[Envelope]) -> None:
    if not run:
        return
    for handler in handlers:
        if isinstance(handler, BatchHandler):
            handler.apply_many(conn, run)


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
