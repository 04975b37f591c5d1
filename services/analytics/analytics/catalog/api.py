"""``GET /v1/campaigns``: the campaigns analytics holds a published state for.

The weekly Airflow job (``deploy/airflow/dags/koers_weekly_allocation.py``) asks this
list which campaigns to plan, so the job needs neither the campaigns service's database
nor its console login: analytics plans from its own copy of campaign state anyway, and a
campaign it never saw published could not be planned. A campaign known only from facts
(its state not arrived yet) is not listed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from analytics.catalog import repository
from analytics.catalog.domain import CampaignState
from analytics.web.deps import EngineDep, require_service_token
from analytics.web.problems import problem_response
from koers.events import CampaignGoal

CampaignStatus = Literal["published", "paused"]

router = APIRouter(
    prefix="/v1",
    tags=["campaigns"],
    dependencies=[Depends(require_service_token)],
    responses={
        401: problem_response("The service token is missing or wrong."),
        422: problem_response("The status filter is not one of published, paused."),
    },
)


class CampaignSummary(BaseModel):
    """A campaign as analytics last heard of it on ``koers.campaign-state.v1``."""

    campaign_id: str
    tenant_id: str
    slug: str
    name: str
    goal: CampaignGoal
    weekly_budget: float = Field(description="EUR a week")
    status: CampaignStatus
    starts_on: date | None
    ends_on: date | None


class CampaignCatalog(BaseModel):
    items: list[CampaignSummary] = Field(description="Sorted by campaign_id")


def _summary(campaign: CampaignState) -> CampaignSummary:
    return CampaignSummary(
        campaign_id=campaign.campaign_id,
        tenant_id=campaign.tenant_id,
        slug=campaign.slug,
        name=campaign.name,
        goal=campaign.goal,
        weekly_budget=float(campaign.weekly_budget),
        status=cast(CampaignStatus, campaign.status),
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )


@router.get("/campaigns", response_model=CampaignCatalog)
def list_campaigns(
    engine: EngineDep,
    status: Annotated[
        CampaignStatus | None,
        Query(description="Only campaigns in this status; all of them when left out."),
    ] = None,
) -> CampaignCatalog:
    """The campaigns analytics has a published state for (what the weekly job plans)."""
    with engine.connect() as conn:
        campaigns = repository.campaign_states(conn, status)
    return CampaignCatalog(items=[_summary(campaign) for campaign in campaigns])
