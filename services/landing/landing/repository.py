"""Tables (SQLAlchemy Core) and the queries the landing service runs on them.

Every function takes the caller's connection, so a change and the events it causes
commit together (see ``koers.db.transaction`` and ``koers.messaging.outbox``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from koers.events import CampaignPublished, VariantState
from koers.messaging.schema import add_messaging_tables
from landing import domain

SALT_LIFETIME = timedelta(hours=48)

metadata = sa.MetaData()

pages = sa.Table(
    "pages",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("slug", sa.String(80), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

visitor_salts = sa.Table(
    "visitor_salts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

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
    sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("form_nonce", sa.String(64), nullable=False, unique=True),
    sa.Column("utm", sa.JSON, nullable=False),
    sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("is_demo", sa.Boolean, nullable=False),
    sa.Column("language", sa.String(2), nullable=False, server_default="nl"),
    sa.Column("quiz_result_id", sa.Uuid, nullable=True),
    sa.Column("talent_pool", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("keep_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("procedure_ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True),
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
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_quiz_results_campaign", quiz_results.c.campaign_id, quiz_results.c.created_at)

add_messaging_tables(metadata)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# --- pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedPage:
    campaign_id: str
    tenant_id: str
    slug: str
    version: int
    campaign: CampaignPublished

    @property
    def page(self) -> Any:
        return self.campaign.page


def find_published_page(conn: Connection, slug: str) -> PublishedPage | None:
    row = conn.execute(
        sa.select(pages).where(pages.c.slug == slug, pages.c.status == "published")
    ).first()
    if row is None:
        return None
    return PublishedPage(
        campaign_id=row.campaign_id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        version=row.version,
        campaign=CampaignPublished.model_validate(row.snapshot),
    )


def find_page_by_slug(conn: Connection, slug: str) -> PublishedPage | None:
    """The page with this slug, published or paused."""
    row = conn.execute(sa.select(pages).where(pages.c.slug == slug)).first()
    if row is None:
        return None
    return PublishedPage(
        campaign_id=row.campaign_id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        version=row.version,
        campaign=CampaignPublished.model_validate(row.snapshot),
    )


def find_page_by_campaign(conn: Connection, campaign_id: str) -> PublishedPage | None:
    row = conn.execute(sa.select(pages).where(pages.c.campaign_id == campaign_id)).first()
    if row is None:
        return None
    return PublishedPage(
        campaign_id=row.campaign_id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        version=row.version,
        campaign=CampaignPublished.model_validate(row.snapshot),
    )


def slug_owner(conn: Connection, slug: str) -> str | None:
    owner: str | None = conn.execute(
        sa.select(pages.c.campaign_id).where(pages.c.slug == slug)
    ).scalar()
    return owner


def stored_version(conn: Connection, campaign_id: str) -> int | None:
    version: int | None = conn.execute(
        sa.select(pages.c.version).where(pages.c.campaign_id == campaign_id)
    ).scalar()
    return version


def save_published_page(
    conn: Connection,
    *,
    tenant_id: str,
    campaign_id: str,
    campaign: CampaignPublished,
    now: datetime,
) -> None:
    """Insert or replace the page of a campaign with this published snapshot."""
    values = {
        "tenant_id": tenant_id,
        "slug": campaign.slug,
        "status": "published",
        "version": campaign.page.version,
        "snapshot": campaign.model_dump(mode="json"),
        "updated_at": now,
    }
    updated = conn.execute(
        sa.update(pages).where(pages.c.campaign_id == campaign_id).values(**values)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(pages).values(campaign_id=campaign_id, **values))


def pause_page(conn: Connection, campaign_id: str, now: datetime) -> bool:
    return bool(
        conn.execute(
            sa.update(pages)
            .where(pages.c.campaign_id == campaign_id)
            .values(status="paused", updated_at=now)
        ).rowcount
    )


def update_variant(
    conn: Connection, campaign_id: str, variant: VariantState, now: datetime
) -> bool:
    snapshot = conn.execute(
        sa.select(pages.c.snapshot).where(pages.c.campaign_id == campaign_id)
    ).scalar()
    if snapshot is None:
        return False
    conn.execute(
        sa.update(pages)
        .where(pages.c.campaign_id == campaign_id)
        .values(snapshot=domain.with_variant(snapshot, variant), updated_at=now)
    )
    return True


# --- visitor salts -------------------------------------------------------------------


def daily_salt(conn: Connection, day: date, now: datetime) -> str:
    """Today's random salt; making a new one discards those older than 48 hours."""
    salt: str | None = conn.execute(
        sa.select(visitor_salts.c.salt).where(visitor_salts.c.day == day)
    ).scalar()
    if salt is not None:
        return salt
    fresh = secrets.token_hex(32)
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(visitor_salts).values(day=day, salt=fresh, created_at=now))
    except sa.exc.IntegrityError:
        # Another request made today's salt first; use theirs.
        existing: str = conn.execute(
            sa.select(visitor_salts.c.salt).where(visitor_salts.c.day == day)
        ).scalar_one()
        return existing
    conn.execute(sa.delete(visitor_salts).where(visitor_salts.c.created_at < now - SALT_LIFETIME))
    return fresh


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


_LEAD_TIMES = (
    "consented_at",
    "visited_at",
    "created_at",
    "keep_until",
    "status_changed_at",
    "procedure_ended_at",
    "consent_withdrawn_at",
)


def _lead_from(row: sa.Row[Any]) -> Lead:
    values = {column.name: row._mapping[column.name] for column in leads.c}
    for column in _LEAD_TIMES:
        if values[column] is not None:
            values[column] = as_utc(values[column])
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
        found.append((_lead_from(row), application))
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
    return [_lead_from(row) for row in rows]


def get_quiz_result(conn: Connection, result_id: uuid.UUID) -> QuizResult | None:
    row = conn.execute(sa.select(quiz_results).where(quiz_results.c.id == result_id)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    values["created_at"] = as_utc(values["created_at"])
    values["answers"] = list(values["answers"])
    return QuizResult(**values)


def delete_lead(conn: Connection, lead: Lead) -> int:
    """Delete a lead, its application and quiz answers and the outbox rows that name it
    (queued or sent); returns how many outbox rows went."""
    conn.execute(sa.delete(applications).where(applications.c.lead_id == lead.lead_id))
    conn.execute(sa.delete(leads).where(leads.c.lead_id == lead.lead_id))
    if lead.quiz_result_id is not None:
        conn.execute(sa.delete(quiz_results).where(quiz_results.c.id == lead.quiz_result_id))
    outbox = metadata.tables["outbox"]
    return int(
        conn.execute(sa.delete(outbox).where(outbox.c.value.contains(f'"{lead.lead_id}"'))).rowcount
    )


def leads_for_retention(conn: Connection) -> list[Lead]:
    """Every real (non-demo) lead; the retention rules decide which ones go."""
    rows = conn.execute(sa.select(leads).where(leads.c.is_demo.is_(False))).all()
    return [_lead_from(row) for row in rows]


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


def discard_old_salts(conn: Connection, now: datetime) -> int:
    return int(
        conn.execute(
            sa.delete(visitor_salts).where(visitor_salts.c.created_at < now - SALT_LIFETIME)
        ).rowcount
    )


def find_lead_by_nonce(conn: Connection, form_nonce: str) -> Lead | None:
    row = conn.execute(sa.select(leads).where(leads.c.form_nonce == form_nonce)).first()
    return _lead_from(row) if row else None


def find_leads_by_nonce(conn: Connection, form_nonces: Iterable[str]) -> dict[str, Lead]:
    """The stored leads among ``form_nonces``, by nonce."""
    wanted = list(set(form_nonces))
    if not wanted:
        return {}
    rows = conn.execute(sa.select(leads).where(leads.c.form_nonce.in_(wanted)))
    return {row.form_nonce: _lead_from(row) for row in rows}


def existing_quiz_results(conn: Connection, result_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``result_ids`` that are stored (a lead may name one erased since)."""
    wanted = list(set(result_ids))
    if not wanted:
        return set()
    query = sa.select(quiz_results.c.id).where(quiz_results.c.id.in_(wanted))
    return set(conn.execute(query).scalars())


def get_lead(conn: Connection, lead_id: uuid.UUID) -> Lead | None:
    row = conn.execute(sa.select(leads).where(leads.c.lead_id == lead_id)).first()
    return _lead_from(row) if row else None


def list_leads(
    conn: Connection, campaign_id: str, *, limit: int, offset: int
) -> tuple[list[Lead], int]:
    """A page of a campaign's leads, newest first, and how many there are in all."""
    total = conn.execute(
        sa.select(sa.func.count()).select_from(leads).where(leads.c.campaign_id == campaign_id)
    ).scalar_one()
    rows = conn.execute(
        sa.select(leads)
        .where(leads.c.campaign_id == campaign_id)
        .order_by(leads.c.created_at.desc(), leads.c.lead_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [_lead_from(row) for row in rows], int(total)


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
