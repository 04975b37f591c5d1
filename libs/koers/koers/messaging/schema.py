"""Tables every service keeps for messaging, in its own database.

- ``outbox``: events written in the same transaction as the change that caused them.
- ``relay_lease``: which relay process may publish right now (one at a time keeps each
  campaign's events in order; a second relay waits as a hot standby).
- ``processed_events``: event ids a consumer has applied, written in the same
  transaction as the effect, so a redelivered event changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

OUTBOX = "outbox"
RELAY_LEASE = "relay_lease"
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
    ]


def processed_events_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer_group", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def add_messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    """Declare the messaging tables on a service's metadata (for its repository code)."""
    outbox = sa.Table(OUTBOX, metadata, *outbox_columns())
    sa.Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.id)
    lease = sa.Table(RELAY_LEASE, metadata, *relay_lease_columns())
    processed = sa.Table(PROCESSED_EVENTS, metadata, *processed_events_columns())
    return outbox, lease, processed


def create_messaging_tables(op: Any) -> None:
    """Used by each service's first Alembic migration."""
    op.create_table(OUTBOX, *outbox_columns())
    op.create_index("ix_outbox_unsent", OUTBOX, ["sent_at", "id"])
    op.create_table(RELAY_LEASE, *relay_lease_columns())
    op.create_table(PROCESSED_EVENTS, *processed_events_columns())


MESSAGING_METADATA = sa.MetaData()
outbox_table, relay_lease_table, processed_events_table = add_messaging_tables(MESSAGING_METADATA)
