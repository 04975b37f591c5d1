"""Tables every service keeps for messaging, in its own database.

- ``outbox``: events written in the same transaction as the change that caused them.
- ``relay_lease``: which relay process may publish right now (one at a time keeps each
  campaign's events in order; a second relay waits as a hot standby). Its ``token`` goes
  up by one whenever the lease changes hands: a relay marks rows sent only while the row
  still carries the token it took, so one that stalled and lost the lease cannot.
- ``relay_topic_counts``: per topic, how many messages the relays have published (the
  broker check compares it with the broker's end offsets, whatever the outbox still keeps).
- ``processed_events``: event ids a consumer has applied, written in the same
  transaction as the effect, so a redelivered event changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

OUTBOX = "outbox"
RELAY_LEASE = "relay_lease"
RELAY_TOPIC_COUNTS = "relay_topic_counts"
PROCESSED_EVENTS = "processed_events"


def outbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    ]


def relay_lease_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.BigInteger, nullable=False, server_default="0"),
    ]


def relay_topic_counts_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("sent", sa.BigInteger, nullable=False),
    ]


def processed_events_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer_group", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def add_messaging_tables(
    metadata: sa.MetaData,
) -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    """Declare the messaging tables on a service's metadata (for its repository code)."""
    outbox = sa.Table(OUTBOX, metadata, *outbox_columns())
    sa.Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.id)
    lease = sa.Table(RELAY_LEASE, metadata, *relay_lease_columns())
    counts = sa.Table(RELAY_TOPIC_COUNTS, metadata, *relay_topic_counts_columns())
    processed = sa.Table(PROCESSED_EVENTS, metadata, *processed_events_columns())
    sa.Index("ix_processed_events_age", processed.c.processed_at)
    return outbox, lease, counts, processed


def create_messaging_tables(op: Any) -> None:
    """Used by each service's first Alembic migration (the tables as they were then;
    :func:`add_fencing_and_bounds` brings them up to date)."""
    op.create_table(OUTBOX, *outbox_columns())
    op.create_index("ix_outbox_unsent", OUTBOX, ["sent_at", "id"])
    op.create_table(RELAY_LEASE, *relay_lease_columns()[:3])
    op.create_table(PROCESSED_EVENTS, *processed_events_columns())


def add_fencing_and_bounds(op: Any) -> None:
    """The lease's fencing token, the per-topic sent counts (seeded from what the outbox
    marked sent so far) and the index that prunes old dedup rows; one migration per
    service calls this."""
    with op.batch_alter_table(RELAY_LEASE) as batch:
        batch.add_column(relay_lease_columns()[3])
    op.create_table(RELAY_TOPIC_COUNTS, *relay_topic_counts_columns())
    op.execute(
        f"INSERT INTO {RELAY_TOPIC_COUNTS} (topic, sent) "
        f"SELECT topic, count(*) FROM {OUTBOX} WHERE sent_at IS NOT NULL GROUP BY topic"
    )
    op.create_index("ix_processed_events_age", PROCESSED_EVENTS, ["processed_at"])


def drop_fencing_and_bounds(op: Any) -> None:
    op.drop_index("ix_processed_events_age", PROCESSED_EVENTS)
    op.drop_table(RELAY_TOPIC_COUNTS)
    with op.batch_alter_table(RELAY_LEASE) as batch:
        batch.drop_column("token")


MESSAGING_METADATA = sa.MetaData()
outbox_table, relay_lease_table, relay_topic_counts_table, processed_events_table = (
    add_messaging_tables(MESSAGING_METADATA)
)
