"""Internal JSON API (service token) of the contact history: the console records each
attempt and reply here, and reads the facts its speed-to-lead figures are made of
(ids, moments and channels; never a name, number or message)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from koers.db import as_utc
from landing.contacts import repository
from landing.contacts.service import record_contact
from landing.errors import LeadNotFound
from landing.web.deps import EngineDep

router = APIRouter(prefix="/internal/v1", tags=["internal"])

MAX_FACTS = 5000
Channel = Literal["whatsapp", "phone", "email", "linkedin"]


class ContactOut(BaseModel):
    kind: Literal["attempt", "reply"]
    channel: str
    at: datetime
    recruiter_id: str


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["attempt", "reply"]
    channel: Channel
    at: datetime
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
        at=as_utc(contact.at),
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
    since: datetime,
    limit: Annotated[int, Query(ge=1, le=MAX_FACTS)] = MAX_FACTS,
) -> ContactFactsOut:
    """A campaign's leads created since ``since`` with their contact history."""
    start = as_utc(since)
    with engine.connect() as conn:
        found = repository.campaign_contact_facts(
            conn, tenant_id, campaign_id, created_from=start, limit=limit
        )
    return ContactFactsOut(
        items=[
            LeadContactsOut(
                lead_id=str(facts.lead_id),
                created_at=facts.created_at,
                contact_channel=facts.contact_channel,
                status=facts.status,
                contacts=[contact_out(c) for c in facts.contacts],
            )
            for facts in found
        ],
        since=start,
        truncated=len(found) >= limit,
    )
