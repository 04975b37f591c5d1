"""Server-rendered HTML: the Jinja2 environment, rendering a page, redirecting after a post."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

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


def redirect(request: Request, route: str, **params: Any) -> RedirectResponse:
    """303 to a named route (after a form post: the browser asks with GET)."""
    return RedirectResponse(request.url_for(route, **params), status_code=303)
