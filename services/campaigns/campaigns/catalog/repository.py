"""Persistence of campaigns, their creatives and published page versions (SQLAlchemy Core).

Functions take a ``Connection`` so the caller decides the transaction: every write
runs inside ``koers.db.transaction`` together with its audit row and outbox events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.catalog.domain import Campaign, Variant
from campaigns.errors import CAMPAIGN_CHANGED, CampaignChanged
from campaigns.schema import metadata
from koers.db import UtcDateTime
from koers.events import Guardrails

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
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("location", sa.String(200), nullable=False, server_default=""),
    sa.Column("hours_min", sa.Integer, nullable=True),
    sa.Column("hours_max", sa.Integer, nullable=True),
    sa.Column("salary_min", sa.Numeric(12, 2), nullable=True),
    sa.Column("salary_max", sa.Numeric(12, 2), nullable=True),
    sa.Column("salary_period", sa.String(10), nullable=False, server_default="month"),
    sa.Column("persona_drivers", sa.Text, nullable=False, server_default=""),
    sa.Column("persona_channels", sa.Text, nullable=False, server_default=""),
    sa.Column("persona_regions", sa.Text, nullable=False, server_default=""),
    sa.Column("audience_segments", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("target_regions", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("target_channels", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("starts_on", sa.Date, nullable=True),
    sa.Column("ends_on", sa.Date, nullable=True),
    sa.Column("guardrails", sa.JSON, nullable=True),
    sa.Column("page_published", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
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
    sa.Column("created_at", UtcDateTime(), nullable=True),
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
    sa.Column("published_at", UtcDateTime(), nullable=False),
    sa.Column("published_by", sa.String(320), nullable=False),
)


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
        created_at=row.created_at,
        updated_at=row.updated_at,
        location=row.location or "",
        hours_min=row.hours_min,
        hours_max=row.hours_max,
        salary_min=None if row.salary_min is None else Decimal(row.salary_min),
        salary_max=None if row.salary_max is None else Decimal(row.salary_max),
        salary_period=row.salary_period or "month",
        persona_drivers=row.persona_drivers or "",
        persona_channels=row.persona_channels or "",
        persona_regions=row.persona_regions or "",
        audience_segments=tuple(row.audience_segments or ()),
        target_regions=tuple(row.target_regions or ()),
        target_channels=tuple(row.target_channels or ()),
        starts_on=_date(row.starts_on),
        ends_on=_date(row.ends_on),
        guardrails=Guardrails.model_validate(guardrails),
        page_published=bool(row.page_published),
        version=row.version,
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
        "audience_segments": list(campaign.audience_segments),
        "target_regions": list(campaign.target_regions),
        "target_channels": list(campaign.target_channels),
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
            version=campaign.version,
            **_campaign_values(campaign),
        )
    )


def save_campaign(conn: Connection, campaign: Campaign) -> Campaign:
    """Write every changeable field of the campaign (never its id, tenant or slug), if
    nobody wrote it since ``campaign`` was read; returns it at its new version.

    The version check sits in the UPDATE itself, so it holds under concurrency: on
    PostgreSQL a second writer waits for the first's row lock, then finds the version
    moved on; on SQLite writers queue on the database lock. The loser gets
    CampaignChanged and its whole transaction rolls back, instead of silently undoing
    the winner's publish, pause or edit.
    """
    result = conn.execute(
        sa.update(campaigns)
        .where(
            campaigns.c.id == campaign.id,
            campaigns.c.tenant_id == campaign.tenant_id,
            campaigns.c.version == campaign.version,
        )
        .values(**_campaign_values(campaign), version=campaign.version + 1)
    )
    if result.rowcount != 1:
        raise CampaignChanged(CAMPAIGN_CHANGED)
    return replace(campaign, version=campaign.version + 1)


def variants_of(conn: Connection, campaign_id: str) -> list[Variant]:
    rows = conn.execute(
        sa.select(variants)
        .where(variants.c.campaign_id == campaign_id)
        .order_by(variants.c.created_at.nulls_first(), variants.c.variant_id)
    )
    return [_variant(row) for row in rows]


def variants_of_campaigns(
    conn: Connection, campaign_ids: Sequence[str]
) -> dict[str, list[Variant]]:
    """:func:`variants_of` for several campaigns in one query (each in the same order)."""
    found: dict[str, list[Variant]] = {campaign_id: [] for campaign_id in campaign_ids}
    if not campaign_ids:
        return found
    rows = conn.execute(
        sa.select(variants)
        .where(variants.c.campaign_id.in_(list(campaign_ids)))
        .order_by(
            variants.c.campaign_id, variants.c.created_at.nulls_first(), variants.c.variant_id
        )
    )
    for row in rows:
        found[row.campaign_id].append(_variant(row))
    return found


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
            published_at=r.published_at,
            published_by=r.published_by,
        )
        for r in rows
    ]


def latest_page_version(conn: Connection, campaign_id: str) -> PageVersion | None:
    versions = page_versions_of(conn, campaign_id)
    return versions[0] if versions else None
