"""What every candidate page shares: its language, the links of a visit (creative, utm
tags, visit token, language), the language switch, the entry points a page offers and
the context every template gets.

Pages work without JavaScript and without cookies. A visit travels from page to page in
signed tokens (see ``submissions/tokens.py``), the language in ``?lang=`` (see
``web/i18n.py``), the creative and utm tags in the query string. Every response is HTML,
errors included.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from koers.events import EntryPoint
from landing.errors import PageNotFound
from landing.pages.domain import MediaPolicy, page_content
from landing.pages.repository import PublishedPage
from landing.submissions.domain import DIRECT_VARIANT, UTM_KEYS
from landing.submissions.tokens import TokenSigner, Visit
from landing.web import i18n
from landing.web.i18n import Language, Preferences
from landing.web.rendering import Renderer, query_string

FORM_ROUTES: dict[EntryPoint, str] = {
    "quiz": "quiz_form",
    "lead": "lead_form",
    "apply": "apply_form",
}


def language_of(request: Request, page: PublishedPage, preferences: Preferences) -> Language:
    return i18n.choose_language(
        page.campaign.page,
        request.query_params.get("lang"),
        request.headers.get("accept-language", ""),
        preferences,
    )


def page_path(request: Request, name: str, page: PublishedPage) -> str:
    renderer: Renderer = request.app.state.renderer
    return renderer.page_path(request, name, page.slug)


def journey_query(visit: Visit, signer: TokenSigner, lang: Language) -> dict[str, str]:
    """What links of a visit carry: the creative, utm tags, visit token and language."""
    variant = "" if visit.variant_id == DIRECT_VARIANT else visit.variant_id
    return {"v": variant, **visit.utm, "visit": signer.sign_visit(visit), "lang": lang}


def language_switch(
    request: Request, page: PublishedPage, **keep: str | None
) -> dict[Language, str]:
    """The language switch: this page's URL in every offered language, keeping ``keep``."""
    offered = i18n.offered_languages(page.campaign.page)
    if len(offered) < 2:
        return {}
    base = {k: v for k, v in request.query_params.items() if k in UTM_KEYS or k == "v"}
    shared = query_string({**base, **keep})  # encoded once: only the language differs
    path = request.url.path
    return {
        language: f"{path}?{shared}&lang={language}" if shared else f"{path}?lang={language}"
        for language in offered
    }


def entry_points(page: PublishedPage) -> list[EntryPoint]:
    offered = list(page.campaign.page.entry_points)
    if not page.campaign.page.quiz and "quiz" in offered:
        offered.remove("quiz")
    return offered


def require_entry_point(page: PublishedPage, entry_point: EntryPoint) -> None:
    if entry_point not in entry_points(page):
        raise PageNotFound("entry_not_offered")


def base_context(page: PublishedPage, lang: Language, media: MediaPolicy) -> dict[str, Any]:
    snapshot = page.campaign.page
    return {
        "page": page,
        "snapshot": snapshot,
        "content": page_content(snapshot, lang),
        "logo_url": allowed_media(snapshot.logo_url, media),
    }


def allowed_media(url: str | None, media: MediaPolicy) -> str | None:
    """``url`` if the page may load it (see ``MediaPolicy``), else nothing is shown."""
    return url if url and media.allows(url) else None


def form_text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""
