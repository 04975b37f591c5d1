"""Internal JSON API (service token): the console reads and follows up leads and
applications here, so candidate data never has to leave the landing database. GDPR
export and erasure are next to it, in ``privacy/api.py``.

Everything a tenant owns is addressed under ``/internal/v1/tenants/{tenant_id}/...``; a
lead of another tenant is "not found". The two routes of the first slice
(``/internal/v1/campaigns/{id}/leads`` and ``/internal/v1/leads/{id}``) stay for the
console that already calls them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from koers.instants import UtcInstant
from koers.text import StorableInput
from landing.contacts import repository as contacts
from landing.contacts.api import ContactOut, contact_out
from landing.errors import CvNotFound, LeadNotFound
from landing.submissions import repository
from landing.submissions.cv import MEDIA_TYPES
from landing.submissions.repository import Application, Lead, LeadFilter
from landing.web.deps import CvStoreDep, EngineDep, PrivacyDep

router = APIRouter(prefix="/internal/v1", tags=["internal"])

MAX_PAGE_SIZE = 200
LeadStatus = Literal["new", "contacted", "interviewed", "hired", "rejected"]
EntryPointFilter = Literal["quiz", "lead", "apply"]


class ApplicationOut(BaseModel):
    motivation: str | None
    cv_filename: str | None
    cv_kind: str | None
    cv_bytes: int | None
    has_cv: bool


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
    language: str = "nl"
    quiz_result_id: str | None = None
    talent_pool: bool = False
    keep_until: datetime | None = None
    status_changed_at: datetime | None = None
    procedure_ended_at: datetime | None = None
    consent_withdrawn_at: datetime | None = None
    application: ApplicationOut | None = None
    contacts: list[ContactOut] = []
    """Attempts to reach the candidate and their reply, oldest first."""


class LeadPage(BaseModel):
    items: list[LeadOut]
    total: int
    limit: int
    offset: int


class StatusChange(StorableInput):
    model_config = ConfigDict(extra="forbid")

    status: LeadStatus
    procedure_ended_at: UtcInstant | None = None
    """When the procedure ended (for "rejected"; defaults to now)."""
    consent_withdrawn: bool = False
    """The candidate withdrew consent through the recruiter: the next retention run
    erases their data."""


def _lead_out(
    lead: Lead, application: Application | None, history: list[contacts.Contact]
) -> LeadOut:
    document: dict[str, Any] = lead.public_fields()
    document["contacts"] = [contact_out(contact) for contact in history]
    if application is not None:
        document["application"] = ApplicationOut(
            motivation=application.motivation,
            cv_filename=application.cv_filename,
            cv_kind=application.cv_kind,
            cv_bytes=application.cv_bytes,
            has_cv=application.cv_file is not None,
        )
    return LeadOut.model_validate(document)


def _lead_key(lead_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(lead_id)
    except ValueError as exc:
        raise LeadNotFound(f"no lead {lead_id!r}") from exc


def _tenant_lead(
    engine: EngineDep, tenant_id: str, lead_id: str
) -> tuple[Lead, Application | None, list[contacts.Contact]]:
    key = _lead_key(lead_id)
    with engine.connect() as conn:
        lead = repository.get_lead(conn, key)
        if lead is None or lead.tenant_id != tenant_id:
            raise LeadNotFound(f"no lead {lead_id!r} for tenant {tenant_id!r}")
        history = contacts.contacts_of(conn, [key])[key]
        return lead, repository.get_application(conn, key), history


def _page(engine: EngineDep, where: LeadFilter, limit: int, offset: int) -> LeadPage:
    with engine.connect() as conn:
        found, total = repository.search_leads(conn, where, limit=limit, offset=offset)
        histories = contacts.contacts_of(conn, [lead.lead_id for lead, _ in found])
    return LeadPage(
        items=[
            _lead_out(lead, application, histories[lead.lead_id]) for lead, application in found
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/tenants/{tenant_id}/campaigns/{campaign_id}/leads", response_model=LeadPage)
def list_leads(
    tenant_id: str,
    campaign_id: str,
    engine: EngineDep,
    entry_point: EntryPointFilter | None = None,
    status: LeadStatus | None = None,
    variant_id: Annotated[str | None, Query(max_length=64)] = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LeadPage:
    """A campaign's leads (every entry point), newest first, filtered, one page at a time."""
    where = LeadFilter(
        tenant_id=tenant_id,
        campaign_id=campaign_id,
        entry_point=entry_point,
        status=status,
        variant_id=variant_id,
        created_from=created_from,
        created_before=created_before,
    )
    return _page(engine, where, limit, offset)


@router.get("/tenants/{tenant_id}/campaigns/{campaign_id}/applications", response_model=LeadPage)
def list_applications(
    tenant_id: str,
    campaign_id: str,
    engine: EngineDep,
    status: LeadStatus | None = None,
    variant_id: Annotated[str | None, Query(max_length=64)] = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LeadPage:
    """A campaign's applications (leads that came in with a CV), newest first."""
    where = LeadFilter(
        tenant_id=tenant_id,
        campaign_id=campaign_id,
        status=status,
        variant_id=variant_id,
        created_from=created_from,
        created_before=created_before,
        applications_only=True,
    )
    return _page(engine, where, limit, offset)


@router.get("/tenants/{tenant_id}/leads/{lead_id}", response_model=LeadOut)
def read_lead(tenant_id: str, lead_id: str, engine: EngineDep) -> LeadOut:
    """One lead or application with its contact details and consent record."""
    return _lead_out(*_tenant_lead(engine, tenant_id, lead_id))


@router.get(
    "/tenants/{tenant_id}/leads/{lead_id}/cv",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def download_cv(tenant_id: str, lead_id: str, engine: EngineDep, cv_store: CvStoreDep) -> Response:
    """The CV of an application, as a download (never shown inline)."""
    _, application, _ = _tenant_lead(engine, tenant_id, lead_id)
    if application is None or not application.cv_file or application.cv_kind not in MEDIA_TYPES:
        raise CvNotFound(f"lead {lead_id} has no CV")
    content = cv_store.read(application.cv_file)
    if content is None:
        raise CvNotFound(f"the CV of lead {lead_id} is no longer stored")
    filename = application.cv_filename or f"cv.{application.cv_kind}"
    return Response(
        content,
        media_type=MEDIA_TYPES[application.cv_kind],  # type: ignore[index]
        headers={
            "content-disposition": _attachment(filename),
            "cache-control": "no-store",
        },
    )


def _attachment(filename: str) -> str:
    """A download, never shown inline; a non-ASCII name travels RFC 5987-encoded."""
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


@router.patch("/tenants/{tenant_id}/leads/{lead_id}", response_model=LeadOut)
def change_lead_status(
    tenant_id: str, lead_id: str, change: StatusChange, privacy: PrivacyDep, engine: EngineDep
) -> LeadOut:
    """Record how the procedure goes (contacted, interviewed, hired, rejected)."""
    privacy.update_status(
        tenant_id,
        _lead_key(lead_id),
        change.status,
        procedure_ended_at=change.procedure_ended_at,
        consent_withdrawn=change.consent_withdrawn,
    )
    return _lead_out(*_tenant_lead(engine, tenant_id, lead_id))


# --- the first slice's routes, kept for the console that calls them -------------------------


@router.get("/campaigns/{campaign_id}/leads", response_model=LeadPage)
def list_campaign_leads(
    campaign_id: str, engine: EngineDep, limit: Limit = 50, offset: Offset = 0
) -> LeadPage:
    """A campaign's leads, newest first, one page at a time (any tenant)."""
    return _page(engine, LeadFilter(campaign_id=campaign_id), limit, offset)


@router.get("/leads/{lead_id}", response_model=LeadOut)
def get_lead(lead_id: str, engine: EngineDep) -> LeadOut:
    """One lead with its contact details and consent record (any tenant)."""
    key = _lead_key(lead_id)
    with engine.connect() as conn:
        lead = repository.get_lead(conn, key)
        if lead is None:
            raise LeadNotFound(f"no lead {lead_id!r}")
        history = contacts.contacts_of(conn, [key])[key]
        return _lead_out(lead, repository.get_application(conn, key), history)
