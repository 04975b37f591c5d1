"""Following up a lead from the inbox: open the chat or mail with the employer's message
(recording the attempt on the way), mark the candidate's reply, and edit the messages.

An attempt and a reply are stored beside the lead in landing (so erasure takes them),
announced to analytics as ``LeadContacted`` / ``LeadReplied`` (ids, channel, moments;
never the text) and audited, all in the console's one transaction: if landing refuses,
nothing of it is kept. The first attempt at a new lead also records "contacted".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from campaigns.audit import repository as audit
from campaigns.catalog import repository as catalog
from campaigns.config import SERVICE
from campaigns.errors import InvalidInput, ObjectNotFound, TransitionRefused
from campaigns.leads import repository
from campaigns.leads.contact import (
    ContactAction,
    ContactSettings,
    TemplateInvalid,
    check_template,
    check_time_zone,
    contact_actions,
)
from campaigns.leads.deps import LandingDep
from campaigns.leads.landing_client import (
    LandingClient,
    LandingRefused,
    LandingUnavailable,
    Lead,
)
from campaigns.leads.routes import LeadId, _back, _tenant_lead
from campaigns.overview.deps import OverviewSourcesDep
from campaigns.tenancy.deps import ConsoleEditor, ConsoleLeadWorker, User
from campaigns.web.csrf import check_csrf
from campaigns.web.deps import ClockDep, EngineDep
from campaigns.web.flash import flash
from campaigns.web.forms import FormField
from campaigns.web.i18n import N_, gettext_for
from campaigns.web.rendering import local_path, render
from koers.db import transaction
from koers.events import (
    ContactChannel,
    LeadContacted,
    LeadOutcomeRecorded,
    LeadReplied,
    Payload,
    new_envelope,
)
from koers.messaging.outbox import add_to_outbox

router = APIRouter(include_in_schema=False)

CHANNEL_LABELS: dict[str, str] = {
    "whatsapp": "WhatsApp",
    "email": N_("e-mail"),
    "phone": N_("phone"),
    "linkedin": "LinkedIn",
}
TARGET_HOURS_RANGE = (1, 24 * 14)
TIME_ZONES = ("Europe/Amsterdam", "Europe/Brussels", "Europe/London", "UTC")


def vacancy_of(conn: Connection, lead: Lead) -> str:
    campaign = catalog.campaign_by_id(conn, lead.campaign_id)
    if campaign is None:
        return ""
    return campaign.vacancy_title or campaign.name


def _channel(raw: str) -> ContactChannel:
    for channel in ("whatsapp", "phone", "email", "linkedin"):
        if raw == channel:
            return channel
    raise InvalidInput(N_("Unknown channel."), {"channel": "whatsapp, phone, email or linkedin"})


def _queue(conn: Connection, user: User, lead: Lead, payload: Payload, now: object) -> None:
    add_to_outbox(
        conn,
        new_envelope(
            payload,
            source=SERVICE,
            tenant_id=user.tenant_id,
            campaign_id=lead.campaign_id,
            occurred_at=now,  # type: ignore[arg-type]
        ),
    )


@router.post("/leads/{lead_id}/contact", name="contact_lead")
def contact_lead(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
    clock: ClockDep,
    sources: OverviewSourcesDep,
    channel: FormField = "",
    back: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Record an attempt in the chosen channel, then open it with the message filled in."""
    check_csrf(request.session, csrf_token)
    chosen = _channel(channel)
    action: ContactAction | None = None
    try:
        with transaction(engine) as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
            settings = repository.settings_of(conn, user.tenant_id)
            _, actions = contact_actions(
                lead, settings, vacancy_of(conn, lead), replied=lead.reply is not None
            )
            action = next((a for a in actions if a.channel == chosen and a.href), None)
            if action is None:
                raise TransitionRefused(
                    f"{lead.name} cannot be reached by {CHANNEL_LABELS[chosen]} from here."
                )
            now = clock()
            _queue(
                conn,
                user,
                lead,
                LeadContacted(
                    lead_id=lead.lead_id,
                    variant_id=lead.variant_id,
                    channel=chosen,
                    visited_at=lead.visited_at,
                    lead_created_at=lead.created_at,
                    first=lead.first_attempt is None,
                ),
                now,
            )
            if lead.status == "new":
                # Landing moves the lead to "contacted" with the attempt; analytics hears it
                # as it would from the outcome button.
                _queue(
                    conn,
                    user,
                    lead,
                    LeadOutcomeRecorded(
                        lead_id=lead.lead_id,
                        variant_id=lead.variant_id,
                        outcome="contacted",
                        visited_at=lead.visited_at,
                    ),
                    now,
                )
            _record_contact(conn, landing, user, lead.lead_id, "attempt", chosen, now)
    except TransitionRefused as exc:
        return _back(request, back, "warning", exc.detail)
    except (LandingUnavailable, LandingRefused):
        return _back(
            request,
            back,
            "warning",
            N_(
                "The contact could not be recorded: the candidate service is not answering. "
                "Nothing was opened; please try again in a minute."
            ),
        )
    sources.forget(user.tenant_id, "contact_facts", "follow_up")  # the overview shows it at once
    assert action is not None and action.href is not None
    return RedirectResponse(action.href, status_code=303)


def _record_contact(
    conn: Connection,
    landing: LandingClient,
    user: User,
    lead_id: str,
    kind: Literal["attempt", "reply"],
    channel: str,
    now: datetime,
) -> None:
    """Audit an attempt or a reply, then store it beside the lead in landing.

    Last in the caller's transaction: if landing refuses, nothing before it is kept.
    """
    audit.record(
        conn,
        tenant_id=user.tenant_id,
        actor=user.actor,
        action={"attempt": "lead_contact_attempt", "reply": "lead_reply"}[kind],
        object_type="lead",
        object_id=lead_id,
        before=None,
        after={"channel": channel},
        at=now,
    )
    recorded = landing.add_contact(
        user.tenant_id, lead_id, kind=kind, channel=channel, at=now, recruiter_id=user.id
    )
    if recorded is None:
        raise ObjectNotFound("There is no such candidate (any more).")


@router.post("/leads/{lead_id}/reply", name="mark_lead_reply")
def mark_reply(
    request: Request,
    lead_id: LeadId,
    user: ConsoleLeadWorker,
    engine: EngineDep,
    landing: LandingDep,
    clock: ClockDep,
    sources: OverviewSourcesDep,
    channel: FormField = "",
    back: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """The candidate answered: record the reply (channel and moment, not the text)."""
    check_csrf(request.session, csrf_token)
    chosen = _channel(channel)
    try:
        with transaction(engine) as conn:
            lead = _tenant_lead(conn, landing, user, lead_id)
            if lead.first_attempt is None:
                raise TransitionRefused(N_("Contact the candidate first; then mark their reply."))
            if lead.reply is not None:
                raise TransitionRefused(N_("This candidate's reply is already marked."))
            now = clock()
            _queue(
                conn,
                user,
                lead,
                LeadReplied(
                    lead_id=lead.lead_id,
                    variant_id=lead.variant_id,
                    channel=chosen,
                    visited_at=lead.visited_at,
                ),
                now,
            )
            _record_contact(conn, landing, user, lead.lead_id, "reply", chosen, now)
    except TransitionRefused as exc:
        return _back(request, back, "warning", exc.detail)
    except LandingRefused as exc:
        return _back(request, back, "warning", exc.detail)
    except LandingUnavailable:
        return _back(
            request,
            back,
            "warning",
            N_(
                "The reply could not be saved: the candidate service is not answering. "
                "Nothing was changed; please try again in a minute."
            ),
        )
    sources.forget(user.tenant_id, "contact_facts", "follow_up")
    return _back(
        request,
        back,
        "ok",
        N_("Marked the reply of %(name)s by %(channel)s."),
        name=lead.name,
        channel=gettext_for(request)(CHANNEL_LABELS[chosen]),
    )


# --- the employer's messages --------------------------------------------------------------


def _settings_page(
    request: Request,
    user: User,
    settings: ContactSettings,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "values": vars(settings),
        "errors": errors or {},
        "time_zones": sorted({*TIME_ZONES, settings.time_zone}),
        "target_range": TARGET_HOURS_RANGE,
    }
    return render(request, "leads_settings.html", context, user=user, status_code=status_code)


@router.get("/leads/settings", name="contact_settings")
def contact_settings_page(request: Request, user: ConsoleEditor, engine: EngineDep) -> Response:
    """The employer's WhatsApp and e-mail messages, contact target and time zone."""
    with engine.connect() as conn:
        settings = repository.settings_of(conn, user.tenant_id)
    return _settings_page(request, user, settings)


@router.post("/leads/settings", name="contact_settings_save")
def save_contact_settings(
    request: Request,
    user: ConsoleEditor,
    engine: EngineDep,
    clock: ClockDep,
    csrf_token: FormField = "",
    message_nl: Annotated[str, Form(max_length=4000)] = "",
    message_en: Annotated[str, Form(max_length=4000)] = "",
    target_hours: Annotated[str, Form(max_length=10)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Save the messages; a template with an unknown placeholder is refused, kept in the form."""
    check_csrf(request.session, csrf_token)
    errors: dict[str, str] = {}
    entered = ContactSettings(message_nl, message_en, 0, time_zone)
    checked: dict[str, object] = {}
    for name, text in (("message_nl", message_nl), ("message_en", message_en)):
        try:
            checked[name] = check_template(text)
        except TemplateInvalid as exc:
            errors[name] = str(exc)
    low, high = TARGET_HOURS_RANGE
    if target_hours.strip().isdigit() and low <= int(target_hours) <= high:
        checked["target_hours"] = int(target_hours)
    else:
        _ = gettext_for(request)
        errors["target_hours"] = _("Give a whole number of hours from %(low)s to %(high)s.") % {
            "low": low,
            "high": high,
        }
    try:
        checked["time_zone"] = check_time_zone(time_zone)
    except TemplateInvalid as exc:
        errors["time_zone"] = str(exc)
    if errors:
        kept = replace(entered, target_hours=target_hours)  # type: ignore[arg-type]
        return _settings_page(request, user, kept, errors, status_code=422)
    settings = ContactSettings(**checked)  # type: ignore[arg-type]
    now = clock()
    with transaction(engine) as conn:
        before = repository.settings_of(conn, user.tenant_id)
        repository.save_settings(conn, user.tenant_id, settings, at=now, by=user.actor)
        audit.record(
            conn,
            tenant_id=user.tenant_id,
            actor=user.actor,
            action="contact_settings_changed",
            object_type="tenant",
            object_id=user.tenant_id,
            before=vars(before),
            after=vars(settings),
            at=now,
        )
    flash(request, "The follow-up messages are saved.", "ok")
    return RedirectResponse(local_path(request, "contact_settings"), status_code=303)
