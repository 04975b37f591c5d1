"""Persistence of the weekly proposals (``allocations``): one per campaign and ISO week.

Every write bumps the campaign's ``allocations`` fact version (data health compares
delivery with the approved proposals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from analytics.facts.repository import bump_fact_versions
from analytics.storage.schema import allocations_table
from koers.db import upsert


@dataclass(frozen=True)
class StoredAllocation:
    """One row of ``allocations``: the proposal for a campaign's ISO week, and its fate."""

    campaign_id: str
    week: str
    version: int
    status: str
    budget: Decimal
    conversion: str
    inputs_fingerprint: str
    request: dict[str, Any]
    response: dict[str, Any]
    event_id: str
    proposed_at: datetime
    basis: dict[str, Any] | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str | None = None


def _stored_allocation(row: sa.Row[Any]) -> StoredAllocation:
    return StoredAllocation(
        campaign_id=row.campaign_id,
        week=row.iso_week,
        version=row.version,
        status=row.status,
        budget=Decimal(row.budget),
        conversion=row.conversion,
        inputs_fingerprint=row.inputs_fingerprint,
        request=dict(row.request),
        response=dict(row.response),
        event_id=row.event_id,
        proposed_at=row.proposed_at,
        basis=dict(row.basis) if row.basis is not None else None,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
    )


def allocation_for(
    conn: Connection, campaign_id: str, week: str, *, for_update: bool = False
) -> StoredAllocation | None:
    """The stored proposal of a campaign's ISO week, if any.

    ``for_update`` locks the row on PostgreSQL (SQLite's write transactions already hold
    the database lock), so two concurrent proposals for one week serialise.
    """
    table = allocations_table
    query = sa.select(table).where(table.c.campaign_id == campaign_id, table.c.iso_week == week)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _stored_allocation(row) if row is not None else None


def save_allocation(conn: Connection, allocation: StoredAllocation) -> None:
    """Insert or replace the proposal of a campaign's ISO week (a new version resets it)."""
    row = {
        "version": allocation.version,
        "status": allocation.status,
        "budget": allocation.budget,
        "conversion": allocation.conversion,
        "inputs_fingerprint": allocation.inputs_fingerprint,
        "request": allocation.request,
        "response": allocation.response,
        "basis": allocation.basis,
        "event_id": allocation.event_id,
        "proposed_at": allocation.proposed_at,
        "decided_at": allocation.decided_at,
        "decided_by": allocation.decided_by,
        "decision_note": allocation.decision_note,
    }
    upsert(
        conn,
        allocations_table,
        {"campaign_id": allocation.campaign_id, "iso_week": allocation.week, **row},
        row,
    )
    bump_fact_versions(conn, "allocations", [allocation.campaign_id])


def record_allocation_decision(
    conn: Connection,
    *,
    campaign_id: str,
    week: str,
    status: str,
    decided_by: str,
    note: str | None,
    decided_at: datetime,
) -> None:
    table = allocations_table
    conn.execute(
        sa.update(table)
        .where(table.c.campaign_id == campaign_id, table.c.iso_week == week)
        .values(status=status, decided_by=decided_by, decision_note=note, decided_at=decided_at)
    )
    bump_fact_versions(conn, "allocations", [campaign_id])


def approved_allocations(
    conn: Connection, campaign_id: str, *, up_to_week: str | None = None
) -> list[StoredAllocation]:
    """The campaign's approved proposals, oldest week first (the plans delivery followed)."""
    table = allocations_table
    query = (
        sa.select(table)
        .where(table.c.campaign_id == campaign_id, table.c.status == "approved")
        .order_by(table.c.iso_week)
    )
    if up_to_week is not None:
        query = query.where(table.c.iso_week <= up_to_week)
    return [_stored_allocation(row) for row in conn.execute(query)]
