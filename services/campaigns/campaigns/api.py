"""JSON API ``/api/v1`` for the console's own pages and scripts (session authenticated)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from campaigns import repository as repo
from campaigns.deps import ApiUser, EngineDep
from campaigns.domain import Campaign, Variant
from campaigns.errors import CampaignNotFound

router = APIRouter(prefix="/api/v1", tags=["campaigns"])


class VariantOut(BaseModel):
    variant_id: str
    name: str
    channel: str
    creative_format: str
    hook: str
    live: bool

    @classmethod
    def of(cls, variant: Variant) -> VariantOut:
        return cls(**variant.__dict__)


class CampaignSummaryOut(BaseModel):
    id: str
    slug: str
    name: str
    vacancy_title: str
    goal: str
    weekly_budget: Decimal
    status: str
    page_version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignSummaryOut:
        return cls.model_validate(campaign, from_attributes=True)


class CampaignOut(CampaignSummaryOut):
    page: dict[str, Any]
    variants: list[VariantOut]


@router.get("/campaigns", response_model=list[CampaignSummaryOut])
def list_campaigns(user: ApiUser, engine: EngineDep) -> list[CampaignSummaryOut]:
    """The campaigns of the logged-in user's employer, newest first."""
    with engine.connect() as conn:
        campaigns = repo.campaigns_of_tenant(conn, user.tenant_id)
    return [CampaignSummaryOut.of(c) for c in campaigns]


@router.get("/campaigns/{slug}", response_model=CampaignOut)
def get_campaign(slug: str, user: ApiUser, engine: EngineDep) -> CampaignOut:
    """One campaign with its landing page configuration and variants."""
    with engine.connect() as conn:
        campaign = repo.campaign_by_slug(conn, user.tenant_id, slug)
        if campaign is None:
            raise CampaignNotFound(f"no campaign {slug!r}")
        variants = repo.variants_of(conn, campaign.id)
    summary = CampaignSummaryOut.of(campaign)
    return CampaignOut(
        **summary.model_dump(), page=campaign.page, variants=[VariantOut.of(v) for v in variants]
    )
