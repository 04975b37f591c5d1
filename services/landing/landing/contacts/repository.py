"""The contact history table and its queries.

Attempts and replies live here, beside the lead, and not in the console's database:
the history says when and how a person was approached, so it goes wherever the lead
goes. Erasure and retention delete it with the lead (``privacy/repository.py``); no
message text is stored, only the channel, the moment and the recruiter's user id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection

from koers.db import UtcDateTime
from landing.db import metadata
from landing.submissions.repository import leads

ContactKind = Literal["attempt", "reply"]
CONTACT_KINDS: tuple[ContactKind, ...] = ("attempt", "reply")

lead_contacts = sa.Table(
    "lead_contacts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "lead_id",
        sa.Uuid,
        sa.ForeignKey("leads.lead_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("recruiter_id", sa.String(64), nullable=False),
)
sa.Index("ix_lead_contacts_lead", lead_contacts.c.lead_id, lead_contacts.c.at)


@dataclass(frozen=True)
class Contact:
    """One attempt to reach a candidate, or their reply (no message text)."""

    id: uuid.UUID
    lead_id: uuid.UUID
    kind: str
    channel: str
    at: datetime
    recruiter_id: str


def _contact(row: sa.Row[Any]) -> Contact:
    return Contact(**row._mapping)


def add_contact(conn: Connection, contact: Contact) -> None:
    conn.execute(sa.insert(lead_contacts).values(**vars(contact)))


def contacts_of(conn: Connection, lead_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Contact]]:
    """The history of each lead, oldest first (one query for a whole page of leads)."""
    found: dict[uuid.UUID, list[Contact]] = {lead_id: [] for lead_id in lead_ids}
    if not lead_ids:
        return found
    rows = conn.execute(
        sa.select(lead_contacts)
        .where(lead_contacts.c.lead_id.in_(list(lead_ids)))
        .order_by(lead_contacts.c.at, lead_contacts.c.id)
    ).all()
    for row in rows:
        found[row.lead_id].append(_contact(row))
    return found


def delete_contacts(conn: Connection, lead_id: uuid.UUID) -> None:
    """Explicit, not only by the foreign key: SQLite enforces it only when asked to."""
    conn.execute(sa.delete(lead_contacts).where(lead_contacts.c.lead_id == lead_id))


@dataclass(frozen=True)
class LeadContactFacts:
    """What speed-to-lead figures need of one lead: no name, no number, no text."""

    lead_id: uuid.UUID
    created_at: datetime
    contact_channel: str
    status: str
    contacts: tuple[Contact, ...]


def campaign_contact_facts(
    conn: Connection, tenant_id: str, campaign_id: str, *, created_from: datetime, limit: int
) -> list[LeadContactFacts]:
    """A campaign's leads created since ``created_from`` (newest first, at most ``limit``)
    with their contact history."""
    rows = conn.execute(
        sa.select(leads.c.lead_id, leads.c.created_at, leads.c.contact_channel, leads.c.status)
        .where(
            leads.c.tenant_id == tenant_id,
            leads.c.campaign_id == campaign_id,
            leads.c.created_at >= created_from,
        )
        .order_by(leads.c.created_at.desc(), leads.c.lead_id)
        .limit(limit)
    ).all()
    histories = _contacts_in_chunks(conn, [row.lead_id for row in rows])
    return [_facts(row, histories) for row in rows]


def tenant_contact_facts(
    conn: Connection,
    tenant_id: str,
    campaign_ids: Sequence[str],
    *,
    created_from: datetime,
    limit: int,
) -> dict[str, list[LeadContactFacts]]:
    """Per campaign of ``campaign_ids``, what :func:`campaign_contact_facts` answers for
    it (newest first, at most ``limit`` each), in one query for the leads and one per 500
    for their histories. Only the tenant's leads are read: a campaign of another tenant
    has none here, whoever asks for it."""
    found: dict[str, list[LeadContactFacts]] = {campaign_id: [] for campaign_id in campaign_ids}
    if not campaign_ids:
        return found
    # Each campaign's newest ``limit`` leads in one statement: a window numbering the
    # leads per campaign, served by ix_leads_tenant_campaign (SQLite and PostgreSQL).
    rank = (
        sa.func.row_number()
        .over(
            partition_by=leads.c.campaign_id,
            order_by=(leads.c.created_at.desc(), leads.c.lead_id),
        )
        .label("rank")
    )
    numbered = (
        sa.select(
            leads.c.lead_id,
            leads.c.campaign_id,
            leads.c.created_at,
            leads.c.contact_channel,
            leads.c.status,
            rank,
        )
        .where(
            leads.c.tenant_id == tenant_id,
            leads.c.campaign_id.in_(list(campaign_ids)),
            leads.c.created_at >= created_from,
        )
        .subquery()
    )
    rows = conn.execute(
        sa.select(numbered)
        .where(numbered.c.rank <= limit)
        .order_by(numbered.c.campaign_id, numbered.c.rank)
    ).all()
    histories = _contacts_in_chunks(conn, [row.lead_id for row in rows])
    for row in rows:
        found[row.campaign_id].append(_facts(row, histories))
    return found


def _facts(row: Any, histories: Mapping[uuid.UUID, list[Contact]]) -> LeadContactFacts:
    return LeadContactFacts(
        lead_id=row.lead_id,
        created_at=row.created_at,
        contact_channel=row.contact_channel,
        status=row.status,
        contacts=tuple(histories.get(row.lead_id, ())),
    )


def _contacts_in_chunks(
    conn: Connection, lead_ids: Iterable[uuid.UUID], size: int = 500
) -> dict[uuid.UUID, list[Contact]]:
    # Bounded IN lists: SQLite and PostgreSQL both take 500 parameters comfortably.
    ids = list(lead_ids)
    found: dict[uuid.UUID, list[Contact]] = {}
    for start in range(0, len(ids), size):
        found.update(contacts_of(conn, ids[start : start + size]))
    return found
