"""A draft landing page rendered for the console's preview, by the code and templates
that render the live page, so the preview is the live page pixel for pixel.

Internal (service token): the console sends the draft, gets HTML back. Nothing is
stored or counted: no page row, no visit, no event. Where a live page carries a
candidate's signed visit token, the preview carries ``visit=preview`` (a token no
form accepts), so a click in the preview can never become a candidate's submission.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ConfigDict, Field

from koers.events import CampaignPublished, PageSnapshot, VariantState
from koers.text import StorableInput
from landing.pages.repository import PublishedPage
from landing.pages.routes import render_landing_page
from landing.pages.views import page_path
from landing.web import i18n
from landing.web.deps import Site
from landing.web.i18n import Language
from landing.web.rendering import query_string

router = APIRouter(prefix="/internal/v1", tags=["internal"])

PREVIEW_VISIT = "preview"
STAND_IN_VARIANT = VariantState(
    variant_id="preview", name="preview", channel="linkedin", creative_format="image", hook=""
)
"""A published campaign has creatives; the landing page shows none of them, and a
draft may have none yet."""


class PagePreviewRequest(StorableInput):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")
    page: PageSnapshot
    language: Language | None = None
    """The language to show; the page's own when left out or not offered."""


@router.post(
    "/tenants/{tenant_id}/campaigns/{campaign_id}/page-preview",
    response_class=HTMLResponse,
    summary="Render a draft landing page without storing it",
)
def page_preview(
    request: Request, tenant_id: str, campaign_id: str, body: PagePreviewRequest
) -> Response:
    """The landing page the draft would be, as HTML, in the requested language."""
    site: Site = request.app.state.site
    campaign = CampaignPublished(
        slug=body.slug,
        name=body.slug,
        weekly_budget=0,
        page=body.page,
        variants=(STAND_IN_VARIANT,),
    )
    page = PublishedPage(
        campaign_id=campaign_id,
        tenant_id=tenant_id,
        slug=body.slug,
        version=body.page.version,
        campaign=campaign,
    )
    lang = i18n.choose_language(body.page, body.language, "", lambda _: ())
    path = page_path(request, "landing_page", page)
    stencil = site.stencils.render(
        lambda slot: render_landing_page(request, page, site, lang, slot)
    )
    html = stencil.fill(
        {
            "journey": query_string({"visit": PREVIEW_VISIT, "lang": lang}),
            **{
                f"switch_{language}": f"{path}?{query_string({'visit': PREVIEW_VISIT})}"
                f"&lang={language}"
                for language in i18n.offered_languages(body.page)
            },
        }
    )
    return site.renderer.html_response(html, language=lang)
