"""The forms of a landing page: the quiz, the lead and apply forms, and the thank-you
page after them.

Submissions are rate limited per client IP, carry a honeypot field and must not come
faster than a person can fill a form. A form's hidden token (``tokens.py``) binds it to
one campaign, entry point, visit and nonce, so sending it twice stores it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from koers.events import EntryPoint, PageSnapshot
from landing.errors import CampaignClosed, FormTokenInvalid, PageNotFound
from landing.pages.deps import PageDep, SubmittablePageDep
from landing.pages.domain import page_content, takes_submissions
from landing.pages.repository import PublishedPage
from landing.pages.views import (
    FORM_ROUTES,
    base_context,
    entry_points,
    form_text,
    journey_query,
    language_of,
    language_switch,
    page_path,
    require_entry_point,
)
from landing.submissions import domain
from landing.submissions.cv import CvRefused, check_cv
from landing.submissions.service import Upload
from landing.submissions.tokens import FormGrant, Receipt, TokenSigner, Visit
from landing.web import messages
from landing.web.deps import FormDep, Site, SiteDep, VisitorDep, rate_limit
from landing.web.i18n import Language
from landing.web.rendering import Renderer, url_with

router = APIRouter(tags=["candidate pages"], default_response_class=HTMLResponse)

HONEYPOT_FIELD = "website"


# --- opening a form ------------------------------------------------------------------------


def _open_form(
    request: Request,
    page: PublishedPage,
    entry_point: EntryPoint,
    site: Site,
    visitor: VisitorDep,
) -> tuple[FormGrant, str]:
    """The grant of a form being opened, and its signed token. A form reopened in
    another language (its token in ``?form=``) keeps its grant: no second EntryStarted."""
    require_entry_point(page, entry_point)
    reopened = request.query_params.get("form")
    if reopened:
        try:
            grant = site.signer.read_form(
                reopened, campaign_id=page.campaign_id, entry_point=entry_point
            )
            return grant, reopened
        except FormTokenInvalid:
            pass
    visit = site.signer.read_visit(request.query_params.get("visit"), page.campaign_id)
    variant_id = domain.resolve_variant(page.campaign, request.query_params.get("v"))
    utm = domain.clean_utm(request.query_params)
    grant = site.journeys.start_entry(page, entry_point, visit, variant_id, utm, visitor)
    return grant, site.signer.sign_form(grant)


def _translated_errors(
    renderer: Renderer, lang: Language, errors: Mapping[str, str]
) -> dict[str, str]:
    gettext = renderer.gettext(lang)
    return {field: gettext(messages.FIELD_ERRORS[code]) for field, code in errors.items()}


def _render_contact_form(
    request: Request,
    site: Site,
    page: PublishedPage,
    entry_point: EntryPoint,
    lang: Language,
    form_token: str,
    values: domain.LeadForm,
    errors: Mapping[str, str],
) -> Response:
    snapshot: PageSnapshot = page.campaign.page
    renderer = site.renderer
    gettext = renderer.gettext(lang)
    employer = snapshot.employer_name
    apply = entry_point == "apply"
    action_name = "submit_application" if apply else "submit_lead"
    context: dict[str, Any] = {
        **base_context(page, lang, site.media),
        "entry_point": entry_point,
        "title": gettext(messages.FORM_TITLES[entry_point]),
        "action": url_with(page_path(request, action_name, page), {"lang": lang}),
        "form_token": form_token,
        "values": values,
        "errors": _translated_errors(renderer, lang, errors),
        "channels": {
            channel: gettext(messages.CONTACT_CHANNELS[channel])
            for channel in snapshot.lead_form.contact_channels
        },
        "ask_best_moment": snapshot.lead_form.ask_best_moment,
        "moments": {key: gettext(label) for key, label in messages.BEST_MOMENTS.items()},
        "consent_text": (
            messages.apply_consent_text(gettext, employer)
            if apply
            else messages.lead_consent_text(gettext, employer, snapshot.consent_months)
        ),
        "talent_pool_text": messages.talent_pool_text(gettext, employer, snapshot.consent_months),
        "apply_options": snapshot.apply,
        "honeypot": HONEYPOT_FIELD,
    }
    switch = language_switch(request, page, form=form_token)
    template = "apply.html" if apply else "lead.html"
    status = 422 if errors else 200
    return renderer.render(
        request, template, context, language=lang, switch=switch, status_code=status
    )


@router.get("/j/{slug}/lead", name="lead_form")
def lead_form(
    request: Request,
    page: PageDep,
    site: SiteDep,
    visitor: VisitorDep,
) -> Response:
    """The short lead form: name, phone or e-mail, how and when to get in touch."""
    lang = language_of(request, page, site.languages)
    _, token = _open_form(request, page, "lead", site, visitor)
    return _render_contact_form(request, site, page, "lead", lang, token, domain.LeadForm(), {})


@router.get("/j/{slug}/apply", name="apply_form")
def apply_form(
    request: Request,
    page: PageDep,
    site: SiteDep,
    visitor: VisitorDep,
) -> Response:
    """Apply: name, e-mail, phone, a CV (PDF or Word) and an optional motivation."""
    lang = language_of(request, page, site.languages)
    _, token = _open_form(request, page, "apply", site, visitor)
    return _render_contact_form(request, site, page, "apply", lang, token, domain.LeadForm(), {})


# --- sending a form ---------------------------------------------------------------------------


def _read_grant(
    form: FormDep, site: Site, page: PublishedPage, entry: EntryPoint
) -> tuple[FormGrant, str]:
    """The grant of a form being sent, once the campaign still takes forms: a form
    opened before a pause or the campaign's end cannot post after it (the transaction
    that stores it checks the pause again, see ``service.py``)."""
    campaign = page.campaign
    if not takes_submissions(page.status, campaign.ends_on, site.journeys.now().date()):
        raise CampaignClosed()
    signer = site.signer
    token = form_text(form, "form_token", 4000)
    return signer.read_form(token, campaign_id=page.campaign_id, entry_point=entry), token


def _contact_values(form: FormDep) -> domain.LeadForm:
    return domain.LeadForm(
        name=form_text(form, "name", 1000),
        phone=form_text(form, "phone", 100),
        email=form_text(form, "email", 1000),
        contact_channel=form_text(form, "contact_channel", 50),
        best_moment=form_text(form, "best_moment", 50),
        consent=form_text(form, "consent") == "yes",
        motivation=form_text(form, "motivation", 20_000),
        talent_pool=form_text(form, "talent_pool") == "yes",
    )


def _thanks_redirect(
    request: Request, page: PublishedPage, signer: TokenSigner, receipt: Receipt, lang: Language
) -> Response:
    href = url_with(
        page_path(request, "thanks", page), {"r": signer.sign_receipt(receipt), "lang": lang}
    )
    return RedirectResponse(href, status_code=303)


def _decoy_receipt(page: PublishedPage, entry: EntryPoint, channel: str) -> Receipt:
    """What a bot that filled the honeypot gets: a thank-you for a lead that was never
    stored (so it learns nothing), whose withdrawal link finds nothing to erase."""
    return Receipt(page.campaign_id, str(uuid.uuid4()), channel or "email", entry)


def _too_fast(site: Site, grant: FormGrant) -> bool:
    """Faster than a person: measured from when this form was served, never from the
    visit (one visit token opens any number of forms; each must still be filled in)."""
    elapsed = (site.journeys.now() - grant.served_at).total_seconds()
    return elapsed < site.settings.min_fill_seconds


@router.post("/j/{slug}/lead", name="submit_lead", dependencies=[rate_limit])
async def submit_lead(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    site: SiteDep,
) -> Response:
    """Store a lead (once per form) and go on to the thank-you page."""
    # Async like the landing page: checking and validating are quick, in memory, and
    # leads arriving together share one commit (group_commit.py).
    lang = language_of(request, page, site.languages)
    grant, token = _read_grant(form, site, page, "lead")
    values = _contact_values(form)
    if form_text(form, HONEYPOT_FIELD):
        decoy = _decoy_receipt(page, "lead", values.contact_channel)
        return _thanks_redirect(request, page, site.signer, decoy, lang)
    options = page.campaign.page.lead_form
    validation = domain.validate_lead_form(
        values, options.contact_channels, ask_best_moment=options.ask_best_moment
    )
    errors = validation.errors or ({"form": "too_fast"} if _too_fast(site, grant) else {})
    if validation.lead is None or errors:
        return _render_contact_form(request, site, page, "lead", lang, token, values, errors)
    gettext = site.renderer.gettext(lang)
    consent = messages.lead_consent_text(
        gettext, page.campaign.page.employer_name, page.campaign.page.consent_months
    )
    lead = await site.journeys.submit_lead(
        page, grant, validation.lead, consent_text=consent, language=lang
    )
    receipt = Receipt(page.campaign_id, str(lead.lead_id), lead.contact_channel, "lead")
    return _thanks_redirect(request, page, site.signer, receipt, lang)


def _upload(form: FormDep) -> UploadFile | None:
    value = form.get("cv")
    if isinstance(value, UploadFile) and (value.filename or value.size):
        return value
    return None


@router.post("/j/{slug}/apply", name="submit_application", dependencies=[rate_limit])
def submit_application(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    site: SiteDep,
) -> Response:
    """Store an application with its CV (once per form) and go on to the thank-you page."""
    lang = language_of(request, page, site.languages)
    grant, token = _read_grant(form, site, page, "apply")
    values = _contact_values(form)
    if form_text(form, HONEYPOT_FIELD):
        decoy = _decoy_receipt(page, "apply", "email")
        return _thanks_redirect(request, page, site.signer, decoy, lang)
    options = page.campaign.page.apply
    validation = domain.validate_application_form(
        values, ask_motivation=options.ask_motivation, offer_talent_pool=options.offer_talent_pool
    )
    errors = dict(validation.errors)
    upload: Upload | None = None
    file = _upload(form)
    if file is None:
        if options.cv_required:
            errors["cv"] = "cv_required"
    else:
        try:
            checked = check_cv(file.file, file.filename or "")
            upload = Upload(data=file.file, filename=file.filename or "", checked=checked)
        except CvRefused as refused:
            errors["cv"] = refused.code
    if not errors and _too_fast(site, grant):
        errors["form"] = "too_fast"
    if validation.lead is None or errors:
        return _render_contact_form(request, site, page, "apply", lang, token, values, errors)
    gettext = site.renderer.gettext(lang)
    consent = messages.apply_consent_text(gettext, page.campaign.page.employer_name)
    if validation.lead.talent_pool:
        consent += " " + messages.talent_pool_text(
            gettext, page.campaign.page.employer_name, page.campaign.page.consent_months
        )
    lead = site.journeys.submit_application(
        page, grant, validation.lead, consent_text=consent, language=lang, upload=upload
    )
    receipt = Receipt(page.campaign_id, str(lead.lead_id), lead.contact_channel, "apply")
    return _thanks_redirect(request, page, site.signer, receipt, lang)


# --- thank you ---------------------------------------------------------------------------------


@router.get("/j/{slug}/thanks", name="thanks")
def thanks(
    request: Request,
    page: SubmittablePageDep,
    site: SiteDep,
    r: str | None = None,
) -> Response:
    """Thank you, what happens next and when, in the channel the candidate chose, and a
    link to withdraw consent."""
    lang = language_of(request, page, site.languages)
    receipt = site.signer.read_receipt(r, page.campaign_id)
    snapshot = page.campaign.page
    gettext = site.renderer.gettext(lang)
    channel = receipt.contact_channel if receipt else None
    context = {
        **base_context(page, lang, site.media),
        "applied": receipt is not None and receipt.entry_point == "apply",
        "channel": channel,
        "next_step": messages.next_step_text(
            gettext, channel, snapshot.employer_name, snapshot.response_days
        ),
        "consent_months": snapshot.consent_months,
        "withdraw_url": (
            url_with(page_path(request, "withdraw_form", page), {"r": r, "lang": lang})
            if receipt
            else None
        ),
    }
    return site.renderer.render(
        request, "thanks.html", context, language=lang, switch=language_switch(request, page, r=r)
    )


# --- quiz -------------------------------------------------------------------------------------


def _render_quiz(
    request: Request,
    site: Site,
    page: PublishedPage,
    lang: Language,
    form_token: str,
    answers: list[str],
    errors: Mapping[str, str],
) -> Response:
    """One question at a time (no JavaScript needed): earlier answers ride along as
    hidden fields, the progress bar shows where the candidate is."""
    content = page_content(page.campaign.page, lang)
    step = domain.answered_prefix(page.campaign.page.quiz, answers)
    step = min(step, len(content.quiz) - 1)
    earlier = ",".join(answers[:step])
    context = {
        **base_context(page, lang, site.media),
        "form_token": form_token,
        "action": url_with(page_path(request, "submit_quiz", page), {"lang": lang}),
        "step": step,
        "total": len(content.quiz),
        "question": content.quiz[step],
        "previous": [(f"q{i}", answers[i]) for i in range(step)],
        "chosen": answers[step] if step < len(answers) else "",
        "errors": _translated_errors(site.renderer, lang, errors),
    }
    return site.renderer.render(
        request,
        "quiz.html",
        context,
        language=lang,
        switch=language_switch(request, page, form=form_token, answers=earlier or None),
        status_code=422 if errors else 200,
    )


@router.get("/j/{slug}/quiz", name="quiz_form")
def quiz_form(
    request: Request,
    page: PageDep,
    site: SiteDep,
    visitor: VisitorDep,
) -> Response:
    """A few single-choice questions, one at a time: does this job suit you?"""
    lang = language_of(request, page, site.languages)
    _, token = _open_form(request, page, "quiz", site, visitor)
    answers = _answers_in_query(request.query_params.get("answers"), page)
    return _render_quiz(request, site, page, lang, token, answers, {})


def _answers_in_query(raw: str | None, page: PublishedPage) -> list[str]:
    """The answers given so far, as the redirect after a step carries them
    (``answers=1,0``); anything that is no option ends the list there."""
    questions = page.campaign.page.quiz
    given = (raw or "")[:200].split(",")[: len(questions)]
    return given[: domain.answered_prefix(questions, given)]


def _next_step_redirect(
    request: Request, page: PublishedPage, token: str, answers: list[str], lang: Language
) -> Response:
    """Post/redirect/get: each answered step is a GET of the next one, so Back and
    Forward move between questions without asking to send a form again. The form token
    rides along unchanged (its nonce is spent only when the quiz is scored, its clock
    runs from when the form was first served)."""
    href = url_with(
        page_path(request, "quiz_form", page),
        {"form": token, "answers": ",".join(answers), "lang": lang},
    )
    return RedirectResponse(href, status_code=303)


@router.post("/j/{slug}/quiz", name="submit_quiz", dependencies=[rate_limit])
def submit_quiz(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    site: SiteDep,
) -> Response:
    """Take one answer (or all of them); after the last, store the score and show the
    result."""
    lang = language_of(request, page, site.languages)
    grant, token = _read_grant(form, site, page, "quiz")
    snapshot = page.campaign.page
    answers = [form_text(form, f"q{i}", 10) for i in range(len(snapshot.quiz))]
    answered = domain.answered_prefix(snapshot.quiz, answers)
    if answered < len(snapshot.quiz):
        asked = form_text(form, "step", 10)
        errors = {}
        if domain.option_index(asked, answered + 1) == answered:
            errors = {f"q{answered}": "answer_required"}  # they sent this step empty
        elif not asked:  # a form with every question at once, one missing
            errors = {f"q{answered}": "answer_required"}
        if errors:
            return _render_quiz(request, site, page, lang, token, answers, errors)
        return _next_step_redirect(request, page, token, answers[:answered], lang)
    if _too_fast(site, grant):
        return _render_quiz(request, site, page, lang, token, answers, {"form": "too_fast"})
    validation = domain.score_quiz(snapshot.quiz, answers, snapshot.quiz_pass_score)
    assert validation.result is not None  # every question answered, checked above
    result_id = site.journeys.complete_quiz(page, grant, validation.result)
    visit = Visit(**{**grant.visit.__dict__, "quiz_result_id": str(result_id)})
    href = url_with(
        page_path(request, "quiz_result", page),
        {"visit": site.signer.sign_visit(visit), "lang": lang},
    )
    return RedirectResponse(href, status_code=303)


@router.get("/j/{slug}/quiz/result", name="quiz_result")
def quiz_result(
    request: Request,
    page: SubmittablePageDep,
    site: SiteDep,
) -> Response:
    """The fit message and the next step: leave your details, or apply."""
    lang = language_of(request, page, site.languages)
    visit = site.signer.read_visit(request.query_params.get("visit"), page.campaign_id)
    result = site.journeys.quiz_result(visit.quiz_result_id if visit else None)
    if visit is None or result is None:
        raise PageNotFound()
    query = journey_query(visit, site.signer, lang)
    gettext = site.renderer.gettext(lang)
    links = [
        {
            "entry_point": entry,
            "label": gettext(messages.ENTRY_LABELS[entry]),
            "href": url_with(page_path(request, FORM_ROUTES[entry], page), query),
        }
        for entry in entry_points(page)
        if entry in ("lead", "apply")
    ]
    context = {
        **base_context(page, lang, site.media),
        "qualified": result.qualified,
        "links": links,
    }
    switch = language_switch(request, page, visit=request.query_params.get("visit"))
    return site.renderer.render(request, "quiz_result.html", context, language=lang, switch=switch)
