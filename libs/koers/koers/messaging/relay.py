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
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import Engine, func, insert, select, update

from koers.db import transaction
from koers.events import utcnow
from koers.messaging.schema import outbox_table, relay_lease_table
from koers.messaging.transport import Publisher, TopicSizes

log = logging.getLogger(__name__)

LEASE_NAME = "outbox"


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        lease_seconds: float = 15,
        idle_sleep_s: float = 0.2,
        holder: str | None = None,
        topic_sizes: TopicSizes | None = None,
        verify_every_s: float = 60,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._topic_sizes = topic_sizes
        self._verify_every_s = verify_every_s
        self._checked_broker = False  # an empty broker at the first check is a restart
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_seconds)
        self._idle_sleep_s = idle_sleep_s
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire_lease(self) -> bool:
        """Take or renew the lease; True when this relay may publish."""
        now = utcnow()
        with transaction(self._engine) as conn:
            renewed = conn.execute(
                update(relay_lease_table)
                .where(relay_lease_table.c.name == LEASE_NAME)
                .where(
                    (relay_lease_table.c.holder == self.holder)
                    | (relay_lease_table.c.expires_at < now)
                )
                .values(holder=self.holder, expires_at=now + self._lease)
            ).rowcount
            if renewed:
                return True
            exists = conn.execute(
                select(relay_lease_table.c.name).where(relay_lease_table.c.name == LEASE_NAME)
            ).first()
            if exists:
                return False
            conn.execute(
                insert(relay_lease_table).values(
                    name=LEASE_NAME, holder=self.holder, expires_at=now + self._lease
                )
            )
            return True

    def publish_batch(self) -> int:
        """Publish one batch of unsent rows in order; return how many were sent."""
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
            ((row.topic, row.message_key, row.value.encode()) for row in rows), 15
        )
        with transaction(self._engine) as conn:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_([row.id for row in rows]))
                .values(sent_at=utcnow())
            )
        return len(rows)

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
                select(outbox_table.c.topic, func.count())
                .where(outbox_table.c.sent_at.is_not(None))
                .group_by(outbox_table.c.topic)
            ).all()
        sent: dict[str, int] = {str(topic): int(count) for topic, count in rows}
        first_check = not self._checked_broker
        if not sent:
            self._checked_broker = True
            return {}
        held = self._topic_sizes.message_counts(sent)
        self._checked_broker = True
        lost = {topic: count for topic, count in sent.items() if held.get(topic, 0) < count}
        if lost:
            with transaction(self._engine) as conn:
                for topic in lost:
                    conn.execute(
                        update(outbox_table)
                        .where(outbox_table.c.topic == topic)
                        .where(outbox_table.c.sent_at.is_not(None))
                        .values(sent_at=None)
                    )
            details = {"topics": lost, "held": {t: held.get(t, 0) for t in lost}}
            if first_check and not any(held.values()):
                log.info("the broker started empty; publishing the outbox again", extra=details)
            else:
                log.warning(
                    "the broker lost published events; publishing them again", extra=details
                )
        return lost

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set; transport errors are retried with backoff."""
        backoff = 0.5
        verify_at = 0.0  # check the broker before the first batch
        while not stop.is_set():
            try:
                if not self.acquire_lease():
                    stop.wait(self._lease.total_seconds() / 3)
                    continue
                if time.monotonic() >= verify_at:
                    self.republish_what_the_broker_lost()
                    verify_at = time.monotonic() + self._verify_every_s
                sent = self.publish_batch()
                backoff = 0.5
                if sent:
                    log.info("relayed events", extra={"count": sent})
                else:
                    stop.wait(self._idle_sleep_s)
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
