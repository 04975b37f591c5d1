"""Reading and working candidates through the landing service's internal API.

Candidate personal data lives only in the landing database (DESIGN.md): the leads inbox
asks landing for it on every page, with the service token, and keeps nothing. Every
answer is typed. Anything unusable (unreachable, a timeout, 5xx, a body we do not
understand) is :class:`LandingUnavailable`; a lead that does not exist is None; landing
refusing a request is :class:`LandingRefused` with its reason. The inbox turns each
into a friendly notice, never a 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict

from koers.service_client import ServiceClient

log = logging.getLogger(__name__)

INTERNAL = "/internal/v1"
MAX_PAGE_SIZE = 200
BATCH_TIMEOUT_S = 15.0
"""Contact facts of up to a hundred campaigns: their reader (the overview) stops waiting
at its own deadline; the read may finish and be kept for the next page view."""


class LandingUnavailable(Exception):
    """Landing could not be asked or answered something we cannot use."""


class LandingRefused(Exception):
    """Landing understood the request and refused it (4xx other than 404)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ApplicationInfo(_Answer):
    cv_filename: str | None = None
    has_cv: bool = False


class Contact(_Answer):
    """An attempt to reach a candidate, or their reply (no message text)."""

    kind: Literal["attempt", "reply"]
    channel: str
    at: datetime
    recruiter_id: str


class Lead(_Answer):
    """A candidate as the inbox shows them (personal data: never log or store it)."""

    lead_id: str
    tenant_id: str
    campaign_id: str
    variant_id: str
    entry_point: str
    name: str
    phone_e164: str | None = None
    email: str | None = None
    contact_channel: str
    best_moment: str | None = None
    visited_at: datetime
    created_at: datetime
    status: str = "new"
    language: str = "nl"
    application: ApplicationInfo | None = None
    contacts: tuple[Contact, ...] = ()

    @property
    def has_cv(self) -> bool:
        return self.application is not None and self.application.has_cv

    @property
    def first_attempt(self) -> Contact | None:
        return next((c for c in self.contacts if c.kind == "attempt"), None)

    @property
    def reply(self) -> Contact | None:
        return next((c for c in self.contacts if c.kind == "reply"), None)


class LeadContactFacts(_Answer):
    """What speed-to-lead figures need of one lead: ids, moments, channels."""

    lead_id: str
    created_at: datetime
    contact_channel: str
    status: str
    contacts: tuple[Contact, ...] = ()


class ContactFacts(_Answer):
    items: tuple[LeadContactFacts, ...]
    since: datetime
    truncated: bool = False


class _CampaignContactFacts(_Answer):
    campaign_id: str
    items: tuple[LeadContactFacts, ...]
    truncated: bool = False


class _TenantContactFacts(_Answer):
    campaigns: tuple[_CampaignContactFacts, ...]
    since: datetime


class LeadPage(_Answer):
    items: tuple[Lead, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class LeadFilter:
    """What the inbox narrows a campaign's leads by; None means "any"."""

    variant_id: str | None = None
    entry_point: str | None = None
    status: str | None = None

    def query(self) -> dict[str, str]:
        pairs = {
            "variant_id": self.variant_id,
            "entry_point": self.entry_point,
            "status": self.status,
        }
        return {k: v for k, v in pairs.items() if v}


class Erasure(_Answer):
    """What landing erased for one candidate (counts and ids; no personal data)."""

    leads: int
    cv_files: int = 0
    lead_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CvFile:
    content: bytes
    media_type: str
    filename: str


class LandingClient(Protocol):
    def list_leads(
        self, tenant_id: str, campaign_id: str, where: LeadFilter, *, limit: int, offset: int
    ) -> LeadPage: ...

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None: ...

    def set_status(self, tenant_id: str, lead_id: str, status: str) -> Lead | None: ...

    def cv(self, tenant_id: str, lead_id: str) -> CvFile | None: ...

    def export_candidate(self, tenant_id: str, lead_id: str) -> dict[str, Any] | None: ...

    def erase_candidate(self, tenant_id: str, lead_id: str) -> Erasure | None: ...

    def add_contact(
        self,
        tenant_id: str,
        lead_id: str,
        *,
        kind: str,
        channel: str,
        at: datetime,
        recruiter_id: str,
    ) -> Contact | None: ...

    def contact_facts(self, tenant_id: str, campaign_id: str, since: datetime) -> ContactFacts: ...

    def tenant_contact_facts(
        self, tenant_id: str, campaign_ids: Sequence[str], since: datetime
    ) -> dict[str, ContactFacts]: ...

    def close(self) -> None: ...


class HttpLandingClient(ServiceClient):
    """Calls landing's ``/internal/v1`` API with the service token and a short timeout.

    Every call names the tenant in the path (``/internal/v1/tenants/{tenant}/...``):
    landing answers only with that tenant's candidates, and the client checks it again,
    so a wrong id can never show another employer's lead.
    """

    service = "landing"
    unavailable = LandingUnavailable
    refused = LandingRefused

    def __init__(self, base_url: str, service_token: str, *, timeout_s: float = 3.0) -> None:
        super().__init__(base_url, service_token, timeout_s=timeout_s)

    def list_leads(
        self,
        tenant_id: str,
        campaign_id: str,
        where: LeadFilter,
        *,
        limit: int = 25,
        offset: int = 0,
    ) -> LeadPage:
        """One page of a campaign's leads (every entry point), newest first."""
        params = {
            **where.query(),
            "limit": str(min(max(limit, 1), MAX_PAGE_SIZE)),
            "offset": str(max(offset, 0)),
        }
        path = f"{_tenant(tenant_id)}/campaigns/{quote(campaign_id, safe='')}/leads"
        response = self._send("GET", path, params=params)
        if response is None:
            raise LandingUnavailable("landing does not offer the leads list")
        page = self._parse(response, LeadPage)
        if any(lead.tenant_id != tenant_id for lead in page.items):
            log.error("landing returned leads of another tenant; refusing the page")
            raise LandingUnavailable("landing answered with another tenant's leads")
        return page

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        response = self._send("GET", _lead_path(tenant_id, lead_id))
        if response is None:
            return None
        lead = self._parse(response, Lead)
        return lead if lead.tenant_id == tenant_id else None

    def set_status(self, tenant_id: str, lead_id: str, status: str) -> Lead | None:
        """Record the procedure's progress; None when there is no such lead."""
        response = self._send("PATCH", _lead_path(tenant_id, lead_id), body={"status": status})
        return None if response is None else self._parse(response, Lead)

    def cv(self, tenant_id: str, lead_id: str) -> CvFile | None:
        response = self._send("GET", f"{_lead_path(tenant_id, lead_id)}/cv")
        if response is None:
            return None
        media_type = response.headers.get("content-type", "application/octet-stream")
        return CvFile(response.content, media_type.split(";")[0], _filename(response))

    def export_candidate(self, tenant_id: str, lead_id: str) -> dict[str, Any] | None:
        """Everything landing holds about the candidate of this lead (access request)."""
        path = f"{_tenant(tenant_id)}/candidates/export"
        response = self._send("POST", path, body={"lead_id": lead_id})
        if response is None:
            return None
        try:
            document = response.json()
        except ValueError as exc:
            raise LandingUnavailable("the export is not JSON") from exc
        if not isinstance(document, dict):
            raise LandingUnavailable("the export is not a JSON object")
        return document

    def erase_candidate(self, tenant_id: str, lead_id: str) -> Erasure | None:
        """Erase the candidate of this lead in landing; None when there was no such lead."""
        path = f"{_tenant(tenant_id)}/candidates/erase"
        response = self._send("POST", path, body={"lead_id": lead_id})
        return None if response is None else self._parse(response, Erasure)

    def add_contact(
        self,
        tenant_id: str,
        lead_id: str,
        *,
        kind: str,
        channel: str,
        at: datetime,
        recruiter_id: str,
    ) -> Contact | None:
        """Record an attempt or a reply beside the lead; None when there is no such lead.
        A reply landing refuses (none attempted, or already marked) is LandingRefused."""
        body = {
            "kind": kind,
            "channel": channel,
            "at": at.isoformat(),
            "recruiter_id": recruiter_id,
        }
        response = self._send("POST", f"{_lead_path(tenant_id, lead_id)}/contacts", body=body)
        return None if response is None else self._parse(response, Contact)

    def contact_facts(self, tenant_id: str, campaign_id: str, since: datetime) -> ContactFacts:
        """A campaign's leads since ``since`` with their contact history (no personal data)."""
        path = f"{_tenant(tenant_id)}/campaigns/{quote(campaign_id, safe='')}/contact-facts"
        response = self._send("GET", path, params={"since": since.isoformat()})
        if response is None:
            raise LandingUnavailable("landing does not offer contact facts")
        return self._parse(response, ContactFacts)

    def tenant_contact_facts(
        self, tenant_id: str, campaign_ids: Sequence[str], since: datetime
    ) -> dict[str, ContactFacts]:
        """:meth:`contact_facts` of several of the tenant's campaigns in one request."""
        if not campaign_ids:
            return {}
        params = {"since": since.isoformat(), "campaign_id": list(campaign_ids)}
        response = self._send(
            "GET", f"{_tenant(tenant_id)}/contact-facts", params=params, timeout_s=BATCH_TIMEOUT_S
        )
        if response is None:
            raise LandingUnavailable("landing does not offer batched contact facts")
        answer = self._parse(response, _TenantContactFacts)
        found = {
            c.campaign_id: ContactFacts(items=c.items, since=answer.since, truncated=c.truncated)
            for c in answer.campaigns
        }
        if found.keys() != set(campaign_ids):
            raise LandingUnavailable("landing answered other campaigns than asked")
        return {cid: found[cid] for cid in campaign_ids}


def _tenant(tenant_id: str) -> str:
    return f"{INTERNAL}/tenants/{quote(tenant_id, safe='')}"


def _lead_path(tenant_id: str, lead_id: str) -> str:
    return f"{_tenant(tenant_id)}/leads/{quote(lead_id, safe='')}"


def _filename(response: httpx.Response) -> str:
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r'filename="?([^";]+)"?', disposition)
    return match.group(1) if match else "cv"
