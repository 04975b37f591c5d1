"""Internal JSON API (service token): the console reads leads here, so candidate data
never has to leave the landing database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from landing import repository
from landing.deps import EngineDep
from landing.errors import LeadNotFound

router = APIRouter(prefix="/internal/v1", tags=["internal"])

MAX_PAGE_SIZE = 200


class LeadOut(BaseModel):
    lead_id: str
    tenant_id: str
    campaign_id: str
    variant_id: str
    entry_point: str
    name: str
    phone_e164: str | None
    email: str | None
    contact_channel: str
    best_moment: str | None
    consent_text: str
    consented_at: datetime
    utm: dict[str, str]
    visited_at: datetime
    created_at: datetime
    status: str
    is_demo: bool


class LeadPage(BaseModel):
    items: list[LeadOut]
    total: int
    limit: int
    offset: int


@router.get("/campaigns/{campaign_id}/leads", response_model=LeadPage)
def list_campaign_leads(
    campaign_id: str,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LeadPage:
    """A campaign's leads, newest first, one page at a time."""
    with engine.connect() as conn:
        leads, total = repository.list_leads(conn, campaign_id, limit=limit, offset=offset)
    return LeadPage(
        items=[LeadOut.model_validate(lead.public_fields()) for lead in leads],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/leads/{lead_id}", response_model=LeadOut)
def get_lead(lead_id: str, engine: EngineDep) -> LeadOut:
    """One lead with its contact details and consent record."""
    try:
        key = uuid.UUID(lead_id)
    except ValueError as exc:
        raise LeadNotFound(f"no lead {lead_id!r}") from exc
    with engine.connect() as conn:
        lead = repository.get_lead(conn, key)
    if lead is None:
        raise LeadNotFound(f"no lead {lead_id!r}")
    return LeadOut.model_validate(lead.public_fields())
