"""Rendering candidate pages: templates, the candidate's language, the CSP.

Every page is rendered through :class:`Renderer` so each template gets the same things:
``i18n`` (the Babel translations of the chosen language, used by ``{% trans %}`` and
``_()``), ``lang``, the language switch and the one optional inline script, which the CSP
allows by its SHA-256 hash (no ``unsafe-inline``, no per-request nonce to compute).

The landing page itself, the one page every ad click opens, is rendered once per
campaign version and language and then filled in per view (see ``pages/stencils.py``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import jinja2
import pyphen
from babel.support import Translations
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from landing.web.i18n import LANGUAGE_NAMES, Language

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
INLINE_SCRIPT_PATH = STATIC_DIR / "enhance.js"


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(script_hashes: Iterable[str], media_origins: Iterable[str]) -> str:
    """Everything from this origin only, except the employer's media origins; scripts
    only by hash; no plugins, frames, base changes or foreign form targets."""
    media = " ".join(["'self'", *sorted(set(media_origins))])
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {' '.join(script_hashes)}",
            "style-src 'self'",
            f"img-src {media} data:",
            f"media-src {media}",
            "font-src 'none'",
            "connect-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


@jinja2.pass_context
def _gettext(context: Any, message: str) -> str:
    translations: Translations = context["i18n"]
    return translations.gettext(message)


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, count: int) -> str:
    translations: Translations = context["i18n"]
    return translations.ngettext(singular, plural, count)


@jinja2.pass_context
def _path_for(context: Any, name: str, /, **path_params: Any) -> str:
    """A root-relative URL for a route (no host, so it works behind any proxy)."""
    request: Request = context["request"]
    return str(request.app.url_path_for(name, **path_params))


SOFT_HYPHEN = "\u00ad"
LONG_WORD = re.compile(r"\w{12,}")
"""Words this long may not fit a 360 px phone in a headline's size."""
HYPHENATION_DICTIONARIES = {"nl": "nl_NL", "en": "en_GB"}


@functools.cache
def _hyphenator(language: str) -> pyphen.Pyphen | None:
    dictionary = HYPHENATION_DICTIONARIES.get(language)
    return pyphen.Pyphen(lang=dictionary) if dictionary else None


def hyphenate(text: str, language: str) -> str:
    """``text`` with soft hyphens in its long words, so a Dutch compound
    ("klantenservicemedewerker") breaks at a syllable, with a hyphen, on a narrow
    screen and stays whole where it fits. CSS ``hyphens: auto`` does the same only
    where the browser has a dictionary (not every Chromium does); the page is rendered
    once per campaign version and language, so this costs nothing per visit."""
    hyphenator = _hyphenator(language)
    if hyphenator is None:
        return text
    return LONG_WORD.sub(lambda word: hyphenator.inserted(word.group(), hyphen=SOFT_HYPHEN), text)


def build_templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat() per render
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    environment.globals["path_for"] = _path_for
    environment.filters["hyphenate"] = hyphenate
    return Jinja2Templates(env=environment)


def url_with(path: str, query: Mapping[str, str | None]) -> str:
    encoded = query_string(query)
    return f"{path}?{encoded}" if encoded else path


def query_string(query: Mapping[str, str | None]) -> str:
    """``query`` URL-encoded, leaving out empty values (what ``urlencode`` gives)."""
    return "&".join(f"{_quote(key)}={_quote(value)}" for key, value in query.items() if value)


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


def _quote(text: str) -> str:
    # Most values (signed tokens, ids, language codes) need no escaping; quote_plus goes
    # through them byte by byte, and every landing page view encodes a few of them.
    return text if _URL_SAFE.fullmatch(text) else quote_plus(text)


class Renderer:
    def __init__(
        self, templates: Jinja2Templates, catalogues: Mapping[Language, Translations]
    ) -> None:
        self.templates = templates
        self.catalogues = catalogues
        source = INLINE_SCRIPT_PATH.read_text()
        self.inline_script = Markup(source)
        self.script_hashes = (script_hash(source),)
        self._route_paths: dict[tuple[str, str], str] = {}

    def page_path(self, request: Request, name: str, slug: str) -> str:
        """The path of a campaign page's route, remembered (Starlette's ``url_path_for``
        tries every route in turn, each time)."""
        key = (name, slug)
        path = self._route_paths.get(key)
        if path is None:
            path = str(request.app.url_path_for(name, slug=slug))
            if len(self._route_paths) > 10_000:  # slugs come and go; stay bounded
                self._route_paths.clear()
            self._route_paths[key] = path
        return path

    def gettext(self, language: Language) -> Any:
        return self.catalogues[language].gettext

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        *,
        language: Language,
        switch: Mapping[Language, str] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """``switch`` maps each language a candidate may change to onto its link."""
        html = self.render_html(request, name, context, language=language, switch=switch)
        return self.html_response(html, language=language, status_code=status_code, headers=headers)

    def render_html(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        *,
        language: Language,
        switch: Mapping[Language, str] | None = None,
    ) -> str:
        links = [
            {"lang": other, "name": LANGUAGE_NAMES[other], "href": href}
            for other, href in (switch or {}).items()
            if other != language
        ]
        full = {
            **context,
            "request": request,
            "i18n": self.catalogues[language],
            "lang": language,
            "language_links": links,
            "inline_script": self.inline_script,
        }
        return self.templates.get_template(name).render(full)

    @staticmethod
    def html_response(
        html: str,
        *,
        language: Language,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return HTMLResponse(
            html,
            status_code=status_code,
            headers={**(headers or {}), "cache-control": "no-store", "content-language": language},
        )
