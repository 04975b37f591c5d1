"""The outbox relay: publish unsent outbox rows to Kafka, then mark them sent.

Only the holder of the relay lease publishes, so running two relays at once is safe
and keeps each campaign's events in order (the other waits as a hot standby). A crash
between publishing and marking means the batch is published again: consumers dedup on
``event_id``, so the effect stays exactly-once.

A broker can also forget what it was sent: the embedded broker keeps its log in memory,
and a Kafka cluster can lose an unreplicated partition. Each topic has exactly one
producing service, whose outbox holds every event it ever produced, so a topic that now
holds fewer messages than the outbox marked sent has lost some. The relay then marks that
topic's rows unsent and publishes them again in their original order; consumers dedup on
``event_id``. It checks when it starts, after every failed publish and once a minute.

Finding the broker wholly empty at the relay's first check is what the embedded broker
does on every ``make run`` (it keeps nothing across restarts): the refill is logged at
INFO. An empty outbox-sent record (a first start) has nothing to check at all. Any other
shortfall (a broker that lost messages while this relay ran, or lost some topics but not
others) is a WARNING.

The check is incremental: marking a batch sent adds its size to ``relay_topic_counts`` in
the same transaction, so a check reads one row per topic, never the outbox. That is also
what lets the outbox stay small: sent rows are deleted once the broker's retention has
passed (the broker would not hold them either), while the counts keep what was sent.

Fencing: the lease row carries a token that goes up whenever another relay takes it. A
relay publishes a batch only within its lease (the publish is cut off at a deadline
clearly before the lease expires: ``publish_timeout_s``, 5 s against 15 s), and marks the
batch sent only in a transaction that finds its own token still on the lease row. A relay
that stalled (a long GC or a paused VM) and lost the lease therefore neither marks rows
nor counts them; what it may already have handed to the producer is a duplicate that
consumers drop by ``event_id``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update

from koers.db import transaction, upsert
from koers.events import utcnow
from koers.messaging.schema import outbox_table, relay_lease_table, relay_topic_counts_table
from koers.messaging.transport import Publisher, TopicSizes

log = logging.getLogger(__name__)

LOG_EVERY_S = 10.0
"""At most one "relayed events" line this often while the relay keeps publishing."""

LEASE_NAME = "outbox"
PRUNE_CHUNK = 5_000


class LeaseLost(Exception):
    """Another relay took the lease (its token is on the row now): this one stops."""


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        lease_seconds: float = 15,
        publish_timeout_s: float = 5,
        idle_sleep_s: float = 0.2,
        holder: str | None = None,
        topic_sizes: TopicSizes | None = None,
        verify_every_s: float = 60,
        keep_sent: timedelta | None = None,
    ) -> None:
        if publish_timeout_s >= lease_seconds / 2:
            raise ValueError("the publish timeout must be well within the lease")
        self._engine = engine
        self._publisher = publisher
        self._topic_sizes = topic_sizes
        self._verify_every_s = verify_every_s
        self._checked_broker = False  # an empty broker at the first check is a restart
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_seconds)
        self._publish_timeout_s = publish_timeout_s
        self._idle_sleep_s = idle_sleep_s
        self._keep_sent = keep_sent
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.token: int | None = None  # the fencing token of the lease this relay holds
        self._lease_ends = 0.0  # monotonic; measured from before the lease was written

    def acquire_lease(self) -> bool:
        """Take or renew the lease; True when this relay may publish.

        Taking the lease over from another holder (or creating it) raises its token.
        """
        started = time.monotonic()
        now = utcnow()
        lease = relay_lease_table
        with transaction(self._engine) as conn:
            row = conn.execute(
                select(lease.c.holder, lease.c.token, lease.c.expires_at).where(
                    lease.c.name == LEASE_NAME
                )
            ).first()
            if row is None:
                conn.execute(
                    insert(lease).values(
                        name=LEASE_NAME, holder=self.holder, expires_at=now + self._lease, token=1
                    )
                )
                token = 1
            else:
                mine = row.holder == self.holder and row.token == self.token
                token = int(row.token) if mine else int(row.token) + 1
                # The WHERE repeats what was read: a relay that took the lease in between
                # changed the token, so this update matches nothing.
                taken = conn.execute(
                    update(lease)
                    .where(lease.c.name == LEASE_NAME, lease.c.token == row.token)
                    .where((lease.c.holder == self.holder) | (lease.c.expires_at < now))
                    .values(holder=self.holder, expires_at=now + self._lease, token=token)
                ).rowcount
                if not taken:
                    self.token = None
                    return False
        self.token = token
        self._lease_ends = started + self._lease.total_seconds()
        return True

    def publish_batch(self) -> int:
        """Publish one batch of unsent rows in order; return how many were sent.

        Raises :class:`LeaseLost` when another relay holds the lease by the time the
        batch is to be marked sent (nothing is marked then).
        """
        margin = self._lease.total_seconds() / 10
        timeout = min(self._publish_timeout_s, self._lease_ends - margin - time.monotonic())
        if self.token is None or timeout <= 0:
            return 0  # no lease, or too little of it left: renew first
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    outbox_table.c.id,
                    outbox_table.c.topic,
                    outbox_table.c.message_key,
                    outbox_table.c.value,
                )
                .where(outbox_table.c.sent_at.is_(None))
                .order_by(outbox_table.c.id)
                .limit(self._batch_size)
            ).all()
        if not rows:
            return 0
        self._publisher.publish(
            ((row.topic, row.message_key, row.value.encode()) for row in rows), timeout
        )
        per_topic: dict[str, int] = {}
        for row in rows:
            per_topic[row.topic] = per_topic.get(row.topic, 0) + 1
        with transaction(self._engine) as conn:
            self._fence(conn)
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_([row.id for row in rows]))
                .values(sent_at=utcnow())
            )
            upsert(
                conn,
                relay_topic_counts_table,
                [{"topic": topic, "sent": count} for topic, count in per_topic.items()],
                ["sent"],
                add=True,
            )
        return len(rows)

    def _fence(self, conn: Connection) -> None:
        """Renew the lease inside ``conn``'s transaction, or raise if it is not ours."""
        started = time.monotonic()
        renewed = conn.execute(
            update(relay_lease_table)
            .where(
                relay_lease_table.c.name == LEASE_NAME,
                relay_lease_table.c.holder == self.holder,
                relay_lease_table.c.token == self.token,
            )
            .values(expires_at=utcnow() + self._lease)
        ).rowcount
        if not renewed:
            self.token = None
            raise LeaseLost(self.holder)
        self._lease_ends = started + self._lease.total_seconds()

    def republish_what_the_broker_lost(self) -> dict[str, int]:
        """Mark unsent the rows of every topic the broker holds fewer messages of than sent.

        Returns, per repaired topic, how many rows will be published again. A topic holding
        more messages than were marked sent (a batch published twice, a test's own
        message) is fine and left alone.
        """
        if self._topic_sizes is None:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(relay_topic_counts_table.c.topic, relay_topic_counts_table.c.sent).where(
                    relay_topic_counts_table.c.sent > 0
                )
            ).all()
        sent: dict[str, int] = {str(topic): int(count) for topic, count in rows}
        first_check = not self._checked_broker
        if not sent:
            self._checked_broker = True
            return {}
        held = self._topic_sizes.message_counts(sent)
        self._checked_broker = True
        lost_topics = [topic for topic, count in sent.items() if held.get(topic, 0) < count]
        if not lost_topics:
            return {}
        lost: dict[str, int] = {}
        with transaction(self._engine) as conn:
            self._fence(conn)
            for topic in lost_topics:
                lost[topic] = conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.topic == topic)
                    .where(outbox_table.c.sent_at.is_not(None))
                    .values(sent_at=None)
                ).rowcount
                # What the broker holds now; publishing the rows again adds them back.
                conn.execute(
                    update(relay_topic_counts_table)
                    .where(relay_topic_counts_table.c.topic == topic)
                    .values(sent=held.get(topic, 0))
                )
        details = {"topics": lost, "held": {t: held.get(t, 0) for t in lost}}
        if first_check and not any(held.values()):
            log.info("the broker started empty; publishing the outbox again", extra=details)
        else:
            log.warning("the broker lost published events; publishing them again", extra=details)
        return lost

    def prune_sent(self) -> int:
        """Delete rows sent longer ago than the broker keeps messages; return how many.

        In chunks, so no delete holds locks for long. Rows the broker has dropped by its
        retention could not be refilled into it anyway; the topic counts keep them.
        """
        if self._keep_sent is None:
            return 0
        cutoff = utcnow() - self._keep_sent
        total = 0
        while True:
            with transaction(self._engine) as conn:
                oldest = (
                    select(outbox_table.c.id)
                    .where(outbox_table.c.sent_at < cutoff)
                    .order_by(outbox_table.c.id)
                    .limit(PRUNE_CHUNK)
                    .scalar_subquery()
                )
                deleted = conn.execute(
                    delete(outbox_table).where(outbox_table.c.id.in_(oldest))
                ).rowcount
            total += deleted
            if deleted < PRUNE_CHUNK:
                return total

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set; transport errors are retried with backoff."""
        backoff = 0.5
        verify_at = 0.0  # check the broker (and prune) before the first batch
        # One "relayed events" line per busy stretch or per LOG_EVERY_S, not per batch:
        # refilling a broker is hundreds of batches, which buried everything else.
        relayed, since = 0, time.monotonic()
        while not stop.is_set():
            try:
                if not self.acquire_lease():
                    stop.wait(self._lease.total_seconds() / 3)
                    continue
                if time.monotonic() >= verify_at:
                    self.republish_what_the_broker_lost()
                    pruned = self.prune_sent()
                    if pruned:
                        log.info("pruned sent outbox rows", extra={"count": pruned})
                    verify_at = time.monotonic() + self._verify_every_s
                sent = self.publish_batch()
                backoff = 0.5
                relayed += sent
                if relayed and (not sent or time.monotonic() - since >= LOG_EVERY_S):
                    log.info("relayed events", extra={"count": relayed})
                    relayed, since = 0, time.monotonic()
                if not sent:
                    stop.wait(self._idle_sleep_s)
            except LeaseLost:
                log.warning("another relay took the lease; standing by")
            except Exception:
                log.warning("relay failed; retrying in %.1fs", backoff, exc_info=True)
                verify_at = 0.0  # a broker that was away may have come back empty
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)


def run_until(deadline_s: float, relay: OutboxRelay) -> int:
    """Publish until the outbox is empty or the deadline passes (used by seeds and tests)."""
    total = 0
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if relay.acquire_lease():
            sent = relay.publish_batch()
            total += sent
            if sent == 0:
                return total
        else:
            time.sleep(0.2)
    return total
