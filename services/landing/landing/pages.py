"""Candidate pages: the landing page, the quiz, the lead and apply forms, thank-you,
withdrawing consent.

Pages work without JavaScript and without cookies. A visit travels from page to page in
signed tokens (see ``tokens.py``), the language in ``?lang=`` (see ``i18n.py``), the
creative and utm tags in the query string. Every response is HTML, errors included.
Submissions are rate limited per client IP, carry a honeypot field and must not come
faster than a person can fill a form.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.routing import Match, Route
from starlette.types import Scope

from koers.events import EntryPoint, PageSnapshot
from landing import domain, i18n, messages
from landing.cv import CvRefused, check_cv
from landing.deps import (
    FormDep,
    PageDep,
    Site,
    SiteDep,
    SubmittablePageDep,
    VisitorDep,
    published_page,
    rate_limit,
    visitor_of,
)
from landing.errors import FormTokenInvalid, PageNotFound, ReceiptInvalid
from landing.i18n import Language
from landing.journeys import Upload
from landing.rendering import Renderer, query_string, url_with
from landing.repository import PublishedPage
from landing.stencils import Slot
from landing.tokens import FormGrant, Receipt, TokenSigner, Visit

router = APIRouter(tags=["candidate pages"], default_response_class=HTMLResponse)

HONEYPOT_FIELD = "website"
FORM_ROUTES: dict[EntryPoint, str] = {
    "quiz": "quiz_form",
    "lead": "lead_form",
    "apply": "apply_form",
}


# --- shared helpers ----------------------------------------------------------------------


def language_of(request: Request, page: PublishedPage) -> Language:
    return i18n.choose_language(
        page.campaign.page,
        request.query_params.get("lang"),
        request.headers.get("accept-language", ""),
    )


def _path(request: Request, name: str, page: PublishedPage) -> str:
    renderer: Renderer = request.app.state.renderer
    return renderer.page_path(request, name, page.slug)


def _journey_query(visit: Visit, signer: TokenSigner, lang: Language) -> dict[str, str]:
    """What links of a visit carry: the creative, utm tags, visit token and language."""
    variant = "" if visit.variant_id == domain.DIRECT_VARIANT else visit.variant_id
    return {"v": variant, **visit.utm, "visit": signer.sign_visit(visit), "lang": lang}


def _switch(request: Request, page: PublishedPage, **keep: str | None) -> dict[Language, str]:
    """The language switch: this page's URL in every offered language, keeping ``keep``."""
    offered = i18n.offered_languages(page.campaign.page)
    if len(offered) < 2:
        return {}
    base = {k: v for k, v in request.query_params.items() if k in domain.UTM_KEYS or k == "v"}
    shared = query_string({**base, **keep})  # encoded once: only the language differs
    path = request.url.path
    return {
        language: f"{path}?{shared}&lang={language}" if shared else f"{path}?lang={language}"
        for language in offered
    }


def _entry_points(page: PublishedPage) -> list[EntryPoint]:
    offered = list(page.campaign.page.entry_points)
    if not page.campaign.page.quiz and "quiz" in offered:
        offered.remove("quiz")
    return offered


def _require_entry_point(page: PublishedPage, entry_point: EntryPoint) -> None:
    if entry_point not in _entry_points(page):
        raise PageNotFound("entry_not_offered")


def _base_context(
    page: PublishedPage, lang: Language, media_origins: tuple[str, ...]
) -> dict[str, Any]:
    snapshot = page.campaign.page
    return {
        "page": page,
        "snapshot": snapshot,
        "content": domain.page_content(snapshot, lang),
        "logo_url": _media(snapshot.logo_url, media_origins),
    }


def _media(url: str | None, media_origins: tuple[str, ...]) -> str | None:
    return url if url and domain.media_allowed(url, media_origins) else None


def _text(form: FormDep, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


# --- the landing page ----------------------------------------------------------------------


async def landing_page(request: Request) -> Response:
    """The landing page of a campaign: what the job is and up to three ways in."""
    # Async: the page itself comes from memory (page cache, stencil); only the
    # PageViewed write touches the database (see group_commit.py for how).
    page = await published_page(request, request.path_params["slug"])
    site: Site = request.app.state.site
    lang = language_of(request, page)
    visit = site.signer.read_visit(request.query_params.get("visit"), page.campaign_id)
    if visit is None:  # a language switch keeps the visit: it is not a second view
        variant_id = domain.resolve_variant(page.campaign, request.query_params.get("v"))
        utm = domain.clean_utm(request.query_params)
        visit = await site.journeys.view_page(page, variant_id, utm, visitor_of(request))
    query = _journey_query(visit, site.signer, lang)
    stencil = site.renderer.stencils.get(
        ("page.html", page.campaign_id, lang),
        page.campaign,
        lambda slot: _render_landing_page(request, page, site, lang, slot),
    )
    switch = _switch(request, page, visit=query["visit"])
    html = stencil.fill(
        {
            "journey": query_string(query),
            **{f"switch_{language}": href for language, href in switch.items()},
        }
    )
    return site.renderer.html_response(html, language=lang)


class PageRoute(Route):
    """A plain Starlette route for the page every ad click opens: FastAPI's per-request
    work (solving parameters and dependencies, some 200 µs) cost more than anything the
    page does but its database write. Unlike Starlette's own it answers GET only (a link
    checker's HEAD is not a candidate's view) and names itself in the scope, as
    FastAPI's routes do, for the metrics' route label. Not in the OpenAPI schema."""

    def __init__(self, path: str, endpoint: Callable[[Request], Awaitable[Response]], name: str):
        super().__init__(path, endpoint, methods=["GET"], name=name)
        self.methods = {"GET"}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


LANDING_ROUTE = PageRoute("/j/{slug}", landing_page, name="landing_page")
"""Added to the app itself (``main.py``): an included router would rebuild it as a
Starlette route that also answers HEAD."""


def _render_landing_page(
    request: Request, page: PublishedPage, site: Site, lang: Language, slot: Slot
) -> str:
    """The landing page in ``lang`` with slots for what differs per visit: the query of
    the entry-point links (``journey``) and the language switch links."""
    renderer, media_origins = site.renderer, site.settings.media_origins
    gettext = renderer.gettext(lang)
    journey = slot("journey")  # never empty: it always holds the visit token
    entries = [
        {
            "entry_point": entry,
            "label": gettext(messages.ENTRY_LABELS[entry]),
            "href": f"{_path(request, FORM_ROUTES[entry], page)}?{journey}",
        }
        for entry in _entry_points(page)
    ]
    snapshot = page.campaign.page
    context = {
        **_base_context(page, lang, media_origins),
        "entries": entries,
        "hero_image_url": _media(snapshot.hero_image_url, media_origins),
        "hero_video_url": _media(snapshot.hero_video_url, media_origins),
    }
    offered = i18n.offered_languages(snapshot)
    switch = {language: slot(f"switch_{language}") for language in offered}
    return renderer.render_html(
        request, "page.html", context, language=lang, switch=switch if len(offered) > 1 else {}
    )


@router.get("/j/{slug}/theme.css", name="theme", response_class=Response)
async def theme(page: PageDep) -> Response:
    """The campaign's colours as CSS variables (the CSP forbids inline styles)."""
    # Async: from the page cache, nothing to wait for (a plain def would cost a hop to
    # the thread pool on every page a browser loads).
    css = f":root {{ --primary: {page.campaign.page.primary_colour}; }}\n"
    return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=300"})


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
    _require_entry_point(page, entry_point)
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
        **_base_context(page, lang, site.settings.media_origins),
        "entry_point": entry_point,
        "title": gettext(messages.FORM_TITLES[entry_point]),
        "action": url_with(_path(request, action_name, page), {"lang": lang}),
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
    switch = _switch(request, page, form=form_token)
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
    lang = language_of(request, page)
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
    lang = language_of(request, page)
    _, token = _open_form(request, page, "apply", site, visitor)
    return _render_contact_form(request, site, page, "apply", lang, token, domain.LeadForm(), {})


# --- sending a form ---------------------------------------------------------------------------


def _read_grant(
    form: FormDep, signer: TokenSigner, page: PublishedPage, entry: EntryPoint
) -> tuple[FormGrant, str]:
    token = _text(form, "form_token", 4000)
    return signer.read_form(token, campaign_id=page.campaign_id, entry_point=entry), token


def _contact_values(form: FormDep) -> domain.LeadForm:
    return domain.LeadForm(
        name=_text(form, "name", 1000),
        phone=_text(form, "phone", 100),
        email=_text(form, "email", 1000),
        contact_channel=_text(form, "contact_channel", 50),
        best_moment=_text(form, "best_moment", 50),
        consent=_text(form, "consent") == "yes",
        motivation=_text(form, "motivation", 20_000),
        talent_pool=_text(form, "talent_pool") == "yes",
    )


def _thanks_redirect(
    request: Request, page: PublishedPage, signer: TokenSigner, receipt: Receipt, lang: Language
) -> Response:
    href = url_with(
        _path(request, "thanks", page), {"r": signer.sign_receipt(receipt), "lang": lang}
    )
    return RedirectResponse(href, status_code=303)


def _decoy_receipt(page: PublishedPage, entry: EntryPoint, channel: str) -> Receipt:
    """What a bot that filled the honeypot gets: a thank-you for a lead that was never
    stored (so it learns nothing), whose withdrawal link finds nothing to erase."""
    return Receipt(page.campaign_id, str(uuid.uuid4()), channel or "email", entry)


def _too_fast(site: Site, grant: FormGrant) -> bool:
    """Faster than a person: measured from the start of the visit (the landing page, or
    the form when the candidate came to it directly)."""
    elapsed = (site.journeys.now() - grant.visit.visited_at).total_seconds()
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
    lang = language_of(request, page)
    grant, token = _read_grant(form, site.signer, page, "lead")
    values = _contact_values(form)
    if _text(form, HONEYPOT_FIELD):
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
    lang = language_of(request, page)
    grant, token = _read_grant(form, site.signer, page, "apply")
    values = _contact_values(form)
    if _text(form, HONEYPOT_FIELD):
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


# --- thank you and withdrawing consent ----------------------------------------------------------


@router.get("/j/{slug}/thanks", name="thanks")
def thanks(
    request: Request,
    page: SubmittablePageDep,
    site: SiteDep,
    r: str | None = None,
) -> Response:
    """Thank you, what happens next and when, in the channel the candidate chose, and a
    link to withdraw consent."""
    lang = language_of(request, page)
    receipt = site.signer.read_receipt(r, page.campaign_id)
    snapshot = page.campaign.page
    gettext = site.renderer.gettext(lang)
    channel = receipt.contact_channel if receipt else None
    context = {
        **_base_context(page, lang, site.settings.media_origins),
        "applied": receipt is not None and receipt.entry_point == "apply",
        "channel": channel,
        "next_step": messages.next_step_text(
            gettext, channel, snapshot.employer_name, snapshot.response_days
        ),
        "consent_months": snapshot.consent_months,
        "withdraw_url": (
            url_with(_path(request, "withdraw_form", page), {"r": r, "lang": lang})
            if receipt
            else None
        ),
    }
    return site.renderer.render(
        request, "thanks.html", context, language=lang, switch=_switch(request, page, r=r)
    )


@router.get("/j/{slug}/withdraw", name="withdraw_form")
def withdraw_form(
    request: Request,
    page: SubmittablePageDep,
    site: SiteDep,
    r: str | None = None,
) -> Response:
    """Ask the candidate to confirm that their consent and data should go."""
    lang = language_of(request, page)
    if site.signer.read_receipt(r, page.campaign_id) is None:
        raise ReceiptInvalid()
    context = {
        **_base_context(page, lang, site.settings.media_origins),
        "action": url_with(_path(request, "withdraw", page), {"lang": lang}),
        "receipt": r,
        "done": False,
    }
    return site.renderer.render(
        request, "withdraw.html", context, language=lang, switch=_switch(request, page, r=r)
    )


@router.post("/j/{slug}/withdraw", name="withdraw", dependencies=[rate_limit])
def withdraw(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    site: SiteDep,
) -> Response:
    """Withdraw consent: the lead, its answers and CV are erased now."""
    lang = language_of(request, page)
    receipt = site.signer.read_receipt(_text(form, "r", 4000), page.campaign_id)
    if receipt is None:
        raise ReceiptInvalid()
    try:
        lead_id = uuid.UUID(receipt.lead_id)
    except ValueError as exc:
        raise ReceiptInvalid() from exc
    site.privacy.erase_lead_by_id(page.tenant_id, lead_id)
    context = {
        **_base_context(page, lang, site.settings.media_origins),
        "action": "",
        "receipt": "",
        "done": True,
    }
    return site.renderer.render(request, "withdraw.html", context, language=lang)


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
    content = domain.page_content(page.campaign.page, lang)
    step = domain.answered_prefix(page.campaign.page.quiz, answers)
    step = min(step, len(content.quiz) - 1)
    context = {
        **_base_context(page, lang, site.settings.media_origins),
        "form_token": form_token,
        "action": url_with(_path(request, "submit_quiz", page), {"lang": lang}),
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
        switch=_switch(request, page, form=form_token) if step == 0 else None,
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
    lang = language_of(request, page)
    _, token = _open_form(request, page, "quiz", site, visitor)
    return _render_quiz(request, site, page, lang, token, [], {})


@router.post("/j/{slug}/quiz", name="submit_quiz", dependencies=[rate_limit])
def submit_quiz(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    site: SiteDep,
) -> Response:
    """Take one answer (or all of them); after the last, store the score and show the
    result."""
    lang = language_of(request, page)
    grant, token = _read_grant(form, site.signer, page, "quiz")
    snapshot = page.campaign.page
    answers = [_text(form, f"q{i}", 10) for i in range(len(snapshot.quiz))]
    answered = domain.answered_prefix(snapshot.quiz, answers)
    if answered < len(snapshot.quiz):
        asked = _text(form, "step", 10)
        errors = {}
        if asked.isdigit() and int(asked) == answered:
            errors = {f"q{answered}": "answer_required"}  # they sent this step empty
        elif not asked:  # a form with every question at once, one missing
            errors = {f"q{answered}": "answer_required"}
        return _render_quiz(request, site, page, lang, token, answers, errors)
    validation = domain.score_quiz(snapshot.quiz, answers, snapshot.quiz_pass_score)
    assert validation.result is not None  # every question answered, checked above
    result_id = site.journeys.complete_quiz(page, grant, validation.result)
    visit = Visit(**{**grant.visit.__dict__, "quiz_result_id": str(result_id)})
    href = url_with(
        _path(request, "quiz_result", page), {"visit": site.signer.sign_visit(visit), "lang": lang}
    )
    return RedirectResponse(href, status_code=303)


@router.get("/j/{slug}/quiz/result", name="quiz_result")
def quiz_result(
    request: Request,
    page: SubmittablePageDep,
    site: SiteDep,
) -> Response:
    """The fit message and the next step: leave your details, or apply."""
    lang = language_of(request, page)
    visit = site.signer.read_visit(request.query_params.get("visit"), page.campaign_id)
    result = site.journeys.quiz_result(visit.quiz_result_id if visit else None)
    if visit is None or result is None:
        raise PageNotFound()
    query = _journey_query(visit, site.signer, lang)
    gettext = site.renderer.gettext(lang)
    links = [
        {
            "entry_point": entry,
            "label": gettext(messages.ENTRY_LABELS[entry]),
            "href": url_with(_path(request, FORM_ROUTES[entry], page), query),
        }
        for entry in _entry_points(page)
        if entry in ("lead", "apply")
    ]
    context = {
        **_base_context(page, lang, site.settings.media_origins),
        "qualified": result.qualified,
        "links": links,
    }
    switch = _switch(request, page, visit=request.query_params.get("visit"))
    return site.renderer.render(request, "quiz_result.html", context, language=lang, switch=switch)
