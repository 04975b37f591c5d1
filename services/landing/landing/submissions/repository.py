"""The tables of what candidates send (leads, applications, quiz results) and the
queries on them.

Every function takes the caller's connection, so a change and the events it causes
commit together (see ``koers.db.transaction`` and ``koers.messaging.outbox``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from koers.db import UtcDateTime
from landing.db import metadata

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("lead_id", sa.Uuid, primary_key=True),
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("campaign_id", sa.String(64), nullable=False),
    sa.Column("variant_id", sa.String(64), nullable=False),
    sa.Column("entry_point", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone_e164", sa.String(20), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("contact_channel", sa.String(16), nullable=False),
    sa.Column("best_moment", sa.String(16), nullable=True),
    sa.Column("consent_text", sa.Text, nullable=False),
    sa.Column("consented_at", UtcDateTime, nullable=False),
    sa.Column("form_nonce", sa.String(64), nullable=False, unique=True),
    sa.Column("utm", sa.JSON, nullable=False),
    sa.Column("visited_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("is_demo", sa.Boolean, nullable=False),
    sa.Column("language", sa.String(2), nullable=False, server_default="nl"),
    sa.Column("quiz_result_id", sa.Uuid, nullable=True),
    sa.Column("talent_pool", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("keep_until", UtcDateTime, nullable=True),
    sa.Column("status_changed_at", UtcDateTime, nullable=True),
    sa.Column("procedure_ended_at", UtcDateTime, nullable=True),
    sa.Column("consent_withdrawn_at", UtcDateTime, nullable=True),
)
sa.Index("ix_leads_campaign_created", leads.c.campaign_id, leads.c.created_at)
sa.Index("ix_leads_tenant_campaign", leads.c.tenant_id, leads.c.campaign_id, leads.c.created_at)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column(
        "lead_id", sa.Uuid, sa.ForeignKey("leads.lead_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("cv_file", sa.String(64), nullable=True),
    sa.Column("cv_filename", sa.String(255), nullable=True),
    sa.Column("cv_kind", sa.String(8), nullable=True),
    sa.Column("cv_bytes", sa.Integer, nullable=True),
    sa.Column("motivation", sa.Text, nullable=True),
)

quiz_results = sa.Table(
    "quiz_results",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("campaign_id", sa.String(64), nullable=False),
    sa.Column("variant_id", sa.String(64), nullable=False),
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("qualified", sa.Boolean, nullable=False),
    sa.Column("form_nonce", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# CVs when they are kept in the database (``cvstore.DatabaseCvStore``).
cv_files = sa.Table(
    "cv_files",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("stored_at", UtcDateTime, nullable=False),
)

# The form rate limit every landing process shares (``ratelimit.SharedRateLimiter``): one
# token bucket per client, keyed by a keyed hash of its IP address (never the address).
# Times are seconds since the epoch, so both databases do the refill arithmetic alike.
rate_buckets = sa.Table(
    "rate_buckets",
    metadata,
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
)
sa.Index("ix_rate_buckets_updated_at", rate_buckets.c.updated_at)
sa.Index("ix_quiz_results_campaign", quiz_results.c.campaign_id, quiz_results.c.created_at)

# --- leads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    lead_id: uuid.UUID
    tenant_id: str
    campaign_id: str
    variant_id: str
    entry_point: str
    name: str
    phone_e164: str | None
    email: str | None
    contact_channel: str
    best_moment: str | None
    consent_text: str
    consented_at: datetime
    form_nonce: str
    utm: dict[str, str]
    visited_at: datetime
    created_at: datetime
    status: str = "new"
    is_demo: bool = False
    language: str = "nl"
    quiz_result_id: uuid.UUID | None = None
    talent_pool: bool = False
    keep_until: datetime | None = None
    status_changed_at: datetime | None = None
    procedure_ended_at: datetime | None = None
    consent_withdrawn_at: datetime | None = None

    def public_fields(self) -> dict[str, Any]:
        """What the internal API returns (the nonce is an implementation detail)."""
        document = asdict(self)
        del document["form_nonce"]
        document["lead_id"] = str(self.lead_id)
        document["quiz_result_id"] = str(self.quiz_result_id) if self.quiz_result_id else None
        return document


def lead_from_row(row: sa.Row[Any]) -> Lead:
    values = {column.name: row._mapping[column.name] for column in leads.c}
    values["utm"] = dict(values["utm"] or {})
    return Lead(**values)


def insert_leads(conn: Connection, *new_leads: Lead) -> None:
    """Raises IntegrityError when a form nonce was used before (a double submit)."""
    # vars(), not asdict(): asdict deep-copies every value (half the insert's time).
    rows = [dict(vars(lead)) for lead in new_leads]
    if len(rows) == 1:
        conn.execute(sa.insert(leads), rows[0])
    elif rows:
        conn.execute(sa.insert(leads), rows)


@dataclass(frozen=True)
class Application:
    lead_id: uuid.UUID
    cv_file: str | None
    cv_filename: str | None
    cv_kind: str | None
    cv_bytes: int | None
    motivation: str | None


def insert_application(conn: Connection, application: Application) -> None:
    conn.execute(sa.insert(applications).values(**asdict(application)))


def get_application(conn: Connection, lead_id: uuid.UUID) -> Application | None:
    row = conn.execute(sa.select(applications).where(applications.c.lead_id == lead_id)).first()
    return Application(**row._mapping) if row else None


@dataclass(frozen=True)
class LeadFilter:
    """What the console may narrow a list by; None means "any"."""

    tenant_id: str | None = None
    campaign_id: str | None = None
    entry_point: str | None = None
    status: str | None = None
    variant_id: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    applications_only: bool = False

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (leads.c.tenant_id, self.tenant_id),
            (leads.c.campaign_id, self.campaign_id),
            (leads.c.entry_point, self.entry_point),
            (leads.c.status, self.status),
            (leads.c.variant_id, self.variant_id),
        ):
            if value is not None:
                found.append(column == value)
        if self.created_from is not None:
            found.append(leads.c.created_at >= self.created_from)
        if self.created_before is not None:
            found.append(leads.c.created_at < self.created_before)
        if self.applications_only:
            found.append(leads.c.entry_point == "apply")
        return found


def search_leads(
    conn: Connection, where: LeadFilter, *, limit: int, offset: int
) -> tuple[list[tuple[Lead, Application | None]], int]:
    """A page of leads (newest first) with their applications, and the total count."""
    conditions = where.conditions()
    total = conn.execute(
        sa.select(sa.func.count()).select_from(leads).where(*conditions)
    ).scalar_one()
    rows = conn.execute(
        sa.select(leads, *[c.label(f"app_{c.name}") for c in applications.c])
        .select_from(leads.outerjoin(applications, applications.c.lead_id == leads.c.lead_id))
        .where(*conditions)
        .order_by(leads.c.created_at.desc(), leads.c.lead_id)
        .limit(limit)
        .offset(offset)
    ).all()
    found: list[tuple[Lead, Application | None]] = []
    for row in rows:
        application = None
        if row._mapping["app_lead_id"] is not None:
            application = Application(
                **{c.name: row._mapping[f"app_{c.name}"] for c in applications.c}
            )
        found.append((lead_from_row(row), application))
    return found, int(total)


def update_lead_status(
    conn: Connection,
    lead_id: uuid.UUID,
    *,
    status: str,
    now: datetime,
    procedure_ended_at: datetime | None,
    consent_withdrawn_at: datetime | None,
) -> bool:
    values: dict[str, Any] = {"status": status, "status_changed_at": now}
    if procedure_ended_at is not None:
        values["procedure_ended_at"] = procedure_ended_at
    if consent_withdrawn_at is not None:
        values["consent_withdrawn_at"] = consent_withdrawn_at
    return bool(
        conn.execute(sa.update(leads).where(leads.c.lead_id == lead_id).values(**values)).rowcount
    )


def get_quiz_result(conn: Connection, result_id: uuid.UUID) -> QuizResult | None:
    row = conn.execute(sa.select(quiz_results).where(quiz_results.c.id == result_id)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    values["answers"] = list(values["answers"])
    return QuizResult(**values)


def find_lead_by_nonce(conn: Connection, form_nonce: str) -> Lead | None:
    row = conn.execute(sa.select(leads).where(leads.c.form_nonce == form_nonce)).first()
    return lead_from_row(row) if row else None


def find_leads_by_nonce(conn: Connection, form_nonces: Iterable[str]) -> dict[str, Lead]:
    """The stored leads among ``form_nonces``, by nonce."""
    wanted = list(set(form_nonces))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(leads).where(leads.c.form_nonce.in_(wanted)))
    return {row.form_nonce: lead_from_row(row) for row in rows}


def existing_quiz_results(conn: Connection, result_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``result_ids`` that are stored (a lead may name one erased since)."""
    wanted = list(set(result_ids))
    if not wanted:
        return set()
    query = sa.select(quiz_results.c.id).where(quiz_results.c.id.in_(wanted))
    return set(conn.execute(query).scalars())


def get_lead(conn: Connection, lead_id: uuid.UUID) -> Lead | None:
    row = conn.execute(sa.select(leads).where(leads.c.lead_id == lead_id)).first()
    return lead_from_row(row) if row else None


def has_demo_leads(conn: Connection, campaign_id: str) -> bool:
    return (
        conn.execute(
            sa.select(leads.c.lead_id)
            .where(leads.c.campaign_id == campaign_id, leads.c.is_demo.is_(True))
            .limit(1)
        ).first()
        is not None
    )


# --- quiz results --------------------------------------------------------------------


@dataclass(frozen=True)
class QuizResult:
    id: uuid.UUID
    tenant_id: str
    campaign_id: str
    variant_id: str
    answers: list[int]
    score: int
    qualified: bool
    form_nonce: str
    created_at: datetime


def insert_quiz_results(conn: Connection, *results: QuizResult) -> None:
    """Raises IntegrityError when a form nonce was used before (a double submit)."""
    if results:
        conn.execute(sa.insert(quiz_results), [asdict(result) for result in results])


def find_quiz_result_by_nonce(conn: Connection, form_nonce: str) -> uuid.UUID | None:
    found: uuid.UUID | None = conn.execute(
        sa.select(quiz_results.c.id).where(quiz_results.c.form_nonce == form_nonce)
    ).scalar()
    return found
