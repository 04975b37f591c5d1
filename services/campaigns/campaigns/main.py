"""Composition root: ``create_app`` wires settings, database, analytics client and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from campaigns import api, api_tenancy, console, console_campaigns, console_settings, imports
from campaigns.analytics_client import AnalyticsClient, HttpAnalyticsClient
from campaigns.config import Settings
from campaigns.deps import csrf_guard
from campaigns.errors import LoginRequired
from campaigns.insight_routes import insight_router
from koers.db import make_engine, ping
from koers.web import broker_check, install_web_chassis

PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "koers_session"
# ``__Host-``: the browser only accepts it with Secure, Path=/ and no Domain, so no
# sibling subdomain can plant or overwrite the console's session.
SECURE_SESSION_COOKIE = "__Host-koers_session"
SESSION_MAX_AGE_S = 12 * 60 * 60  # a working day; then log in again


def euro(amount: Decimal | float | int | None) -> str:
    """``€1,234.50``; a dash when there is nothing to show."""
    if amount is None:
        return "-"
    return f"€{Decimal(amount):,.2f}"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")  # autoescape on
    templates.env.filters["euro"] = euro
    return templates


def create_app(
    settings: Settings | None = None, *, analytics: AnalyticsClient | None = None
) -> FastAPI:
    """Build the campaigns app; pass a fake ``analytics`` client in tests."""
    settings = settings or Settings()
    settings.check_production_secrets()
    engine = make_engine(settings.database_url)
    analytics_client = analytics or HttpAnalyticsClient(
        settings.analytics_url, settings.service_token, timeout_s=settings.analytics_timeout_s
    )
    templates = build_templates()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        analytics_client.close()
        engine.dispose()

    app = FastAPI(
        title="Koers campaigns",
        version="0.1.0",
        description="Campaigns, creative variants and budgets of recruitment marketers.",
        lifespan=lifespan,
        dependencies=[Depends(csrf_guard)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.analytics = analytics_client
    app.state.templates = templates

    def render_error(request: Request, status: int, title: str, detail: str) -> Response:
        context = {"title": title, "detail": detail, "status": status}
        return templates.TemplateResponse(request, "error.html", context, status_code=status)

    install_web_chassis(
        app,
        service="campaigns",
        checks={
            "database": lambda: ping(engine),
            "broker": broker_check(settings.kafka_bootstrap_servers),
        },
        degraded_ok=frozenset({"broker"}),
        html_renderer=render_error,
        body_limits=dict.fromkeys(  # the import itself explains files over 10 MB
            ("/campaigns/*/spend-imports", "/api/v1/campaigns/*/spend-imports"), 32 * 1024 * 1024
        ),
    )
    # The one cookie the console sets: strictly necessary, signed, HttpOnly,
    # SameSite=Lax, and in production Secure with the ``__Host-`` prefix.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie=SECURE_SESSION_COOKIE if settings.cookies_secure else SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.cookies_secure,
        path="/",
    )

    async def redirect_to_login(request: Request, _exc: Exception) -> Response:
        return RedirectResponse(request.url_for("login"), status_code=303)

    app.add_exception_handler(LoginRequired, redirect_to_login)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.include_router(console.router)
    app.include_router(console_campaigns.router)
    app.include_router(console_settings.router)
    app.include_router(api.router)
    app.include_router(api_tenancy.router)
    app.include_router(imports.router)
    app.include_router(insight_router())
    return app
