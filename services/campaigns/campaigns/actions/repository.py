"""Dismissed next best actions: which advice an employer set aside for a campaign, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.schema import metadata
from koers.db import UtcDateTime, upsert

action_dismissals = sa.Table(
    "action_dismissals",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("action_key", sa.String(200), primary_key=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("dismissed_by", sa.String(320), nullable=False),
    sa.Column("dismissed_at", UtcDateTime(), nullable=False),
)


def dismissed(conn: Connection, campaign_id: str) -> dict[str, str]:
    """action key -> the reason it was dismissed."""
    rows = conn.execute(
        sa.select(action_dismissals.c.action_key, action_dismissals.c.reason).where(
            action_dismissals.c.campaign_id == campaign_id
        )
    )
    return {row.action_key: row.reason for row in rows}


def dismissed_of(conn: Connection, campaign_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """:func:`dismissed` for several campaigns in one query."""
    found: dict[str, dict[str, str]] = {campaign_id: {} for campaign_id in campaign_ids}
    if not campaign_ids:
        return found
    table = action_dismissals
    rows = conn.execute(
        sa.select(table.c.campaign_id, table.c.action_key, table.c.reason).where(
            table.c.campaign_id.in_(list(campaign_ids))
        )
    )
    for row in rows:
        found[row.campaign_id][row.action_key] = row.reason
    return found


def dismiss(
    conn: Connection, campaign_id: str, key: str, reason: str, *, by: str, at: datetime
) -> None:
    upsert(
        conn,
        action_dismissals,
        {
            "campaign_id": campaign_id,
            "action_key": key,
            "reason": reason,
            "dismissed_by": by,
            "dismissed_at": at,
        },
        ("reason", "dismissed_by", "dismissed_at"),
    )
