"""The consumer loop: poll -> validate -> apply with the dedup record -> commit offsets.

Rules (after getsentry/arroyo):
- offsets are committed only after the effect of every record before them is durable;
- each event is applied at most once: its id goes into ``processed_events`` in the same
  transaction as the effect, so a redelivery after a crash changes nothing;
- a record that matches no contract, or that its handler rejects with ``InvalidEvent``,
  is *invalid*: it goes to the dead-letter topic with the reason and the loop moves on;
- a record whose bytes cannot be decoded or validated, for any reason (too large, not
  UTF-8, nested too deeply, not an object, wrong types), is invalid too: decoding is pure,
  so no retry could change the outcome;
- an error that says the database or the broker is away (:func:`is_transient`) is
  *transient*: nothing after it is committed, the consumer seeks back to the failed
  record and retries with backoff, for as long as it takes; it is never dead-lettered;
- any other error of a handler (a value the database refuses, a bug that one payload
  triggers) is tried again on that record alone, ``handler_attempts`` times with backoff;
  if it persists while the database answers, only that record is dead-lettered;
- a Kafka error of a rebalance or a broker restart (``TransportError``) never stops the
  loop: it waits, polls again and so rejoins the group; records whose offsets were not
  committed come again and are skipped by their dedup rows.

A polled batch is first applied in ONE transaction (every effect and every dedup row
together), which is what makes one consumer fast: a transaction per event costs a
commit (a disk sync on PostgreSQL) and a dedup look-up each. Events already applied, by
this consumer before a crash or by another member of the group, are skipped. If any
record of the batch is invalid, that transaction is rolled back and the batch is applied
again event by event, so the poison record is dead-lettered and the rest applied as
before. Either way offsets are committed only after the database commit. Handlers that
are :class:`BatchHandler` get consecutive events of a batch in one call.

Dedup rows are kept as long as the event can come again (``keep_processed``, twice the
topics' retention: a record lives on the broker for the retention, and a relay refilling
a broker that lost data publishes rows up to the retention old once more, which then live
a retention again); older ones are deleted in chunks every ``prune_every_s``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from koers.db import ping, transaction
from koers.events import (
    DEAD_LETTER_TOPIC,
    MAX_DEAD_LETTER_VALUE_BYTES,
    DeadLetter,
    Envelope,
    InvalidEvent,
    parse_envelope,
    utcnow,
)
from koers.messaging.schema import processed_events_table
from koers.messaging.transport import Publisher, Record, TransportError

log = logging.getLogger(__name__)

PRUNE_CHUNK = 5_000

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
        handler_attempts: int = 3,
        handler_backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        keep_processed: timedelta | None = None,
        prune_every_s: float = 300,
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
        self._handler_attempts = max(1, handler_attempts)
        self._handler_backoff_s = handler_backoff_s
        self._sleep = sleep
        self._keep_processed = keep_processed
        self._prune_every_s = prune_every_s
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        prune_at = 0.0
        try:
            while not stop.is_set():
                try:
                    self.process(self._subscriber.poll(timeout_ms=500))
                    backoff = 0.2
                    if time.monotonic() >= prune_at:
                        self._prune_quietly()
                        prune_at = time.monotonic() + self._prune_every_s
                except RetryFrom as retry:
                    log.warning(
                        "transient failure; retrying %s in %.1fs",
                        retry,
                        backoff,
                        # An outage's traceback: connection errors, and SQL without its
                        # parameters (koers.db hides them, koers.logs scrubs them).
                        exc_info=retry.__cause__,
                    )
                    stop.wait(backoff)
                    backoff = min(backoff * 2, self._max_backoff_s)
                    for (topic, partition), offset in retry.positions.items():
                        try:
                            self._subscriber.seek(topic, partition, offset)
                        except TransportError:
                            # Not ours any more (a rebalance): whoever gets the partition
                            # resumes from the committed offset, and dedup does the rest.
                            log.warning("seek failed; the group is rebalancing")
                except TransportError as exc:
                    # A rebalance or a broker restart: the next poll rejoins the group and
                    # resumes from the committed offsets (or the earliest, when the broker
                    # came back without them); redelivered records are skipped by dedup.
                    log.warning(
                        "broker or group unavailable; polling again in %.1fs",
                        backoff,
                        extra={"error": _error_name(exc.__cause__ or exc)},
                    )
                    stop.wait(backoff)
                    backoff = min(backoff * 2, self._max_backoff_s)
        finally:
            self._subscriber.close()
            self._dead_letters.close()

    def prune_processed(self, now: datetime | None = None) -> int:
        """Delete this group's dedup rows older than ``keep_processed``; return how many."""
        if self._keep_processed is None:
            return 0
        table = processed_events_table
        cutoff = (now or utcnow()) - self._keep_processed
        total = 0
        while True:
            with transaction(self._engine) as conn:
                oldest = (
                    select(table.c.event_id)
                    .where(table.c.consumer_group == self._group_id)
                    .where(table.c.processed_at < cutoff)
                    .limit(PRUNE_CHUNK)
                    .scalar_subquery()
                )
                deleted = conn.execute(
                    delete(table).where(
                        table.c.consumer_group == self._group_id, table.c.event_id.in_(oldest)
                    )
                ).rowcount
            total += deleted
            if deleted < PRUNE_CHUNK:
                return total

    def _prune_quietly(self) -> None:
        # Pruning is housekeeping: a database hiccup here must not stop consuming.
        try:
            pruned = self.prune_processed()
        except Exception:
            log.warning("pruning processed events failed; trying again later", exc_info=True)
            return
        if pruned:
            log.info("pruned processed events", extra={"count": pruned})

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
                envelopes.append(decode(record))
            except InvalidEvent:
                return False  # the per-event path dead-letters it with its reason
        try:
            applied, duplicates = self._apply_all(envelopes)
        except Exception as exc:
            if not is_transient(exc):
                return False  # find the one record at fault, event by event
            positions: dict[tuple[str, int], int] = {}
            for record in records:
                positions.setdefault((record.topic, record.partition), record.offset)
            raise RetryFrom(positions) from exc
        self.applied += applied
        self.duplicates += duplicates
        next_offsets: dict[tuple[str, int], int] = {}
        for record in records:
            next_offsets[(record.topic, record.partition)] = record.offset + 1
        self._subscriber.commit(next_offsets)  # a TransportError here: redelivered, deduped
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
                positions: dict[tuple[str, int], int] = {}
                for pending in records[index:]:
                    positions.setdefault((pending.topic, pending.partition), pending.offset)
                # A failed commit is fine: those records come again and dedup skips them.
                with contextlib.suppress(TransportError):
                    self._subscriber.commit(next_offsets)
                raise RetryFrom(positions) from failure.__cause__
            next_offsets[(record.topic, record.partition)] = record.offset + 1
        self._subscriber.commit(next_offsets)

    def _handle(self, record: Record) -> None:
        try:
            envelope = decode(record)
        except InvalidEvent as invalid:
            self._dead_letter(record, invalid.reason)
            return
        failure: Exception | None = None
        for attempt in range(1, self._handler_attempts + 1):
            try:
                self._apply(envelope)
                return
            except InvalidEvent as invalid:
                self._dead_letter(record, invalid.reason)
                return
            except Exception as exc:
                if is_transient(exc):
                    raise TransientFailure(record) from exc
                failure = exc
                log.warning(
                    "a handler failed on one record (attempt %d of %d)",
                    attempt,
                    self._handler_attempts,
                    extra={**_where(record), "error": _error_name(exc), "at": _origin(exc)},
                )
                if attempt < self._handler_attempts:
                    self._sleep(self._handler_backoff_s * 2 ** (attempt - 1))
        # The same record failed every time. Before blaming it, make sure the database
        # answers: an outage that surfaces as an unexpected error must be waited out.
        try:
            ping(self._engine)
        except Exception as exc:
            raise TransientFailure(record) from exc
        self._dead_letter(
            record,
            f"handler failed {self._handler_attempts} times: {_error_name(failure)}",
        )

    def _apply(self, envelope: Envelope) -> None:
        handlers = self._handlers.get(envelope.type, ())
        event_id = str(envelope.event_id)
        try:
            with transaction(self._engine) as conn:
                if self._seen(conn, event_id):
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
            with self._engine.connect() as conn:
                applied_elsewhere = self._seen(conn, event_id)
            if not applied_elsewhere:
                raise  # the handler's own constraint refused this event
            # Another member of the group applied it concurrently (during a rebalance):
            # our transaction rolled back, so the effect is still exactly once.
            self.duplicates += 1
            return
        self.applied += 1

    def _seen(self, conn: Connection, event_id: str) -> bool:
        return (
            conn.execute(
                select(processed_events_table.c.event_id).where(
                    processed_events_table.c.consumer_group == self._group_id,
                    processed_events_table.c.event_id == event_id,
                )
            ).first()
            is not None
        )

    def _dead_letter(self, record: Record, reason: str) -> None:
        letter = DeadLetter(
            reason=reason,
            consumer_group=self._group_id,
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_key=record.key.decode(errors="replace") if record.key else None,
            original_key_base64=_b64(record.key),
            original_value_base64=(
                _b64(record.value)
                if record.value is not None and len(record.value) <= MAX_DEAD_LETTER_VALUE_BYTES
                else None
            ),
            original_value_bytes=len(record.value or b""),
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
        log.warning("dead-lettered a message", extra={**_where(record), "reason": reason})


def decode(record: Record) -> Envelope:
    """The record's envelope, or :class:`InvalidEvent` for anything that is not one.

    Decoding touches no database and no broker, so whatever it raises (a
    ``RecursionError`` from deep nesting included) says the bytes are wrong and would be
    wrong again on every retry.
    """
    try:
        return parse_envelope(record.value)
    except InvalidEvent:
        raise
    except Exception as exc:
        raise InvalidEvent(f"undecodable: {type(exc).__name__}") from exc


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,  # connection lost, server shutting down, SQLite "database is locked"
    InterfaceError,
    ProgrammingError,  # a missing table or column: a deploy to finish, not a bad record
    PoolTimeout,
    TransportError,
    ConnectionError,
    TimeoutError,
    OSError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` says a dependency is away (retry forever) rather than the record
    is at fault (retry a few times, then dead-letter)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT_ERRORS)


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def _where(record: Record) -> dict[str, object]:
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset}


def _error_name(exc: BaseException | None) -> str:
    """An exception's type, never its message: messages can quote the data."""
    if exc is None:
        return "unknown"
    orig = getattr(exc, "orig", None)  # a DBAPI error wrapped by SQLAlchemy
    name = type(exc).__name__
    return f"{name} ({type(orig).__name__})" if isinstance(orig, BaseException) else name


def _origin(exc: BaseException) -> str:
    """Where the error was raised (file:line in function), for the log without its text."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    frame = frames[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}"


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
