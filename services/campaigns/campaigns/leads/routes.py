"""The leads inbox: candidates from the landing service, worked by recruiters.

The inbox shows what landing holds (it keeps no candidate data itself), with the
candidate's preferred channel first. Recording an outcome updates the lead's status in
landing and, in the same transaction as the audit row, queues a LeadOutcomeRecorded event
(ids and the outcome only) for analytics. CSV export, GDPR export and erasure are for the
roles allowed to, each written to the audit log without personal data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, Engine
from starlette.datastructures import URL

from campaigns.audit import repository as audit
from campaigns.catalog import repository as repo
from campaigns.catalog.domain import Campaign
from campaigns.catalog.service import get_campaign
from campaigns.config import SERVICE
from campaigns.errors import InvalidInput, ObjectNotFound, TransitionRefused
from campaigns.leads import repository as followup
from campaigns.leads.contact import contact_actions, contact_later, window_today
from campaigns.leads.deps import LandingDep
from campaigns.leads.domain import (
    CHANNEL_NAMES,
    CSV_COLUMNS,
    ENTRY_POINTS,
    OUTCOME_LABELS,
    STATUSES,
    allowed_outcomes,
    check_outcome,
    csv_rows,
)
from campaigns.leads.landing_client import (
    ContactFacts,
    LandingClient,
    LandingRefused,
    LandingUnavailable,
    Lead,
    LeadFilter,
    LeadPage,
)
from campaigns.leads.speed import SpeedToLead, hours_phrase, speed_to_lead
from campaigns.overview.deps import OverviewSourcesDep
from campaigns.tenancy import repository as tenancy
from campaigns.tenancy.deps import ConsoleExporter, ConsoleLeadWorker, ConsoleUser, User
from campaigns.web.csrf import check_csrf
from campaigns.web.deps import ClockDep, EngineDep
from campaigns.web.flash import FlashKind, flash
from campaigns.web.forms import FormField
from campaigns.web.i18n import N_, gettext_for
from campaigns.web.pager import Pager
from campaigns.web.rendering import local_path, render
from koers.db import transaction
from koers.events import LeadOutcomeRecorded, new_envelope, utcnow
from koers.messaging.outbox import add_to_outbox

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
EXPORT_PAGE = 200
MAX_EXPORT_ROWS = 10_000
SPEED_WINDOW = timedelta(days=90)
"""Speed to lead looks at the leads of the last 90 days."""

LeadId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
EntryPointParam = Literal["quiz", "lead", "apply"]
StatusParam = Literal["new", "contacted", "interviewed", "hired", "rejected"]
CampaignParam = Annotated[str | None, Query(max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]
CreativeParam = Annotated[
    str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's filters as the marketer chose them (campaign by slug)."""

    campaign: str | None = None
    creative: str | None = None
    entry_point: str | None = None
    status: str | None = None

    def params(self) -> dict[str, str]:
        pairs = {
            "campaign": self.campaign,
            "creative": self.creative,
            "entry_point": self.entry_point,
            "status": self.status,
        }
        return {k: v for k, v in pairs.items() if v}

    def landing_filter(self) -> LeadFilter:
        return LeadFilter(
            variant_id=self.creative, entry_point=self.entry_point, status=self.status
        )


def _names(conn: Connection, user: User) -> tuple[list[Campaign], dict[str, str]]:
    campaigns = repo.campaigns_of_tenant(conn, user.tenant_id)
    return campaigns, {c.id: c.name for c in campaigns}


def _creative_names(conn: Connection, campaign_ids: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for campaign_id in sorted(campaign_ids):
        for variant in repo.variants_of(conn, campaign_id):
            names.setdefault(variant.variant_id, variant.name)
    return names


def _inbox_url(request: Request, where: InboxFilter, page: int = 1) -> str:
    params: dict[str, Any] = where.params()
    if page > 1:
        params["page"] = page
    return str(URL(local_path(request, "leads_inbox")).include_query_params(**params))


def _back(request: Request, back: str, kind: FlashKind, message: str, **values: object) -> Response:
    """Back to the inbox with ``message`` (an English message id, filled with ``values``)."""
    flash(request, message, kind, **values)
    # Only ever back into the inbox: never an open redirect.
    safe = back if back.startswith("/leads") and "//" not in back and "\\" not in back else ""
    return RedirectResponse(safe or local_path(request, "leads_inbox"), status_code=303)


@router.get("/leads", name="leads_inbox")
def leads_inbox(
    request: Request,
    user: ConsoleUser,
    engine: EngineDep,
    landing: LandingDep,
    clock: ClockDep,
    campaign: CampaignParam = None,
    creative: CreativeParam = None,
    entry_point: Annotated[EntryPointParam | None, Query()] = None,
    status: Annotated[StatusParam | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """A campaign's candidates, newest first, filtered and paged (newest campaign first)."""
    with engine.connect() as conn:
        campaigns, campaign_names = _names(conn, user)
        chosen = get_campaign(conn, user.tenant_id, campaign) if campaign else None
        chosen = chosen or (campaigns[0] if campaigns else None)
        creatives = repo.variants_of(conn, chosen.id) if chosen else []
    where = InboxFilter(chosen.slug if chosen else None, creative, entry_point, status)
    state: Literal["ready", "unavailable", "not_offered", "no_campaign"] = "ready"
    result: LeadPage | None = None
    try:
        if chosen is None:
            state = "no_campaign"
        else:
            result = landing.list_leads(
                user.tenant_id,
                chosen.id,
                where.landing_filter(),
                limit=PER_PAGE,
                offset=(page - 1) * PER_PAGE,
            )
    except LandingRefused:
        state = "not_offered"
    except LandingUnavailable as exc:
        state = "not_offered" if "does not offer" in str(exc) else "unavailable"
    leads = list(result.items) if result else []
    now = clock()
    with engine.connect() as conn:
        creative_names = _creative_names(conn, {lead.campaign_id for lead in leads})
        settings = followup.settings_of(conn, user.tenant_id)
        recruiters = {m.user_id: m.email for m in tenancy.members_of(conn, user.tenant_id)}
    speed = _speed(landing, user, chosen, now, settings.target_hours) if result else None
    vacancy = (chosen.vacancy_title or chosen.name) if chosen else ""
    target = timedelta(hours=settings.target_hours)
    items = []
    for lead in leads:
        message, actions = contact_actions(lead, settings, vacancy, replied=lead.reply is not None)
        window = window_today(lead.best_moment, now, settings.time_zone)
        items.append(
            {
                "lead": lead,
                "message": message,
                "actions": actions,
                "window": window.label() if window else None,
                "later": contact_later(lead, now, settings.time_zone),
                "overdue": lead.first_attempt is None
                and lead.status == "new"
                and now - lead.created_at > target,
                "reply_channels": sorted(
                    {c.channel for c in lead.contacts if c.kind == "attempt"},
                    key=lambda c: c != (lead.first_attempt.channel if lead.first_attempt else ""),
                ),
                "outcomes": allowed_outcomes(lead.status),
                "campaign_name": campaign_names.get(lead.campaign_id, lead.campaign_id),
                "creative_name": creative_names.get(lead.variant_id, lead.variant_id),
            }
        )
    pagination = Pager(page=page, total=result.total if result else 0, per_page=PER_PAGE)
    here = _inbox_url(request, where, page)
    context = {
        "where": where,
        "campaigns": campaigns,
        "creatives": creatives,
        "entry_points": ENTRY_POINTS,
        "statuses": STATUSES,
        "status_labels": OUTCOME_LABELS,
        "state": state,
        "leads": [item for item in items if not item["later"]],
        "later_leads": [item for item in items if item["later"]],
        "speed": speed,
        "recruiters": recruiters,
        "hours": hours_phrase,
        "settings": settings,
        "channel_labels": CHANNEL_NAMES,
        "pagination": pagination,
        "previous_url": _inbox_url(request, where, page - 1) if pagination.has_previous else None,
        "next_url": _inbox_url(request, where, page + 1) if pagination.has_next else None,
        "back": here.removeprefix(str(request.base_url).rstrip("/")),
        "can_work": user.can("work_leads"),
        "can_export": user.can("export_leads"),
        "can_edit_messages": user.can("edit_campaigns"),
    }
    return render(request, "leads.html", context, user=user)


def _speed(
    landing: LandingClient, user: User, campaign: Campaign | None, now: datetime, target: int
) -> SpeedToLead | None:
    """The campaign's speed to lead, or None when landing cannot say (the inbox still works)."""
    if campaign is None:
        return None
    try:
        facts: ContactFacts = landing.contact_facts(user.tenant_id, campaign.id, now - SPEED_WINDOW)
    except (LandingUnavailable, LandingRefused):
        return None
    return speed_to_lead(facts.items, now=now, target_hours=target)


def _tenant_lead(conn: Connection, landing: LandingClient, user: User, lead_id: str) -> Lead:
    """The lead, when it is one of the user's employer's candidates; else not found."""
    lead = landing.get_lead(user.tenant_id, lead_id)
    campaign = repo.campaign_by_id(conn, lead.campaign_id) if lead else None
    if lead is None or campaign is None or campaign.tenant_id != user.tenant_id:
        raise ObjectNotFound("There is no such candidate (any more).")
    return lead


def _log_access(
    engine: Engine, user: User, action: str, object_type: str, object_id: str, after: Any
) -> None:
    """Audit a read or erasure of candidate data (nothing of ours changes, so no before)."""
    with transaction(engine) as conn:
        audit.record(
            conn,
            tenant_id=user.tenant_id,
            actor=user.actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=None,
            after=after,
            at=utcnow(),
        )


def _download(content: str | bytes, media_type: str, filename: str) -> Response:
    """An attachment that is never cached nor sniffed into something a browser runs."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/leads/{lead_id}/outcome", name="record_lead_outcome")
def record_lead_outcome(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
    sources: OverviewSourcesDep,
    outcome: FormField = "",
    back: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Record contacted, interviewed, hired or rejected: landing status + outcome event."""
    check_csrf(request.session, csrf_token)
    try:
        with transaction(engine) as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
            recorded = check_outcome(lead.status, outcome)
            now = utcnow()
            add_to_outbox(
                conn,
                new_envelope(
                    LeadOutcomeRecorded(
                        lead_id=lead.lead_id,
                        variant_id=lead.variant_id,
                        outcome=recorded,
                        visited_at=lead.visited_at,
                    ),
                    source=SERVICE,
                    tenant_id=user.tenant_id,
                    campaign_id=lead.campaign_id,
                    occurred_at=now,
                ),
            )
            audit.record(
                conn,
                tenant_id=user.tenant_id,
                actor=user.actor,
                action="lead_outcome",
                object_type="lead",
                object_id=lead.lead_id,
                before={"status": lead.status},
                after={"status": recorded},
                at=now,
            )
            # Last, inside the transaction: if landing refuses, nothing above is kept.
            if landing.set_status(user.tenant_id, lead.lead_id, recorded) is None:
                raise ObjectNotFound("There is no such candidate (any more).")
    except TransitionRefused as exc:
        return _back(request, back, "warning", exc.detail)
    except (LandingUnavailable, LandingRefused):
        return _back(
            request,
            back,
            "warning",
            N_(
                "The outcome could not be saved: the candidate service is not answering. "
                "Nothing was changed; please try again in a minute."
            ),
        )
    sources.forget(user.tenant_id, "contact_facts", "follow_up")  # the overview shows it at once
    label = OUTCOME_LABELS[recorded]
    _ = gettext_for(request)
    marked = _("Marked %(name)s as %(label)s.") % {"name": lead.name, "label": _(label)}
    return _back(request, back, "ok", marked)


def _all_leads(
    landing: LandingClient, tenant_id: str, campaign_id: str, where: LeadFilter
) -> Iterator[Lead]:
    offset = 0
    while offset < MAX_EXPORT_ROWS:
        page = landing.list_leads(tenant_id, campaign_id, where, limit=EXPORT_PAGE, offset=offset)
        yield from page.items[: MAX_EXPORT_ROWS - offset]
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


@router.post("/leads/export.csv", name="leads_export")
def export_leads_csv(
    request: Request,
    user: ConsoleExporter,
    engine: EngineDep,
    landing: LandingDep,
    csrf_token: FormField = "",
    campaign: Annotated[str, Form(max_length=80)] = "",
    creative: Annotated[str, Form(max_length=64)] = "",
    entry_point: Annotated[str, Form(max_length=10)] = "",
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The filtered leads as CSV, for the roles allowed to take candidate data out."""
    check_csrf(request.session, csrf_token)
    if entry_point and entry_point not in ENTRY_POINTS:
        raise InvalidInput("Unknown entry point.", {"entry_point": "quiz, lead or apply"})
    if status and status not in STATUSES:
        raise InvalidInput("Unknown status.", {"status": ", ".join(STATUSES)})
    if not campaign:
        raise InvalidInput("Choose a campaign to export.", {"campaign": "required"})
    where = InboxFilter(campaign, creative or None, entry_point or None, status or None)
    with engine.connect() as conn:
        chosen = get_campaign(conn, user.tenant_id, campaign)
        creative_names = _creative_names(conn, {chosen.id})
    try:
        leads = list(_all_leads(landing, user.tenant_id, chosen.id, where.landing_filter()))
    except (LandingUnavailable, LandingRefused):
        return _back(
            request,
            _inbox_url(request, where).removeprefix(str(request.base_url).rstrip("/")),
            "warning",
            N_("The export could not be made: the candidate service is not answering."),
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(leads, {chosen.id: chosen.name}, creative_names))
    _log_access(
        engine,
        user,
        "leads_exported",
        "leads",
        chosen.id,
        {"rows": len(leads), "filters": where.params()},
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    # A BOM, so spreadsheet programs read UTF-8.
    return _download("\ufeff" + buffer.getvalue(), "text/csv; charset=utf-8", f"leads-{stamp}.csv")


@router.post("/leads/{lead_id}/gdpr-export", name="lead_gdpr_export")
def gdpr_export(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
    csrf_token: FormField = "",
    back: FormField = "",
) -> Response:
    """Everything landing holds about the candidate, as a JSON download (access request)."""
    check_csrf(request.session, csrf_token)
    try:
        with engine.connect() as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
        document = landing.export_candidate(user.tenant_id, lead.lead_id)
    except (LandingUnavailable, LandingRefused):
        return _back(
            request,
            back,
            "warning",
            N_(
                "The candidate's data could not be exported: the candidate service is not "
                "answering or does not offer exports yet."
            ),
        )
    if document is None:
        return _back(
            request, back, "warning", N_("The candidate service does not offer data exports yet.")
        )
    _log_access(
        engine,
        user,
        "candidate_data_exported",
        "lead",
        lead.lead_id,
        {"request": "access"},
    )
    document_json = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    return _download(document_json, "application/json", f"candidate-{lead.lead_id}.json")


@router.get("/leads/{lead_id}/cv", name="lead_cv")
def download_cv(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
) -> Response:
    """The CV of an application, as a download (never shown inline)."""
    try:
        with engine.connect() as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
        cv = landing.cv(user.tenant_id, lead.lead_id)
    except (LandingUnavailable, LandingRefused):
        return _back(request, "", "warning", N_("The CV cannot be fetched right now."))
    if cv is None:
        raise ObjectNotFound("This candidate has no CV (any more).")
    safe_name = "".join(c for c in cv.filename if c.isalnum() or c in "._- ")[:100] or "cv"
    return _download(cv.content, cv.media_type, safe_name)


@router.get("/leads/{lead_id}/erase", name="lead_erase_confirm")
def erase_confirm(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
    back: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """Ask for confirmation before erasing a candidate's data."""
    try:
        with engine.connect() as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
            campaign = repo.campaign_by_id(conn, lead.campaign_id)
    except (LandingUnavailable, LandingRefused):
        return _back(request, back, "warning", N_("The candidate service is not answering."))
    context = {"lead": lead, "campaign": campaign, "back": back, "message": None}
    return render(request, "leads_erase.html", context, user=user)


@router.post("/leads/{lead_id}/erase", name="lead_erase")
def erase(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
    csrf_token: FormField = "",
    confirm: FormField = "",
    back: FormField = "",
) -> Response:
    """Erase the candidate's data in landing (lead, answers, CV) and log that it happened."""
    check_csrf(request.session, csrf_token)
    try:
        with engine.connect() as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
            campaign = repo.campaign_by_id(conn, lead.campaign_id)
        if confirm != "erase":
            context = {
                "lead": lead,
                "campaign": campaign,
                "back": back,
                "message": N_("Tick the box to confirm that this candidate asked to be erased."),
            }
            return render(request, "leads_erase.html", context, user=user, status_code=422)
        erased = landing.erase_candidate(user.tenant_id, lead.lead_id)
    except (LandingUnavailable, LandingRefused):
        return _back(
            request,
            back,
            "warning",
            N_(
                "The candidate could not be erased: the candidate service is not answering or "
                "does not offer erasure yet. Nothing was erased; please try again later."
            ),
        )
    if not erased:
        raise ObjectNotFound("There is no such candidate (any more).")
    _log_access(
        engine,
        user,
        "candidate_erased",
        "lead",
        lead.lead_id,
        {
            "request": "erasure",
            "campaign_id": lead.campaign_id,
            "leads": erased.leads,
            "cv_files": erased.cv_files,
        },
    )
    return _back(request, back, "ok", N_("The candidate's data has been erased."))
