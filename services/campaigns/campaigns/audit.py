"""The audit log: who changed what, when, and how it looked before and after.

Every module that changes something calls :func:`record` inside the same transaction as
the change, so the log and the data can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.repository import audit_log
from koers.events import utcnow


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
            at=row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC),
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
