"""Persistence: the service's tables (SQLAlchemy Core) and the queries on them.

Functions take a ``Connection`` so the caller decides the transaction: every write
runs inside ``koers.db.transaction`` together with its audit row and outbox events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.domain import Campaign, DailySpend, Variant
from koers.events import Guardrails
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
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
)

ROLE_CHECK = "role IN ('owner', 'marketer', 'recruiter', 'viewer')"

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(ROLE_CHECK, name="ck_memberships_role"),
    sa.Index("ix_memberships_tenant", "tenant_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("token_prefix", sa.String(16), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_by", sa.String(320), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(ROLE_CHECK, name="ck_api_tokens_role"),
    sa.Index("ix_api_tokens_tenant", "tenant_id"),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
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
    sa.Column("location", sa.String(200), nullable=False, server_default=""),
    sa.Column("hours_min", sa.Integer, nullable=True),
    sa.Column("hours_max", sa.Integer, nullable=True),
    sa.Column("salary_min", sa.Numeric(12, 2), nullable=True),
    sa.Column("salary_max", sa.Numeric(12, 2), nullable=True),
    sa.Column("salary_period", sa.String(10), nullable=False, server_default="month"),
    sa.Column("persona_drivers", sa.Text, nullable=False, server_default=""),
    sa.Column("persona_channels", sa.Text, nullable=False, server_default=""),
    sa.Column("persona_regions", sa.Text, nullable=False, server_default=""),
    sa.Column("starts_on", sa.Date, nullable=True),
    sa.Column("ends_on", sa.Date, nullable=True),
    sa.Column("guardrails", sa.JSON, nullable=True),
    sa.Column("page_published", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint(
        "status IN ('draft', 'live', 'paused', 'ended')", name="ck_campaigns_status"
    ),
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
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("call_to_action", sa.String(100), nullable=False, server_default=""),
    sa.Column("media_url", sa.String(500), nullable=True),
    sa.Column("employee_generated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("tags", sa.JSON, nullable=True),
    sa.Column("ad_key", sa.String(200), nullable=True),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(
        "creative_format IN ('image', 'video', 'carousel')", name="ck_variants_creative_format"
    ),
    sa.Index("uq_variants_campaign_ad_key", "campaign_id", "ad_key", unique=True),
)

page_versions = sa.Table(
    "page_versions",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_by", sa.String(320), nullable=False),
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
    sa.Index("ix_audit_log_object", "tenant_id", "entity", "entity_id"),
)

outbox, relay_lease, processed_events = add_messaging_tables(metadata)


# --- tenants, users and memberships -------------------------------------------------


@dataclass(frozen=True)
class Membership:
    tenant_id: str
    tenant_name: str
    role: str


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    role: str
    created_at: datetime


def tenant_id_by_name(conn: Connection, name: str) -> str | None:
    found: str | None = conn.execute(
        sa.select(tenants.c.id).where(tenants.c.name == name)
    ).scalar_one_or_none()
    return found


def tenant_name(conn: Connection, tenant_id: str) -> str | None:
    found: str | None = conn.execute(
        sa.select(tenants.c.name).where(tenants.c.id == tenant_id)
    ).scalar_one_or_none()
    return found


def add_tenant(conn: Connection, tenant_id: str, name: str) -> None:
    conn.execute(sa.insert(tenants).values(id=tenant_id, name=name))


def user_by_email(conn: Connection, email: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(users).where(users.c.email == email)).first()


def user_by_id(conn: Connection, user_id: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(users).where(users.c.id == user_id)).first()


def add_user(
    conn: Connection, *, user_id: str, email: str, password_hash: str, created_at: datetime
) -> None:
    conn.execute(
        sa.insert(users).values(
            id=user_id, email=email, password_hash=password_hash, created_at=created_at
        )
    )


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def set_last_login(conn: Connection, user_id: str, at: datetime) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(last_login_at=at))


def memberships_of(conn: Connection, user_id: str) -> list[Membership]:
    rows = conn.execute(
        sa.select(memberships.c.tenant_id, memberships.c.role, tenants.c.name)
        .join(tenants, tenants.c.id == memberships.c.tenant_id)
        .where(memberships.c.user_id == user_id)
        .order_by(tenants.c.name)
    )
    return [Membership(tenant_id=r.tenant_id, tenant_name=r.name, role=r.role) for r in rows]


def add_membership(
    conn: Connection, *, user_id: str, tenant_id: str, role: str, created_at: datetime
) -> None:
    conn.execute(
        sa.insert(memberships).values(
            user_id=user_id, tenant_id=tenant_id, role=role, created_at=created_at
        )
    )


def set_membership_role(conn: Connection, *, user_id: str, tenant_id: str, role: str) -> bool:
    result = conn.execute(
        sa.update(memberships)
        .where(memberships.c.user_id == user_id, memberships.c.tenant_id == tenant_id)
        .values(role=role)
    )
    return result.rowcount > 0


def remove_membership(conn: Connection, *, user_id: str, tenant_id: str) -> bool:
    result = conn.execute(
        sa.delete(memberships).where(
            memberships.c.user_id == user_id, memberships.c.tenant_id == tenant_id
        )
    )
    return result.rowcount > 0


def members_of(conn: Connection, tenant_id: str) -> list[Member]:
    rows = conn.execute(
        sa.select(users.c.id, users.c.email, memberships.c.role, memberships.c.created_at)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.tenant_id == tenant_id)
        .order_by(users.c.email)
    )
    return [
        Member(user_id=r.id, email=r.email, role=r.role, created_at=_aware(r.created_at))
        for r in rows
    ]


def count_owners(conn: Connection, tenant_id: str) -> int:
    found: int = conn.execute(
        sa.select(sa.func.count())
        .select_from(memberships)
        .where(memberships.c.tenant_id == tenant_id, memberships.c.role == "owner")
    ).scalar_one()
    return found


# --- API tokens ----------------------------------------------------------------------


@dataclass(frozen=True)
class ApiToken:
    id: str
    tenant_id: str
    name: str
    token_prefix: str
    role: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


def _api_token(row: sa.Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        token_prefix=row.token_prefix,
        role=row.role,
        created_by=row.created_by,
        created_at=_aware(row.created_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
    )


def add_api_token(conn: Connection, token: ApiToken, token_hash: str) -> None:
    conn.execute(
        sa.insert(api_tokens).values(
            id=token.id,
            tenant_id=token.tenant_id,
            name=token.name,
            token_hash=token_hash,
            token_prefix=token.token_prefix,
            role=token.role,
            created_by=token.created_by,
            created_at=token.created_at,
            revoked_at=None,
        )
    )


def api_token_by_hash(conn: Connection, token_hash: str) -> ApiToken | None:
    row = conn.execute(
        sa.select(api_tokens).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
    ).first()
    return _api_token(row) if row else None


def api_tokens_of(conn: Connection, tenant_id: str) -> list[ApiToken]:
    rows = conn.execute(
        sa.select(api_tokens)
        .where(api_tokens.c.tenant_id == tenant_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id)
    )
    return [_api_token(r) for r in rows]


def api_token_of(conn: Connection, tenant_id: str, token_id: str) -> ApiToken | None:
    row = conn.execute(
        sa.select(api_tokens).where(
            api_tokens.c.id == token_id, api_tokens.c.tenant_id == tenant_id
        )
    ).first()
    return _api_token(row) if row else None


def revoke_api_token(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at))


# --- failed logins -------------------------------------------------------------------


@dataclass(frozen=True)
class LoginFailures:
    key: str
    failures: int
    first_failed_at: datetime
    locked_until: datetime | None


def login_failures_of(conn: Connection, keys: Iterable[str]) -> list[LoginFailures]:
    rows = conn.execute(sa.select(login_failures).where(login_failures.c.key.in_(list(keys))))
    return [
        LoginFailures(
            key=r.key,
            failures=r.failures,
            first_failed_at=_aware(r.first_failed_at),
            locked_until=_aware(r.locked_until) if r.locked_until else None,
        )
        for r in rows
    ]


def save_login_failures(conn: Connection, state: LoginFailures) -> None:
    values = {
        "failures": state.failures,
        "first_failed_at": state.first_failed_at,
        "locked_until": state.locked_until,
    }
    updated = conn.execute(
        sa.update(login_failures).where(login_failures.c.key == state.key).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(sa.insert(login_failures).values(key=state.key, **values))


def clear_login_failures(conn: Connection, keys: Iterable[str]) -> None:
    conn.execute(sa.delete(login_failures).where(login_failures.c.key.in_(list(keys))))


# --- campaigns and variants ----------------------------------------------------------


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _campaign(row: sa.Row[Any]) -> Campaign:
    guardrails = _json(row.guardrails) or {}
    return Campaign(
        id=row.id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        name=row.name,
        vacancy_title=row.vacancy_title,
        goal=row.goal,
        weekly_budget=Decimal(row.weekly_budget),
        status=row.status,
        page=_json(row.page),
        page_version=row.page_version,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        location=row.location or "",
        hours_min=row.hours_min,
        hours_max=row.hours_max,
        salary_min=None if row.salary_min is None else Decimal(row.salary_min),
        salary_max=None if row.salary_max is None else Decimal(row.salary_max),
        salary_period=row.salary_period or "month",
        persona_drivers=row.persona_drivers or "",
        persona_channels=row.persona_channels or "",
        persona_regions=row.persona_regions or "",
        starts_on=_date(row.starts_on),
        ends_on=_date(row.ends_on),
        guardrails=Guardrails.model_validate(guardrails),
        page_published=bool(row.page_published),
    )


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _variant(row: sa.Row[Any]) -> Variant:
    return Variant(
        variant_id=row.variant_id,
        name=row.name,
        channel=row.channel,
        creative_format=row.creative_format,
        hook=row.hook,
        live=bool(row.live),
        body=row.body or "",
        call_to_action=row.call_to_action or "",
        media_url=row.media_url,
        employee_generated=bool(row.employee_generated),
        tags=tuple(_json(row.tags) or ()),
        ad_key=row.ad_key,
        archived=bool(row.archived),
    )


def _campaign_values(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "vacancy_title": campaign.vacancy_title,
        "goal": campaign.goal,
        "weekly_budget": campaign.weekly_budget,
        "status": campaign.status,
        "page": campaign.page,
        "page_version": campaign.page_version,
        "updated_at": campaign.updated_at,
        "location": campaign.location,
        "hours_min": campaign.hours_min,
        "hours_max": campaign.hours_max,
        "salary_min": campaign.salary_min,
        "salary_max": campaign.salary_max,
        "salary_period": campaign.salary_period,
        "persona_drivers": campaign.persona_drivers,
        "persona_channels": campaign.persona_channels,
        "persona_regions": campaign.persona_regions,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "guardrails": campaign.guardrails.model_dump(mode="json"),
        "page_published": campaign.page_published,
    }


def campaigns_of_tenant(
    conn: Connection,
    tenant_id: str,
    *,
    status: str | None = None,
    search: str = "",
    limit: int | None = None,
    offset: int = 0,
) -> list[Campaign]:
    query = sa.select(campaigns).where(campaigns.c.tenant_id == tenant_id)
    query = _campaign_filters(query, status, search)
    query = query.order_by(campaigns.c.created_at.desc(), campaigns.c.slug).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [_campaign(row) for row in conn.execute(query)]


def count_campaigns(
    conn: Connection, tenant_id: str, *, status: str | None = None, search: str = ""
) -> int:
    query = sa.select(sa.func.count()).select_from(campaigns)
    query = query.where(campaigns.c.tenant_id == tenant_id)
    total: int = conn.execute(_campaign_filters(query, status, search)).scalar_one()
    return total


def _campaign_filters(query: Any, status: str | None, search: str) -> Any:
    if status:
        query = query.where(campaigns.c.status == status)
    if search:
        pattern = "%" + search.lower().replace("%", "").replace("_", "") + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(campaigns.c.name).like(pattern),
                sa.func.lower(campaigns.c.vacancy_title).like(pattern),
                campaigns.c.slug.like(pattern),
            )
        )
    return query


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
            created_at=campaign.created_at,
            **_campaign_values(campaign),
        )
    )


def save_campaign(conn: Connection, campaign: Campaign) -> None:
    """Write every changeable field of the campaign (never its id, tenant or slug)."""
    conn.execute(
        sa.update(campaigns)
        .where(campaigns.c.id == campaign.id, campaigns.c.tenant_id == campaign.tenant_id)
        .values(**_campaign_values(campaign))
    )


def save_campaign_state(conn: Connection, campaign: Campaign) -> None:
    save_campaign(conn, campaign)


def variants_of(conn: Connection, campaign_id: str) -> list[Variant]:
    rows = conn.execute(
        sa.select(variants)
        .where(variants.c.campaign_id == campaign_id)
        .order_by(variants.c.created_at.nulls_first(), variants.c.variant_id)
    )
    return [_variant(row) for row in rows]


def variant_of(conn: Connection, campaign_id: str, variant_id: str) -> Variant | None:
    row = conn.execute(
        sa.select(variants).where(
            variants.c.campaign_id == campaign_id, variants.c.variant_id == variant_id
        )
    ).first()
    return _variant(row) if row else None


def _variant_values(v: Variant) -> dict[str, Any]:
    return {
        "name": v.name,
        "channel": v.channel,
        "creative_format": v.creative_format,
        "hook": v.hook,
        "live": v.live,
        "body": v.body,
        "call_to_action": v.call_to_action,
        "media_url": v.media_url,
        "employee_generated": v.employee_generated,
        "tags": list(v.tags),
        "ad_key": v.ad_key,
        "archived": v.archived,
    }


def add_variants(
    conn: Connection,
    campaign_id: str,
    new_variants: Iterable[Variant],
    created_at: datetime | None = None,
) -> None:
    rows = [
        {
            "campaign_id": campaign_id,
            "variant_id": v.variant_id,
            "created_at": created_at,
            **_variant_values(v),
        }
        for v in new_variants
    ]
    if rows:
        conn.execute(sa.insert(variants), rows)


def save_variant(conn: Connection, campaign_id: str, variant: Variant) -> None:
    conn.execute(
        sa.update(variants)
        .where(variants.c.campaign_id == campaign_id, variants.c.variant_id == variant.variant_id)
        .values(**_variant_values(variant))
    )


def ad_key_owner(conn: Connection, campaign_id: str, ad_key: str) -> str | None:
    found: str | None = conn.execute(
        sa.select(variants.c.variant_id).where(
            variants.c.campaign_id == campaign_id, variants.c.ad_key == ad_key
        )
    ).scalar_one_or_none()
    return found


# --- published page versions ---------------------------------------------------------


@dataclass(frozen=True)
class PageVersion:
    version: int
    snapshot: dict[str, Any]
    published_at: datetime
    published_by: str


def add_page_version(
    conn: Connection,
    campaign_id: str,
    *,
    version: int,
    snapshot: dict[str, Any],
    published_at: datetime,
    published_by: str,
) -> None:
    conn.execute(
        sa.insert(page_versions).values(
            campaign_id=campaign_id,
            version=version,
            snapshot=snapshot,
            published_at=published_at,
            published_by=published_by,
        )
    )


def page_versions_of(conn: Connection, campaign_id: str) -> list[PageVersion]:
    rows = conn.execute(
        sa.select(page_versions)
        .where(page_versions.c.campaign_id == campaign_id)
        .order_by(page_versions.c.version.desc())
    )
    return [
        PageVersion(
            version=r.version,
            snapshot=_json(r.snapshot),
            published_at=_aware(r.published_at),
            published_by=r.published_by,
        )
        for r in rows
    ]


def latest_page_version(conn: Connection, campaign_id: str) -> PageVersion | None:
    versions = page_versions_of(conn, campaign_id)
    return versions[0] if versions else None


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
