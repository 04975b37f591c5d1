"""Server-rendered HTML: the Jinja2 environment, rendering a page, redirecting after a post."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from campaigns.web.csrf import csrf_token
from campaigns.web.flash import pop_flashes
from campaigns.web.i18n import (
    BABEL_LOCALES,
    LANGUAGE_NAMES,
    Language,
    LocaleFormats,
    request_language,
    shown_phrase,
)
from koers.isoweeks import ISO_WEEK_PATTERN
from koers.phrases import say

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


class ConsoleTemplates:
    """One Jinja2 environment per language, each with its catalogue and formats installed
    (``{% trans %}``, ``_()``, ``| euro``, ``| number``, ``| day``, ``| moment``,
    ``| moment_in(zone)``; for a :class:`~koers.phrases.Phrase`, ``| phrase(names)`` as a
    sentence and ``| say`` as words within a line).

    An environment per language rather than a translation looked up per render: imported
    macros see the same ``_`` as the page that imports them, with or without context.
    """

    def __init__(self, catalogues: Mapping[Language, NullTranslations]) -> None:
        self.catalogues = dict(catalogues)
        self._by_language = {
            language: _language_templates(language, catalogue)
            for language, catalogue in self.catalogues.items()
        }

    def __getitem__(self, language: Language) -> Jinja2Templates:
        return self._by_language[language]


def _language_templates(language: Language, catalogue: NullTranslations) -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
    # ``_()`` formats its result (``%`` placeholders); ``| translate`` only looks a text
    # up, for texts that come from data (a role, a status, a domain error's detail).
    environment.filters["translate"] = catalogue.gettext
    formats = LocaleFormats(language)
    environment.filters["euro"] = formats.euro
    environment.filters["euro_cents"] = formats.euro_cents
    environment.filters["signed_euro_cents"] = formats.signed_euro_cents
    environment.filters["amount_field"] = formats.amount_field
    environment.filters["local_moment"] = formats.local_moment
    environment.filters["weekday"] = formats.weekday
    environment.filters["tenths"] = formats.tenths
    environment.filters["decimal"] = formats.decimal
    environment.filters["number"] = formats.number
    environment.filters["phrase"] = partial(
        shown_phrase, catalogue=catalogue, locale=BABEL_LOCALES[language]
    )
    environment.filters["day"] = formats.day
    environment.filters["moment"] = formats.moment
    environment.filters["moment_in"] = formats.moment_in
    environment.filters["say"] = partial(say, catalogue=catalogue, locale=BABEL_LOCALES[language])
    environment.globals["lang"] = language
    environment.globals["language_names"] = LANGUAGE_NAMES
    # HTML's pattern attribute is anchored by the browser itself.
    environment.globals["iso_week_input_pattern"] = ISO_WEEK_PATTERN.strip("^$")
    return Jinja2Templates(env=environment)


def build_templates(catalogues: Mapping[Language, NullTranslations]) -> ConsoleTemplates:
    return ConsoleTemplates(catalogues)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A console page in the reader's language: the template with the user, CSRF token
    and waiting flash messages."""
    templates: ConsoleTemplates = request.app.state.templates
    full = {
        "user": user,
        "csrf_token": csrf_token(request.session),
        "flashes": pop_flashes(request),
        "errors": {},
        **context,
    }
    language = request_language(request, user)
    return templates[language].TemplateResponse(request, name, full, status_code=status_code)


def local_path(request: Request, route: str, **params: Any) -> str:
    """The path of a named route on this site; never built from the Host header."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root + str(request.app.url_path_for(route, **params))


def redirect(request: Request, route: str, **params: Any) -> RedirectResponse:
    """303 to a named route (after a form post: the browser asks with GET).

    The Location is a path on this site, so a forged Host header cannot send the
    browser elsewhere.
    """
    return RedirectResponse(local_path(request, route, **params), status_code=303)


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path on this site to return to after logging in, else None.

    Only a relative path qualifies: no scheme, no host, no ``//`` or backslash that a
    browser would read as another host, no control characters.
    """
    if not value or len(value) > 2000 or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or "\\" in value:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
