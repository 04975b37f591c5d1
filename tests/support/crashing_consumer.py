"""A chassis consumer process that kills itself (SIGKILL) at a chosen point of a batch.

Run as ``python -m tests.support.crashing_consumer URL BOOTSTRAP GROUP TOPIC CAMPAIGN
MODE`` from the repository root. It consumes TOPIC with the real
``EventConsumer`` and ``KafkaSubscriber``; its batch handler appends one row per event to
``tally`` (no unique key, so an event applied twice would show as two rows).

MODE:
- ``in-batch``: die inside the first batch of at least 20 of CAMPAIGN's events, after
  its rows were written but before the transaction commits;
- ``after-commit``: die after the first such batch committed to the database but before
  its offsets are committed to the broker;
- ``none``: run until SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy import Connection

from koers.db import make_engine
from koers.events import Envelope
from koers.messaging.consumer import EventConsumer
from koers.messaging.transport import KafkaPublisher, KafkaSubscriber
from koers.runner import run_until_signalled

TALLY = sa.MetaData()
tally = sa.Table(
    "tally",
    TALLY,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("campaign_id", sa.String(64), nullable=False),
)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class Tally:
    def __init__(self, campaign: str, mode: str) -> None:
        self.campaign = campaign
        self.mode = mode
        self.armed = threading.Event()  # a batch of ours was written: die at commit

    def __call__(self, conn: Connection, envelope: Envelope) -> None:
        self.apply_many(conn, [envelope])

    def apply_many(self, conn: Connection, envelopes: Sequence[Envelope]) -> None:
        conn.execute(
            sa.insert(tally),
            [{"event_id": str(e.event_id), "campaign_id": e.campaign_id} for e in envelopes],
        )
        ours = sum(1 for e in envelopes if e.campaign_id == self.campaign)
        if ours >= 20:
            if self.mode == "in-batch":
                die()
            if self.mode == "after-commit":
                self.armed.set()


class DyingSubscriber(KafkaSubscriber):
    """Dies on the offset commit that follows an armed batch's database commit."""

    def __init__(self, tally_handler: Tally, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._tally = tally_handler

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        if self._tally.armed.is_set():
            die()
        super().commit(offsets)


def main(url: str, bootstrap: str, group: str, topic: str, campaign: str, mode: str) -> None:
    engine = make_engine(url)
    handler = Tally(campaign, mode)
    subscriber = DyingSubscriber(handler, bootstrap, group, [topic])
    consumer = EventConsumer(
        engine=engine,
        subscriber=subscriber,
        dead_letters=KafkaPublisher(bootstrap, client_id=f"{group}-dlq"),
        group_id=group,
        handlers={
            name: [handler]
            for name in ("PageViewed", "EntryStarted", "LeadSubmitted", "QuizCompleted")
        },
    )
    run_until_signalled(consumer.run)
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:7])
