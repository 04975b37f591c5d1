"""Composition root: ``create_app`` builds settings, database, every client and cache, and
wires the routes of each feature."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import Protocol

from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from campaigns.actions import routes as action_routes
from campaigns.agency import routes as agency_routes
from campaigns.audit import api as audit_api
from campaigns.audit import routes as audit_routes
from campaigns.benchmarks import routes as benchmark_routes
from campaigns.benchmarks.service import benchmarks_refresh, weekly_refresh
from campaigns.catalog import api as catalog_api
from campaigns.catalog import routes as catalog_routes
from campaigns.catalog.page_preview import HttpPagePreviews
from campaigns.config import Settings
from campaigns.decisions import routes as decision_routes
from campaigns.decisions import workspace as decision_workspace
from campaigns.decisions.platforms import PlatformDelivery
from campaigns.decisions.proposals import AllocationProposer, ProposalReader
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
from campaigns.leads import followup_routes
from campaigns.leads import routes as lead_routes
from campaigns.leads.deps import LANDING_TIMEOUT_S
from campaigns.leads.landing_client import HttpLandingClient, LandingClient
from campaigns.memo import routes as memo_routes
from campaigns.memo.mail import Mailer, SmtpMailer
from campaigns.organic import routes as organic_routes
from campaigns.overview.cache import OverviewSources
from campaigns.scheduling import JobScheduler, NoScheduler
from campaigns.scheduling import internal_api as scheduling_internal_api
from campaigns.scheduling import routes as scheduling_routes
from campaigns.scheduling.embedded import EmbeddedScheduler
from campaigns.scheduling.steps import PUSH_JOB_DESCRIPTION, PUSH_JOB_ID, WeeklySteps
from campaigns.scheduling.weekly import (
    WEEKLY_JOB_DESCRIPTION,
    WEEKLY_JOB_ID,
    WeeklyRunSummary,
    WeeklyStep,
    run_weekly_job,
)
from campaigns.spend import routes as spend_routes
from campaigns.tenancy import api as tenancy_api
from campaigns.tenancy import routes as tenancy_routes
from campaigns.tenancy.auth import STRONG_PASSWORD_HASHER
from campaigns.web.csrf import csrf_guard
from campaigns.web.i18n import load_catalogues, request_language
from campaigns.web.rendering import STATIC_DIR, build_templates
from koers.db import make_engine, ping
from koers.events import utcnow
from koers.web import DEFAULT_CSP, broker_check, install_web_chassis, service_token_checker

SESSION_COOKIE = "koers_session"
# ``__Host-``: the browser only accepts it with Secure, Path=/ and no Domain, so no
# sibling subdomain can plant or overwrite the console's session.
SECURE_SESSION_COOKIE = "__Host-koers_session"
SESSION_MAX_AGE_S = 12 * 60 * 60  # a working day; then log in again

# The inbox's contact buttons post to the console, which records the attempt and
# redirects to the chat, mail or call; browsers hold a form's redirect to form-action.
CONSOLE_CSP = DEFAULT_CSP.replace(
    "form-action 'self'", "form-action 'self' https://wa.me mailto: tel:"
)

WEEKLY_JOB_ANALYTICS_TIMEOUT_S = 60.0
"""Analytics computes a proposal per call; the console's 2 s budget is for pages, and a
job that gave up early would only fail a campaign analytics then plans anyway."""


class JobAnalytics(AllocationProposer, ProposalReader, Protocol):
    """What the weekly job asks analytics: a proposal computed, or the one it holds."""


def weekly_job(
    engine: Engine,
    analytics: JobAnalytics,
    steps: WeeklySteps,
    *,
    clock: Callable[[], datetime] = utcnow,
    last_steps: Sequence[WeeklyStep] = (),
) -> Callable[[str], WeeklyRunSummary]:
    """The weekly job for one ISO week, wired: ``koers-campaigns weekly`` and the
    embedded scheduler run this same callable; its steps after planning (apply
    autopilot, push what is due) are the ones the Airflow DAG calls over HTTP;
    ``last_steps`` (the benchmarks' refresh) follow them."""
    return partial(
        run_weekly_job,
        engine=engine,
        analytics_client=analytics,
        clock=clock,
        after_planning=(*steps.after_planning(), *last_steps),
    )


def build_scheduler(
    settings: Settings,
    job: Callable[[str], WeeklyRunSummary],
    push_job: Callable[[str], object],
) -> JobScheduler:
    """Airflow when its URL is set; else in-process jobs, in development only."""
    if settings.airflow_url:
        from campaigns.scheduling.airflow import AirflowScheduler
        from campaigns.scheduling.errors import NotConfigured

        try:
            return AirflowScheduler(
                settings.airflow_url,
                settings.airflow_username,
                settings.airflow_password,
                timeout_s=settings.airflow_timeout_s,
            )
        except NotConfigured as exc:  # production refuses this at start-up already
            return NoScheduler(f"{exc} (KOERS_AIRFLOW_USERNAME, KOERS_AIRFLOW_PASSWORD)")
    if not settings.embedded_jobs:
        return NoScheduler(
            "Airflow is not configured (KOERS_AIRFLOW_URL), and in production the jobs do "
            "not run inside the console: set Airflow's URL, user name and password"
        )
    return EmbeddedScheduler(
        jobs={WEEKLY_JOB_ID: job},
        descriptions={WEEKLY_JOB_ID: WEEKLY_JOB_DESCRIPTION, PUSH_JOB_ID: PUSH_JOB_DESCRIPTION},
        hourly_jobs={PUSH_JOB_ID: push_job},
    )


def build_mailer(settings: Settings) -> Mailer | None:
    """SMTP when its URL is set (a malformed one fails here, at start-up); else None and
    the memo page offers its HTML to download."""
    url = settings.smtp_url.get_secret_value()
    return SmtpMailer(url, settings.memo_from) if url else None


def create_app(
    settings: Settings | None = None,
    *,
    analytics: AnalyticsClient | None = None,
    landing: LandingClient | None = None,
    delivery: Delivery | None = None,
    clock: Callable[[], datetime] = utcnow,
    password_hasher: PasswordHasher = STRONG_PASSWORD_HASHER,
) -> FastAPI:
    """Build the campaigns app; pass fake ``analytics``, ``landing`` or ``delivery``
    (ad-platform adapters), a frozen ``clock``, or a cheap ``password_hasher`` in tests."""
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
    page_previews = HttpPagePreviews(
        settings.landing_url, settings.service_token, timeout_s=LANDING_TIMEOUT_S
    )
    fetch_pool = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="insight-fetch")
    meta_http = make_meta_client(settings)
    platform_delivery = PlatformDelivery(settings, meta_http)
    catalogues = load_catalogues()
    templates = build_templates(catalogues)
    # The weekly job gets its own client with a job's patience (a fake one in tests).
    job_analytics: AnalyticsInsights = (
        insight_analytics
        if analytics is not None and insight_analytics is analytics_client
        else HttpAnalyticsClient(
            settings.analytics_url,
            settings.service_token,
            timeout_s=WEEKLY_JOB_ANALYTICS_TIMEOUT_S,
        )
    )
    push_delivery = delivery or platform_delivery
    steps = WeeklySteps(engine, job_analytics, push_delivery, clock=utcnow)
    scheduler = build_scheduler(
        settings,
        weekly_job(
            engine,
            job_analytics,
            steps,
            last_steps=(weekly_refresh(engine, job_analytics, landing_client, clock=utcnow),),
        ),
        steps.push_due,
    )
    memo_mailer = build_mailer(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Only the process the Procfile marks runs the Monday schedule; any console
        # process runs "Run now" (the job is idempotent, so two at once change nothing).
        if isinstance(scheduler, EmbeddedScheduler) and settings.run_scheduled_jobs:
            scheduler.start()
        yield
        if isinstance(scheduler, EmbeddedScheduler):
            scheduler.stop()
        fetch_pool.shutdown(wait=False, cancel_futures=True)
        if insight_analytics is not analytics_client:
            insight_analytics.close()
        if job_analytics is not insight_analytics:
            job_analytics.close()
        analytics_client.close()
        landing_client.close()
        page_previews.close()
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
    app.state.clock = clock
    app.state.password_hasher = password_hasher
    app.state.analytics = analytics_client
    app.state.insight_analytics = insight_analytics
    app.state.landing = landing_client
    app.state.page_previews = page_previews
    app.state.chart_cache = ChartCache(CHART_CACHE_ENTRIES)
    app.state.insight_answers = AnswerCache(SLOW_ANSWER_TTL_S)
    app.state.overview_sources = OverviewSources()
    app.state.insight_pool = fetch_pool
    app.state.catalogues = catalogues
    app.state.templates = templates
    app.state.platform_delivery = platform_delivery
    app.state.delivery = push_delivery
    app.state.scheduler = scheduler
    app.state.weekly_steps = steps
    # The Airflow DAG's last step; the embedded job's is weekly_refresh, same refresh.
    app.state.benchmarks_refresh = benchmarks_refresh(
        engine, job_analytics, landing_client, clock=utcnow
    )
    app.state.check_service_token = service_token_checker(settings.service_token)
    app.state.memo_mailer = memo_mailer

    def render_error(request: Request, status: int, title: str, detail: str) -> Response:
        # Titles and fixed details are in the catalogue; a detail naming an object is
        # shown as written.
        context = {"title": title, "detail": detail, "status": status}
        language_templates = templates[request_language(request)]
        return language_templates.TemplateResponse(
            request, "error.html", context, status_code=status
        )

    install_web_chassis(
        app,
        service="campaigns",
        checks={
            "database": lambda: ping(engine),
            "broker": broker_check(settings.kafka_bootstrap_servers),
        },
        degraded_ok=frozenset({"broker"}),
        html_renderer=render_error,
        csp=CONSOLE_CSP,
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
        agency_routes.router,
        catalog_routes.router,
        audit_routes.router,
        catalog_api.router,
        tenancy_api.router,
        audit_api.router,
        spend_routes.router,
        insight_routes.router,
        action_routes.router,
        decision_routes.router,
        decision_workspace.router,
        lead_routes.router,
        followup_routes.router,
        scheduling_routes.router,
        memo_routes.router,
        organic_routes.router,
        scheduling_internal_api.router,
        benchmark_routes.router,
    ):
        app.include_router(router)
    return app
