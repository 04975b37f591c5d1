"""Who receives the weekly memo by e-mail: members who opted in, per employer.

A subscription counts only while its person is still a member: recipients are read
through ``memberships``, so someone removed from an employer gets no more memos even
before their subscription row is cleaned up.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.schema import metadata
from campaigns.tenancy.repository import memberships, users
from koers.db import UtcDateTime, upsert

memo_subscriptions = sa.Table(
    "memo_subscriptions",
    metadata,
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("subscribed_at", UtcDateTime(), nullable=False),
)


def subscribe(conn: Connection, tenant_id: str, user_id: str, at: datetime) -> None:
    upsert(
        conn,
        memo_subscriptions,
        {"tenant_id": tenant_id, "user_id": user_id, "subscribed_at": at},
        ("subscribed_at",),
    )


def unsubscribe(conn: Connection, tenant_id: str, user_id: str) -> None:
    conn.execute(
        sa.delete(memo_subscriptions).where(
            memo_subscriptions.c.tenant_id == tenant_id, memo_subscriptions.c.user_id == user_id
        )
    )


def is_subscribed(conn: Connection, tenant_id: str, user_id: str) -> bool:
    found = conn.execute(
        sa.select(memo_subscriptions.c.user_id).where(
            memo_subscriptions.c.tenant_id == tenant_id, memo_subscriptions.c.user_id == user_id
        )
    ).first()
    return found is not None


def recipients(conn: Connection, tenant_id: str) -> list[str]:
    """The e-mail addresses of the employer's members who opted in, sorted."""
    rows = conn.execute(
        sa.select(users.c.email)
        .join(memo_subscriptions, memo_subscriptions.c.user_id == users.c.id)
        .join(
            memberships,
            sa.and_(
                memberships.c.user_id == users.c.id,
                memberships.c.tenant_id == memo_subscriptions.c.tenant_id,
            ),
        )
        .where(memo_subscriptions.c.tenant_id == tenant_id)
        .order_by(users.c.email)
    )
    return [str(row.email) for row in rows]


def tenants_with_recipients(conn: Connection) -> list[str]:
    """Every employer with at least one member who opted in, sorted by id."""
    rows = conn.execute(
        sa.select(memo_subscriptions.c.tenant_id)
        .join(
            memberships,
            sa.and_(
                memberships.c.user_id == memo_subscriptions.c.user_id,
                memberships.c.tenant_id == memo_subscriptions.c.tenant_id,
            ),
        )
        .distinct()
        .order_by(memo_subscriptions.c.tenant_id)
    )
    return [str(row.tenant_id) for row in rows]
