"""Persistence: the service's tables (SQLAlchemy Core) and the queries on them.

Functions take a ``Connection`` so the caller decides the transaction: every write
runs inside ``koers.db.transaction`` together with its audit row and outbox events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.domain import Campaign, DailySpend, Variant
from koers.messaging.schema import add_messaging_tables

metadata = sa.MetaData()

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="ck_users_role"),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("slug", sa.String(80), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("vacancy_title", sa.String(200), nullable=False),
    sa.Column("goal", sa.String(30), nullable=False),
    sa.Column("weekly_budget", sa.Numeric(12, 2), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("page", sa.JSON, nullable=False),
    sa.Column("page_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published', 'paused')", name="ck_campaigns_status"),
    sa.Index("ix_campaigns_tenant", "tenant_id"),
)

variants = sa.Table(
    "variants",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(30), nullable=False),
    sa.Column("creative_format", sa.String(10), nullable=False),
    sa.Column("hook", sa.String(300), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.CheckConstraint("creative_format IN ('image', 'video')", name="ck_variants_creative_format"),
)

spend_days = sa.Table(
    "spend_days",
    metadata,
    sa.Column("campaign_id", sa.String(36), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("spend", sa.Numeric(12, 2), nullable=False),
    sa.Column("impressions", sa.Integer, nullable=False),
    sa.Column("clicks", sa.Integer, nullable=False),
    sa.Column("import_id", sa.String(64), nullable=False),
    sa.ForeignKeyConstraint(
        ["campaign_id", "variant_id"], ["variants.campaign_id", "variants.variant_id"]
    ),
)

allocation_proposals = sa.Table(
    "allocation_proposals",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

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
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_audit_log_tenant_at", "tenant_id", "at"),
)

outbox, relay_lease, processed_events = add_messaging_tables(metadata)


# --- tenants and users ---------------------------------------------------------------


def tenant_id_by_name(conn: Connection, name: str) -> str | None:
    found: str | None = conn.execute(
        sa.select(tenants.c.id).where(tenants.c.name == name)
    ).scalar_one_or_none()
    return found


def add_tenant(conn: Connection, tenant_id: str, name: str) -> None:
    conn.execute(sa.insert(tenants).values(id=tenant_id, name=name))


def user_by_email(conn: Connection, email: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(users).where(users.c.email == email)).first()


def user_by_id(conn: Connection, user_id: str) -> sa.Row[Any] | None:
    return conn.execute(
        sa.select(users, tenants.c.name.label("tenant_name"))
        .join(tenants, tenants.c.id == users.c.tenant_id)
        .where(users.c.id == user_id)
    ).first()


def add_user(
    conn: Connection,
    *,
    user_id: str,
    tenant_id: str,
    email: str,
    password_hash: str,
    role: str,
    created_at: datetime,
) -> None:
    conn.execute(
        sa.insert(users).values(
            id=user_id,
            tenant_id=tenant_id,
            email=email,
            password_hash=password_hash,
            role=role,
            created_at=created_at,
        )
    )


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


# --- campaigns and variants ----------------------------------------------------------


def _campaign(row: sa.Row[Any]) -> Campaign:
    page = row.page if isinstance(row.page, dict) else json.loads(row.page)
    return Campaign(
        id=row.id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        name=row.name,
        vacancy_title=row.vacancy_title,
        goal=row.goal,
        weekly_budget=Decimal(row.weekly_budget),
        status=row.status,
        page=page,
        page_version=row.page_version,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
    )


def _variant(row: sa.Row[Any]) -> Variant:
    return Variant(
        variant_id=row.variant_id,
        name=row.name,
        channel=row.channel,
        creative_format=row.creative_format,
        hook=row.hook,
        live=bool(row.live),
    )


def campaigns_of_tenant(conn: Connection, tenant_id: str) -> list[Campaign]:
    rows = conn.execute(
        sa.select(campaigns)
        .where(campaigns.c.tenant_id == tenant_id)
        .order_by(campaigns.c.created_at.desc(), campaigns.c.slug)
    )
    return [_campaign(row) for row in rows]


def campaign_by_slug(conn: Connection, tenant_id: str, slug: str) -> Campaign | None:
    """A campaign of this tenant; another tenant's campaign is simply not found."""
    row = conn.execute(
        sa.select(campaigns).where(campaigns.c.slug == slug, campaigns.c.tenant_id == tenant_id)
    ).first()
    return _campaign(row) if row else None


def campaign_by_id(conn: Connection, campaign_id: str) -> Campaign | None:
    row = conn.execute(sa.select(campaigns).where(campaigns.c.id == campaign_id)).first()
    return _campaign(row) if row else None


def slug_taken(conn: Connection, slug: str) -> bool:
    found = conn.execute(sa.select(campaigns.c.id).where(campaigns.c.slug == slug)).first()
    return found is not None


def add_campaign(conn: Connection, campaign: Campaign) -> None:
    conn.execute(
        sa.insert(campaigns).values(
            id=campaign.id,
            tenant_id=campaign.tenant_id,
            slug=campaign.slug,
            name=campaign.name,
            vacancy_title=campaign.vacancy_title,
            goal=campaign.goal,
            weekly_budget=campaign.weekly_budget,
            status=campaign.status,
            page=campaign.page,
            page_version=campaign.page_version,
            created_at=campaign.created_at,
            updated_at=campaign.updated_at,
        )
    )


def save_campaign_state(conn: Connection, campaign: Campaign) -> None:
    conn.execute(
        sa.update(campaigns)
        .where(campaigns.c.id == campaign.id)
        .values(
            status=campaign.status,
            page_version=campaign.page_version,
            updated_at=campaign.updated_at,
        )
    )


def variants_of(conn: Connection, campaign_id: str) -> list[Variant]:
    rows = conn.execute(
        sa.select(variants)
        .where(variants.c.campaign_id == campaign_id)
        .order_by(variants.c.variant_id)
    )
    return [_variant(row) for row in rows]


def add_variants(conn: Connection, campaign_id: str, new_variants: Iterable[Variant]) -> None:
    conn.execute(
        sa.insert(variants),
        [
            {
                "campaign_id": campaign_id,
                "variant_id": v.variant_id,
                "name": v.name,
                "channel": v.channel,
                "creative_format": v.creative_format,
                "hook": v.hook,
                "live": v.live,
            }
            for v in new_variants
        ],
    )


# --- spend ---------------------------------------------------------------------------


def upsert_spend_days(
    conn: Connection, campaign_id: str, days: Iterable[DailySpend], import_id: str
) -> None:
    """Store each day's figures; a re-import of the same day replaces it."""
    for day in days:
        key = (
            (spend_days.c.campaign_id == campaign_id)
            & (spend_days.c.variant_id == day.variant_id)
            & (spend_days.c.day == day.day)
        )
        values = {
            "spend": day.spend,
            "impressions": day.impressions,
            "clicks": day.clicks,
            "import_id": import_id,
        }
        if conn.execute(sa.update(spend_days).where(key).values(**values)).rowcount == 0:
            conn.execute(
                sa.insert(spend_days).values(
                    campaign_id=campaign_id, variant_id=day.variant_id, day=day.day, **values
                )
            )


def spend_days_of(conn: Connection, campaign_id: str) -> list[DailySpend]:
    rows = conn.execute(
        sa.select(spend_days)
        .where(spend_days.c.campaign_id == campaign_id)
        .order_by(spend_days.c.day, spend_days.c.variant_id)
    )
    return [
        DailySpend(
            variant_id=row.variant_id,
            day=row.day if isinstance(row.day, date) else date.fromisoformat(row.day),
            spend=Decimal(row.spend),
            impressions=row.impressions,
            clicks=row.clicks,
        )
        for row in rows
    ]


# --- allocation proposals ------------------------------------------------------------


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
    key = (allocation_proposals.c.campaign_id == campaign_id) & (
        allocation_proposals.c.week == week
    )
    values = {
        "payload": payload,
        "event_id": event_id,
        "proposed_at": proposed_at,
        "received_at": received_at,
    }
    existing = conn.execute(sa.select(allocation_proposals.c.proposed_at).where(key)).first()
    if existing is None:
        conn.execute(
            sa.insert(allocation_proposals).values(campaign_id=campaign_id, week=week, **values)
        )
        return True
    stored_at: datetime = existing.proposed_at
    if _aware(stored_at) > _aware(proposed_at):
        return False
    conn.execute(sa.update(allocation_proposals).where(key).values(**values))
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


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for values that were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- audit log -----------------------------------------------------------------------


def add_audit_entry(
    conn: Connection,
    *,
    tenant_id: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    conn.execute(
        sa.insert(audit_log).values(
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            at=at,
        )
    )
