"""The landing page of a campaign, the one page every ad click opens, and its theme.

The quiz, lead and apply forms and the thank-you page are in ``submissions/routes.py``;
withdrawing consent is in ``privacy/routes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from landing.errors import PageNotFound
from landing.pages.deps import PageDep, published_page
from landing.pages.domain import hero_image
from landing.pages.repository import PublishedPage
from landing.pages.stencils import Slot
from landing.pages.views import (
    FORM_ROUTES,
    allowed_media,
    base_context,
    entry_points,
    journey_query,
    language_of,
    language_switch,
    page_path,
)
from landing.submissions.domain import clean_utm, resolve_variant
from landing.web import i18n, messages
from landing.web.deps import Site, visitor_of
from landing.web.i18n import Language
from landing.web.rendering import query_string

router = APIRouter(tags=["candidate pages"], default_response_class=HTMLResponse)

HERO_FRAME = {"width": 1200, "height": 675, "sizes": "(min-width: 36rem) 34rem, 100vw"}
"""The hero's frame: 16:9 (the image is cropped to it, a video letterboxed), so the
browser reserves its height before a byte arrives and nothing below it jumps. ``sizes``
is the column's width: 100% of a phone, at most 34rem (the 36rem column less padding)."""


# --- the landing page ----------------------------------------------------------------------


async def landing_page(request: Request) -> Response:
    """The landing page of a campaign: what the job is and up to three ways in."""
    # Async: the page itself comes from memory (page cache, stencil); only the
    # PageViewed write touches the database (see submissions/group_commit.py).
    page = await published_page(request, request.path_params["slug"])
    site: Site = request.app.state.site
    lang = language_of(request, page, site.languages)
    visit = site.signer.read_visit(request.query_params.get("visit"), page.campaign_id)
    if visit is None:  # a language switch keeps the visit: it is not a second view
        variant_id = resolve_variant(page.campaign, request.query_params.get("v"))
        utm = clean_utm(request.query_params)
        visit = await site.journeys.view_page(page, variant_id, utm, visitor_of(request))
    query = journey_query(visit, site.signer, lang)
    stencil = site.stencils.get(
        ("page.html", page.campaign_id, lang),
        page.campaign,
        lambda slot: render_landing_page(request, page, site, lang, slot),
    )
    switch = language_switch(request, page, visit=query["visit"])
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


def render_landing_page(
    request: Request, page: PublishedPage, site: Site, lang: Language, slot: Slot
) -> str:
    """The landing page in ``lang`` with slots for what differs per visit: the query of
    the entry-point links (``journey``) and the language switch links."""
    renderer, media = site.renderer, site.media
    gettext = renderer.gettext(lang)
    journey = slot("journey")  # never empty: it always holds the visit token
    entries = [
        {
            "entry_point": entry,
            "label": gettext(messages.ENTRY_LABELS[entry]),
            "href": f"{page_path(request, FORM_ROUTES[entry], page)}?{journey}",
        }
        for entry in entry_points(page)
    ]
    snapshot = page.campaign.page
    image_url = allowed_media(snapshot.hero_image_url, media)
    context = {
        **base_context(page, lang, media),
        "entries": entries,
        "hero_image_url": hero_image(image_url) if image_url else None,
        "hero_video_url": allowed_media(snapshot.hero_video_url, media),
        "hero": HERO_FRAME,
    }
    offered = i18n.offered_languages(snapshot)
    switch = {language: slot(f"switch_{language}") for language in offered}
    return renderer.render_html(
        request, "page.html", context, language=lang, switch=switch if len(offered) > 1 else {}
    )


@router.get("/j/{slug}/theme.css", name="theme", response_class=Response)
async def theme(page: PageDep) -> Response:
    """The campaign's colours as CSS variables (kept for pages rendered before pages
    linked ``/themes/{colour}.css``)."""
    # Async: from the page cache, nothing to wait for (a plain def would cost a hop to
    # the thread pool on every page a browser loads).
    css = f":root {{ --primary: {page.campaign.page.primary_colour}; }}\n"
    return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=300"})


THEME_COLOUR = re.compile(r"[0-9a-f]{6}\Z")


@router.get("/themes/{colour}.css", name="theme_colour", response_class=Response)
async def theme_colour(colour: str) -> Response:
    """A page's colour as a CSS variable (the CSP forbids inline styles). Named by the
    colour, not the campaign: the same for every page of that colour, cacheable for
    good, and a draft previewed in the console gets its own colour, not the live one."""
    if not THEME_COLOUR.match(colour):
        raise PageNotFound()
    css = f":root {{ --primary: #{colour}; }}\n"
    return Response(
        css, media_type="text/css", headers={"cache-control": "public, max-age=31536000, immutable"}
    )
