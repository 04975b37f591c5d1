"""The marketers' web console (server-rendered HTML): rendering helpers, logging in and
out, and the tenant switcher. The pages per resource live in ``console_*.py``.
"""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from campaigns import auth, service_layer
from campaigns.deps import ConsoleUser, EngineDep, User, session_user
from campaigns.errors import ObjectNotFound
from koers.db import transaction

router = APIRouter(include_in_schema=False)

FormField = Annotated[str, Form()]
SESSION_FLASH = "flash"
PAGE_SIZE = 20


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (after a redirect)."""
    messages = list(request.session.get(SESSION_FLASH) or [])[-4:]
    messages.append({"message": message, "kind": kind})
    request.session[SESSION_FLASH] = messages


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    messages = request.session.pop(SESSION_FLASH, None) or []
    full = {
        "user": user,
        "csrf_token": auth.csrf_token(request.session),
        "flashes": messages,
        "errors": {},
        **context,
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)


def redirect(request: Request, route: str, **params: Any) -> RedirectResponse:
    return RedirectResponse(request.url_for(route, **params), status_code=303)


class Pager:
    """Which slice of a list a page shows, and the links around it."""

    def __init__(self, page: int, total: int, size: int = PAGE_SIZE) -> None:
        self.size = size
        self.total = total
        self.pages = max(1, ceil(total / size))
        self.page = min(max(page, 1), self.pages)
        self.offset = (self.page - 1) * size

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/login", name="login")
def login_form(request: Request, engine: EngineDep) -> Response:
    """The login form."""
    if session_user(request, engine) is not None:
        return redirect(request, "campaign_list")
    return render(request, "login.html", {"email": "", "message": None})


@router.post("/login", name="login_submit")
def login_submit(
    request: Request,
    engine: EngineDep,
    email: FormField = "",
    password: FormField = "",
) -> Response:
    """Check the e-mail and password and start a session (throttled after failures)."""
    if not email.strip() or not password:
        message = "Please fill in your e-mail address and password."
        return render(request, "login.html", {"email": email, "message": message}, status_code=400)
    with transaction(engine) as conn:
        outcome = service_layer.authenticate(
            conn, email[:320], password[:1000], client_ip=client_ip(request)
        )
    if outcome.locked_until is not None:
        message = (
            "Too many failed attempts. For your safety logging in is paused for a while; "
            f"please try again after {outcome.locked_until:%H:%M} UTC."
        )
        return render(request, "login.html", {"email": email, "message": message}, status_code=429)
    if outcome.user_id is None:
        message = "That e-mail address and password do not match. Please try again."
        return render(request, "login.html", {"email": email, "message": message}, status_code=401)
    auth.start_session(request.session, outcome.user_id)
    return redirect(request, "campaign_list")


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return redirect(request, "login")


@router.post("/tenant", name="switch_tenant")
def switch_tenant(request: Request, user: ConsoleUser, tenant_id: FormField = "") -> Response:
    """Switch the employer an agency user works for (only to one they are a member of)."""
    membership = next((m for m in user.memberships if m.tenant_id == tenant_id), None)
    if membership is None:
        raise ObjectNotFound("You are not a member of that employer.")
    request.session[auth.SESSION_TENANT] = membership.tenant_id
    flash(request, f"You are now working for {membership.tenant_name}.")
    return redirect(request, "campaign_list")
