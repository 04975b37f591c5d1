"""Composition root: ``create_app`` builds settings, database, every client and cache, and
wires the routes of each feature."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from campaigns.audit import api as audit_api
from campaigns.audit import routes as audit_routes
from campaigns.catalog import api as catalog_api
from campaigns.catalog import routes as catalog_routes
from campaigns.config import Settings
from campaigns.decisions import routes as decision_routes
from campaigns.decisions import workspace as decision_workspace
from campaigns.decisions.platforms import PlatformDelivery
from campaigns.decisions.service import Delivery
from campaigns.delivery import make_meta_client
from campaigns.errors import LoginRequired
from campaigns.insights import routes as insight_routes
from campaigns.insights.analytics_client import (
    AnalyticsClient,
    AnalyticsInsights,
    HttpAnalyticsClient,
)
from campaigns.insights.cache import AnswerCache
from campaigns.insights.charts import ChartCache
from campaigns.insights.deps import CHART_CACHE_ENTRIES, FETCH_WORKERS, SLOW_ANSWER_TTL_S
from campaigns.leads import routes as lead_routes
from campaigns.leads.deps import LANDING_TIMEOUT_S
from campaigns.leads.landing_client import HttpLandingClient, LandingClient
from campaigns.spend import routes as spend_routes
from campaigns.tenancy import api as tenancy_api
from campaigns.tenancy import routes as tenancy_routes
from campaigns.web.csrf import csrf_guard
from campaigns.web.rendering import STATIC_DIR, build_templates
from koers.db import make_engine, ping
from koers.web import broker_check, install_web_chassis

SESSION_COOKIE = "koers_session"
# ``__Host-``: the browser only accepts it with Secure, Path=/ and no Domain, so no
# sibling subdomain can plant or overwrite the console's session.
SECURE_SESSION_COOKIE = "__Host-koers_session"
SESSION_MAX_AGE_S = 12 * 60 * 60  # a working day; then log in again


def create_app(
    settings: Settings | None = None,
    *,
    analytics: AnalyticsClient | None = None,
    landing: LandingClient | None = None,
    delivery: Delivery | None = None,
) -> FastAPI:
    """Build the campaigns app; pass fake ``analytics``, ``landing`` or ``delivery``
    (ad-platform adapters) in tests."""
    settings = settings or Settings()
    settings.check_production_secrets()
    engine = make_engine(settings.database_url)
    analytics_client = analytics or HttpAnalyticsClient(
        settings.analytics_url, settings.service_token, timeout_s=settings.analytics_timeout_s
    )
    # The dashboard needs analytics' insight interface too: the HTTP client speaks both
    # (one connection pool per process); a fake that does not gets an HTTP one beside it.
    insight_analytics: AnalyticsInsights = (
        analytics_client
        if isinstance(analytics_client, AnalyticsInsights)
        else HttpAnalyticsClient(
            settings.analytics_url, settings.service_token, timeout_s=settings.analytics_timeout_s
        )
    )
    landing_client = landing or HttpLandingClient(
        settings.landing_url, settings.service_token, timeout_s=LANDING_TIMEOUT_S
    )
    fetch_pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="insight-fetch")
    meta_http = make_meta_client(settings)
    platform_delivery = PlatformDelivery(settings, meta_http)
    templates = build_templates()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        fetch_pool.shutdown(wait=False, cancel_futures=True)
        if insight_analytics is not analytics_client:
            insight_analytics.close()
        analytics_client.close()
        landing_client.close()
        meta_http.close()
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
    app.state.insight_analytics = insight_analytics
    app.state.landing = landing_client
    app.state.chart_cache = ChartCache(CHART_CACHE_ENTRIES)
    app.state.insight_answers = AnswerCache(SLOW_ANSWER_TTL_S)
    app.state.insight_pool = fetch_pool
    app.state.templates = templates
    app.state.platform_delivery = platform_delivery
    app.state.delivery = delivery or platform_delivery

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

    async def redirect_to_login(request: Request, exc: Exception) -> Response:
        return tenancy_routes.login_redirect(request, exc)

    app.add_exception_handler(LoginRequired, redirect_to_login)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        tenancy_routes.router,
        catalog_routes.router,
        audit_routes.router,
        catalog_api.router,
        tenancy_api.router,
        audit_api.router,
        spend_routes.router,
        insight_routes.router,
        decision_routes.router,
        decision_workspace.router,
        lead_routes.router,
    ):
        app.include_router(router)
    return app
