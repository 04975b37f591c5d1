"""The marketers' web console (server-rendered HTML)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from campaigns import auth, service_layer
from campaigns import repository as repo
from campaigns.analytics_client import AnalyticsUnavailable
from campaigns.deps import AnalyticsDep, ConsoleUser, EngineDep, SettingsDep, User, session_user
from campaigns.domain import FunnelRow, funnel_rows, spend_per_week
from campaigns.errors import CampaignNotFound
from koers.db import transaction

router = APIRouter(include_in_schema=False)

FormField = Annotated[str, Form()]


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: User | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    full = {"user": user, "csrf_token": auth.csrf_token(request.session), **context}
    return templates.TemplateResponse(request, name, full, status_code=status_code)


@router.get("/login", name="login")
def login_form(request: Request, engine: EngineDep) -> Response:
    """The login form."""
    if session_user(request, engine) is not None:
        return RedirectResponse(request.url_for("campaign_list"), status_code=303)
    return render(request, "login.html", {"email": "", "message": None})


@router.post("/login", name="login_submit")
def login_submit(
    request: Request,
    engine: EngineDep,
    email: FormField = "",
    password: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Check the e-mail and password and start a session."""
    auth.check_csrf(request.session, csrf_token)
    if not email.strip() or not password:
        message = "Please fill in your e-mail address and password."
        return render(request, "login.html", {"email": email, "message": message}, status_code=400)
    with transaction(engine) as conn:
        user_id = service_layer.authenticate(conn, email, password)
    if user_id is None:
        message = "That e-mail address and password do not match. Please try again."
        return render(request, "login.html", {"email": email, "message": message}, status_code=401)
    auth.start_session(request.session, user_id)
    return RedirectResponse(request.url_for("campaign_list"), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, csrf_token: FormField = "") -> Response:
    """End the session."""
    auth.check_csrf(request.session, csrf_token)
    request.session.clear()
    return RedirectResponse(request.url_for("login"), status_code=303)


@router.get("/", name="campaign_list")
def campaign_list(request: Request, user: ConsoleUser, engine: EngineDep) -> Response:
    """The campaigns of the user's employer."""
    with engine.connect() as conn:
        campaigns = repo.campaigns_of_tenant(conn, user.tenant_id)
    return render(request, "campaigns.html", {"campaigns": campaigns}, user=user)


FunnelState = Literal["ready", "no_data", "unavailable"]


@router.get("/campaigns/{slug}", name="campaign_detail")
def campaign_detail(
    request: Request,
    slug: str,
    user: ConsoleUser,
    engine: EngineDep,
    settings: SettingsDep,
    analytics: AnalyticsDep,
) -> Response:
    """One campaign: its variants, landing links, weekly spend and funnel."""
    with engine.connect() as conn:
        campaign = repo.campaign_by_slug(conn, user.tenant_id, slug)
        if campaign is None:
            raise CampaignNotFound(f"There is no campaign {slug!r} in {user.tenant_name}.")
        variants = repo.variants_of(conn, campaign.id)
        spend_days = repo.spend_days_of(conn, campaign.id)
    landing_base = settings.landing_url.rstrip("/")
    links = {
        v.variant_id: f"{landing_base}/j/{campaign.slug}?{urlencode({'v': v.variant_id})}"
        for v in variants
    }
    rows: list[FunnelRow] = []
    state: FunnelState
    try:
        funnel = analytics.campaign_funnel(campaign.id)
    except AnalyticsUnavailable:
        state = "unavailable"
    else:
        state = "no_data" if funnel is None else "ready"
        if funnel is not None:
            rows = funnel_rows(funnel, variants)
    context = {
        "campaign": campaign,
        "variants": variants,
        "links": links,
        "spend_weeks": spend_per_week(spend_days, [v.variant_id for v in variants]),
        "funnel_state": state,
        "funnel_rows": rows,
    }
    return render(request, "campaign.html", context, user=user)
