"""Organic views per creative and ISO week, and the employer's CPM for valuing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from campaigns.organic.domain import DEFAULT_CPM_CENTS
from campaigns.schema import metadata
from koers.db import UtcDateTime, upsert

organic_views = sa.Table(
    "organic_views",
    metadata,
    sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("variant_id", sa.String(64), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("views", sa.BigInteger, nullable=False),
    sa.Column("recorded_by", sa.String(320), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)

organic_settings = sa.Table(
    "organic_settings",
    metadata,
    sa.Column("tenant_id", sa.String(36), sa.ForeignKey("tenants.id"), primary_key=True),
    sa.Column("cpm_cents", sa.Integer, nullable=False),
)


@dataclass(frozen=True)
class WeekViews:
    variant_id: str
    week: str
    views: int


def views_of(conn: Connection, campaign_id: str) -> list[WeekViews]:
    """Every recorded week of the campaign's creatives, newest week first."""
    rows = conn.execute(
        sa.select(organic_views.c.variant_id, organic_views.c.week, organic_views.c.views)
        .where(organic_views.c.campaign_id == campaign_id)
        .order_by(organic_views.c.week.desc(), organic_views.c.variant_id)
    )
    return [WeekViews(r.variant_id, r.week, int(r.views)) for r in rows]


def total_views(conn: Connection, campaign_id: str) -> dict[str, int]:
    """variant id -> organic views over every recorded week."""
    rows = conn.execute(
        sa.select(organic_views.c.variant_id, sa.func.sum(organic_views.c.views))
        .where(organic_views.c.campaign_id == campaign_id)
        .group_by(organic_views.c.variant_id)
    )
    return {str(variant_id): int(total) for variant_id, total in rows}


def save_views(
    conn: Connection,
    *,
    campaign_id: str,
    variant_id: str,
    week: str,
    views: int,
    recorded_by: str,
    at: datetime,
) -> None:
    """Store one creative's views of a week; recording the week again replaces them."""
    upsert(
        conn,
        organic_views,
        {
            "campaign_id": campaign_id,
            "variant_id": variant_id,
            "week": week,
            "views": views,
            "recorded_by": recorded_by,
            "recorded_at": at,
        },
        ("views", "recorded_by", "recorded_at"),
    )


def cpm_of(conn: Connection, tenant_id: str) -> int:
    found = conn.execute(
        sa.select(organic_settings.c.cpm_cents).where(organic_settings.c.tenant_id == tenant_id)
    ).scalar_one_or_none()
    return DEFAULT_CPM_CENTS if found is None else int(found)


def save_cpm(conn: Connection, tenant_id: str, cpm_cents: int) -> None:
    upsert(conn, organic_settings, {"tenant_id": tenant_id, "cpm_cents": cpm_cents}, ("cpm_cents",))
