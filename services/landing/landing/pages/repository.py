"""The ``pages`` table: the newest published snapshot of each campaign's page, and the
queries on it. Every function takes the caller's connection (see ``koers.db``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from koers.db import UtcDateTime, upsert
from koers.events import CampaignPublished, VariantState
from landing.db import metadata
from landing.pages import domain

pages = sa.Table(
    "pages",
    metadata,
    sa.Column("campaign_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("slug", sa.String(80), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class PublishedPage:
    campaign_id: str
    tenant_id: str
    slug: str
    version: int
    campaign: CampaignPublished
    status: str = "published"
    """"published" or "paused" (a paused page is read only to finish what was sent)."""


def _page_from(row: sa.Row[Any] | None) -> PublishedPage | None:
    if row is None:
        return None
    return PublishedPage(
        campaign_id=row.campaign_id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        version=row.version,
        campaign=CampaignPublished.model_validate(row.snapshot),
        status=row.status,
    )


def find_published_page(conn: Connection, slug: str) -> PublishedPage | None:
    return _page_from(
        conn.execute(
            sa.select(pages).where(pages.c.slug == slug, pages.c.status == "published")
        ).first()
    )


def find_page_by_slug(conn: Connection, slug: str) -> PublishedPage | None:
    """The page with this slug, published or paused."""
    return _page_from(conn.execute(sa.select(pages).where(pages.c.slug == slug)).first())


def find_page_by_campaign(conn: Connection, campaign_id: str) -> PublishedPage | None:
    return _page_from(
        conn.execute(sa.select(pages).where(pages.c.campaign_id == campaign_id)).first()
    )


def published_campaigns(conn: Connection, campaign_ids: Iterable[str]) -> set[str]:
    """Those of ``campaign_ids`` whose page is published now (not paused)."""
    wanted = list(set(campaign_ids))
    if not wanted:
        return set()
    query = sa.select(pages.c.campaign_id).where(
        pages.c.campaign_id.in_(wanted), pages.c.status == "published"
    )
    return set(conn.execute(query).scalars())


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
    row = {
        "campaign_id": campaign_id,
        "tenant_id": tenant_id,
        "slug": campaign.slug,
        "status": "published",
        "version": campaign.page.version,
        "snapshot": campaign.model_dump(mode="json"),
        "updated_at": now,
    }
    upsert(conn, pages, row, [column for column in row if column != "campaign_id"])


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
