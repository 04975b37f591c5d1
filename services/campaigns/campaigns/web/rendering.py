"""Server-rendered HTML: the Jinja2 environment, rendering a page, redirecting after a post."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from campaigns.web.csrf import csrf_token
from campaigns.web.flash import pop_flashes
from koers.isoweeks import ISO_WEEK_PATTERN

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


def euro(amount: Decimal | float | int | None) -> str:
    """``€1,234.50``; a dash when there is nothing to show."""
    if amount is None:
        return "-"
    return f"€{Decimal(amount):,.2f}"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES_DIR)  # autoescape on
    templates.env.filters["euro"] = euro
    # HTML's pattern attribute is anchored by the browser itself.
    templates.env.globals["iso_week_input_pattern"] = ISO_WEEK_PATTERN.strip("^$")
    return templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A console page: the template with the user, CSRF token and waiting flash messages."""
    templates: Jinja2Templates = request.app.state.templates
    full = {
        "user": user,
        "csrf_token": csrf_token(request.session),
        "flashes": pop_flashes(request),
        "errors": {},
        **context,
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)


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
