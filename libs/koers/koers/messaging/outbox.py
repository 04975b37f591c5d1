"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from koers.events import Envelope, utcnow
from koers.messaging.schema import outbox_table


def add_to_outbox(conn: Connection, *envelopes: Envelope) -> None:
    """Record events to publish; they commit or roll back with the caller's change.

    The message key is the campaign id, so one campaign's events stay in order.
    """
    if not envelopes:
        return
    now = utcnow()
    conn.execute(
        insert(outbox_table),
        [
            {
                "event_id": str(envelope.event_id),
                "topic": envelope.topic,
                "message_key": envelope.campaign_id,
                "value": envelope.model_dump_json(),
                "created_at": now,
                "sent_at": None,
            }
            for envelope in envelopes
        ],
    )
