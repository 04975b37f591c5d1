"""The audit log: who changed what, when, and how it looked before and after.

Every module that changes something calls :func:`record` inside the same transaction as
the change, so the log and the data can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.schema import metadata
from koers.db import UtcDateTime
from koers.events import utcnow

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(36), nullable=False),
    sa.Column("actor", sa.String(320), nullable=False),
    sa.Column("action", sa.String(50), nullable=False),
    sa.Column("entity", sa.String(50), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_audit_log_tenant_at", "tenant_id", "at"),
    sa.Index("ix_audit_log_object", "tenant_id", "entity", "entity_id"),
)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    tenant_id: str
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


def record(
    conn: Connection,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime | None = None,
) -> None:
    """Write one audit row; ``before``/``after`` must be JSON-serialisable (no personal data)."""
    conn.execute(
        sa.insert(audit_log).values(
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            entity=object_type,
            entity_id=object_id,
            before=before,
            after=after,
            at=at or utcnow(),
        )
    )


def entries(
    conn: Connection,
    tenant_id: str,
    *,
    object_type: str | None = None,
    object_ids: tuple[str, ...] = (),
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """Newest first; only this tenant's rows, optionally for some objects."""
    query = sa.select(audit_log).where(audit_log.c.tenant_id == tenant_id)
    if object_type is not None:
        query = query.where(audit_log.c.entity == object_type)
    if object_ids:
        query = query.where(audit_log.c.entity_id.in_(object_ids))
    query = query.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit).offset(offset)
    return [
        AuditEntry(
            id=row.id,
            tenant_id=row.tenant_id,
            actor=row.actor,
            action=row.action,
            object_type=row.entity,
            object_id=row.entity_id,
            before=row.before,
            after=row.after,
            at=row.at,
        )
        for row in conn.execute(query)
    ]


def count(conn: Connection, tenant_id: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(audit_log)
    if tenant_id is not None:
        query = query.where(audit_log.c.tenant_id == tenant_id)
    total: int = conn.execute(query).scalar_one()
    return total


def count_for(conn: Connection, tenant_id: str, object_ids: tuple[str, ...]) -> int:
    total: int = conn.execute(
        sa.select(sa.func.count())
        .select_from(audit_log)
        .where(audit_log.c.tenant_id == tenant_id, audit_log.c.entity_id.in_(object_ids))
    ).scalar_one()
    return total
