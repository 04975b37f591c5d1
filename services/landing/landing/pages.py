"""Candidate pages: the landing page, the quiz, the lead and apply forms, thank-you.

Pages work without JavaScript and without cookies; a visit is carried from page to page
in signed tokens (see ``tokens.py``). Every response is HTML, errors included.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from koers.events import EntryPoint
from landing import domain, messages
from landing.deps import (
    FormDep,
    JourneysDep,
    PageDep,
    SignerDep,
    SubmittablePageDep,
    TemplatesDep,
    VisitorDep,
)
from landing.errors import PageNotFound
from landing.repository import PublishedPage
from landing.tokens import FormGrant, TokenSigner, Visit

router = APIRouter(tags=["candidate pages"], default_response_class=HTMLResponse)


def _link(request: Request, name: str, page: PublishedPage, **query: str) -> str:
    path = request.app.url_path_for(name, slug=page.slug)
    params = {key: value for key, value in query.items() if value}
    return f"{path}?{urlencode(params)}" if params else str(path)


def _journey_query(visit: Visit, signer: TokenSigner) -> dict[str, str]:
    """What links of a visit carry: the creative, the utm tags and the visit token."""
    variant = "" if visit.variant_id == domain.DIRECT_VARIANT else visit.variant_id
    return {"v": variant, **visit.utm, "visit": signer.sign_visit(visit)}


def _entry_points(page: PublishedPage) -> list[EntryPoint]:
    offered = list(page.campaign.page.entry_points)
    if not page.campaign.page.quiz and "quiz" in offered:
        offered.remove("quiz")
    return offered


def _require_entry_point(page: PublishedPage, entry_point: EntryPoint) -> None:
    if entry_point not in _entry_points(page):
        raise PageNotFound("Deze vacature biedt deze stap niet aan.")


@router.get("/j/{slug}", name="landing_page")
def landing_page(
    request: Request,
    page: PageDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
    visitor: VisitorDep,
    v: str | None = None,
) -> Response:
    """The landing page of a campaign: what the job is and three ways in."""
    variant_id = domain.resolve_variant(page.campaign, v)
    utm = domain.clean_utm(request.query_params)
    visit = journeys.view_page(page, variant_id, utm, visitor)
    query = _journey_query(visit, signer)
    names = {"quiz": "quiz_form", "lead": "lead_form", "apply": "apply_form"}
    entries = [
        {
            "entry_point": entry,
            "label": messages.ENTRY_LABELS[entry],
            "href": _link(request, names[entry], page, **query),
        }
        for entry in _entry_points(page)
    ]
    return templates.TemplateResponse(
        request, "page.html", {"page": page, "content": page.campaign.page, "entries": entries}
    )


@router.get("/j/{slug}/theme.css", name="theme", response_class=Response)
def theme(page: PageDep) -> Response:
    """The campaign's colours as CSS variables (the CSP forbids inline styles)."""
    css = f":root {{ --primary: {page.campaign.page.primary_colour}; }}\n"
    return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=300"})


# --- lead and apply forms -------------------------------------------------------------


def _open_form(
    request: Request,
    page: PublishedPage,
    entry_point: EntryPoint,
    journeys: JourneysDep,
    signer: TokenSigner,
    visitor: VisitorDep,
) -> FormGrant:
    _require_entry_point(page, entry_point)
    visit = signer.read_visit(request.query_params.get("visit"), page.campaign_id)
    variant_id = domain.resolve_variant(page.campaign, request.query_params.get("v"))
    utm = domain.clean_utm(request.query_params)
    return journeys.start_entry(page, entry_point, visit, variant_id, utm, visitor)


def _render_lead_form(
    request: Request,
    templates: TemplatesDep,
    page: PublishedPage,
    entry_point: EntryPoint,
    form_token: str,
    values: domain.LeadForm,
    errors: dict[str, str],
) -> Response:
    context: dict[str, Any] = {
        "page": page,
        "content": page.campaign.page,
        "entry_point": entry_point,
        "title": messages.FORM_TITLES[entry_point],
        "action": request.app.url_path_for(
            "submit_application" if entry_point == "apply" else "submit_lead", slug=page.slug
        ),
        "form_token": form_token,
        "values": values,
        "errors": {field: messages.FIELD_ERRORS[code] for field, code in errors.items()},
        "channels": messages.CONTACT_CHANNELS,
        "moments": messages.BEST_MOMENTS,
        "consent_text": domain.consent_text(page.campaign.page.employer_name),
    }
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "lead.html", context, status_code=status)


def _lead_form_from(form: FormDep) -> domain.LeadForm:
    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return domain.LeadForm(
        name=text("name"),
        phone=text("phone"),
        email=text("email"),
        contact_channel=text("contact_channel"),
        best_moment=text("best_moment"),
        consent=text("consent") == "yes",
    )


def _submit(
    request: Request,
    page: PublishedPage,
    entry_point: EntryPoint,
    form: FormDep,
    journeys: JourneysDep,
    signer: TokenSigner,
    templates: TemplatesDep,
) -> Response:
    token = form.get("form_token")
    grant = signer.read_form(
        token if isinstance(token, str) else "",
        campaign_id=page.campaign_id,
        entry_point=entry_point,
    )
    values = _lead_form_from(form)
    validation = domain.validate_lead_form(values)
    if validation.lead is None:
        return _render_lead_form(
            request, templates, page, entry_point, str(token), values, validation.errors
        )
    lead = journeys.submit_lead(page, grant, validation.lead)
    thanks = _link(request, "thanks", page, channel=lead.contact_channel, entry=lead.entry_point)
    return RedirectResponse(thanks, status_code=303)


@router.get("/j/{slug}/lead", name="lead_form")
def lead_form(
    request: Request,
    page: PageDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
    visitor: VisitorDep,
) -> Response:
    """The short lead form: name, phone or e-mail, how and when to get in touch."""
    grant = _open_form(request, page, "lead", journeys, signer, visitor)
    return _render_lead_form(
        request, templates, page, "lead", signer.sign_form(grant), domain.LeadForm(), {}
    )


@router.post("/j/{slug}/lead", name="submit_lead")
def submit_lead(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
) -> Response:
    """Store a lead (once per form) and go on to the thank-you page."""
    return _submit(request, page, "lead", form, journeys, signer, templates)


@router.get("/j/{slug}/apply", name="apply_form")
def apply_form(
    request: Request,
    page: PageDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
    visitor: VisitorDep,
) -> Response:
    """Apply: for now the lead form under the title "Solliciteren" (CV upload follows)."""
    grant = _open_form(request, page, "apply", journeys, signer, visitor)
    return _render_lead_form(
        request, templates, page, "apply", signer.sign_form(grant), domain.LeadForm(), {}
    )


@router.post("/j/{slug}/apply", name="submit_application")
def submit_application(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
) -> Response:
    """Store an application as a lead with entry point "apply" (once per form)."""
    return _submit(request, page, "apply", form, journeys, signer, templates)


@router.get("/j/{slug}/thanks", name="thanks")
def thanks(
    request: Request,
    page: SubmittablePageDep,
    templates: TemplatesDep,
    channel: str | None = None,
    entry: str | None = None,
) -> Response:
    """Thank you, and what happens next through the channel the candidate chose."""
    employer = page.campaign.page.employer_name
    template = messages.NEXT_STEP.get(channel or "")
    next_step = (
        template.format(employer=employer)
        if template
        else f"{employer} neemt zo snel mogelijk contact met je op."
    )
    context = {
        "page": page,
        "content": page.campaign.page,
        "applied": entry == "apply",
        "next_step": next_step,
    }
    return templates.TemplateResponse(request, "thanks.html", context)


# --- quiz ------------------------------------------------------------------------------


def _render_quiz(
    request: Request,
    templates: TemplatesDep,
    page: PublishedPage,
    form_token: str,
    chosen: dict[str, str],
    errors: dict[str, str],
) -> Response:
    context = {
        "page": page,
        "content": page.campaign.page,
        "questions": list(enumerate(page.campaign.page.quiz)),
        "form_token": form_token,
        "chosen": chosen,
        "errors": {field: messages.FIELD_ERRORS[code] for field, code in errors.items()},
    }
    return templates.TemplateResponse(
        request, "quiz.html", context, status_code=422 if errors else 200
    )


@router.get("/j/{slug}/quiz", name="quiz_form")
def quiz_form(
    request: Request,
    page: PageDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
    visitor: VisitorDep,
) -> Response:
    """A few multiple-choice questions: does this job fit you?"""
    grant = _open_form(request, page, "quiz", journeys, signer, visitor)
    return _render_quiz(request, templates, page, signer.sign_form(grant), {}, {})


@router.post("/j/{slug}/quiz", name="submit_quiz")
def submit_quiz(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    journeys: JourneysDep,
    signer: SignerDep,
    templates: TemplatesDep,
) -> Response:
    """Score the answers, record the result and suggest the next step."""
    token = form.get("form_token")
    token = token if isinstance(token, str) else ""
    grant = signer.read_form(token, campaign_id=page.campaign_id, entry_point="quiz")
    content = page.campaign.page
    chosen = {f"q{i}": str(form.get(f"q{i}") or "") for i in range(len(content.quiz))}
    validation = domain.score_quiz(content.quiz, list(chosen.values()), content.quiz_pass_score)
    if validation.result is None:
        return _render_quiz(request, templates, page, token, chosen, validation.errors)
    journeys.complete_quiz(page, grant, validation.result)
    next_steps = [entry for entry in _entry_points(page) if entry in ("lead", "apply")]
    query = _journey_query(grant.visit, signer)
    links = [
        {
            "label": messages.ENTRY_LABELS[entry],
            "href": _link(
                request, "apply_form" if entry == "apply" else "lead_form", page, **query
            ),
        }
        for entry in next_steps
    ]
    context = {
        "page": page,
        "content": content,
        "qualified": validation.result.qualified,
        "links": links,
    }
    return templates.TemplateResponse(request, "quiz_result.html", context)
