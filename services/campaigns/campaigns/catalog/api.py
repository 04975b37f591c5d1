"""JSON API ``/api/v1`` for campaigns, creatives and landing pages.

Authenticated with ``Authorization: Bearer <API token>`` (per tenant, with a role) or
the console session (then state changes need the ``X-CSRF-Token`` header). Errors are
problem details; another tenant's object is a 404, a role without the right a 403.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from campaigns.audit import repository as audit
from campaigns.audit.api import AuditEntryOut
from campaigns.catalog import repository as repo
from campaigns.catalog import service
from campaigns.catalog.deps import TenantCampaign
from campaigns.catalog.domain import Campaign, Variant, page_problems
from campaigns.catalog.inputs import (
    CampaignInput,
    CreativeInput,
    NewCampaignInput,
    NewCreativeInput,
    PageInput,
)
from campaigns.tenancy.deps import ApiEditor, ApiUser
from campaigns.web.deps import EngineDep
from campaigns.web.openapi import ERRORS, Limit, Offset
from koers.db import transaction
from koers.events import Guardrails, utcnow
from koers.text import StorableInput

router = APIRouter(prefix="/api/v1", tags=["campaigns"])


class CreativeOut(BaseModel):
    variant_id: str
    name: str
    channel: str
    creative_format: str
    hook: str
    body: str
    call_to_action: str
    media_url: str | None
    employee_generated: bool
    tags: list[str]
    ad_key: str | None
    live: bool
    status: Literal["live", "paused", "archived"]

    @classmethod
    def of(cls, variant: Variant) -> CreativeOut:
        return cls(
            variant_id=variant.variant_id,
            name=variant.name,
            channel=variant.channel,
            creative_format=variant.creative_format,
            hook=variant.hook,
            body=variant.body,
            call_to_action=variant.call_to_action,
            media_url=variant.media_url,
            employee_generated=variant.employee_generated,
            tags=list(variant.tags),
            ad_key=variant.ad_key,
            live=variant.live and not variant.archived,
            status=variant.status,
        )


class CampaignSummaryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    vacancy_title: str
    location: str
    hours_min: int | None
    hours_max: int | None
    salary_min: Decimal | None
    salary_max: Decimal | None
    salary_period: str
    persona_drivers: str
    persona_channels: str
    persona_regions: str
    audience_segments: list[str]
    target_regions: list[str]
    target_channels: list[str]
    goal: str
    starts_on: date | None
    ends_on: date | None
    weekly_budget: Decimal
    guardrails: Guardrails
    status: str
    page_version: int
    page_published: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignSummaryOut:
        return cls.model_validate(campaign)


class CampaignOut(CampaignSummaryOut):
    page: dict[str, Any]
    variants: list[CreativeOut]

    @classmethod
    def full(cls, campaign: Campaign, variants: list[Variant]) -> CampaignOut:
        summary = CampaignSummaryOut.of(campaign).model_dump()
        return cls(**summary, page=campaign.page, variants=[CreativeOut.of(v) for v in variants])


class CampaignPage(BaseModel):
    items: list[CampaignSummaryOut]
    total: int
    limit: int
    offset: int


class TransitionIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    to: Literal["live", "paused", "ended"]
    reason: str = Field(default="", max_length=500)


class CreativeActionIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    action: Literal["pause", "resume", "archive"]


class PageOut(BaseModel):
    draft: dict[str, Any]
    problems: list[str]
    published_version: int
    page_published: bool


class PageVersionOut(BaseModel):
    version: int
    snapshot: dict[str, Any]
    published_at: datetime
    published_by: str


def _full(engine: Engine, tenant_id: str, slug: str) -> CampaignOut:
    """The campaign as it is now (after a change), with its creatives."""
    with engine.connect() as conn:
        campaign = service.get_campaign(conn, tenant_id, slug)
        variants = repo.variants_of(conn, campaign.id)
    return CampaignOut.full(campaign, variants)


# --- campaigns -----------------------------------------------------------------------


@router.get("/campaigns", response_model=CampaignPage, responses=ERRORS)
def list_campaigns(
    user: ApiUser,
    engine: EngineDep,
    status: Literal["draft", "live", "paused", "ended"] | None = None,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> CampaignPage:
    """The tenant's campaigns, newest first, optionally by status or matching ``q``."""
    with engine.connect() as conn:
        total = repo.count_campaigns(conn, user.tenant_id, status=status, search=q.strip())
        campaigns = repo.campaigns_of_tenant(
            conn, user.tenant_id, status=status, search=q.strip(), limit=limit, offset=offset
        )
    return CampaignPage(
        items=[CampaignSummaryOut.of(c) for c in campaigns],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("/campaigns", response_model=CampaignOut, status_code=201, responses=ERRORS)
def create_campaign(body: NewCampaignInput, user: ApiEditor, engine: EngineDep) -> CampaignOut:
    """Create a draft campaign (with a first page draft to build on)."""
    with transaction(engine) as conn:
        campaign = service.open_campaign(
            conn,
            tenant_id=user.tenant_id,
            data=body,
            employer_name=user.tenant_name,
            actor=user.actor,
            now=utcnow(),
        )
    return CampaignOut.full(campaign, [])


@router.get("/campaigns/{slug}", response_model=CampaignOut, responses=ERRORS)
def get_campaign(user: ApiUser, campaign: TenantCampaign, engine: EngineDep) -> CampaignOut:
    """One campaign with its page draft and creatives."""
    with engine.connect() as conn:
        variants = repo.variants_of(conn, campaign.id)
    return CampaignOut.full(campaign, variants)


@router.put("/campaigns/{slug}", response_model=CampaignOut, responses=ERRORS)
def update_campaign(
    slug: str, body: CampaignInput, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> CampaignOut:
    """Replace a campaign's fields (a live campaign re-announces budget and guardrails)."""
    with transaction(engine) as conn:
        service.update_campaign(conn, campaign=campaign, data=body, actor=user.actor, now=utcnow())
    return _full(engine, user.tenant_id, slug)


@router.post("/campaigns/{slug}/transitions", response_model=CampaignOut, responses=ERRORS)
def transition_campaign(
    slug: str, body: TransitionIn, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> CampaignOut:
    """Go live, pause, resume (``to: live``) or end a campaign."""
    with transaction(engine) as conn:
        service.transition(
            conn, campaign=campaign, to=body.to, reason=body.reason, actor=user.actor, now=utcnow()
        )
    return _full(engine, user.tenant_id, slug)


@router.get("/campaigns/{slug}/history", response_model=list[AuditEntryOut], responses=ERRORS)
def campaign_history(
    slug: str,
    user: ApiUser,
    campaign: TenantCampaign,
    engine: EngineDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AuditEntryOut]:
    """The audit log of this campaign and its creatives, newest first."""
    with engine.connect() as conn:
        ids = (
            campaign.id,
            *(f"{campaign.id}:{v.variant_id}" for v in repo.variants_of(conn, campaign.id)),
        )
        entries = audit.entries(conn, user.tenant_id, object_ids=ids, limit=limit, offset=offset)
    return [AuditEntryOut.model_validate(e) for e in entries]


# --- creatives -----------------------------------------------------------------------


@router.get("/campaigns/{slug}/creatives", response_model=list[CreativeOut], responses=ERRORS)
def list_creatives(
    slug: str, user: ApiUser, campaign: TenantCampaign, engine: EngineDep
) -> list[CreativeOut]:
    """The campaign's creatives (archived ones included, with their status)."""
    with engine.connect() as conn:
        variants = repo.variants_of(conn, campaign.id)
    return [CreativeOut.of(v) for v in variants]


@router.post(
    "/campaigns/{slug}/creatives", response_model=CreativeOut, status_code=201, responses=ERRORS
)
def create_creative(
    slug: str, body: NewCreativeInput, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> CreativeOut:
    """Add a creative, also while the campaign runs."""
    with transaction(engine) as conn:
        variant = service.add_creative(
            conn, campaign=campaign, data=body, actor=user.actor, now=utcnow()
        )
    return CreativeOut.of(variant)


@router.get(
    "/campaigns/{slug}/creatives/{variant_id}", response_model=CreativeOut, responses=ERRORS
)
def get_creative(
    slug: str, variant_id: str, user: ApiUser, campaign: TenantCampaign, engine: EngineDep
) -> CreativeOut:
    """One creative."""
    with engine.connect() as conn:
        variant = service.get_creative(conn, campaign, variant_id)
    return CreativeOut.of(variant)


@router.put(
    "/campaigns/{slug}/creatives/{variant_id}", response_model=CreativeOut, responses=ERRORS
)
def update_creative(
    slug: str,
    variant_id: str,
    body: CreativeInput,
    user: ApiEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
) -> CreativeOut:
    """Replace a creative's fields (its key stays)."""
    with transaction(engine) as conn:
        variant = service.update_creative(
            conn,
            campaign=campaign,
            variant_id=variant_id,
            data=body,
            actor=user.actor,
            now=utcnow(),
        )
    return CreativeOut.of(variant)


@router.post(
    "/campaigns/{slug}/creatives/{variant_id}/actions",
    response_model=CreativeOut,
    responses=ERRORS,
)
def creative_action(
    slug: str,
    variant_id: str,
    body: CreativeActionIn,
    user: ApiEditor,
    campaign: TenantCampaign,
    engine: EngineDep,
) -> CreativeOut:
    """Pause, resume or archive a creative."""
    with transaction(engine) as conn:
        variant = service.creative_action(
            conn,
            campaign=campaign,
            variant_id=variant_id,
            action=body.action,
            actor=user.actor,
            now=utcnow(),
        )
    return CreativeOut.of(variant)


# --- the landing page ----------------------------------------------------------------


def _page_out(campaign: Campaign) -> PageOut:
    return PageOut(
        draft=campaign.page,
        problems=page_problems(campaign.page),
        published_version=campaign.page_version,
        page_published=campaign.page_published,
    )


@router.get("/campaigns/{slug}/page", response_model=PageOut, responses=ERRORS)
def get_page(slug: str, user: ApiUser, campaign: TenantCampaign, engine: EngineDep) -> PageOut:
    """The page draft, what still keeps it from being published, and the live version."""
    return _page_out(campaign)


@router.put("/campaigns/{slug}/page", response_model=PageOut, responses=ERRORS)
def save_page(
    slug: str, body: PageInput, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> PageOut:
    """Replace the page draft (candidates see nothing until it is published)."""
    with transaction(engine) as conn:
        changed = service.save_page(
            conn, campaign=campaign, data=body, actor=user.actor, now=utcnow()
        )
    return _page_out(changed)


@router.post("/campaigns/{slug}/page/publish", response_model=PageOut, responses=ERRORS)
def publish_page(
    slug: str, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> PageOut:
    """Publish the draft as the next version (a draft campaign goes live with it)."""
    with transaction(engine) as conn:
        changed = service.publish_page(conn, campaign=campaign, actor=user.actor, now=utcnow())
    return _page_out(changed)


@router.post("/campaigns/{slug}/page/unpublish", response_model=PageOut, responses=ERRORS)
def unpublish_page(
    slug: str, user: ApiEditor, campaign: TenantCampaign, engine: EngineDep
) -> PageOut:
    """Take the page offline (a live campaign is paused with it)."""
    with transaction(engine) as conn:
        changed = service.unpublish_page(conn, campaign=campaign, actor=user.actor, now=utcnow())
    return _page_out(changed)


@router.get(
    "/campaigns/{slug}/page/versions", response_model=list[PageVersionOut], responses=ERRORS
)
def page_versions(
    slug: str, user: ApiUser, campaign: TenantCampaign, engine: EngineDep
) -> list[PageVersionOut]:
    """Every published version of the page, newest first."""
    with engine.connect() as conn:
        versions = repo.page_versions_of(conn, campaign.id)
    return [PageVersionOut(**v.__dict__) for v in versions]
