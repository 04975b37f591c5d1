"""Withdrawing consent from the link of a thank-you page: the candidate confirms, and
their lead, its answers and CV are erased there and then (no account needed: the
signed receipt is their proof)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from landing.errors import ReceiptInvalid
from landing.pages.deps import SubmittablePageDep
from landing.pages.views import base_context, form_text, language_of, language_switch, page_path
from landing.web.deps import FormDep, SiteDep, rate_limit
from landing.web.rendering import url_with

router = APIRouter(tags=["candidate pages"], default_response_class=HTMLResponse)


@router.get("/j/{slug}/withdraw", name="withdraw_form")
def withdraw_form(
    request: Request,
    page: SubmittablePageDep,
    site: SiteDep,
    r: str | None = None,
) -> Response:
    """Ask the candidate to confirm that their consent and data should go."""
    lang = language_of(request, page, site.languages)
    if site.signer.read_receipt(r, page.campaign_id) is None:
        raise ReceiptInvalid()
    context = {
        **base_context(page, lang, site.media),
        "action": url_with(page_path(request, "withdraw", page), {"lang": lang}),
        "receipt": r,
        "done": False,
    }
    return site.renderer.render(
        request, "withdraw.html", context, language=lang, switch=language_switch(request, page, r=r)
    )


@router.post("/j/{slug}/withdraw", name="withdraw", dependencies=[rate_limit])
def withdraw(
    request: Request,
    page: SubmittablePageDep,
    form: FormDep,
    site: SiteDep,
) -> Response:
    """Withdraw consent: the lead, its answers and CV are erased now."""
    lang = language_of(request, page, site.languages)
    receipt = site.signer.read_receipt(form_text(form, "r", 4000), page.campaign_id)
    if receipt is None:
        raise ReceiptInvalid()
    try:
        lead_id = uuid.UUID(receipt.lead_id)
    except ValueError as exc:
        raise ReceiptInvalid() from exc
    site.privacy.erase_lead_by_id(page.tenant_id, lead_id)
    context = {
        **base_context(page, lang, site.media),
        "action": "",
        "receipt": "",
        "done": True,
    }
    return site.renderer.render(request, "withdraw.html", context, language=lang)
