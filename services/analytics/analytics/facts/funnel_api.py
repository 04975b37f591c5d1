"""``/v1/campaigns/{id}/funnel`` and ``/weeks/{week}``: the funnel per variant and ISO week;
``/v1/tenants/{tenant}/funnels``: the funnels of several campaigns of a tenant at once.

Every route needs the service token. Routes are plain ``def``: they run blocking
SQLAlchemy in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from analytics.facts import domain, queries
from analytics.web.deps import CampaignId, EngineDep, require_service_token
from analytics.web.problems import problem_response
from koers.isoweeks import ISO_WEEK_PATTERN


class FunnelFacts(BaseModel):
    """Candidate counts (attributed to the week of the visit) beside delivery."""

    visits: int = Field(description="Page views")
    unique_visitors: int = Field(
        description="Visitors counted once per creative and day (cookieless daily key)"
    )
    quiz_starts: int
    lead_starts: int
    apply_starts: int
    quiz_completions: int
    qualified_quiz: int
    leads: int
    applications: int
    interviews: int
    hires: int
    reached: int = 0
    spend: float = Field(description="Spend in EUR")
    impressions: int
    clicks: int

    @classmethod
    def of(cls, facts: domain.WeekFacts) -> FunnelFacts:
        return cls(**cls._values(facts))

    @staticmethod
    def _values(facts: domain.WeekFacts) -> dict[str, Any]:
        counters = {name: getattr(facts, name) for name in domain.FUNNEL_COUNTERS}
        return {
            **counters,
            "spend": float(facts.spend),
            "impressions": facts.impressions,
            "clicks": facts.clicks,
        }


class _WeekLabel(BaseModel):
    week: str = Field(pattern=ISO_WEEK_PATTERN, examples=["2026-W47"])


class WeekFunnelFacts(FunnelFacts, _WeekLabel):  # "week" first in the JSON
    """One ISO week of one variant."""

    @classmethod
    def of_week(cls, week: str, facts: domain.WeekFacts) -> WeekFunnelFacts:
        return cls(week=week, **cls._values(facts))


class VariantFunnelResponse(BaseModel):
    variant_id: str
    weeks: list[WeekFunnelFacts] = Field(description="ISO weeks with facts, ascending")
    totals: FunnelFacts


class CampaignFunnelResponse(BaseModel):
    campaign_id: str
    variants: list[VariantFunnelResponse] = Field(description="Sorted by variant_id")
    totals: FunnelFacts

    @classmethod
    def of(cls, funnel: domain.CampaignFunnel) -> CampaignFunnelResponse:
        return cls(
            campaign_id=funnel.campaign_id,
            variants=[
                VariantFunnelResponse(
                    variant_id=variant.variant_id,
                    weeks=[WeekFunnelFacts.of_week(week, facts) for week, facts in variant.weeks],
                    totals=FunnelFacts.of(variant.totals),
                )
                for variant in funnel.variants
            ],
            totals=FunnelFacts.of(funnel.totals),
        )


class _VariantLabel(BaseModel):
    variant_id: str


class VariantWeekFacts(FunnelFacts, _VariantLabel):  # "variant_id" first in the JSON
    @classmethod
    def of_variant(cls, variant: domain.VariantFunnel) -> VariantWeekFacts:
        return cls(variant_id=variant.variant_id, **cls._values(variant.totals))


class CampaignWeekResponse(BaseModel):
    campaign_id: str
    week: str = Field(examples=["2026-W47"])
    variants: list[VariantWeekFacts] = Field(description="Sorted by variant_id")
    totals: FunnelFacts

    @classmethod
    def of(cls, week: str, funnel: domain.CampaignFunnel) -> CampaignWeekResponse:
        return cls(
            campaign_id=funnel.campaign_id,
            week=week,
            variants=[VariantWeekFacts.of_variant(variant) for variant in funnel.variants],
            totals=FunnelFacts.of(funnel.totals),
        )


class TenantFunnelsResponse(BaseModel):
    tenant_id: str
    funnels: list[CampaignFunnelResponse] = Field(
        description="The tenant's campaigns asked for, in the order asked"
    )
    unknown: list[str] = Field(
        description="Campaigns asked for that analytics holds no published state for "
        "under this tenant (another tenant's, or not reached analytics yet): no data, as "
        "the single funnel's 404"
    )


router = APIRouter(
    prefix="/v1",
    tags=["funnel"],
    dependencies=[Depends(require_service_token)],
    responses={401: problem_response("The service token is missing or wrong.")},
)

IsoWeek = Annotated[str, Path(pattern=ISO_WEEK_PATTERN, examples=["2026-W47"])]


@router.get(
    "/campaigns/{campaign_id}/funnel",
    response_model=CampaignFunnelResponse,
    responses={404: problem_response("Analytics has no data for this campaign.")},
)
def get_campaign_funnel(campaign_id: CampaignId, engine: EngineDep) -> CampaignFunnelResponse:
    """The campaign's funnel per variant and ISO week, with spend, and totals."""
    return CampaignFunnelResponse.of(queries.campaign_funnel(engine, campaign_id))


@router.get(
    "/campaigns/{campaign_id}/weeks/{iso_week}",
    response_model=CampaignWeekResponse,
    responses={
        404: problem_response("Analytics has no data for this campaign."),
        422: problem_response("The week is not an ISO week like 2026-W47."),
    },
)
def get_campaign_week(
    campaign_id: CampaignId, iso_week: IsoWeek, engine: EngineDep
) -> CampaignWeekResponse:
    """One ISO week of the campaign's funnel, per variant, and totals."""
    return CampaignWeekResponse.of(iso_week, queries.campaign_week(engine, campaign_id, iso_week))


TenantId = Annotated[str, Path(min_length=1, max_length=64, examples=["t-1"])]
CampaignIdParam = Annotated[str, StringConstraints(min_length=1, max_length=64)]


@router.get(
    "/tenants/{tenant_id}/funnels",
    response_model=TenantFunnelsResponse,
    responses={
        422: problem_response("No campaign, more than 100, or an id of 0 or 65+ characters.")
    },
)
def get_tenant_funnels(
    tenant_id: TenantId,
    engine: EngineDep,
    campaign_id: Annotated[
        list[CampaignIdParam],
        Query(
            min_length=1,
            max_length=queries.MAX_BATCH_CAMPAIGNS,
            description="A campaign of the tenant; repeat for each (at most 100)",
        ),
    ],
) -> Response:
    """The funnels of several of the tenant's campaigns, each as ``/funnel`` answers it:
    what the console's employer overview reads in one request instead of one per campaign."""
    asked = list(dict.fromkeys(campaign_id))
    funnels = queries.tenant_funnels(engine, tenant_id, asked)
    body = TenantFunnelsResponse(
        tenant_id=tenant_id,
        funnels=[CampaignFunnelResponse.of(funnels[cid]) for cid in asked if cid in funnels],
        unknown=[cid for cid in asked if cid not in funnels],
    )
    # Serialised once, straight from the model built above: fifty funnels of a year are
    # tens of thousands of weeks, and the response_model round trip would build them twice.
    return Response(body.model_dump_json(), media_type="application/json")
