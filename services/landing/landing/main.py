"""The composition root: ``create_app(settings)`` builds the engine, the token signer,
the catalogues, the templates, the caches and the limits at start-up (nothing happens
at import), and puts the features' routes together."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from koers.db import make_engine, ping
from koers.events import utcnow
from koers.web import ReadinessCheck, broker_check, install_web_chassis, service_token_checker
from landing.config import Settings
from landing.contacts import api as contacts_api
from landing.errors import CandidatePageError
from landing.pages import preview as page_preview
from landing.pages import routes as page_routes
from landing.pages.cache import PageCache
from landing.pages.stencils import StencilCache
from landing.privacy import api as privacy_api
from landing.privacy import routes as privacy_routes
from landing.privacy.service import Privacy
from landing.submissions import api as submissions_api
from landing.submissions import routes as submission_routes
from landing.submissions.cv import MAX_CV_BYTES
from landing.submissions.cvstore import build_cv_store
from landing.submissions.ratelimit import (
    FormRateLimit,
    RateLimiter,
    RedisRateLimiter,
    SharedRateLimiter,
)
from landing.submissions.service import Journeys
from landing.submissions.tokens import TokenSigner
from landing.web import i18n, messages
from landing.web.bodylimit import BodyLimit
from landing.web.dbcalls import DatabaseCalls
from landing.web.deps import Site
from landing.web.i18n import LanguagePreferences
from landing.web.rendering import STATIC_DIR, Renderer, build_templates, content_security_policy

log = logging.getLogger(__name__)

FORM_BODY_LIMIT = 256 * 1024
APPLY_BODY_LIMIT = MAX_CV_BYTES + FORM_BODY_LIMIT
API_BODY_LIMIT = 64 * 1024

STATUS_ERRORS = {
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
    500: "internal",
}


def body_limit_for(method: str, path: str) -> int | None:
    if method in ("GET", "HEAD", "OPTIONS"):
        return None
    if path.startswith("/j/"):
        return APPLY_BODY_LIMIT if path.endswith("/apply") else FORM_BODY_LIMIT
    return API_BODY_LIMIT


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    settings = settings or Settings()
    settings.check_production_secrets()
    secret_key = settings.secret_key or _development_secret_key()
    # No statement parameters in error messages: they are candidates' names, phones and
    # e-mail addresses, and error messages end up in logs.
    engine = make_engine(settings.database_url, hide_parameters=True)
    rate_limiter = build_rate_limiter(settings, engine, secret_key, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()
        if isinstance(rate_limiter, RedisRateLimiter):
            rate_limiter.close()

    development = settings.environment == "development"
    app = FastAPI(
        title="Koers landing",
        version="0.2.0",
        summary="Candidate landing pages and the internal leads API.",
        lifespan=lifespan,
        docs_url="/docs" if development else None,
        redoc_url=None,
        openapi_url="/openapi.json" if development else None,
    )
    renderer = Renderer(build_templates(), i18n.load_catalogues())
    languages = LanguagePreferences()
    database = DatabaseCalls(engine)
    cv_store = build_cv_store(settings.cv_storage, settings.cv_dir, engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.renderer = renderer
    app.state.cv_store = cv_store
    app.state.signer = TokenSigner(secret_key, clock=lambda: clock().timestamp())
    app.state.journeys = Journeys(engine, database, clock, cv_store)
    app.state.privacy = Privacy(engine, cv_store, clock)
    app.state.page_cache = PageCache(settings.page_cache_seconds)
    app.state.submittable_page_cache = PageCache(settings.page_cache_seconds)
    app.state.site = Site(
        journeys=app.state.journeys,
        signer=app.state.signer,
        renderer=renderer,
        settings=settings,
        privacy=app.state.privacy,
        database=database,
        stencils=StencilCache(),
        languages=languages,
        media=settings.media_policy(),
    )
    app.state.rate_limiter = rate_limiter
    checks: dict[str, ReadinessCheck] = {
        "database": lambda: ping(engine),
        "broker": broker_check(settings.kafka_bootstrap_servers),
    }
    if isinstance(rate_limiter, RedisRateLimiter):
        # Degraded, not unready: without Redis each process limits on its own.
        checks["redis"] = rate_limiter.ping

    def render_error(
        request: Request, status: int, code: str, headers: dict[str, str] | None = None
    ) -> Response:
        language = i18n.choose_language_without_page(
            request.query_params.get("lang"), request.headers.get("accept-language", ""), languages
        )
        title, detail = messages.ERRORS.get(code, messages.ERRORS["invalid_request"])
        gettext = renderer.gettext(language)
        slug = request.path_params.get("slug")
        restart_url = (
            str(request.app.url_path_for("landing_page", slug=slug))
            if slug and status not in (404, 410, 413)
            else None
        )
        return renderer.render(
            request,
            "error.html",
            {"title": gettext(title), "detail": gettext(detail), "restart_url": restart_url},
            language=language,
            status_code=status,
            headers=headers,
        )

    def render_chassis_error(request: Request, status: int, title: str, detail: str) -> Response:
        return render_error(request, status, STATUS_ERRORS.get(status, "invalid_request"))

    install_web_chassis(
        app,
        service="landing",
        checks=checks,
        degraded_ok=frozenset({"broker", "redis"}),
        html_renderer=render_chassis_error,
        csp=content_security_policy(renderer.script_hashes, settings.media_origins),
        body_limits={"/j/": APPLY_BODY_LIMIT},  # landing's BodyLimit bounds each form below
    )

    @app.exception_handler(CandidatePageError)
    async def candidate_page_error(request: Request, exc: CandidatePageError) -> Response:
        return render_error(request, exc.status, exc.code, exc.headers)

    app.add_middleware(BodyLimit, limit_for=body_limit_for)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.router.routes.insert(0, page_routes.LANDING_ROUTE)  # tried first: the busiest route
    app.include_router(page_routes.router)
    app.include_router(submission_routes.router)
    app.include_router(privacy_routes.router)
    service_token = [Depends(service_token_checker(settings.service_token))]
    app.include_router(submissions_api.router, dependencies=service_token)
    app.include_router(contacts_api.router, dependencies=service_token)
    app.include_router(privacy_api.router, dependencies=service_token)
    app.include_router(page_preview.router, dependencies=service_token)
    return app


def build_rate_limiter(
    settings: Settings, engine: Engine, secret_key: str, clock: Callable[[], datetime]
) -> FormRateLimit:
    """Redis where configured, else the database when shared, else per process."""
    per_minute, burst = settings.rate_limit_per_minute, settings.rate_limit_burst
    if settings.redis_url:
        return RedisRateLimiter.connect(
            settings.redis_url,
            per_minute,
            burst,
            clock=lambda: clock().timestamp(),
            key_secret=secret_key,
        )
    if settings.rate_limit_shared:
        return SharedRateLimiter(
            engine, per_minute, burst, clock=lambda: clock().timestamp(), key_secret=secret_key
        )
    return RateLimiter(per_minute, burst, clock=time.monotonic)


def _development_secret_key() -> str:
    log.warning(
        "KOERS_LANDING_SECRET_KEY is empty: signing forms with a random per-process key; "
        "forms break on restart and across processes. Set it outside development."
    )
    return secrets.token_urlsafe(32)
