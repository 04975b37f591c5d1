"""Persistence of analytics' allocation proposals, as they arrive by event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.schema import metadata
from koers.db import UtcDateTime, as_utc, upsert

allocation_proposals = sa.Table(
    "allocation_proposals",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("proposed_at", UtcDateTime(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)


def upsert_allocation_proposal(
    conn: Connection,
    *,
    campaign_id: str,
    week: str,
    payload: dict[str, Any],
    event_id: str,
    proposed_at: datetime,
    received_at: datetime,
) -> bool:
    """Keep the newest proposal per campaign and week; an older one arriving late is ignored.

    Returns whether the stored proposal changed.
    """
    stored_at: datetime | None = conn.execute(
        sa.select(allocation_proposals.c.proposed_at).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week == week,
        )
    ).scalar_one_or_none()
    if stored_at is not None and stored_at > as_utc(proposed_at):
        return False
    upsert(
        conn,
        allocation_proposals,
        {
            "campaign_id": campaign_id,
            "week": week,
            "payload": payload,
            "event_id": event_id,
            "proposed_at": proposed_at,
            "received_at": received_at,
        },
        ("payload", "event_id", "proposed_at", "received_at"),
    )
    return True


def allocation_proposal(conn: Connection, campaign_id: str, week: str) -> dict[str, Any] | None:
    row = conn.execute(
        sa.select(allocation_proposals.c.payload).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week == week,
        )
    ).first()
    if row is None:
        return None
    payload: dict[str, Any] = row.payload
    return payload


def allocation_event_id(conn: Connection, campaign_id: str, week: str) -> str | None:
    """The event id of the stored proposal of ``week``, None when there is none."""
    found: str | None = conn.execute(
        sa.select(allocation_proposals.c.event_id).where(
            allocation_proposals.c.campaign_id == campaign_id,
            allocation_proposals.c.week == week,
        )
    ).scalar_one_or_none()
    return found
