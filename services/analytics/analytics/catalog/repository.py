"""Persistence of the campaign state: campaigns, their creatives and their status.

Writes run in the consumer's transaction and bump the campaign's ``state`` fact version,
so what the read side derived from the old state is recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Connection

from analytics.catalog.domain import CampaignState, VariantAttributes
from analytics.facts.repository import bump_fact_versions
from analytics.storage.schema import campaigns_table, variants_table
from koers.db import upsert
from koers.events import CampaignGoal, Guardrails

# --- writes ---------------------------------------------------------------------------


def save_campaign(conn: Connection, campaign: CampaignState) -> None:
    """Store (or replace) the campaign's published state."""
    row = {
        "tenant_id": campaign.tenant_id,
        "slug": campaign.slug,
        "name": campaign.name,
        "goal": campaign.goal,
        "weekly_budget": campaign.weekly_budget,
        "status": campaign.status,
        "guardrails": campaign.guardrails.model_dump(mode="json"),
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
    }
    upsert(
        conn,
        campaigns_table,
        {"campaign_id": campaign.campaign_id, **row},
        row,
    )
    bump_fact_versions(conn, "state", [campaign.campaign_id])


def save_variant(conn: Connection, campaign_id: str, variant: VariantAttributes) -> None:
    """Store (or replace) a creative's attributes and whether it is live."""
    row = {
        "name": variant.name,
        "channel": variant.channel,
        "creative_format": variant.creative_format,
        "live": variant.live,
        "hook": variant.hook,
        "employee_generated": variant.employee_generated,
        "tags": list(variant.tags),
    }
    upsert(
        conn,
        variants_table,
        {"campaign_id": campaign_id, "variant_id": variant.variant_id, **row},
        row,
    )
    bump_fact_versions(conn, "state", [campaign_id])


def retire_variants_except(conn: Connection, campaign_id: str, keep: Sequence[str]) -> None:
    """Mark not live every variant of a campaign that is not in ``keep``."""
    conn.execute(
        sa.update(variants_table)
        .where(variants_table.c.campaign_id == campaign_id)
        .where(variants_table.c.variant_id.not_in(keep))
        .values(live=False)
    )
    bump_fact_versions(conn, "state", [campaign_id])


def set_campaign_status(conn: Connection, campaign_id: str, status: str) -> bool:
    """Change a known campaign's status; False when analytics has no state for it."""
    result = conn.execute(
        sa.update(campaigns_table)
        .where(campaigns_table.c.campaign_id == campaign_id)
        .values(status=status)
    )
    bump_fact_versions(conn, "state", [campaign_id])
    return result.rowcount > 0


def campaign_state(
    conn: Connection, campaign_id: str, *, for_update: bool = False
) -> CampaignState | None:
    """The campaign's last published state, or None when it never arrived.

    ``for_update`` locks the campaign's row on PostgreSQL for the rest of the
    transaction (SQLite's write transactions hold the whole database already), which
    serialises work per campaign, such as computing its weekly proposal.
    """
    query = sa.select(campaigns_table).where(campaigns_table.c.campaign_id == campaign_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _campaign_state(row) if row is not None else None


def campaign_states(conn: Connection, status: str | None = None) -> list[CampaignState]:
    """Every campaign with a state, sorted by id; only those in ``status`` when given."""
    table = campaigns_table
    query = sa.select(table).order_by(table.c.campaign_id)
    if status is not None:
        query = query.where(table.c.status == status)
    return [_campaign_state(row) for row in conn.execute(query)]


def _campaign_state(row: sa.Row[Any]) -> CampaignState:
    return CampaignState(
        campaign_id=row.campaign_id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        name=row.name,
        goal=cast(CampaignGoal, row.goal),
        weekly_budget=Decimal(row.weekly_budget),
        status=row.status,
        guardrails=Guardrails.model_validate(row.guardrails or {}),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
    )


def variant_attributes(conn: Connection, campaign_id: str) -> list[VariantAttributes]:
    """The creatives of a campaign as described in its state, sorted by id."""
    table = variants_table
    rows = conn.execute(
        sa.select(table).where(table.c.campaign_id == campaign_id).order_by(table.c.variant_id)
    )
    return [
        VariantAttributes(
            variant_id=row.variant_id,
            name=row.name,
            channel=row.channel,
            creative_format=row.creative_format,
            hook=row.hook,
            live=bool(row.live),
            employee_generated=bool(row.employee_generated),
            tags=tuple(str(tag) for tag in (row.tags or ())),
        )
        for row in rows
    ]


def tenant_campaign_ids(conn: Connection, tenant_id: str) -> list[str]:
    """Every campaign of a tenant that analytics has state for, sorted."""
    query = (
        sa.select(campaigns_table.c.campaign_id)
        .where(campaigns_table.c.tenant_id == tenant_id)
        .order_by(campaigns_table.c.campaign_id)
    )
    return list(conn.scalars(query))


def tenant_campaigns_among(
    conn: Connection, tenant_id: str, campaign_ids: Sequence[str]
) -> set[str]:
    """Which of ``campaign_ids`` analytics has state for under this tenant: the only
    proof of ownership analytics holds (facts carry no tenant)."""
    query = sa.select(campaigns_table.c.campaign_id).where(
        campaigns_table.c.tenant_id == tenant_id,
        campaigns_table.c.campaign_id.in_(list(campaign_ids)),
    )
    return set(conn.scalars(query))
