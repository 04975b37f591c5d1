"""Internal JSON API (service token) of the contact history: the console records each
attempt and reply here, and reads the facts its speed-to-lead figures are made of
(ids, moments and channels; never a name, number or message)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from koers.instants import UtcInstant
from koers.text import StorableInput
from landing.contacts import repository
from landing.contacts.service import record_contact
from landing.errors import LeadNotFound
from landing.web.deps import EngineDep

router = APIRouter(prefix="/internal/v1", tags=["internal"])

MAX_FACTS = 5000
MAX_CAMPAIGNS = 100
"""Campaigns one batched contact-facts request may name (the console asks for its 50
newest live ones)."""
Channel = Literal["whatsapp", "phone", "email", "linkedin"]


class ContactOut(BaseModel):
    kind: Literal["attempt", "reply"]
    channel: str
    at: datetime
    recruiter_id: str


class ContactIn(StorableInput):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["attempt", "reply"]
    channel: Channel
    at: UtcInstant
    recruiter_id: str = Field(min_length=1, max_length=64)


class LeadContactsOut(BaseModel):
    lead_id: str
    created_at: datetime
    contact_channel: str
    status: str
    contacts: list[ContactOut]


class ContactFactsOut(BaseModel):
    items: list[LeadContactsOut]
    since: datetime
    truncated: bool


class CampaignContactFactsOut(BaseModel):
    campaign_id: str
    items: list[LeadContactsOut]
    truncated: bool


class TenantContactFactsOut(BaseModel):
    campaigns: list[CampaignContactFactsOut] = Field(
        description="One entry per campaign asked for, in the order asked"
    )
    since: datetime


CampaignIdParam = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def contact_out(contact: repository.Contact) -> ContactOut:
    return ContactOut.model_validate(
        {
            "kind": contact.kind,
            "channel": contact.channel,
            "at": contact.at,
            "recruiter_id": contact.recruiter_id,
        }
    )


def _lead_key(lead_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(lead_id)
    except ValueError as exc:
        raise LeadNotFound(f"no lead {lead_id!r}") from exc


@router.post("/tenants/{tenant_id}/leads/{lead_id}/contacts", response_model=ContactOut)
def add_contact(tenant_id: str, lead_id: str, contact: ContactIn, engine: EngineDep) -> ContactOut:
    """Record an attempt to reach the candidate, or their reply (no message text)."""
    recorded = record_contact(
        engine,
        tenant_id,
        _lead_key(lead_id),
        kind=contact.kind,
        channel=contact.channel,
        at=contact.at,
        recruiter_id=contact.recruiter_id,
    )
    return contact_out(recorded)


@router.get(
    "/tenants/{tenant_id}/campaigns/{campaign_id}/contact-facts", response_model=ContactFactsOut
)
def contact_facts(
    tenant_id: str,
    campaign_id: str,
    engine: EngineDep,
    since: UtcInstant,
    limit: Annotated[int, Query(ge=1, le=MAX_FACTS)] = MAX_FACTS,
) -> ContactFactsOut:
    """A campaign's leads created since ``since`` with their contact history."""
    with engine.connect() as conn:
        found = repository.campaign_contact_facts(
            conn, tenant_id, campaign_id, created_from=since, limit=limit
        )
    return ContactFactsOut(
        items=[_lead_facts_out(facts) for facts in found],
        since=since,
        truncated=len(found) >= limit,
    )


@router.get("/tenants/{tenant_id}/contact-facts", response_model=TenantContactFactsOut)
def tenant_contact_facts(
    tenant_id: str,
    engine: EngineDep,
    since: UtcInstant,
    campaign_id: Annotated[
        list[CampaignIdParam],
        Query(
            min_length=1,
            max_length=MAX_CAMPAIGNS,
            description="A campaign of the tenant; repeat for each (at most 100)",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_FACTS, description="Leads per campaign")] = MAX_FACTS,
) -> TenantContactFactsOut:
    """The contact facts of several campaigns of the tenant at once (what the employer
    overview reads): per campaign, as ``.../campaigns/{campaign}/contact-facts`` answers.
    A campaign of another tenant, or unknown, answers no leads."""
    asked = list(dict.fromkeys(campaign_id))  # each once, in the order asked
    with engine.connect() as conn:
        found = repository.tenant_contact_facts(
            conn, tenant_id, asked, created_from=since, limit=limit
        )
    return TenantContactFactsOut(
        campaigns=[
            CampaignContactFactsOut(
                campaign_id=campaign,
                items=[_lead_facts_out(facts) for facts in found[campaign]],
                truncated=len(found[campaign]) >= limit,
            )
            for campaign in asked
        ],
        since=since,
    )


def _lead_facts_out(facts: repository.LeadContactFacts) -> LeadContactsOut:
    return LeadContactsOut(
        lead_id=str(facts.lead_id),
        created_at=facts.created_at,
        contact_channel=facts.contact_channel,
        status=facts.status,
        contacts=[contact_out(c) for c in facts.contacts],
    )
