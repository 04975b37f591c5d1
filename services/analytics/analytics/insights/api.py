"""``/v1/campaigns/{id}/insights``: which creative attributes drive conversions per euro.

The model and its refusals live in :mod:`analytics.insights.domain`, the classical
intervals in :mod:`analytics.insights.intervals`, the read (kept until the facts change)
in :mod:`analytics.facts.queries`; this router only shapes their results. "Not enough data" is
an answer (200 with ``status: not_enough_data`` and a reason), not an error.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from analytics.facts import queries
from analytics.insights import intervals
from analytics.insights.domain import Insights
from analytics.web.deps import CampaignId, EngineDep, require_service_token
from analytics.web.problems import problem_response
from koers.events import CampaignGoal

router = APIRouter(
    prefix="/v1",
    tags=["insights"],
    dependencies=[Depends(require_service_token)],
    responses={
        401: problem_response("The service token is missing or wrong."),
        404: problem_response("Analytics has no data for this campaign."),
        422: problem_response("An unknown scope or goal."),
    },
)


class ModelSummary(BaseModel):
    family: Literal["poisson", "negative_binomial", ""] = Field(
        description="Negative binomial when the Poisson fit is overdispersed."
    )
    dispersion: float | None = Field(description="Pearson chi-square / df of the Poisson fit.")
    alpha: float | None = Field(description="Negative-binomial overdispersion, if used.")
    variant_weeks: int
    variants: int
    conversions: int


class AttributeEffectBody(BaseModel):
    attribute: Literal["channel", "creative_format", "employee_generated", "tag"]
    level: str = Field(examples=["video"])
    reference: str = Field(examples=["image"])
    rate_ratio: float = Field(description="Conversions per euro relative to the reference.")
    low: float = Field(description="95% interval, lower end")
    high: float = Field(description="95% interval, upper end")
    p_value: float
    reading: str = Field(
        examples=[
            "Video creatives produce 1.8\u00d7 (1.2\u20132.6\u00d7) as many leads per euro as "
            "images (p = 0.003)."
        ]
    )


class IntervalBody(BaseModel):
    estimate: float | None
    low: float | None
    high: float | None = Field(description="Null when unbounded (no conversion yet).")

    @classmethod
    def of(cls, interval: intervals.Interval) -> IntervalBody:
        return cls(estimate=interval.estimate, low=interval.low, high=interval.high)


class ClassicalCheck(BaseModel):
    """Per creative, over all weeks: 90% exact Poisson and Wilson intervals."""

    variant_id: str
    spend: float
    clicks: int
    conversions: int
    cost_per_conversion: IntervalBody
    conversion_rate_per_click: IntervalBody | None


class InsightsResponse(BaseModel):
    campaign_id: str
    scope: Literal["campaign", "tenant"]
    campaign_ids: list[str] = Field(description="The campaigns whose creatives were compared.")
    conversion: str = Field(description="The funnel counter counted as a conversion.")
    status: Literal["ok", "not_enough_data"]
    reason: str = Field(description="Why there is no model, when status is not_enough_data.")
    model: ModelSummary
    effects: list[AttributeEffectBody]
    not_estimable: list[str] = Field(description="Attributes left out of the model, and why.")
    caveat: str
    classical_checks: list[ClassicalCheck] = Field(
        description="This campaign's creatives, whatever the model's status."
    )

    @classmethod
    def of(cls, campaign_id: str, found: queries.CampaignInsights) -> InsightsResponse:
        result: Insights = found.insights
        return cls(
            campaign_id=campaign_id,
            scope="tenant" if found.scope == "tenant" else "campaign",
            campaign_ids=list(found.campaign_ids),
            conversion=found.conversion,
            status=result.status,
            reason=result.reason,
            model=ModelSummary(
                family=result.family,
                dispersion=result.dispersion,
                alpha=result.alpha,
                variant_weeks=result.variant_weeks,
                variants=result.variants,
                conversions=result.conversions,
            ),
            effects=[
                AttributeEffectBody(
                    attribute=e.attribute,
                    level=e.level,
                    reference=e.reference,
                    rate_ratio=e.rate_ratio,
                    low=e.low,
                    high=e.high,
                    p_value=e.p_value,
                    reading=e.reading,
                )
                for e in result.effects
            ],
            not_estimable=list(result.not_estimable),
            caveat=result.caveat,
            classical_checks=[
                ClassicalCheck(
                    variant_id=check.variant_id,
                    spend=check.spend,
                    clicks=check.clicks,
                    conversions=check.conversions,
                    cost_per_conversion=IntervalBody.of(check.cost_per_conversion),
                    conversion_rate_per_click=None
                    if check.conversion_rate_per_click is None
                    else IntervalBody.of(check.conversion_rate_per_click),
                )
                for check in found.checks
            ],
        )


@router.get("/campaigns/{campaign_id}/insights", response_model=InsightsResponse)
def get_campaign_insights(
    campaign_id: CampaignId,
    engine: EngineDep,
    scope: Annotated[
        Literal["campaign", "tenant"],
        Query(description="`tenant` compares creatives across all the tenant's campaigns."),
    ] = "campaign",
    goal: Annotated[
        CampaignGoal | None,
        Query(description="What counts as a conversion; the campaign's goal by default."),
    ] = None,
) -> InsightsResponse:
    """Which creative attributes (channel, format, employee-generated, tags) drive
    conversions per euro: a Poisson or negative-binomial GLM with spend as exposure, rate
    ratios with 95% intervals and a plain reading, beside classical per-creative checks."""
    found = queries.campaign_insights(
        engine, campaign_id, tenant_scope=scope == "tenant", goal=goal
    )
    return InsightsResponse.of(campaign_id, found)
