"""Daily visitor salts, and the queries behind export, erasure and retention of what
candidates sent (on the tables of ``submissions/repository.py``).

Every function takes the caller's connection (see ``koers.db.transaction``).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Connection

from koers.db import UtcDateTime, upsert
from landing.contacts.repository import delete_contacts
from landing.db import metadata, outbox
from landing.submissions.repository import (
    Lead,
    applications,
    lead_from_row,
    leads,
    quiz_results,
)

SALT_LIFETIME = timedelta(hours=48)

visitor_salts = sa.Table(
    "visitor_salts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


# --- visitor salts -------------------------------------------------------------------


def daily_salt(conn: Connection, day: date, now: datetime) -> str:
    """Today's random salt; making a new one discards those older than 48 hours."""
    query = sa.select(visitor_salts.c.salt).where(visitor_salts.c.day == day)
    salt: str | None = conn.execute(query).scalar()
    if salt is not None:
        return salt
    fresh = secrets.token_hex(32)
    # When another request made today's salt first, theirs stays and is used.
    upsert(conn, visitor_salts, {"day": day, "salt": fresh, "created_at": now}, ())
    kept: str = conn.execute(query).scalar_one()
    if kept == fresh:
        discard_old_salts(conn, now)
    return kept


def discard_old_salts(conn: Connection, now: datetime) -> int:
    return int(
        conn.execute(
            sa.delete(visitor_salts).where(visitor_salts.c.created_at < now - SALT_LIFETIME)
        ).rowcount
    )


# --- candidates ----------------------------------------------------------------------


def find_candidate_leads(
    conn: Connection,
    tenant_id: str,
    *,
    lead_id: uuid.UUID | None,
    email: str | None,
    phone_e164: str | None,
) -> list[Lead]:
    """Every lead of a tenant matching any of the given identifiers."""
    matches: list[sa.ColumnElement[bool]] = []
    if lead_id is not None:
        matches.append(leads.c.lead_id == lead_id)
    if email is not None:
        matches.append(sa.func.lower(leads.c.email) == email.lower())
    if phone_e164 is not None:
        matches.append(leads.c.phone_e164 == phone_e164)
    if not matches:
        return []
    rows = conn.execute(
        sa.select(leads)
        .where(leads.c.tenant_id == tenant_id, sa.or_(*matches))
        .order_by(leads.c.created_at)
    ).all()
    return [lead_from_row(row) for row in rows]


def delete_lead(conn: Connection, lead: Lead) -> int:
    """Delete a lead, its application, quiz answers and contact history and the outbox
    rows that name it (queued or sent); returns how many outbox rows went."""
    delete_contacts(conn, lead.lead_id)
    conn.execute(sa.delete(applications).where(applications.c.lead_id == lead.lead_id))
    conn.execute(sa.delete(leads).where(leads.c.lead_id == lead.lead_id))
    if lead.quiz_result_id is not None:
        conn.execute(sa.delete(quiz_results).where(quiz_results.c.id == lead.quiz_result_id))
    return int(
        conn.execute(sa.delete(outbox).where(outbox.c.value.contains(f'"{lead.lead_id}"'))).rowcount
    )


# --- retention -----------------------------------------------------------------------


def leads_for_retention(conn: Connection) -> list[Lead]:
    """Every real (non-demo) lead; the retention rules decide which ones go."""
    rows = conn.execute(sa.select(leads).where(leads.c.is_demo.is_(False))).all()
    return [lead_from_row(row) for row in rows]


def stored_cv_files(conn: Connection) -> set[str]:
    return {
        name
        for name in conn.execute(
            sa.select(applications.c.cv_file).where(applications.c.cv_file.is_not(None))
        ).scalars()
    }


def delete_old_quiz_results(conn: Connection, before: datetime) -> int:
    """Quiz answers no lead points at, older than ``before``."""
    linked = sa.select(leads.c.quiz_result_id).where(leads.c.quiz_result_id.is_not(None))
    return int(
        conn.execute(
            sa.delete(quiz_results).where(
                quiz_results.c.created_at < before, quiz_results.c.id.not_in(linked)
            )
        ).rowcount
    )
