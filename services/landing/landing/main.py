"""The composition root: ``create_app(settings)`` builds the engine, the token signer
and the templates at start-up (nothing happens at import)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from koers.db import make_engine, ping
from koers.events import utcnow
from koers.web import broker_check, install_web_chassis, service_token_checker
from landing import api, pages
from landing.config import Settings
from landing.errors import CandidatePageError
from landing.journeys import Journeys
from landing.tokens import TokenSigner

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

ERROR_TITLES = {
    404: "Deze pagina bestaat niet (meer)",
    405: "Dat kan hier niet",
    422: "Er klopt iets niet in je aanvraag",
    500: "Er ging iets mis aan onze kant",
}
ERROR_DETAILS = {
    404: "Misschien is de vacature al vervuld of is de link niet compleet.",
    500: "Probeer het over een paar minuten nog eens.",
}


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    settings = settings or Settings()
    settings.check_production_secrets()
    secret_key = settings.secret_key or _development_secret_key()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    development = settings.environment == "development"
    app = FastAPI(
        title="Koers landing",
        version="0.1.0",
        summary="Candidate landing pages and the internal leads API.",
        lifespan=lifespan,
        docs_url="/docs" if development else None,
        redoc_url=None,
        openapi_url="/openapi.json" if development else None,
    )
    templates = _templates()
    app.state.engine = engine
    app.state.templates = templates
    app.state.signer = TokenSigner(secret_key, clock=lambda: clock().timestamp())
    app.state.journeys = Journeys(engine, clock)

    def render_error(request: Request, status: int, title: str, detail: str) -> Response:
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "title": ERROR_TITLES.get(status, title),
                "detail": ERROR_DETAILS.get(status, detail),
                "restart_url": None,
            },
            status_code=status,
        )

    install_web_chassis(
        app,
        service="landing",
        checks={
            "database": lambda: ping(engine),
            "broker": broker_check(settings.kafka_bootstrap_servers),
        },
        degraded_ok=frozenset({"broker"}),
        html_renderer=render_error,
    )

    @app.exception_handler(CandidatePageError)
    async def candidate_page_error(request: Request, exc: CandidatePageError) -> Response:
        slug = request.path_params.get("slug")
        restart_url = (
            request.app.url_path_for("landing_page", slug=slug)
            if slug and exc.status != 404
            else None
        )
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": exc.title, "detail": exc.detail, "restart_url": restart_url},
            status_code=exc.status,
        )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(
        api.router, dependencies=[Depends(service_token_checker(settings.service_token))]
    )
    return app


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.globals["path_for"] = _path_for
    return Jinja2Templates(env=environment)


@jinja2.pass_context
def _path_for(context: Any, name: str, /, **path_params: Any) -> str:
    """A root-relative URL for a route (no host, so it works behind any proxy)."""
    request: Request = context["request"]
    return str(request.app.url_path_for(name, **path_params))


def _development_secret_key() -> str:
    log.warning(
        "KOERS_LANDING_SECRET_KEY is empty: signing forms with a random per-process key; "
        "forms break on restart and across processes. Set it outside development."
    )
    return secrets.token_urlsafe(32)
