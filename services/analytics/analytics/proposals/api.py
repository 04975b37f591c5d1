"""``/v1/campaigns/{id}/allocations/{week}``: the weekly proposal from stored facts.

``POST`` computes it (idempotently, see :mod:`analytics.proposals.service`) and publishes
``AllocationProposed`` through the outbox; ``GET`` reads it; ``POST .../decision``
records the marketer's approval or rejection. The engine's answer is returned as is,
under ``proposal``, beside how and when it was made.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from analytics.allocation import AllocationResponse
from analytics.proposals import service as planning
from analytics.proposals.repository import StoredAllocation
from analytics.web.deps import CampaignId, EngineDep, require_service_token
from analytics.web.problems import problem_response
from koers.isoweeks import ISO_WEEK_PATTERN
from koers.text import StorableText

router = APIRouter(
    prefix="/v1",
    tags=["allocations"],
    dependencies=[Depends(require_service_token)],
    responses={
        401: problem_response("The service token is missing or wrong."),
        404: problem_response("Analytics has no data for this campaign."),
        422: problem_response("The week is not a real ISO week, or the body is invalid."),
    },
)

PlannedWeek = Annotated[
    str,
    Path(
        pattern=ISO_WEEK_PATTERN,
        description="The ISO week being planned.",
        examples=["2026-W48"],
    ),
]


class StandInBody(BaseModel):
    """How weeks too young for a slow goal (interview, hire) were counted."""

    counter: str = Field(examples=["hires"])
    ratio: float = Field(description="Leads x this ratio stood in for the goal.")
    tenant_ratio: float = Field(description="The employer's pooled ratio it was shrunk toward.")
    settled_leads: float
    settled_conversions: float
    weeks: list[str] = Field(description="The weeks that used the stand-in.")
    sentence: str


class AllocationRecord(BaseModel):
    """A stored proposal: the engine's answer, its inputs' fingerprint and its status."""

    campaign_id: str
    week: str = Field(examples=["2026-W48"])
    version: int = Field(description="1, then +1 each time changed facts recomputed it.")
    status: Literal["proposed", "approved", "rejected"]
    budget: float = Field(description="EUR planned for the week")
    conversion: str = Field(description="The funnel counter counted as a conversion.")
    inputs_fingerprint: str = Field(description="SHA-256 of the engine request's JSON.")
    event_id: str = Field(description="The AllocationProposed event of this version.")
    proposed_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    stand_in: StandInBody | None = Field(description="Null unless the goal is slow.")
    proposal: AllocationResponse

    @classmethod
    def of(cls, stored: StoredAllocation) -> AllocationRecord:
        return cls(
            campaign_id=stored.campaign_id,
            week=stored.week,
            version=stored.version,
            status=stored.status,  # type: ignore[arg-type]  # only the three are stored
            budget=float(stored.budget),
            conversion=stored.conversion,
            inputs_fingerprint=stored.inputs_fingerprint,
            event_id=stored.event_id,
            proposed_at=stored.proposed_at,
            decided_at=stored.decided_at,
            decided_by=stored.decided_by,
            decision_note=stored.decision_note,
            stand_in=StandInBody.model_validate(stored.basis) if stored.basis else None,
            proposal=AllocationResponse.model_validate(stored.response),
        )


class ProposeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: float | None = Field(
        None,
        ge=0,
        le=1e9,
        allow_inf_nan=False,
        description="EUR for the week; the campaign's weekly budget when left out.",
    )


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    by: StorableText = Field(min_length=1, max_length=200, description="Who decided (a user id).")
    note: StorableText | None = Field(None, max_length=2000)


@router.post(
    "/campaigns/{campaign_id}/allocations/{week}",
    response_model=AllocationRecord,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": AllocationRecord, "description": "Same facts: the stored proposal."},
        201: {"description": "A new proposal (or a new version of it) was computed."},
        409: problem_response(
            "No live creative, the campaign is paused or not published to analytics yet, "
            "or the week's proposal was already decided and the facts changed since."
        ),
    },
)
def propose_week(
    campaign_id: CampaignId,
    week: PlannedWeek,
    engine: EngineDep,
    response: Response,
    body: Annotated[ProposeBody | None, Body()] = None,
) -> AllocationRecord:
    """Compute next week's budget split from the stored facts and publish it
    (`AllocationProposed` on `koers.allocations.v1`). Idempotent: with the same facts the
    stored proposal comes back (200) and nothing is published again."""
    budget = body.budget if body is not None else None
    outcome = planning.propose_allocation(
        engine,
        campaign_id,
        week,
        budget=Decimal(str(budget)) if budget is not None else None,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return AllocationRecord.of(outcome.allocation)


@router.get(
    "/campaigns/{campaign_id}/allocations/{week}",
    response_model=AllocationRecord,
    responses={404: problem_response("Unknown campaign, or no proposal for that week.")},
)
def get_week_allocation(
    campaign_id: CampaignId, week: PlannedWeek, engine: EngineDep
) -> AllocationRecord:
    """The stored proposal of an ISO week, with its status."""
    return AllocationRecord.of(planning.stored_allocation(engine, campaign_id, week))


@router.post(
    "/campaigns/{campaign_id}/allocations/{week}/decision",
    response_model=AllocationRecord,
    responses={
        404: problem_response("Unknown campaign, or no proposal for that week."),
        409: problem_response("The proposal was already decided the other way."),
    },
)
def decide_week_allocation(
    campaign_id: CampaignId, week: PlannedWeek, body: DecisionBody, engine: EngineDep
) -> AllocationRecord:
    """Record a marketer's approval or rejection of the week's proposal. It only changes
    the status: nothing is sent to an ad platform from here."""
    decided = planning.decide_allocation(
        engine, campaign_id, week, decision=body.decision, by=body.by, note=body.note
    )
    return AllocationRecord.of(decided)
