"""``/v1/campaigns/{id}/facts`` and ``/health``: weekly facts per creative, and data health.

Service-token protected like every ``/v1`` route; plain ``def`` routes (blocking
SQLAlchemy runs in the thread pool). The numbers come from ``queries`` and the pure
modules; nothing is computed here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from analytics.facts import health, queries
from analytics.facts.funnel_api import WeekFunnelFacts
from analytics.web.deps import CampaignId, EngineDep, require_service_token
from analytics.web.problems import problem_response
from koers.events import CampaignGoal, Guardrails
from koers.isoweeks import ISO_WEEK_PATTERN

router = APIRouter(
    prefix="/v1",
    tags=["facts"],
    dependencies=[Depends(require_service_token)],
    responses={
        401: problem_response("The service token is missing or wrong."),
        404: problem_response("Analytics has no data for this campaign."),
        422: problem_response("A week is not a real ISO week, or `from` is after `to`."),
    },
)

FromWeek = Annotated[
    str | None,
    Query(
        alias="from",
        pattern=ISO_WEEK_PATTERN,
        description="First ISO week to include (inclusive).",
        examples=["2026-W01"],
    ),
]
ToWeek = Annotated[
    str | None,
    Query(
        alias="to",
        pattern=ISO_WEEK_PATTERN,
        description="Last ISO week to include (inclusive).",
        examples=["2026-W12"],
    ),
]


class CreativeAttributes(BaseModel):
    """The creative as the marketer described it in the campaigns service."""

    name: str
    channel: str
    creative_format: str = Field(examples=["video"])
    hook: str
    live: bool
    employee_generated: bool
    tags: list[str]


class CampaignDescription(BaseModel):
    tenant_id: str
    slug: str
    name: str
    goal: CampaignGoal
    weekly_budget: float = Field(description="EUR per week")
    status: str = Field(examples=["published"])
    guardrails: Guardrails
    starts_on: date | None
    ends_on: date | None


class VariantWeeklyFacts(BaseModel):
    variant_id: str
    attributes: CreativeAttributes | None = Field(
        description="Null when the creative's state has not reached analytics (yet)."
    )
    weeks: list[WeekFunnelFacts] = Field(description="ISO weeks with facts, ascending")


class CampaignFactsResponse(BaseModel):
    campaign_id: str
    from_week: str | None = Field(description="The range asked for; null when open.")
    to_week: str | None
    campaign: CampaignDescription | None = Field(
        description="Null when only facts, not the campaign's state, have arrived."
    )
    variants: list[VariantWeeklyFacts] = Field(description="Sorted by variant_id")

    @classmethod
    def of(cls, facts: queries.CampaignFacts) -> CampaignFactsResponse:
        campaign = facts.campaign
        return cls(
            campaign_id=facts.funnel.campaign_id,
            from_week=facts.weeks.first,
            to_week=facts.weeks.last,
            campaign=None
            if campaign is None
            else CampaignDescription(
                tenant_id=campaign.tenant_id,
                slug=campaign.slug,
                name=campaign.name,
                goal=campaign.goal,
                weekly_budget=float(campaign.weekly_budget),
                status=campaign.status,
                guardrails=campaign.guardrails,
                starts_on=campaign.starts_on,
                ends_on=campaign.ends_on,
            ),
            variants=[
                VariantWeeklyFacts(
                    variant_id=variant.variant_id,
                    attributes=_attributes(facts, variant.variant_id),
                    weeks=[WeekFunnelFacts.of_week(week, f) for week, f in variant.weeks],
                )
                for variant in facts.funnel.variants
            ],
        )


def _attributes(facts: queries.CampaignFacts, variant_id: str) -> CreativeAttributes | None:
    described = facts.attributes.get(variant_id)
    if described is None:
        return None
    return CreativeAttributes(
        name=described.name,
        channel=described.channel,
        creative_format=described.creative_format,
        hook=described.hook,
        live=described.live,
        employee_generated=described.employee_generated,
        tags=list(described.tags),
    )


class HealthIssueBody(BaseModel):
    code: health.IssueCode
    week: str
    variant_id: str | None = Field(description="Null for campaign-wide findings (SRM).")
    message: str = Field(description="A sentence a marketer can act on.")
    figures: dict[str, float]


class CampaignHealthResponse(BaseModel):
    campaign_id: str
    status: Literal["ok", "issues"]
    issues: list[HealthIssueBody] = Field(description="By week, then variant")


@router.get(
    "/campaigns/{campaign_id}/facts",
    response_model=CampaignFactsResponse,
)
def get_campaign_facts(
    campaign_id: CampaignId,
    engine: EngineDep,
    from_week: FromWeek = None,
    to_week: ToWeek = None,
) -> CampaignFactsResponse:
    """Weekly facts per creative (funnel counters, spend, impressions, clicks) with the
    creatives' attributes and the campaign's goal and guardrails, for a range of weeks."""
    weeks = queries.WeekRange.parse(from_week, to_week)
    return CampaignFactsResponse.of(queries.campaign_facts(engine, campaign_id, weeks))


@router.get(
    "/campaigns/{campaign_id}/health",
    response_model=CampaignHealthResponse,
)
def get_campaign_health(
    campaign_id: CampaignId,
    engine: EngineDep,
    from_week: FromWeek = None,
    to_week: ToWeek = None,
) -> CampaignHealthResponse:
    """Data-health findings: spend without clicks, clicks without visits, visits without
    spend, and delivered spend that does not follow the approved allocation (SRM)."""
    weeks = queries.WeekRange.parse(from_week, to_week)
    issues = queries.campaign_health(engine, campaign_id, weeks)
    return CampaignHealthResponse(
        campaign_id=campaign_id,
        status="issues" if issues else "ok",
        issues=[
            HealthIssueBody(
                code=issue.code,
                week=issue.week,
                variant_id=issue.variant_id,
                message=issue.message,
                figures=issue.figures,
            )
            for issue in issues
        ],
    )
